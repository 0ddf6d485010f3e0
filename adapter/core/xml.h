#pragma once
// FHIR XML reading and writing (Poco XML's SAX parser inside; no Poco type appears here).
//
// Reading follows the FHIR XML rules and reports every departure as an Issue with line, column
// and FHIR path: elements outside the FHIR namespace, unknown elements and attributes, text
// where only elements may be, primitives with neither a value nor extensions, empty elements,
// repeats of non-repeating elements and elements out of definition order (reported, but still
// read and put in definition order). Element.id and Extension.url are attributes; a primitive's
// value is the `value` attribute; contained and nested resources are wrapped
// (<contained><Patient>...</Patient></contained>). Narrative.div keeps its XHTML as text, the
// same string the JSON `div` property holds, so that XML -> JSON -> XML keeps it. Comments and
// processing instructions are not part of the model and are dropped, as are xsi:* attributes
// (schema location hints).
//
// Malformed XML, a DOCTYPE (no DTDs, entity declarations or external entities are ever
// processed), an unknown root type and input over the limits (ReadOptions::maxBytes,
// maxDepth) are fatal: nullptr is returned and the reason is in `issues`. Only UTF-8 input (with
// or without a byte order mark) is accepted, as FHIR requires.
#include <memory>
#include <string>
#include <string_view>

#include "core/element.h"
#include "core/issue.h"
#include "core/json.h"  // ReadOptions

namespace trialbridge::core {

inline constexpr std::string_view kFhirNamespace = "http://hl7.org/fhir";
inline constexpr std::string_view kXhtmlNamespace = "http://www.w3.org/1999/xhtml";

// Returns nullptr when nothing usable was read; otherwise a document, perhaps with error issues
// for the parts that broke the rules (those parts are left out of the model, except elements
// out of order, which are kept).
std::unique_ptr<Document> readXml(std::string_view text, const TypeResolver& types, Issues& issues,
                                  const ReadOptions& options = {});

struct XmlWriteOptions {
  bool pretty = true;           // one element a line, indented by two spaces
  bool xmlDeclaration = false;  // start with <?xml version="1.0" encoding="UTF-8"?>
};
// Writes `root` (a resource, or a datatype written as an element named after its type) with
// xmlns="http://hl7.org/fhir". Children are written in the model's order (definition order).
// Attribute values escape & < > " and tab, CR and LF as character references; characters XML
// 1.0 cannot carry (C0 controls other than tab, CR, LF; U+FFFE/U+FFFF) are written as U+FFFD.
// A Narrative.div is written as its stored XHTML text (given the XHTML namespace declaration if
// it lacks one); a div that is not one well-formed XHTML <div> (possible from JSON) is written as
// escaped text inside a <div>, so that the output is always well-formed XML.
std::string writeXml(const Element& root, const XmlWriteOptions& options = {});

// Checks that `div` is one well-formed XHTML element (as a JSON `div` value must be) and returns
// it re-serialized the way readXml() stores a div. On failure returns false and puts the
// reason in `error`.
bool normalizeXhtml(std::string_view div, std::string& out, std::string& error);

}  // namespace trialbridge::core
