#include "validation/xhtml.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/text.h"

namespace trialbridge::validation {

namespace {

// R4 narrative: the elements of XHTML 1.0 basic text, lists, tables, images and links.
constexpr std::array<std::string_view, 50> kElements = {
    "p",       "br",    "div",   "h1",    "h2",   "h3",      "h4",    "h5",         "h6",
    "a",       "span",  "b",     "em",    "i",    "strong",  "small", "big",        "tt",
    "small",   "dfn",   "q",     "var",   "abbr", "acronym", "cite",  "blockquote", "hr",
    "address", "bdo",   "kbd",   "pre",   "samp", "sub",     "sup",   "ins",        "del",
    "ul",      "ol",    "li",    "dl",    "dt",   "dd",      "table", "caption",    "colgroup",
    "col",     "thead", "tbody", "tfoot", "tr"};
constexpr std::array<std::string_view, 4> kMoreElements = {"th", "td", "img", "code"};

constexpr std::array<std::string_view, 39> kAttributes = {
    "title",       "style",       "class",    "id",       "lang",           "xml:lang",
    "dir",         "accesskey",   "tabindex", "abbr",     "accept-charset", "accept",
    "align",       "alink",       "alt",      "axis",     "bgcolor",        "border",
    "cellpadding", "cellspacing", "char",     "charoff",  "charset",        "cite",
    "color",       "colspan",     "compact",  "coords",   "datetime",       "frame",
    "headers",     "height",      "href",     "hreflang", "hspace",         "name",
    "nowrap",      "rel",         "rev"};
constexpr std::array<std::string_view, 21> kMoreAttributes = {
    "rowspan", "rules",       "scope",    "shape",  "size",  "span",    "src",
    "start",   "summary",     "type",     "valign", "value", "vspace",  "width",
    "xmlns",   "xmlns:xhtml", "longdesc", "clear",  "face",  "noshade", "target"};

bool allowedElement(std::string_view name) {
  if (name.rfind("xhtml:", 0) == 0) name.remove_prefix(6);
  return std::find(kElements.begin(), kElements.end(), name) != kElements.end() ||
         std::find(kMoreElements.begin(), kMoreElements.end(), name) != kMoreElements.end();
}

bool allowedAttribute(std::string_view name) {
  return std::find(kAttributes.begin(), kAttributes.end(), name) != kAttributes.end() ||
         std::find(kMoreAttributes.begin(), kMoreAttributes.end(), name) != kMoreAttributes.end() ||
         name.rfind("xmlns:", 0) == 0;
}

bool nameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '-' || c == '_' ||
         c == '.';
}

}  // namespace

bool xhtmlHasContent(std::string_view x) {
  bool inTag = false;
  for (size_t i = 0; i < x.size(); ++i) {
    const char c = x[i];
    if (inTag) {
      if (c == '>') inTag = false;
      continue;
    }
    if (c == '<') {
      if (x.compare(i, 4, "<img") == 0) return true;
      inTag = true;
      continue;
    }
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return true;
  }
  return false;
}

bool looksLikeHtml(std::string_view text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '<') continue;
    const char n = text[i + 1];
    if (std::isalpha(static_cast<unsigned char>(n)) != 0 || n == '/' || n == '!') return true;
  }
  return false;
}

bool checkNarrativeXhtml(std::string_view x, std::vector<std::string>& problems) {
  const size_t before = problems.size();
  size_t i = 0;
  bool first = true;
  bool hasContent = false;
  while (i < x.size()) {
    const size_t lt = x.find('<', i);
    std::string_view text = x.substr(i, lt == std::string_view::npos ? x.size() - i : lt - i);
    if (text.find_first_not_of(" \t\r\n") != std::string_view::npos && !first) hasContent = true;
    if (lt == std::string_view::npos) break;
    i = lt + 1;
    if (i < x.size() && (x[i] == '/' || x[i] == '?')) {  // end tag or processing instruction
      const size_t gt = x.find('>', i);
      i = gt == std::string_view::npos ? x.size() : gt + 1;
      continue;
    }
    if (x.compare(i, 3, "!--") == 0) {
      const size_t end = x.find("-->", i);
      i = end == std::string_view::npos ? x.size() : end + 3;
      continue;
    }
    size_t n = i;
    while (n < x.size() && nameChar(x[n])) ++n;
    const std::string name = core::asciiLower(x.substr(i, n - i));
    if (first) {
      if (name != "div" && name != "xhtml:div") {
        problems.push_back("The narrative must be a <div> element, not <" + name + ">");
      }
      first = false;
    } else {
      hasContent = true;
      if (!allowedElement(name)) {
        problems.push_back("Illegal element name in the XHTML ('" + name + "')");
      }
    }
    // Attributes up to the end of the tag.
    i = n;
    while (i < x.size() && x[i] != '>') {
      if (std::isspace(static_cast<unsigned char>(x[i])) != 0 || x[i] == '/') {
        ++i;
        continue;
      }
      size_t a = i;
      while (a < x.size() && nameChar(x[a])) ++a;
      if (a == i) {
        ++i;
        continue;
      }
      const std::string attr = core::asciiLower(x.substr(i, a - i));
      i = a;
      std::string value;
      while (i < x.size() && std::isspace(static_cast<unsigned char>(x[i])) != 0) ++i;
      if (i < x.size() && x[i] == '=') {
        ++i;
        while (i < x.size() && std::isspace(static_cast<unsigned char>(x[i])) != 0) ++i;
        if (i < x.size() && (x[i] == '"' || x[i] == '\'')) {
          const char q = x[i];
          const size_t end = x.find(q, i + 1);
          value = std::string(
              x.substr(i + 1, (end == std::string_view::npos ? x.size() : end) - i - 1));
          i = end == std::string_view::npos ? x.size() : end + 1;
        }
      }
      if (!allowedAttribute(attr)) {
        problems.push_back("Illegal attribute name in the XHTML ('" + attr + "' on '" + name +
                           "')");
      } else if ((attr == "href" || attr == "src") &&
                 core::asciiLower(value).find("javascript:") != std::string::npos) {
        problems.push_back("Script URLs are not allowed in the XHTML ('" + attr + "' on '" + name +
                           "')");
      }
    }
    if (i < x.size()) ++i;
  }
  if (!first && !hasContent) {
    // txt-2 says the same; it is left to the invariant.
  }
  return problems.size() == before;
}

}  // namespace trialbridge::validation
