#pragma once
// A small writer of plain XML documents (the PRS record, the WHO data set): elements, attributes,
// text, indented by two spaces. Text and attribute values are escaped; characters XML 1.0 cannot
// carry (C0 controls other than tab, CR and LF) become U+FFFD, so the output is always
// well-formed. Not for FHIR XML (core/xml.h writes that).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trialbridge::mapping {

class XmlOut {
 public:
  XmlOut();  // starts with the XML declaration

  // <name attr="value"...>, to be closed by close().
  void open(std::string_view name,
            const std::vector<std::pair<std::string, std::string>>& attributes = {});
  void close();
  // <name>text</name>; nothing when text is empty.
  void leaf(std::string_view name, std::string_view text);
  // <name/> with attributes.
  void empty(std::string_view name,
             const std::vector<std::pair<std::string, std::string>>& attributes);

  // The document; every element opened must have been closed.
  std::string finish();

 private:
  void indent();
  static void escape(std::string& out, std::string_view text, bool attribute);

  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace trialbridge::mapping
