#include "mapping/xml_out.h"

#include <stdexcept>

namespace trialbridge::mapping {

XmlOut::XmlOut() : out_("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {}

void XmlOut::indent() { out_.append(open_.size() * 2, ' '); }

void XmlOut::escape(std::string& out, std::string_view text, bool attribute) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      default:
        if (u < 0x20) {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out += c;
        }
    }
  }
}

void XmlOut::open(std::string_view name,
                  const std::vector<std::pair<std::string, std::string>>& attributes) {
  indent();
  out_ += '<';
  out_ += name;
  for (const auto& [k, v] : attributes) {
    out_ += ' ' + k + "=\"";
    escape(out_, v, true);
    out_ += '"';
  }
  out_ += ">\n";
  open_.emplace_back(name);
}

void XmlOut::close() {
  if (open_.empty()) throw std::logic_error("XmlOut: close() without open()");
  const std::string name = std::move(open_.back());
  open_.pop_back();
  indent();
  out_ += "</" + name + ">\n";
}

void XmlOut::leaf(std::string_view name, std::string_view text) {
  if (text.empty()) return;
  indent();
  out_ += '<';
  out_ += name;
  out_ += '>';
  escape(out_, text, false);
  out_ += "</";
  out_ += name;
  out_ += ">\n";
}

void XmlOut::empty(std::string_view name,
                   const std::vector<std::pair<std::string, std::string>>& attributes) {
  indent();
  out_ += '<';
  out_ += name;
  for (const auto& [k, v] : attributes) {
    out_ += ' ' + k + "=\"";
    escape(out_, v, true);
    out_ += '"';
  }
  out_ += "/>\n";
}

std::string XmlOut::finish() {
  if (!open_.empty()) throw std::logic_error("XmlOut: <" + open_.back() + "> is not closed");
  return std::move(out_);
}

}  // namespace trialbridge::mapping
