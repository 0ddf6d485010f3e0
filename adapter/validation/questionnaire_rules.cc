// Rules of Questionnaires (enableWhen links) and of QuestionnaireResponses against their
// Questionnaire (http://hl7.org/fhir/R4/questionnaireresponse.html), when it is loaded or
// contained: items where the Questionnaire puts them and in its order, linkIds, repeats, required
// items and groups, answers only to enabled questions, the answer types each item type allows,
// the answer options and value sets, texts, and the constraint extensions of R4 (maxLength,
// minLength, regex, minValue, maxValue, maxDecimalPlaces, mimeType, maxSize, optionExclusive,
// referenceResource).
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "core/regex.h"
#include "core/text.h"
#include "validation/check_util.h"
#include "validation/primitives.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;
using core::IssueType;
using core::Severity;

constexpr std::string_view kExt = "http://hl7.org/fhir/StructureDefinition/";

void collectItems(const Element& e, std::vector<const Element*>& out) {
  e.forEachChild("item", [&](const Element& i) {
    out.push_back(&i);
    collectItems(i, out);
  });
}

// The item with `linkId` under `e`, at any depth; nullptr when none.
const Element* findItem(const Element& e, std::string_view linkId) {
  for (const Element* c = e.child("item"); c != nullptr; c = c->nextSibling()) {
    if (c->name() != "item") continue;
    if (childValue(*c, "linkId") == linkId) return c;
    if (const Element* inner = findItem(*c, linkId)) return inner;
  }
  return nullptr;
}

// A count written as an integer ("12"); nullopt when it is not one.
std::optional<size_t> count(std::string_view s) {
  size_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// The value of the extension of `e` named kExt + `name`, or nullptr.
const Element* extensionValue(const Element& e, std::string_view name) {
  for (const Element* x = e.child("extension"); x != nullptr; x = x->nextSibling()) {
    if (x->name() != "extension") continue;
    const std::string_view url = childValue(*x, "url");
    if (url.size() == kExt.size() + name.size() && url.starts_with(kExt) && url.ends_with(name)) {
      return x->child("value");
    }
  }
  return nullptr;
}

// ---- Questionnaire --------------------------------------------------------------------------

// enableWhen links: a question to depend on, found in the Questionnaire, not the item itself nor
// one inside it; one that comes after the item is suspicious.
void checkEnableWhenLinks(const Element& q, RuleContext& ctx) {
  std::vector<const Element*> items;  // in document order: an item comes after its ancestors
  collectItems(q, items);
  const auto position = [&](const Element* e) {
    return std::find(items.begin(), items.end(), e) - items.begin();
  };
  Reporter& rep = ctx.reporter;
  for (const Element* item : items) {
    item->forEachChild("enableWhen", [&](const Element& ew) {
      const std::string_view question = childValue(ew, "question");
      const std::string_view linkId = childValue(*item, "linkId");
      if (question.empty()) {
        rep.error(IssueType::BusinessRule, item,
                  "An enableWhen of item '" + std::string(linkId) + "' names no question");
        return;
      }
      if (findItem(*item, question) != nullptr) {
        rep.error(IssueType::BusinessRule, item,
                  "Questions with an enableWhen cannot refer to an inner question for its "
                  "enableWhen condition");
        return;
      }
      const Element* target = findItem(q, question);
      if (target == nullptr) {
        rep.error(IssueType::BusinessRule, item,
                  "No item has the linkId '" + std::string(question) +
                      "' that the enableWhen of item '" + std::string(linkId) + "' names");
      } else if (target == item) {
        rep.error(IssueType::BusinessRule, item,
                  "The enableWhen of item '" + std::string(linkId) + "' names the item itself");
      } else if (position(target) > position(item)) {
        rep.warning(IssueType::BusinessRule, item,
                    "The question '" + std::string(question) + "' that the enableWhen of item '" +
                        std::string(linkId) + "' names comes after the item");
      }
    });
  }
}

// ---- QuestionnaireResponse: enableWhen ------------------------------------------------------

// The answers given to a question, anywhere in the response.
void answersTo(const Element& qr, std::string_view linkId, std::vector<const Element*>& out) {
  std::vector<const Element*> items;
  collectItems(qr, items);
  std::vector<const Element*> nested;
  for (const Element* i : items) {
    i->forEachChild("answer", [&](const Element& a) { collectItems(a, nested); });
  }
  items.insert(items.end(), nested.begin(), nested.end());
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

// ---- QuestionnaireResponse: answers ---------------------------------------------------------

// The answer value types an R4 item type allows (the value[x] of QuestionnaireResponse's
// answer); empty for group and display, which take no answers.
std::vector<std::string_view> answerTypes(std::string_view itemType) {
  if (itemType == "choice" || itemType == "open-choice") {
    return {"Coding", "date", "time", "integer", "string"};
  }
  if (itemType == "text") return {"string"};
  if (itemType == "url") return {"uri"};
  if (itemType == "attachment") return {"Attachment"};
  if (itemType == "reference") return {"Reference"};
  if (itemType == "quantity") return {"Quantity"};
  if (itemType == "group" || itemType == "display" || itemType.empty()) return {};
  return {itemType};  // boolean, decimal, integer, date, dateTime, time, string
}

// Checks one answer value against the constraints of its item.
class AnswerCheck {
 public:
  AnswerCheck(const Element& value, const Element& qItem, const Element& qr,
              const Element& questionnaire, RuleContext& ctx)
      : v_(value), qItem_(qItem), qr_(qr), q_(questionnaire), ctx_(ctx), rep_(ctx.reporter) {}

  void run() {
    const std::string_view type = v_.type().name;
    const std::string_view itemType = childValue(qItem_, "type");
    if (type == "string") strings(itemType);
    if (type == "integer" || type == "decimal" || type == "date" || type == "dateTime" ||
        type == "time" || type == "Quantity") {
      range(type);
    }
    if (type == "decimal") decimals();
    if (type == "Attachment") attachment();
    if (type == "Reference") reference();
    if (itemType == "choice" || itemType == "open-choice") options(itemType == "open-choice");
  }

 private:
  void error(std::string message) { rep_.error(IssueType::BusinessRule, &v_, std::move(message)); }

  void strings(std::string_view itemType) {
    const std::string_view s = v_.value();
    const size_t n = codePoints(s);
    const std::optional<size_t> maxLength = count(childValue(qItem_, "maxLength"));
    if (maxLength && n > *maxLength) {
      error("The answer is longer than the item's maxLength of " + std::to_string(*maxLength));
    }
    const Element* min = extensionValue(qItem_, "minLength");
    const std::optional<size_t> minLength = count(min == nullptr ? "" : min->value());
    if (minLength && n < *minLength) {
      error("The answer is shorter than the item's minLength of " + std::to_string(*minLength));
    }
    if (const Element* rx = extensionValue(qItem_, "regex"); rx != nullptr && rx->hasValue()) {
      std::string why;
      const auto regex = core::Regex::compile(rx->value(), true, why);
      try {
        if (regex != nullptr && !regex->find(s)) {
          error("The answer does not match the item's regex '" + std::string(rx->value()) + "'");
        }
      } catch (const std::exception&) {
        // A pattern too costly to run is not the answer's fault.
      }
    }
    if (itemType == "string" && s.find_first_of("\r\n") != std::string_view::npos) {
      rep_.warning(IssueType::BusinessRule, &v_,
                   "An answer to an item of type string should have no line breaks (type text "
                   "takes them)");
    }
  }

  // minValue and maxValue: values of the answer's type (a Quantity by value, in the same unit).
  void range(std::string_view type) {
    for (const char* which : {"minValue", "maxValue"}) {
      const Element* limit = extensionValue(qItem_, which);
      if (limit == nullptr) continue;
      int c = 2;
      if (type == "Quantity") {
        if (limit->type().name != "Quantity" ||
            childValue(*limit, "code") != childValue(v_, "code")) {
          continue;  // a different unit: no conversion here
        }
        c = comparePrimitive("decimal", childValue(v_, "value"), childValue(*limit, "value"));
      } else if (limit->type().name == type) {
        c = comparePrimitive(type, v_.value(), limit->value());
      }
      const bool min = which[1] == 'i';
      if (c == 2 || (min ? c >= 0 : c <= 0)) continue;
      const std::string shown(limit->hasValue() ? limit->value() : childValue(*limit, "value"));
      error(std::string("The answer is ") +
            (min ? "less than the allowed minimum" : "greater than the allowed maximum") + " of " +
            shown);
    }
  }

  void decimals() {
    const Element* max = extensionValue(qItem_, "maxDecimalPlaces");
    const std::optional<size_t> limit = count(max == nullptr ? "" : max->value());
    if (!limit) return;
    const std::string_view s = v_.value();
    const size_t dot = s.find('.');
    size_t places = 0;
    if (dot != std::string_view::npos) {
      const size_t end = s.find_first_of("eE", dot);
      places = (end == std::string_view::npos ? s.size() : end) - dot - 1;
    }
    if (places > *limit) {
      error("The answer has " + std::to_string(places) +
            " decimal places; the item allows at most " + std::to_string(*limit));
    }
  }

  void attachment() {
    std::vector<std::string_view> types;
    qItem_.forEachChild("extension", [&](const Element& x) {
      if (childValue(x, "url") == std::string(kExt) + "mimeType") {
        if (const Element* val = x.child("value")) types.push_back(val->value());
      }
    });
    const std::string_view contentType = childValue(v_, "contentType");
    if (!types.empty() && contentType.empty()) {
      error("The attachment has no contentType; the item allows " + join(types));
    } else if (!types.empty() &&
               std::find(types.begin(), types.end(), contentType) == types.end()) {
      error("The attachment's contentType " + std::string(contentType) +
            " is not one the item allows (" + join(types) + ")");
    }
    const Element* maxSize = extensionValue(qItem_, "maxSize");
    const std::string_view size = childValue(v_, "size");
    if (maxSize != nullptr && !size.empty() &&
        comparePrimitive("decimal", size, maxSize->value()) == 1) {
      error("The attachment is larger (" + std::string(size) + " bytes) than the item allows (" +
            std::string(maxSize->value()) + ")");
    }
  }

  void reference() {
    std::vector<std::string_view> types;
    qItem_.forEachChild("extension", [&](const Element& x) {
      if (childValue(x, "url") == std::string(kExt) + "questionnaire-referenceResource") {
        if (const Element* val = x.child("value")) types.push_back(val->value());
      }
    });
    if (types.empty()) return;
    const std::string type = ctx_.references.targetType(v_, &qr_);
    if (!type.empty() && std::find(types.begin(), types.end(), type) == types.end()) {
      error("The answer refers to a " + type + "; the item allows " + join(types));
    }
  }

  // answerOption and answerValueSet: a closed choice takes only what they list (an open choice
  // also takes free text).
  void options(bool open) {
    const std::string_view type = v_.type().name;
    bool anyOption = false;
    bool anyOfType = false;
    bool found = false;
    qItem_.forEachChild("answerOption", [&](const Element& o) {
      const Element* ov = o.child("value");
      if (ov == nullptr) return;
      anyOption = true;
      if (ov->type().name != type) return;
      anyOfType = true;
      if (type == "Coding") {
        found = found || (childValue(*ov, "system") == childValue(v_, "system") &&
                          childValue(*ov, "code") == childValue(v_, "code"));
      } else {
        found = found || ov->value() == v_.value();
      }
    });
    if (open && type == "string") {
      // Free text that is one of the coded options was probably meant to be that option.
      qItem_.forEachChild("answerOption", [&](const Element& o) {
        const Element* ov = o.child("value");
        if (ov == nullptr || ov->type().name != "Coding") return;
        if (childValue(*ov, "code") == v_.value() || childValue(*ov, "display") == v_.value()) {
          rep_.warning(IssueType::BusinessRule, &v_,
                       "The text '" + std::string(v_.value()) +
                           "' is one of the item's coded options; give the option as a Coding");
        }
      });
      return;
    }
    if (anyOption) {
      if (!anyOfType) {
        error("The item's answerOptions have no value of type " + std::string(type));
      } else if (!found) {
        error("The answer " + describe() + " is not among the item's answerOptions");
      }
      return;
    }
    const std::string_view vs = childValue(qItem_, "answerValueSet");
    if (vs.empty() || type != "Coding") return;
    std::string url(vs);
    if (vs[0] == '#') {
      const Element* contained = ctx_.references.resolve(vs, &q_);
      if (contained == nullptr) {
        rep_.warning(IssueType::NotFound, &v_,
                     "The answerValueSet " + url + " is not contained in the Questionnaire");
        return;
      }
      url = std::string(childValue(*contained, "url"));
    }
    const auto m = ctx_.definitions.terminology().member(url, childValue(v_, "system"),
                                                         childValue(v_, "code"));
    if (m == conformance::Membership::NotIn) {
      error("The answer " + describe() + " is not in the item's answerValueSet " + url);
    }
  }

  std::string describe() const {
    if (v_.hasValue()) return "'" + std::string(v_.value()) + "'";
    return std::string(childValue(v_, "system")) + "#" + std::string(childValue(v_, "code"));
  }
  static std::string join(const std::vector<std::string_view>& items) {
    std::string out;
    for (std::string_view s : items) out += (out.empty() ? "" : ", ") + std::string(s);
    return out;
  }

  const Element& v_;
  const Element& qItem_;
  const Element& qr_;
  const Element& q_;
  RuleContext& ctx_;
  Reporter& rep_;
};

// ---- QuestionnaireResponse: items -----------------------------------------------------------

// The items of a response, level by level, against the items of its Questionnaire.
class ResponseItems {
 public:
  ResponseItems(const Element& qr, const Element& questionnaire, RuleContext& ctx)
      : qr_(qr), q_(questionnaire), ctx_(ctx), rep_(ctx.reporter) {
    inProgress_ = childValue(qr, "status") == "in-progress";
  }

  // The items under `parent` (the response, an item or an answer) against the items under
  // `qParent` (the Questionnaire or an item).
  void items(const Element& parent, const Element& qParent) {
    std::vector<const Element*> qItems;
    qParent.forEachChild("item", [&](const Element& i) { qItems.push_back(&i); });
    std::vector<std::vector<const Element*>> given(qItems.size());
    size_t last = 0;
    parent.forEachChild("item", [&](const Element& item) {
      Reporter::Scope s(rep_, item);
      const std::string_view linkId = childValue(item, "linkId");
      size_t index = 0;
      while (index < qItems.size() && childValue(*qItems[index], "linkId") != linkId) ++index;
      if (index == qItems.size()) {
        misplaced(item, linkId);
        return;
      }
      if (index < last) {
        rep_.error(IssueType::Structure, &item,
                   "Item '" + std::string(linkId) + "' is out of the Questionnaire's order");
      }
      last = index;
      given[index].push_back(&item);
    });
    for (size_t k = 0; k < qItems.size(); ++k) question(parent, *qItems[k], given[k]);
  }

 private:
  // An item that is not among those the Questionnaire has at this level.
  void misplaced(const Element& item, std::string_view linkId) {
    if (const Element* elsewhere = findItem(q_, linkId)) {
      rep_.error(IssueType::Structure, &item,
                 "Item '" + std::string(linkId) + "' is in the wrong place for the Questionnaire");
      check(item, *elsewhere);
    } else {
      rep_.error(IssueType::NotFound, &item,
                 "LinkId '" + std::string(linkId) + "' not found in questionnaire");
    }
  }

  // The response items `given` for the Questionnaire's item `qItem` under `parent`.
  void question(const Element& parent, const Element& qItem,
                const std::vector<const Element*>& given) {
    const std::string linkId(childValue(qItem, "linkId"));
    const bool isEnabled = enabled(qItem, qr_, ctx_);
    if (given.empty()) {
      if (isEnabled && childValue(qItem, "required") == "true") missing(parent, linkId);
      return;
    }
    if (given.size() > 1 && childValue(qItem, "repeats") != "true") {
      Reporter::Scope s(rep_, *given[1]);
      rep_.error(IssueType::Invalid, given[1],
                 "The item " + linkId + " appears " + std::to_string(given.size()) +
                     " times, but does not repeat in the Questionnaire");
    }
    for (const Element* item : given) {
      Reporter::Scope s(rep_, *item);
      if (!isEnabled && item->child("answer") != nullptr) {
        rep_.error(IssueType::Invalid, item,
                   "Item has answer, even though it is not enabled (item id = '" + linkId + "')");
      }
      check(*item, qItem);
    }
  }

  void missing(const Element& parent, const std::string& linkId) {
    rep_.add(inProgress_ ? Severity::Warning : Severity::Error, IssueType::Required, &parent,
             "The required item '" + linkId + "' has no answer");
  }

  // One response item (the reporter is at it) against its Questionnaire item.
  void check(const Element& item, const Element& qItem) {
    const std::string_view type = childValue(qItem, "type");
    const std::string linkId(childValue(qItem, "linkId"));
    const std::string_view text = childValue(item, "text");
    if (!text.empty() && text != childValue(qItem, "text")) {
      rep_.error(IssueType::Invalid, &item,
                 "The item's text differs from the Questionnaire's for linkId " + linkId);
    }
    std::vector<const Element*> answers;
    item.forEachChild("answer", [&](const Element& a) { answers.push_back(&a); });
    occurs(item, qItem, answers.size());
    if (answers.size() > 1 && childValue(qItem, "repeats") != "true") {
      rep_.error(IssueType::Invalid, answers[1],
                 "The item " + linkId + " has " + std::to_string(answers.size()) +
                     " answers, but does not repeat");
    }
    if (answers.empty() && type != "group" && type != "display" &&
        childValue(qItem, "required") == "true" && enabled(qItem, qr_, ctx_)) {
      missing(item, linkId);
    }
    for (const Element* a : answers) {
      Reporter::Scope sa(rep_, *a);
      answer(*a, qItem, type);
    }
    exclusive(answers, qItem);
    const bool hasItems = item.child("item") != nullptr;
    if (type == "group") {
      if (!hasItems && childValue(qItem, "required") == "true") {
        rep_.error(IssueType::Required, &item, "The required group " + linkId + " has no items");
      }
      items(item, qItem);
    } else if (hasItems) {
      rep_.error(IssueType::Structure, &item,
                 type == "display" ? "An item of type display has no items (linkId " + linkId + ")"
                                   : "The items under a question go under its answers "
                                     "(answer.item), not beside them (linkId " +
                                         linkId + ")");
    }
  }

  void answer(const Element& a, const Element& qItem, std::string_view type) {
    if (type == "group" || type == "display") {
      rep_.error(IssueType::Structure, &a,
                 "An item of type " + std::string(type) + " takes no answers");
      return;
    }
    if (const Element* v = a.child("value")) {
      const std::vector<std::string_view> allowed = answerTypes(type);
      Reporter::Scope sv(rep_, *v);
      if (!allowed.empty() &&
          std::find(allowed.begin(), allowed.end(), v->type().name) == allowed.end()) {
        std::string list;
        for (std::string_view t : allowed) list += (list.empty() ? "" : ", ") + std::string(t);
        rep_.error(IssueType::Structure, v,
                   "The answer is a " + std::string(v->type().name) + ", but the item takes " +
                       (allowed.size() == 1 ? "" : "one of ") + list);
      } else {
        AnswerCheck(*v, qItem, qr_, q_, ctx_).run();
      }
    }
    items(a, qItem);
  }

  // questionnaire-minOccurs and questionnaire-maxOccurs: how many answers a repeating question
  // takes.
  void occurs(const Element& item, const Element& qItem, size_t answers) {
    if (answers == 0) return;  // a missing answer is the required rule's
    for (const char* which : {"questionnaire-minOccurs", "questionnaire-maxOccurs"}) {
      const Element* limit = extensionValue(qItem, which);
      const std::optional<size_t> n = count(limit == nullptr ? "" : limit->value());
      if (!n) continue;
      const bool min = std::string_view(which) == "questionnaire-minOccurs";
      if (min ? answers >= *n : answers <= *n) continue;
      rep_.error(IssueType::Structure, &item,
                 "The item has " + std::to_string(answers) + " answers; it takes " +
                     (min ? "at least " : "at most ") + std::to_string(*n));
    }
  }

  // optionExclusive: an answer that excludes the others is given alone.
  void exclusive(const std::vector<const Element*>& answers, const Element& qItem) {
    if (answers.size() < 2) return;
    qItem.forEachChild("answerOption", [&](const Element& o) {
      const Element* flag = extensionValue(o, "questionnaire-optionExclusive");
      const Element* ov = o.child("value");
      if (flag == nullptr || flag->value() != "true" || ov == nullptr) return;
      for (const Element* a : answers) {
        const Element* v = a->child("value");
        if (v == nullptr || v->type().name != ov->type().name) continue;
        const bool same = v->hasValue() ? v->value() == ov->value()
                                        : (childValue(*v, "system") == childValue(*ov, "system") &&
                                           childValue(*v, "code") == childValue(*ov, "code"));
        if (same) {
          rep_.error(IssueType::BusinessRule, a,
                     "The selected answer is an exclusive option: no other answer may be given");
        }
      }
    });
  }

  const Element& qr_;
  const Element& q_;
  RuleContext& ctx_;
  Reporter& rep_;
  bool inProgress_ = false;
};

// The response is authored while the Questionnaire is in use (its effectivePeriod).
void checkAuthored(const Element& qr, const Element& q, RuleContext& ctx) {
  const Element* authored = qr.child("authored");
  const Element* period = q.child("effectivePeriod");
  if (authored == nullptr || period == nullptr || !authored->hasValue()) return;
  for (const char* edge : {"start", "end"}) {
    const std::string_view limit = childValue(*period, edge);
    if (limit.empty()) continue;
    const int c = comparePrimitive("dateTime", authored->value(), limit);
    const bool start = edge[0] == 's';
    if (c == 2 || (start ? c >= 0 : c <= 0)) continue;
    Reporter::Scope s(ctx.reporter, *authored);
    ctx.reporter.warning(IssueType::BusinessRule, authored,
                         "The authored date " + std::string(authored->value()) + " is " +
                             (start ? "before the start" : "after the end") +
                             " of the Questionnaire's effectivePeriod (" + std::string(limit) +
                             ")");
  }
}

// The Questionnaire a response answers: contained (#id) or loaded by its canonical URL.
void checkQuestionnaireResponse(const Element& qr, RuleContext& ctx) {
  const Element* ref = qr.child("questionnaire");
  const std::string_view canonical = ref == nullptr ? std::string_view() : ref->value();
  if (canonical.empty()) {
    ctx.reporter.information(IssueType::Required, &qr,
                             "The response names no questionnaire, so its items cannot be "
                             "checked against one");
    return;
  }
  std::unique_ptr<core::Document> doc;
  const Element* q = nullptr;
  if (canonical[0] == '#') {
    q = ctx.references.resolve(canonical, &qr);
    if (q != nullptr && q->type().name != "Questionnaire") q = nullptr;
  } else {
    doc = ctx.loadDefinition(canonical, "Questionnaire");
    if (doc != nullptr) q = doc->root();
  }
  if (q == nullptr) {
    Reporter::Scope s(ctx.reporter, *ref);
    const bool example =
        canonical.starts_with("http://example.org") || canonical.starts_with("https://example.org");
    ctx.reporter.add(example ? Severity::Information : Severity::Warning, IssueType::NotFound, ref,
                     "The questionnaire '" + std::string(canonical) +
                         "' is neither loaded nor contained, so the items cannot be checked "
                         "against it");
    return;
  }
  checkAuthored(qr, *q, ctx);
  ResponseItems(qr, *q, ctx).items(qr, *q);
}

}  // namespace

void addQuestionnaireRules(RuleTable& table) {
  table.addResourceRule("Questionnaire", checkEnableWhenLinks);
  table.addResourceRule("QuestionnaireResponse", checkQuestionnaireResponse);
}

}  // namespace trialbridge::validation
