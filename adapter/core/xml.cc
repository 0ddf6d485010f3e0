// FHIR XML reader (Poco SAX -> the typed element model, applying the FHIR XML rules as the
// events arrive) and writer.
#include "core/xml.h"

#include <Poco/Exception.h>
#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/LexicalHandler.h>
#include <Poco/SAX/Locator.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

namespace trialbridge::core {

namespace {

using Poco::XML::Attributes;
using Poco::XML::XMLChar;
using Poco::XML::XMLString;

constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";
constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";

bool isXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool isBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return isXmlSpace(c); });
}

// Appends s escaped for XML. In attribute values tab, LF and CR become character references
// (else a parser would normalise them to spaces); in text only CR does (else it would be lost to
// line-end normalisation). Characters XML 1.0 cannot carry become U+FFFD.
void appendEscaped(std::string& out, std::string_view s, bool attribute) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\r': out += "&#13;"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\xEF\xBF\xBD";
        } else if (c == '\xEF' && i + 2 < s.size() && s[i + 1] == '\xBF' &&
                   (s[i + 2] == '\xBE' || s[i + 2] == '\xBF')) {
          out += "\xEF\xBF\xBD";  // U+FFFE, U+FFFF
          i += 2;
        } else {
          out += c;
        }
    }
  }
}

std::string_view prefixOf(std::string_view qname) {
  const size_t colon = qname.find(':');
  return colon == std::string_view::npos ? std::string_view() : qname.substr(0, colon);
}

// Short quotation of text for messages.
std::string excerpt(std::string_view s) {
  while (!s.empty() && isXmlSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isXmlSpace(s.back())) s.remove_suffix(1);
  if (s.size() <= 40) return std::string(s);
  size_t n = 40;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // whole UTF-8 chars
  return std::string(s.substr(0, n)) + "...";
}

// Re-serializes XHTML from SAX events: elements with the prefixes they were written with,
// the namespace declarations of the source plus any needed to make the fragment stand alone,
// attributes, text and CDATA as escaped text. Comments and processing instructions are dropped.
// Empty elements are written as <br/>.
class XhtmlSerializer {
 public:
  using Declarations = std::vector<std::pair<std::string, std::string>>;

  void start(const XMLString& uri, const XMLString& qname, const Attributes& attrs,
             const Declarations& declared) {
    closeStartTag();
    out_ += '<';
    out_ += qname;
    scopes_.emplace_back();
    for (const auto& [prefix, ns] : declared) declare(prefix, ns);
    bind(prefixOf(qname), uri);
    const int n = attrs.getLength();
    for (int i = 0; i < n; ++i) {
      const std::string_view q = attrs.getQName(i);
      if (isDeclaration(q)) continue;
      const std::string_view prefix = prefixOf(q);
      if (!prefix.empty()) bind(prefix, attrs.getURI(i));
    }
    for (int i = 0; i < n; ++i) {
      const std::string& q = attrs.getQName(i);
      if (isDeclaration(q)) continue;
      out_ += ' ';
      out_ += q.empty() ? attrs.getLocalName(i) : q;
      out_ += "=\"";
      appendEscaped(out_, attrs.getValue(i), true);
      out_ += '"';
    }
    open_ = true;
  }

  void end(const XMLString& qname) {
    if (open_) {
      out_ += "/>";
      open_ = false;
    } else {
      out_ += "</";
      out_ += qname;
      out_ += '>';
    }
    if (!scopes_.empty()) scopes_.pop_back();
  }

  void text(std::string_view s) {
    closeStartTag();
    appendEscaped(out_, s, false);
  }

  std::string take() { return std::move(out_); }

 private:
  static bool isDeclaration(std::string_view qname) {
    return qname == "xmlns" || qname.starts_with("xmlns:");
  }

  void closeStartTag() {
    if (open_) {
      out_ += '>';
      open_ = false;
    }
  }

  std::optional<std::string_view> lookup(std::string_view prefix) const {
    for (auto s = scopes_.rbegin(); s != scopes_.rend(); ++s) {
      for (const auto& [p, ns] : *s) {
        if (p == prefix) return std::string_view(ns);
      }
    }
    if (prefix == "xml") return kXmlNamespace;
    if (prefix.empty()) return std::string_view();
    return std::nullopt;
  }

  // Declares prefix -> ns on the current element unless that is already the binding in force.
  void bind(std::string_view prefix, std::string_view ns) {
    if (prefix == "xml") return;
    const auto current = lookup(prefix);
    if (!current || *current != ns) declare(prefix, ns);
  }

  void declare(std::string_view prefix, std::string_view ns) {
    for (const auto& [p, u] : scopes_.back()) {
      if (p == prefix) return;
    }
    scopes_.back().emplace_back(std::string(prefix), std::string(ns));
    out_ += prefix.empty() ? std::string(" xmlns") : " xmlns:" + std::string(prefix);
    out_ += "=\"";
    appendEscaped(out_, ns, true);
    out_ += '"';
  }

  std::string out_;
  std::vector<Declarations> scopes_;
  bool open_ = false;
};

// Input the SAX parser must never see: a DOCTYPE (entity declarations, external DTDs) and
// encodings other than UTF-8. Returns the reason, or empty when the prolog is acceptable.
std::string checkProlog(std::string_view text) {
  if (text.starts_with("\xFE\xFF") || text.starts_with("\xFF\xFE") ||
      text.substr(0, std::min<size_t>(text.size(), 4)).find('\0') != std::string_view::npos) {
    return "XML must be encoded in UTF-8";
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  while (true) {
    while (!text.empty() && isXmlSpace(text.front())) text.remove_prefix(1);
    std::string_view end;
    if (text.starts_with("<?")) {
      end = "?>";
    } else if (text.starts_with("<!--")) {
      end = "-->";
    } else if (text.starts_with("<!")) {
      // <!DOCTYPE in any letter case, or any other markup declaration.
      return "DOCTYPE and DTD declarations are not allowed in FHIR XML";
    } else {
      return {};
    }
    const size_t at = text.find(end, 2);
    if (at == std::string_view::npos) return {};  // the parser reports the malformed input
    text.remove_prefix(at + end.size());
  }
}

void configure(Poco::XML::SAXParser& parser) {
  using Poco::XML::XMLReader;
  parser.setFeature(XMLReader::FEATURE_NAMESPACES, true);
  parser.setFeature(XMLReader::FEATURE_NAMESPACE_PREFIXES, true);
  parser.setFeature(XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
  parser.setFeature(XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
}

// The parts of a SAX handler neither reader uses.
class HandlerBase : public Poco::XML::ContentHandler, public Poco::XML::LexicalHandler {
 public:
  void setDocumentLocator(const Poco::XML::Locator* locator) override { locator_ = locator; }
  void startDocument() override {}
  void endDocument() override {}
  void ignorableWhitespace(const XMLChar[], int, int) override {}
  void processingInstruction(const XMLString&, const XMLString&) override {}
  void startPrefixMapping(const XMLString& prefix, const XMLString& uri) override {
    declared_.emplace_back(prefix, uri);
  }
  void endPrefixMapping(const XMLString&) override {}
  void endDTD() override {}
  void startEntity(const XMLString&) override {}
  void endEntity(const XMLString&) override {}
  void startCDATA() override {}
  void endCDATA() override {}
  void comment(const XMLChar[], int, int) override {}

 protected:
  uint32_t line() const {
    return locator_ == nullptr ? 0 : static_cast<uint32_t>(std::max(locator_->getLineNumber(), 0));
  }
  // Expat counts columns from 0.
  uint32_t column() const {
    return locator_ == nullptr
               ? 0
               : static_cast<uint32_t>(std::max(locator_->getColumnNumber(), 0)) + 1;
  }

  const Poco::XML::Locator* locator_ = nullptr;
  // Namespace declarations reported since the last start tag (they belong to the next one).
  XhtmlSerializer::Declarations declared_;
};

// Builds the element model from SAX events.
class ModelHandler final : public HandlerBase {
 public:
  ModelHandler(Document& doc, Issues& issues, const ReadOptions& options)
      : doc_(doc), types_(doc.types()), issues_(issues), options_(options) {}

  bool failed() const { return failed_; }

  void startElement(const XMLString& uri, const XMLString& localName, const XMLString& qname,
                    const Attributes& attrs) override {
    XhtmlSerializer::Declarations declared = std::move(declared_);
    declared_.clear();
    if (failed_) return;
    if (++depth_ > options_.maxDepth) {
      fatal(IssueType::TooCostly, "XML nesting is deeper than " + std::to_string(options_.maxDepth),
            line(), column());
      return;
    }
    if (frames_.empty()) {
      startRoot(uri, localName, attrs);
      return;
    }
    Frame& top = frames_.back();
    switch (top.kind) {
      case Kind::Skip: push(Kind::Skip, nullptr, top.path); return;
      case Kind::Xhtml:
        ++top.xhtmlDepth;
        top.xhtml.start(uri, qname, attrs, declared);
        return;
      case Kind::Wrapper: startWrapped(uri, localName, attrs); return;
      case Kind::Element: startChild(uri, localName, qname, attrs, declared); return;
    }
  }

  void endElement(const XMLString&, const XMLString&, const XMLString& qname) override {
    if (failed_) return;
    --depth_;
    Frame& top = frames_.back();
    if (top.kind == Kind::Xhtml) {
      top.xhtml.end(qname);
      if (--top.xhtmlDepth > 0) return;
      doc_.setValue(top.element, top.xhtml.take());
    }
    Frame done = std::move(frames_.back());
    frames_.pop_back();
    switch (done.kind) {
      case Kind::Skip: return;
      case Kind::Xhtml: attach(done.element); return;
      case Kind::Element:
        if (complete(done)) attach(done.element);
        return;
      case Kind::Wrapper:
        if (done.element != nullptr) {
          attach(done.element);
        } else if (!done.reported) {
          error(done, "The element '" + done.property->name + "' must contain a resource");
        }
        return;
    }
  }

  void characters(const XMLChar ch[], int start, int length) override {
    if (failed_ || frames_.empty()) return;
    Frame& top = frames_.back();
    const std::string_view text(ch + start, static_cast<size_t>(length));
    if (top.kind == Kind::Xhtml) {
      top.xhtml.text(text);
      return;
    }
    if (top.kind == Kind::Skip || top.textReported || isBlank(text)) return;
    top.textReported = true;
    issues_.add(
        Severity::Error, IssueType::Structure,
        "Text is not allowed in FHIR element '" + elementName(top) + "' ('" + excerpt(text) + "')",
        top.path, line(), column());
  }

  void skippedEntity(const XMLString& name) override {
    fatal(IssueType::Security, "Entity '" + name + "' is not expanded: entities are not allowed",
          line(), column());
  }

  void startDTD(const XMLString&, const XMLString&, const XMLString&) override {
    fatal(IssueType::Security, "DOCTYPE and DTD declarations are not allowed in FHIR XML", line(),
          column());
  }

  // Records the first fatal issue; every later event is then ignored. (Handlers never throw:
  // an exception through expat would skip its cleanup and leak.)
  void fatal(IssueType code, std::string message, uint32_t atLine, uint32_t atColumn) {
    if (failed_) return;
    issues_.add(Severity::Fatal, code, std::move(message), {}, atLine, atColumn);
    failed_ = true;
  }

 private:
  enum class Kind : uint8_t {
    Element,  // a FHIR element (or resource) being built
    Wrapper,  // <contained>, <resource>: holds one resource element
    Xhtml,    // Narrative.div: the XHTML is being captured as text
    Skip,     // a subtree left out after an error
  };

  struct Frame {
    Kind kind = Kind::Element;
    // Element/Xhtml: the element being built. Wrapper: the resource read inside, once seen.
    Element* element = nullptr;
    const PropertyInfo* property = nullptr;  // Wrapper: the wrapping property
    std::string path;
    uint32_t line = 0;
    uint32_t column = 0;
    int lastOrder = -1;
    std::string lastName;
    std::vector<std::pair<const PropertyInfo*, uint32_t>> counts;
    bool textReported = false;
    bool reported = false;    // Wrapper: an issue was already given for its content
    bool valueSeen = false;   // a value attribute was present (even if rejected)
    uint32_t xhtmlDepth = 0;  // Xhtml: open elements of the fragment
    uint32_t resources = 0;   // Wrapper: resource elements seen inside
    XhtmlSerializer xhtml;
  };

  Frame& push(Kind kind, Element* element, std::string path) {
    Frame& f = frames_.emplace_back();
    f.kind = kind;
    f.element = element;
    f.path = std::move(path);
    f.line = line();
    f.column = column();
    if (element != nullptr) doc_.setPosition(element, f.line, f.column);
    return f;
  }

  void error(const Frame& at, std::string message, IssueType code = IssueType::Structure) {
    issues_.add(Severity::Error, code, std::move(message), at.path, at.line, at.column);
  }
  void errorHere(std::string location, std::string message, IssueType code = IssueType::Structure) {
    issues_.add(Severity::Error, code, std::move(message), std::move(location), line(), column());
  }

  static std::string elementName(const Frame& f) {
    if (f.element == nullptr) return f.property != nullptr ? f.property->name : std::string();
    if (f.element->isResource()) return f.element->type().name;
    return f.element->jsonName();
  }

  void startRoot(const XMLString& uri, const XMLString& localName, const Attributes& attrs) {
    if (uri != kFhirNamespace) {
      fatal(IssueType::Structure,
            "The root element '" + localName + "' must be in the FHIR namespace '" +
                std::string(kFhirNamespace) + "'" +
                (uri.empty() ? std::string(" (it has no namespace)") : ", not '" + uri + "'"),
            line(), column());
      return;
    }
    const TypeInfo* type = nullptr;
    if (!options_.rootType.empty()) {
      type = types_.findType(options_.rootType);
      if (type == nullptr) {
        fatal(IssueType::Structure, "Unknown type '" + options_.rootType + "'", line(), column());
        return;
      }
      if (type->isResource() && (type->isAbstract || type->name != localName)) {
        const TypeInfo* actual = types_.findType(localName);
        if (actual == nullptr || !actual->isResource() || actual->isAbstract) {
          fatal(IssueType::Structure, "Unknown resource type '" + localName + "'", line(),
                column());
          return;
        }
        if (!type->isAbstract) {
          fatal(IssueType::Structure,
                "Expected a " + type->name + " resource, not '" + localName + "'", line(),
                column());
          return;
        }
        type = actual;
      }
    } else {
      type = types_.findType(localName);
      if (type == nullptr || !type->isResource() || type->isAbstract) {
        fatal(IssueType::Structure, "Unknown resource type '" + localName + "'", line(), column());
        return;
      }
    }
    Element* root = doc_.create(type->name, *type, nullptr);
    Frame& f = push(Kind::Element, root, type->name);
    readAttributes(f, attrs);
  }

  // The resource element inside <contained>, <resource>.
  void startWrapped(const XMLString& uri, const XMLString& localName, const Attributes& attrs) {
    Frame& wrapper = frames_.back();
    std::string path = wrapper.path;
    if (++wrapper.resources > 1 || wrapper.reported) {
      if (wrapper.resources == 2 && !wrapper.reported) {
        errorHere(path, "The element '" + wrapper.property->name + "' must contain one resource");
      }
      wrapper.reported = true;
      push(Kind::Skip, nullptr, std::move(path));
      return;
    }
    if (uri != kFhirNamespace) {
      wrapper.reported = true;
      errorHere(path, wrongNamespace(localName, uri, kFhirNamespace));
      push(Kind::Skip, nullptr, std::move(path));
      return;
    }
    const TypeInfo* type = types_.findType(localName);
    if (type == nullptr || !type->isResource() || type->isAbstract) {
      wrapper.reported = true;
      errorHere(path, "Unknown resource type '" + localName + "'");
      push(Kind::Skip, nullptr, std::move(path));
      return;
    }
    Element* e = doc_.create(wrapper.property->name, *type, wrapper.property);
    const uint32_t atLine = wrapper.line;
    const uint32_t atColumn = wrapper.column;
    Frame& f = push(Kind::Element, e, std::move(path));
    // The element starts where its wrapper does (as a JSON member starts at its key).
    f.line = atLine;
    f.column = atColumn;
    doc_.setPosition(e, atLine, atColumn);
    readAttributes(f, attrs);
  }

  static std::string wrongNamespace(std::string_view localName, std::string_view uri,
                                    std::string_view expected) {
    return "The element '" + std::string(localName) + "' must be in the namespace '" +
           std::string(expected) + "'" +
           (uri.empty() ? std::string(" (it has no namespace)")
                        : ", not '" + std::string(uri) + "'");
  }

  void startChild(const XMLString& uri, const XMLString& localName, const XMLString& qname,
                  const Attributes& attrs, const XhtmlSerializer::Declarations& declared) {
    Frame& parent = frames_.back();
    const std::string unknownPath = parent.path + "." + localName;
    const TypeInfo& parentType = parent.element->type();
    const TypeInfo::JsonMatch match = parentType.propertyForJsonName(localName);
    const PropertyInfo* p = match.property;
    if (p == nullptr || (parentType.isPrimitive() && p->name == "value")) {
      errorHere(unknownPath, uri == kFhirNamespace ? "Unknown element '" + localName + "'"
                                                   : "Unknown element '" + localName +
                                                         "' in namespace '" + uri + "'");
      push(Kind::Skip, nullptr, unknownPath);
      return;
    }
    if (p->xmlAttribute) {
      errorHere(unknownPath, "'" + localName + "' must be written as an attribute, not an element");
      push(Kind::Skip, nullptr, unknownPath);
      return;
    }
    if (match.type == nullptr) {
      errorHere(unknownPath, "The type of element '" + localName + "' is not known");
      push(Kind::Skip, nullptr, unknownPath);
      return;
    }
    const bool isXhtml = match.type->name == "xhtml";
    const std::string_view expectedNs = isXhtml ? kXhtmlNamespace : kFhirNamespace;
    if (uri != expectedNs) {
      errorHere(unknownPath, wrongNamespace(localName, uri, expectedNs));
      push(Kind::Skip, nullptr, unknownPath);
      return;
    }
    uint32_t& count = countOf(parent, p);
    if (count > 0 && !p->repeating()) {
      errorHere(unknownPath, p->choice ? "Only one element may be given for '" + p->name + "[x]'"
                                       : "The element '" + localName + "' may appear only once");
      push(Kind::Skip, nullptr, unknownPath);
      return;
    }
    std::string path = parent.path + "." + p->name;
    if (p->repeating()) path += "[" + std::to_string(count) + "]";
    ++count;
    if (p->order < parent.lastOrder) {
      errorHere(path, "The element '" + localName + "' is out of order: FHIR XML requires " +
                          "definition order, and it must come before '" + parent.lastName + "'");
    } else {
      parent.lastOrder = p->order;
      parent.lastName = localName;
    }

    if (match.type->isResource()) {
      Frame& f = push(Kind::Wrapper, nullptr, std::move(path));
      f.property = p;
      for (int i = 0; i < attrs.getLength(); ++i) unknownAttribute(f, attrs, i);
      return;
    }
    Element* e = doc_.create(p->name, *match.type, p);
    if (isXhtml) {
      Frame& f = push(Kind::Xhtml, e, std::move(path));
      f.xhtmlDepth = 1;
      f.xhtml.start(uri, qname, attrs, declared);
      return;
    }
    Frame& f = push(Kind::Element, e, std::move(path));
    readAttributes(f, attrs);
  }

  static uint32_t& countOf(Frame& f, const PropertyInfo* p) {
    for (auto& [prop, n] : f.counts) {
      if (prop == p) return n;
    }
    return f.counts.emplace_back(p, 0).second;
  }

  void unknownAttribute(const Frame& f, const Attributes& attrs, int i) {
    const std::string& uri = attrs.getURI(i);
    if (uri == kXsiNamespace) return;  // schema hints: not part of the model
    const std::string& local = attrs.getLocalName(i);
    const std::string name = uri.empty() ? local : "{" + uri + "}" + local;
    error(f, "Unknown attribute '" + name + "' on '" + elementName(f) + "'");
  }

  void readAttributes(Frame& f, const Attributes& attrs) {
    Element* e = f.element;
    const TypeInfo& type = e->type();
    for (int i = 0; i < attrs.getLength(); ++i) {
      const std::string& local = attrs.getLocalName(i);
      if (!attrs.getURI(i).empty()) {
        unknownAttribute(f, attrs, i);
        continue;
      }
      const std::string& value = attrs.getValue(i);
      if (local == "value" && type.isPrimitive()) {
        f.valueSeen = true;
        if (value.empty()) {
          error(f, "The value attribute of '" + elementName(f) + "' must not be empty",
                IssueType::Invalid);
        } else {
          doc_.setValue(e, value);
        }
        continue;
      }
      const PropertyInfo* p = type.property(local);
      if (p == nullptr || !p->xmlAttribute) {
        unknownAttribute(f, attrs, i);
        continue;
      }
      if (value.empty()) {
        error(f, "The attribute '" + local + "' of '" + elementName(f) + "' must not be empty",
              IssueType::Invalid);
        continue;
      }
      const TypeInfo* t = p->type(0);
      if (t == nullptr) t = types_.findType(p->name == "url" ? "uri" : "string");
      if (t == nullptr) {
        error(f, "The type of attribute '" + local + "' is not known");
        continue;
      }
      Element* a = doc_.create(p->name, *t, p);
      doc_.setPosition(a, f.line, f.column);
      doc_.setValue(a, value);
      doc_.appendChildOrdered(e, a);
    }
  }

  // Checks a finished element; false when it is to be left out.
  bool complete(const Frame& f) {
    const Element* e = f.element;
    if (e->isResource()) return true;
    if (e->isPrimitive()) {
      if (e->hasValue() || e->child("extension") != nullptr) return true;
      if (!f.valueSeen) {
        error(f, "The primitive element '" + elementName(f) +
                     "' must have a value attribute or extensions");
      }
      return false;
    }
    for (const Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
      if (c->name() != "id") return true;
    }
    error(f, "The element '" + elementName(f) + "' must have some content");
    return false;
  }

  void attach(Element* e) {
    if (frames_.empty()) {
      doc_.setRoot(e);
      return;
    }
    Frame& parent = frames_.back();
    if (parent.kind == Kind::Wrapper) {
      parent.element = e;
    } else {
      doc_.appendChildOrdered(parent.element, e);
    }
  }

  Document& doc_;
  const TypeResolver& types_;
  Issues& issues_;
  const ReadOptions& options_;
  std::vector<Frame> frames_;
  uint32_t depth_ = 0;
  bool failed_ = false;
};

// Captures one XHTML element for normalizeXhtml().
class XhtmlHandler final : public HandlerBase {
 public:
  void startElement(const XMLString& uri, const XMLString& localName, const XMLString& qname,
                    const Attributes& attrs) override {
    XhtmlSerializer::Declarations declared = std::move(declared_);
    declared_.clear();
    if (!error_.empty()) return;
    if (depth_ == 0 && (uri != kXhtmlNamespace || localName != "div")) {
      error_ = "The XHTML must be a <div> element in the namespace '" +
               std::string(kXhtmlNamespace) + "'";
      return;
    }
    if (++depth_ > 512) {
      error_ = "XHTML nesting is deeper than 512";
      return;
    }
    serializer_.start(uri, qname, attrs, declared);
  }
  void endElement(const XMLString&, const XMLString&, const XMLString& qname) override {
    if (!error_.empty()) return;
    --depth_;
    serializer_.end(qname);
  }
  void characters(const XMLChar ch[], int start, int length) override {
    if (error_.empty() && depth_ > 0)
      serializer_.text(std::string_view(ch + start, static_cast<size_t>(length)));
  }
  void skippedEntity(const XMLString& name) override {
    if (error_.empty()) error_ = "Entity '" + name + "' is not allowed";
  }
  void startDTD(const XMLString&, const XMLString&, const XMLString&) override {
    if (error_.empty()) error_ = "DOCTYPE and DTD declarations are not allowed";
  }

  std::string take() { return serializer_.take(); }
  const std::string& error() const { return error_; }

 private:
  XhtmlSerializer serializer_;
  uint32_t depth_ = 0;
  std::string error_;
};

// Parses text with a parser set up by configure(), sending content and lexical events to handler.
void parse(std::string_view text, HandlerBase& handler) {
  Poco::XML::SAXParser parser;
  configure(parser);
  parser.setContentHandler(&handler);
  parser.setProperty(Poco::XML::XMLReader::PROPERTY_LEXICAL_HANDLER,
                     static_cast<Poco::XML::LexicalHandler*>(&handler));
  parser.parseMemoryNP(text.data(), text.size());
}

// Message of a parser exception without Poco's " in line x column y" (given separately).
std::string parserMessage(const Poco::Exception& e) {
  std::string m = e.message();
  if (const size_t at = m.find(" in line "); at != std::string::npos) m.resize(at);
  if (m.empty()) m = e.displayText();
  return m;
}

}  // namespace

std::unique_ptr<Document> readXml(std::string_view text, const TypeResolver& types, Issues& issues,
                                  const ReadOptions& options) {
  if (!withinSizeLimit(text, options, issues)) return nullptr;
  if (std::string reason = checkProlog(text); !reason.empty()) {
    issues.add(Severity::Fatal, IssueType::Security, std::move(reason), {}, 1, 1);
    return nullptr;
  }
  auto doc = std::make_unique<Document>(types);
  ModelHandler handler(*doc, issues, options);
  try {
    parse(text, handler);
  } catch (const Poco::XML::SAXParseException& e) {
    if (handler.failed()) return nullptr;  // the first fatal issue is the one reported
    issues.add(Severity::Fatal, IssueType::Structure, "Invalid XML: " + parserMessage(e), {},
               static_cast<uint32_t>(std::max(e.getLineNumber(), 0)),
               static_cast<uint32_t>(std::max(e.getColumnNumber(), 0)) + 1);
    return nullptr;
  } catch (const Poco::Exception& e) {
    if (handler.failed()) return nullptr;
    issues.add(Severity::Fatal, IssueType::Structure, "Invalid XML: " + e.displayText());
    return nullptr;
  } catch (const std::exception& e) {
    issues.add(Severity::Fatal, IssueType::Exception, std::string("Invalid XML: ") + e.what());
    return nullptr;
  }
  if (handler.failed()) return nullptr;
  if (doc->root() == nullptr) {
    issues.add(Severity::Fatal, IssueType::Structure, "The input holds no FHIR element");
    return nullptr;
  }
  return doc;
}

bool normalizeXhtml(std::string_view div, std::string& out, std::string& error) {
  if (std::string reason = checkProlog(div); !reason.empty()) {
    error = std::move(reason);
    return false;
  }
  XhtmlHandler handler;
  try {
    parse(div, handler);
  } catch (const Poco::XML::SAXParseException& e) {
    if (!handler.error().empty()) {
      error = handler.error();
      return false;
    }
    error = "Invalid XHTML: " + parserMessage(e) + " at line " + std::to_string(e.getLineNumber()) +
            ", column " + std::to_string(e.getColumnNumber() + 1);
    return false;
  } catch (const Poco::Exception& e) {
    error = "Invalid XHTML: " + e.displayText();
    return false;
  } catch (const std::exception& e) {
    error = std::string("Invalid XHTML: ") + e.what();
    return false;
  }
  if (!handler.error().empty()) {
    error = handler.error();
    return false;
  }
  out = handler.take();
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

class XmlWriter {
 public:
  explicit XmlWriter(const XmlWriteOptions& options) : options_(options) {}

  std::string write(const Element& root) {
    if (options_.xmlDeclaration) {
      out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
      newline();
    }
    std::string name;
    if (root.isResource()) {
      name = root.type().name;
    } else if (root.parent() == nullptr) {
      name = std::string(root.name());
    } else {
      name = root.jsonName();
    }
    writeElement(root, name, 0, true);
    return std::move(out_);
  }

 private:
  static bool isAttribute(const Element& e) {
    return e.property() != nullptr && e.property()->xmlAttribute;
  }

  void newline() {
    if (options_.pretty) out_ += '\n';
  }
  void indent(int depth) {
    if (options_.pretty) out_.append(static_cast<size_t>(depth) * 2, ' ');
  }

  void writeElement(const Element& e, std::string_view name, int depth, bool root) {
    if (e.type().name == "xhtml") {
      if (!e.hasValue()) return;
      indent(depth);
      writeXhtml(e.value());
      newline();
      return;
    }
    indent(depth);
    out_ += '<';
    out_ += name;
    if (root) {
      out_ += " xmlns=\"";
      out_ += kFhirNamespace;
      out_ += '"';
    }
    bool content = false;
    for (const Element* c = e.firstChild(); c != nullptr; c = c->nextSibling()) {
      if (!isAttribute(*c)) {
        content = true;
        continue;
      }
      if (!c->hasValue()) continue;
      attribute(c->name(), c->value());
    }
    if (e.isPrimitive() && e.hasValue()) attribute("value", e.value());
    if (!content) {
      out_ += "/>";
      newline();
      return;
    }
    out_ += '>';
    newline();
    for (const Element* c = e.firstChild(); c != nullptr; c = c->nextSibling()) {
      if (isAttribute(*c)) continue;
      if (c->isResource()) {
        const std::string wrapper(c->name());
        indent(depth + 1);
        out_ += '<' + wrapper + '>';
        newline();
        writeElement(*c, c->type().name, depth + 2, false);
        indent(depth + 1);
        out_ += "</" + wrapper + '>';
        newline();
      } else {
        writeElement(*c, c->jsonName(), depth + 1, false);
      }
    }
    indent(depth);
    out_ += "</";
    out_ += name;
    out_ += '>';
    newline();
  }

  void attribute(std::string_view name, std::string_view value) {
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    appendEscaped(out_, value, true);
    out_ += '"';
  }

  // The stored XHTML as it is, with the XHTML namespace declared on the div if it is not.
  void writeXhtml(std::string_view div) {
    size_t lead = 0;
    while (lead < div.size() && isXmlSpace(div[lead])) ++lead;
    const std::string_view body = div.substr(lead);
    std::string candidate(body);
    if (body.starts_with("<div") && body.size() > 4 &&
        (isXmlSpace(body[4]) || body[4] == '>' || body[4] == '/') &&
        body.substr(0, body.find('>')).find("xmlns=") == std::string_view::npos) {
      candidate.insert(4, " xmlns=\"" + std::string(kXhtmlNamespace) + "\"");
    }
    std::string normalized;
    std::string error;
    if (normalizeXhtml(candidate, normalized, error)) {
      out_ += candidate;
      return;
    }
    // Not well-formed XHTML: keep it as text inside a div rather than write malformed XML.
    out_ += "<div xmlns=\"";
    out_ += kXhtmlNamespace;
    out_ += "\">";
    appendEscaped(out_, div, false);
    out_ += "</div>";
  }

  const XmlWriteOptions& options_;
  std::string out_;
};

}  // namespace

std::string writeXml(const Element& root, const XmlWriteOptions& options) {
  return XmlWriter(options).write(root);
}

}  // namespace trialbridge::core
