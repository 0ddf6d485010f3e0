// Rules of narratives (Narrative) beyond the XHTML rules of txt-1 and txt-2 (invariants.cc):
// the narrative-language-control extension of profiles (language sections prohibited, required,
// required for the resource's language or for given languages; no content outside the sections
// when there are some), and the resource's language repeated on the div (lang and xml:lang).
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;
using core::IssueType;

// The value of attribute `name` in tag text (`<div lang="en" ...`); nullopt when absent.
std::optional<std::string_view> attribute(std::string_view tag, std::string_view name) {
  for (size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
    const char before = at == 0 ? ' ' : tag[at - 1];
    const size_t eq = at + name.size();
    if ((before != ' ' && before != '\t' && before != '\n') || eq + 1 >= tag.size() ||
        tag[eq] != '=' || (tag[eq + 1] != '"' && tag[eq + 1] != '\'')) {
      continue;
    }
    const size_t end = tag.find(tag[eq + 1], eq + 2);
    if (end == std::string_view::npos) return std::nullopt;
    return tag.substr(eq + 2, end - eq - 2);
  }
  return std::nullopt;
}

// The div's structure as language control sees it: the root tag, the lang attributes of the
// root's child elements (its language sections), and whether it has content outside them.
struct Sections {
  std::string_view root;
  std::vector<std::string> langs;
  bool outside = false;
};

Sections sections(std::string_view div) {
  Sections out;
  int depth = 0;
  bool inSection = false;
  for (size_t i = 0; i < div.size(); ++i) {
    if (div[i] != '<') {
      if (depth == 1 && !inSection && div[i] != ' ' && div[i] != '\n' && div[i] != '\t' &&
          div[i] != '\r') {
        out.outside = true;
      }
      continue;
    }
    if (i + 1 < div.size() && div[i + 1] == '/') {
      --depth;
      if (depth == 1) inSection = false;
      const size_t gt = div.find('>', i);
      if (gt == std::string_view::npos) break;
      i = gt;
      continue;
    }
    const size_t gt = div.find('>', i);
    if (gt == std::string_view::npos) break;
    const std::string_view tag = div.substr(i, gt - i);
    const bool selfClosing = !tag.empty() && tag.back() == '/';
    if (depth == 0) out.root = tag;
    if (depth == 1) {
      if (const auto lang = attribute(tag, "lang")) {
        out.langs.emplace_back(*lang);
        inSection = !selfClosing;
      } else {
        out.outside = true;
      }
    }
    if (!selfClosing) ++depth;
    i = gt;
  }
  return out;
}

// narrative-language-control (R5 tooling, usable on R4 profiles): `_no` prohibits language
// sections (<div lang="..">) in the narrative, `_yes` requires some, `_resource` one for the
// resource's language, and language codes one for each.
void checkLanguageControl(const ElementAt& at, RuleContext& ctx) {
  const std::string& control = at.node.languageControl;
  if (control.empty()) return;
  const Sections s = sections(childValue(at.element, "div"));
  Reporter& rep = ctx.reporter;
  const std::string& profile = at.model.sd().url;
  if (control == "_no") {
    if (!s.langs.empty()) {
      rep.error(IssueType::BusinessRule, &at.element,
                "The xhtml has some language sections (" + joinList(s.langs) +
                    "), but language sections are prohibited in this context by the profile " +
                    profile);
    }
    return;
  }
  if (!s.langs.empty() && s.outside) {
    rep.error(
        IssueType::BusinessRule, &at.element,
        "The narrative has language sections (" + joinList(s.langs) + ") and content outside them");
  }
  std::string_view rest = control;
  while (!rest.empty()) {
    const size_t comma = rest.find_first_of(", ");
    std::string_view want = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (want.empty()) continue;
    if (want == "_yes") {
      if (s.langs.empty()) {
        rep.error(IssueType::BusinessRule, &at.element,
                  "The xhtml has no language sections, but language sections are required in "
                  "this context by the profile " +
                      profile);
      }
      continue;
    }
    if (want == "_resource") {
      const Element* res = at.element.parent();
      want = res == nullptr ? std::string_view() : childValue(*res, "language");
      if (want.empty()) {
        rep.error(IssueType::BusinessRule, &at.element,
                  "The profile " + profile +
                      " asks for a narrative section in the resource's language, but the "
                      "resource has no language");
        continue;
      }
    }
    if (std::find(s.langs.begin(), s.langs.end(), want) == s.langs.end()) {
      rep.error(IssueType::BusinessRule, &at.element,
                "The profile " + profile + " asks for a narrative section in '" +
                    std::string(want) + "'; the sections are: " +
                    (s.langs.empty() ? std::string("none") : joinList(s.langs)));
    }
  }
}

// A resource with a language says it on its narrative's div too, in both lang and xml:lang
// (https://www.w3.org/TR/i18n-html-tech-lang/#langvalues).
void checkDivLanguage(const ElementAt& at, RuleContext& ctx) {
  if (at.profile) return;
  const Element* res = at.element.parent();
  if (res == nullptr || !res->isResource()) return;
  const std::string_view language = childValue(*res, "language");
  const std::string_view div = childValue(at.element, "div");
  if (language.empty() || div.empty()) return;
  const std::string_view root = sections(div).root;
  const auto lang = attribute(root, "lang");
  const auto xmlLang = attribute(root, "xml:lang");
  Reporter& rep = ctx.reporter;
  if (!lang || !xmlLang) {
    rep.warning(IssueType::BusinessRule, &at.element,
                std::string("The resource has a language, but the narrative's div has no ") +
                    (!lang && !xmlLang ? "lang or xml:lang attribute"
                                       : (!lang ? "lang attribute" : "xml:lang attribute")) +
                    " (both are needed)");
  }
  for (const auto& [name, value] : {std::pair{"lang", lang}, std::pair{"xml:lang", xmlLang}}) {
    if (value && *value != language) {
      rep.warning(IssueType::BusinessRule, &at.element,
                  "The resource's language (" + std::string(language) + ") and the div's " + name +
                      " (" + std::string(*value) + ") differ");
    }
  }
}

}  // namespace

void addNarrativeRules(RuleTable& table) {
  table.addDatatypeRule("Narrative", checkLanguageControl);
  table.addDatatypeRule("Narrative", checkDivLanguage);
}

}  // namespace trialbridge::validation
