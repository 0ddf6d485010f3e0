#include "conformance/narrative.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>
#include <vector>

#include "core/text.h"

namespace trialbridge::conformance {

namespace {

// The elements of XHTML basic text, lists, tables, images and links (the HL7 Java validator's
// reading of R4's "chapters 7-11 and 15 of the HTML 4.0 standard, <a> elements, images").
constexpr std::string_view kElements[] = {
    "p",     "br",    "div",   "h1",   "h2",      "h3",     "h4",         "h5",       "h6",
    "a",     "span",  "b",     "em",   "i",       "strong", "small",      "big",      "tt",
    "dfn",   "q",     "var",   "abbr", "acronym", "cite",   "blockquote", "hr",       "address",
    "bdo",   "kbd",   "pre",   "samp", "sub",     "sup",    "ins",        "del",      "ul",
    "ol",    "li",    "dl",    "dt",   "dd",      "table",  "caption",    "colgroup", "col",
    "thead", "tbody", "tfoot", "tr",   "th",      "td",     "img",        "code"};

// Their attributes (no event attributes: onclick...), and namespace declarations.
constexpr std::string_view kAttributes[] = {
    "title",       "style",       "class",    "id",       "lang",           "xml:lang",
    "dir",         "accesskey",   "tabindex", "abbr",     "accept-charset", "accept",
    "align",       "alink",       "alt",      "axis",     "bgcolor",        "border",
    "cellpadding", "cellspacing", "char",     "charoff",  "charset",        "cite",
    "color",       "colspan",     "compact",  "coords",   "datetime",       "frame",
    "headers",     "height",      "href",     "hreflang", "hspace",         "name",
    "nowrap",      "rel",         "rev",      "rowspan",  "rules",          "scope",
    "shape",       "size",        "span",     "src",      "start",          "summary",
    "type",        "valign",      "value",    "vspace",   "width",          "xmlns",
    "xmlns:xhtml", "longdesc",    "clear",    "face",     "noshade",        "target"};

bool nameChar(char c) {
  const char lower = static_cast<char>(c | 0x20);
  return (lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '-' ||
         c == '_' || c == '.';
}

bool space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// The names above, sorted once, for binary search (every tag and attribute of every narrative is
// looked up).
template <size_t N>
std::vector<std::string_view> sorted(const std::string_view (&names)[N]) {
  std::vector<std::string_view> v(std::begin(names), std::end(names));
  std::sort(v.begin(), v.end());
  return v;
}

// `s` in lower case: a view of it when it has no upper case letter (the usual case), else a
// copy in `buf`.
std::string_view lowered(std::string_view s, std::string& buf) {
  if (std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) return s;
  buf = core::asciiLower(s);
  return buf;
}

// Whether `s` holds `lower` (lower case), ignoring case.
bool containsNoCase(std::string_view s, std::string_view lower) {
  // A quick refusal: the last character (in either case) must be somewhere in `s`.
  if (!lower.empty()) {
    const char last = lower.back();
    const char both[] = {last,
                         last >= 'a' && last <= 'z' ? static_cast<char>(last - 'a' + 'A') : last};
    if (s.find_first_of(std::string_view(both, 2)) == std::string_view::npos) return false;
  }
  const auto same = [](char a, char b) {
    return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
  };
  return std::search(s.begin(), s.end(), lower.begin(), lower.end(), same) != s.end();
}

}  // namespace

bool isNarrativeElement(std::string_view name) {
  static const std::vector<std::string_view> kSorted = sorted(kElements);
  if (name.starts_with("xhtml:")) name.remove_prefix(6);
  return std::binary_search(kSorted.begin(), kSorted.end(), name);
}

bool isNarrativeAttribute(std::string_view name) {
  static const std::vector<std::string_view> kSorted = sorted(kAttributes);
  return std::binary_search(kSorted.begin(), kSorted.end(), name) || name.starts_with("xmlns:");
}

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

bool checkNarrativeXhtml(std::string_view x, std::vector<std::string>& problems) {
  const size_t before = problems.size();
  size_t i = 0;
  bool first = true;
  while (i < x.size()) {
    const size_t lt = x.find('<', i);
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
    std::string nameBuf;
    const std::string_view name = lowered(x.substr(i, n - i), nameBuf);
    if (first) {
      if (name != "div" && name != "xhtml:div") {
        problems.push_back("The narrative must be a <div> element, not <" + std::string(name) +
                           ">");
      }
      first = false;
    } else if (!isNarrativeElement(name)) {
      problems.push_back("Illegal element name in the XHTML ('" + std::string(name) + "')");
    }
    // Attributes up to the end of the tag.
    i = n;
    while (i < x.size() && x[i] != '>') {
      if (space(x[i]) || x[i] == '/') {
        ++i;
        continue;
      }
      size_t a = i;
      while (a < x.size() && nameChar(x[a])) ++a;
      if (a == i) {
        ++i;
        continue;
      }
      std::string attrBuf;
      const std::string_view attr = lowered(x.substr(i, a - i), attrBuf);
      i = a;
      std::string_view value;
      while (i < x.size() && space(x[i])) ++i;
      if (i < x.size() && x[i] == '=') {
        ++i;
        while (i < x.size() && space(x[i])) ++i;
        if (i < x.size() && (x[i] == '"' || x[i] == '\'')) {
          const char q = x[i];
          const size_t end = x.find(q, i + 1);
          value = x.substr(i + 1, (end == std::string_view::npos ? x.size() : end) - i - 1);
          i = end == std::string_view::npos ? x.size() : end + 1;
        }
      }
      if (!isNarrativeAttribute(attr)) {
        problems.push_back("Illegal attribute name in the XHTML ('" + std::string(attr) + "' on '" +
                           std::string(name) + "')");
      } else if ((attr == "href" || attr == "src") && containsNoCase(value, "javascript:")) {
        problems.push_back("Script URLs are not allowed in the XHTML ('" + std::string(attr) +
                           "' on '" + std::string(name) + "')");
      }
    }
    if (i < x.size()) ++i;
  }
  // Whether there is content is txt-2's rule: xhtmlHasContent().
  return problems.size() == before;
}

}  // namespace trialbridge::conformance
