#pragma once
// The validator's checks of markup in text. The XHTML rules of Narrative.div (the allow-list of
// elements and attributes, txt-1; some content, txt-2) are conformance/narrative.h's, the one
// list FHIRPath's htmlChecks() uses too; they are named here as the validator uses them.
#include <string_view>

#include "conformance/narrative.h"

namespace trialbridge::validation {

using conformance::checkNarrativeXhtml;
using conformance::xhtmlHasContent;

// True when text contains something that looks like an HTML tag ("<b", "</", "<!"): an error in
// strings with the security checks on, and in markdown when ValidatorOptions say so.
bool looksLikeHtml(std::string_view text);

}  // namespace trialbridge::validation
