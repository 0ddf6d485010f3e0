// Rules of narratives (Narrative) beyond the XHTML rules of txt-1 and txt-2 (invariants.cc):
// the narrative-language-control extension of profiles.
#include <string>
#include <string_view>
#include <vector>

#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;
using core::IssueType;

// The lang attributes of the direct children of the root div (its language sections).
std::vector<std::string> languageSections(std::string_view div) {
  std::vector<std::string> langs;
  int depth = 0;
  for (size_t i = 0; i < div.size(); ++i) {
    if (div[i] != '<') continue;
    if (i + 1 < div.size() && div[i + 1] == '/') {
      --depth;
      continue;
    }
    const size_t gt = div.find('>', i);
    if (gt == std::string_view::npos) break;
    const std::string_view tag = div.substr(i, gt - i);
    const bool selfClosing = tag.back() == '/';
    if (depth == 1) {
      const size_t l = tag.find(" lang=\"");
      if (l != std::string_view::npos) {
        const size_t end = tag.find('"', l + 7);
        langs.emplace_back(tag.substr(l + 7, end - l - 7));
      }
    }
    if (!selfClosing) ++depth;
    i = gt;
  }
  return langs;
}

// narrative-language-control: language sections (<div lang="..">) required (_yes) or
// forbidden (_no) by the profile.
void checkLanguageControl(const ElementAt& at, RuleContext& ctx) {
  const std::string& control = at.node.languageControl;
  if (control.empty()) return;
  const std::vector<std::string> langs = languageSections(childValue(at.element, "div"));
  if (control == "_no" && !langs.empty()) {
    ctx.reporter.error(IssueType::BusinessRule, &at.element,
                       "The xhtml has some language sections (" + joinList(langs) +
                           "), but language sections are prohibited in this context by the "
                           "profile " +
                           at.model.sd().url);
  } else if (control == "_yes" && langs.empty()) {
    ctx.reporter.error(IssueType::BusinessRule, &at.element,
                       "The xhtml has no language sections, but language sections are required "
                       "in this context by the profile " +
                           at.model.sd().url);
  }
}

}  // namespace

void addNarrativeRules(RuleTable& table) {
  table.addDatatypeRule("Narrative", checkLanguageControl);
}

}  // namespace trialbridge::validation
