#pragma once
// Reading a resource whose format is not known in advance, and turning Issues into an
// OperationOutcome (built in the element model, so any writer can print it).
#include <memory>
#include <string>
#include <string_view>

#include "core/element.h"
#include "core/issue.h"
#include "core/json.h"

namespace trialbridge::core {

enum class Format { Json, Xml, Unknown };

// By the first character after white space and a UTF-8 byte order mark: '{' JSON, '/' JSON that
// starts with a comment, '<' XML.
Format detectFormat(std::string_view text);
std::string_view formatName(Format f);

// Reads JSON or XML, as detected. An input that is neither gets a fatal issue.
std::unique_ptr<Document> readResource(std::string_view text, const TypeResolver& types,
                                       Issues& issues, const ReadOptions& options = {});

// Writes in the given format (pretty).
std::string writeResource(const Element& root, Format format);

// An OperationOutcome for `issues` in `doc` (which becomes its root unless it has one). Each
// issue carries severity, code, diagnostics text, expression (the FHIRPath location) and, when
// known, the standard line/column extensions. An empty list gives one "All OK" information issue.
// `file`, when given, is carried in the operationoutcome-file extension.
Element* buildOperationOutcome(Document& doc, const Issues& issues, std::string_view file = {});
// The same, filling an OperationOutcome element that already exists (in a Bundle entry).
void fillOperationOutcome(Document& doc, Element* outcome, const Issues& issues,
                          std::string_view file = {});

inline constexpr std::string_view kExtIssueLine =
    "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line";
inline constexpr std::string_view kExtIssueColumn =
    "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col";
inline constexpr std::string_view kExtFile =
    "http://hl7.org/fhir/StructureDefinition/operationoutcome-file";

}  // namespace trialbridge::core
