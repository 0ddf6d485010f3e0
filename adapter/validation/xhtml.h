#pragma once
// The XHTML rules FHIR sets for Narrative.div (R4 section 2.4 "Narrative"): the root is a <div>
// in the XHTML namespace; only the basic HTML elements and attributes are allowed (no <script>,
// <form>, <iframe>, <object>, <style> elements, no event attributes such as onclick, no
// javascript: URLs); the div must have some content.
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::validation {

// Checks the div's XHTML text (well-formed, as the readers guarantee). Each problem found is
// appended to `problems` as a sentence. Returns true when there is none.
bool checkNarrativeXhtml(std::string_view xhtml, std::vector<std::string>& problems);

// True when the XHTML has some non-whitespace text or an image (txt-2).
bool xhtmlHasContent(std::string_view xhtml);

// True when text contains something that looks like an HTML tag ("<b", "</", "<!").
bool looksLikeHtml(std::string_view text);

}  // namespace trialbridge::validation
