// Rules of Questionnaires and of QuestionnaireResponses against their Questionnaire (when it is
// loaded): enableWhen conditions, linkIds, answers to items that are not enabled.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/text.h"
#include "validation/check_util.h"
#include "validation/primitives.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;
using core::IssueType;

void collectItems(const Element& e, std::vector<const Element*>& out) {
  e.forEachChild("item", [&](const Element& i) {
    out.push_back(&i);
    collectItems(i, out);
  });
}

// An enableWhen may not depend on a question inside the item it enables.
void checkQuestionnaire(const Element& q, RuleContext& ctx) {
  std::vector<const Element*> items;
  collectItems(q, items);
  for (const Element* item : items) {
    std::vector<const Element*> inner;
    collectItems(*item, inner);
    item->forEachChild("enableWhen", [&](const Element& ew) {
      const std::string_view question = childValue(ew, "question");
      for (const Element* i : inner) {
        if (childValue(*i, "linkId") == question) {
          ctx.reporter.error(IssueType::BusinessRule, item,
                             "Questions with an enableWhen cannot refer to an inner question for "
                             "its enableWhen condition");
          return;
        }
      }
    });
  }
}

// The answers given to a question, anywhere in the response.
void answersTo(const Element& qr, std::string_view linkId, std::vector<const Element*>& out) {
  std::vector<const Element*> items;
  collectItems(qr, items);
  for (const Element* i : items) {
    if (childValue(*i, "linkId") != linkId) continue;
    i->forEachChild("answer", [&](const Element& a) {
      if (const Element* v = a.child("value")) out.push_back(v);
    });
  }
}

bool compareAnswer(const Element& given, const Element& expected, std::string_view op) {
  if (given.hasValue() && expected.hasValue()) {
    const int c = comparePrimitive(given.type().name, given.value(), expected.value());
    if (op == "=") return given.value() == expected.value() || c == 0;
    if (op == "!=") return given.value() != expected.value() && c != 0;
    if (c == 2) return false;
    if (op == ">") return c > 0;
    if (op == "<") return c < 0;
    if (op == ">=") return c >= 0;
    if (op == "<=") return c <= 0;
    return false;
  }
  // Coding and Quantity answers: system and code, or value and unit.
  const bool same = childValue(given, "code") == childValue(expected, "code") &&
                    (childValue(expected, "system").empty() ||
                     childValue(given, "system") == childValue(expected, "system")) &&
                    childValue(given, "value") == childValue(expected, "value");
  return op == "=" ? same : (op == "!=" ? !same : false);
}

// An enableWhen expression on the item (SDC's enableWhenExpression, an Expression, or the
// Finnish PHR extension, a string): its value, nullopt when there is none; `has` tells whether
// there was one that could not be evaluated.
std::optional<bool> enableWhenExpression(const Element& qItem, const Element& qr,
                                         const RuleContext& ctx, bool& has) {
  for (const Element* ext = qItem.child("extension"); ext != nullptr; ext = ext->nextSibling()) {
    if (ext->name() != "extension") continue;
    if (core::asciiLower(childValue(*ext, "url")).find("enablewhen") == std::string::npos) continue;
    const Element* value = ext->child("value");
    if (value == nullptr) continue;
    const std::string expr(value->hasValue() ? value->value() : childValue(*value, "expression"));
    if (expr.empty()) continue;
    std::optional<bool> b;
    auto r = ctx.fhirpath.evaluate(expr, qr, &b);
    if (r && b.has_value()) return *b;
    has = true;
  }
  return std::nullopt;
}

bool enabled(const Element& qItem, const Element& qr, const RuleContext& ctx) {
  bool has = false;
  if (const auto b = enableWhenExpression(qItem, qr, ctx, has)) return *b;
  if (has) return true;
  std::vector<bool> results;
  qItem.forEachChild("enableWhen", [&](const Element& ew) {
    const std::string_view op = childValue(ew, "operator");
    std::vector<const Element*> answers;
    answersTo(qr, childValue(ew, "question"), answers);
    const Element* expected = ew.child("answer");
    if (op == "exists") {
      const bool want = expected == nullptr || expected->value() == "true";
      results.push_back(answers.empty() != want);
      return;
    }
    bool any = false;
    for (const Element* a : answers) {
      if (expected != nullptr && compareAnswer(*a, *expected, op)) any = true;
    }
    results.push_back(any);
  });
  if (results.empty()) return true;
  if (childValue(qItem, "enableBehavior") == "any") {
    return std::find(results.begin(), results.end(), true) != results.end();
  }
  return std::find(results.begin(), results.end(), false) == results.end();
}

// The items of a response (nested in items and answers) against the questionnaire's.
class ResponseItems {
 public:
  ResponseItems(const Element& qr, const Element& questionnaire, RuleContext& ctx)
      : qr_(qr), ctx_(ctx) {
    collectItems(questionnaire, qItems_);
  }

  void walk(const Element& parent) {
    Reporter& rep = ctx_.reporter;
    parent.forEachChild("item", [&](const Element& item) {
      Reporter::Scope s(rep, item);
      const std::string_view linkId = childValue(item, "linkId");
      const Element* qItem = byLinkId(linkId);
      if (qItem == nullptr) {
        rep.error(IssueType::NotFound, &item,
                  "LinkId '" + std::string(linkId) + "' not found in questionnaire");
      } else if (item.child("answer") != nullptr && !enabled(*qItem, qr_, ctx_)) {
        rep.error(IssueType::Invalid, &item,
                  "Item has answer, even though it is not enabled (item id = '" +
                      std::string(linkId) + "')");
      }
      walk(item);
      item.forEachChild("answer", [&](const Element& a) {
        Reporter::Scope sa(rep, a);
        walk(a);
      });
    });
  }

 private:
  const Element* byLinkId(std::string_view id) const {
    for (const Element* i : qItems_) {
      if (childValue(*i, "linkId") == id) return i;
    }
    return nullptr;
  }

  const Element& qr_;
  RuleContext& ctx_;
  std::vector<const Element*> qItems_;
};

// Items against the questionnaire (when it is loaded): known linkIds, answers only to enabled
// items.
void checkQuestionnaireResponse(const Element& qr, RuleContext& ctx) {
  const auto doc = ctx.loadDefinition(childValue(qr, "questionnaire"), "Questionnaire");
  if (doc == nullptr) return;
  ResponseItems(qr, *doc->root(), ctx).walk(qr);
}

}  // namespace

void addQuestionnaireRules(RuleTable& table) {
  table.addResourceRule("Questionnaire", checkQuestionnaire);
  table.addResourceRule("QuestionnaireResponse", checkQuestionnaireResponse);
}

}  // namespace trialbridge::validation
