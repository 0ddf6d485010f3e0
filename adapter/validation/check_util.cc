#include "validation/check_util.h"

#include "validation/structure_model.h"

namespace trialbridge::validation {

namespace {

// Deep equality of two elements: the same name and the same content.
bool sameElement(const core::Element& a, const core::Element& b) {
  return a.name() == b.name() && sameContent(a, b);
}

}  // namespace

bool sameContent(const core::Element& a, const core::Element& b) {
  if (a.hasValue() != b.hasValue() || a.value() != b.value()) return false;
  const core::Element* x = a.firstChild();
  const core::Element* y = b.firstChild();
  while (x != nullptr && y != nullptr) {
    if (!sameElement(*x, *y)) return false;
    x = x->nextSibling();
    y = y->nextSibling();
  }
  return x == nullptr && y == nullptr;
}

bool matchesPattern(const core::Element& instance, const core::Element& pattern) {
  if (pattern.hasValue() && (!instance.hasValue() || instance.value() != pattern.value())) {
    return false;
  }
  for (const core::Element* p = pattern.firstChild(); p != nullptr; p = p->nextSibling()) {
    bool found = false;
    for (const core::Element* c = instance.firstChild(); c != nullptr && !found;
         c = c->nextSibling()) {
      if (c->name() == p->name() && matchesPattern(*c, *p)) found = true;
    }
    if (!found) return false;
  }
  return true;
}

std::vector<std::string_view> pathSteps(std::string_view path) {
  std::vector<std::string_view> steps;
  size_t start = 0;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '.' && depth == 0) {
      steps.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  steps.push_back(path.substr(start));
  return steps;
}

std::string fromProfile(const StructureModel& m, bool profile) {
  return profile ? " (from " + m.label() + ")" : "";
}

core::Severity bestPracticeSeverity(ValidatorOptions::Level level) {
  switch (level) {
    case ValidatorOptions::Level::Error: return core::Severity::Error;
    case ValidatorOptions::Level::Warning: return core::Severity::Warning;
    case ValidatorOptions::Level::Hint:
    case ValidatorOptions::Level::Ignore: break;
  }
  return core::Severity::Information;
}

std::string joinList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace trialbridge::validation
