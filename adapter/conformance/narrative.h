#pragma once
// The XHTML rules R4 sets for Narrative.div (section 2.4 "Narrative", invariants txt-1 and txt-2):
// the root is a <div> in the XHTML namespace; only the basic HTML elements and attributes are
// allowed (the allow-list below: no <script>, <form>, <iframe>, <object>, <style> elements, no
// event attributes such as onclick), no javascript: URLs; the div has some content.
//
// The one allow-list of the project: the validator's narrative checks (txt-1, txt-2) and
// FHIRPath's htmlChecks() both use it. It follows the HL7 Java validator's reading of R4's rule
// (the elements of XHTML basic text, lists, tables, images and links).
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::conformance {

// Whether an element name (lower case, with or without the "xhtml:" prefix) is allowed in a
// narrative.
bool isNarrativeElement(std::string_view name);

// Whether an attribute name (lower case) is allowed in a narrative; namespace declarations
// (xmlns, xmlns:*) are.
bool isNarrativeAttribute(std::string_view name);

// Checks the div's XHTML text: the root element, the elements and attributes against the
// allow-list, script URLs in href and src. Each problem found is appended to `problems` as a
// sentence. Returns true when there is none. Text that is not well-formed is read as far as it
// goes, never past its end.
bool checkNarrativeXhtml(std::string_view xhtml, std::vector<std::string>& problems);

// True when the XHTML has some non-whitespace text or an image (txt-2).
bool xhtmlHasContent(std::string_view xhtml);

}  // namespace trialbridge::conformance
