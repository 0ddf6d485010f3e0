#include "core/resource_io.h"

#include "core/xml.h"

namespace trialbridge::core {

Format detectFormat(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '{' || c == '/') return Format::Json;  // a JSON comment (an error unless allowed)
    if (c == '<') return Format::Xml;
    return Format::Unknown;
  }
  return Format::Unknown;
}

std::string_view formatName(Format f) {
  switch (f) {
    case Format::Json: return "json";
    case Format::Xml: return "xml";
    case Format::Unknown: break;
  }
  return "unknown";
}

std::unique_ptr<Document> readResource(std::string_view text, const TypeResolver& types,
                                       Issues& issues, const ReadOptions& options) {
  switch (detectFormat(text)) {
    case Format::Json: return readJson(text, types, issues, options);
    case Format::Xml: return readXml(text, types, issues, options);
    case Format::Unknown: break;
  }
  issues.add(
      Severity::Fatal, IssueType::Structure,
      text.find_first_not_of(" \t\r\n") == std::string_view::npos
          ? "The input is empty"
          : "The input is neither FHIR JSON (starting with '{') nor FHIR XML (starting with '<')",
      "", 1, 1);
  return nullptr;
}

std::string writeResource(const Element& root, Format format) {
  if (format == Format::Xml) return writeXml(root, XmlWriteOptions{true, true});
  return writeJson(root, WriteOptions{true});
}

namespace {

void addExtension(Document& doc, Element* parent, std::string_view url, std::string_view type,
                  std::string_view value) {
  Element* ext = doc.add(parent, "extension");
  doc.addPrimitive(ext, "url", url);
  doc.addPrimitive(ext, std::string("value") + choiceSuffix(type), value);
}

}  // namespace

Element* buildOperationOutcome(Document& doc, const Issues& issues, std::string_view file) {
  Element* oo = doc.createResource("OperationOutcome");
  if (oo != nullptr) fillOperationOutcome(doc, oo, issues, file);
  return oo;
}

void fillOperationOutcome(Document& doc, Element* oo, const Issues& issues, std::string_view file) {
  if (!file.empty()) addExtension(doc, oo, kExtFile, "string", file);
  auto addIssue = [&](Severity severity, IssueType code, std::string_view message,
                      std::string_view location, uint32_t line, uint32_t column) {
    Element* issue = doc.add(oo, "issue");
    if (line > 0) {
      addExtension(doc, issue, kExtIssueLine, "integer", std::to_string(line));
      addExtension(doc, issue, kExtIssueColumn, "integer", std::to_string(column));
    }
    doc.addPrimitive(issue, "severity", severityCode(severity));
    doc.addPrimitive(issue, "code", issueTypeCode(code));
    if (!message.empty()) doc.addPrimitive(issue, "diagnostics", message);
    if (!location.empty()) doc.addPrimitive(issue, "expression", location);
  };
  for (const Issue& i : issues.items()) {
    addIssue(i.severity, i.code, i.message, i.location, i.line, i.column);
  }
  if (issues.empty()) addIssue(Severity::Information, IssueType::Informational, "All OK", "", 0, 0);
}

}  // namespace trialbridge::core
