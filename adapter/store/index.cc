#include "store/index.h"

#include <cstdlib>
#include <string>

#include "fhirpath/fhirpath.h"
#include "store/fhir_time.h"
#include "store/search_parameters.h"

namespace trialbridge::store {

namespace {

struct Fold {
  uint32_t from, to;
  const char* base;
};
// Latin-1 Supplement and Latin Extended-A letters to their base letters.
constexpr Fold kFolds[] = {
    {0xC0, 0xC5, "a"},   {0xC6, 0xC6, "ae"},   {0xC7, 0xC7, "c"},   {0xC8, 0xCB, "e"},
    {0xCC, 0xCF, "i"},   {0xD0, 0xD0, "d"},    {0xD1, 0xD1, "n"},   {0xD2, 0xD6, "o"},
    {0xD8, 0xD8, "o"},   {0xD9, 0xDC, "u"},    {0xDD, 0xDD, "y"},   {0xDE, 0xDE, "th"},
    {0xDF, 0xDF, "ss"},  {0xE0, 0xE5, "a"},    {0xE6, 0xE6, "ae"},  {0xE7, 0xE7, "c"},
    {0xE8, 0xEB, "e"},   {0xEC, 0xEF, "i"},    {0xF0, 0xF0, "d"},   {0xF1, 0xF1, "n"},
    {0xF2, 0xF6, "o"},   {0xF8, 0xF8, "o"},    {0xF9, 0xFC, "u"},   {0xFD, 0xFD, "y"},
    {0xFE, 0xFE, "th"},  {0xFF, 0xFF, "y"},    {0x100, 0x105, "a"}, {0x106, 0x10D, "c"},
    {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},  {0x11C, 0x123, "g"}, {0x124, 0x127, "h"},
    {0x128, 0x131, "i"}, {0x132, 0x133, "ij"}, {0x134, 0x135, "j"}, {0x136, 0x138, "k"},
    {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},  {0x14C, 0x151, "o"}, {0x152, 0x153, "oe"},
    {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},  {0x162, 0x167, "t"}, {0x168, 0x173, "u"},
    {0x174, 0x175, "w"}, {0x176, 0x178, "y"},  {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"},
};

bool isQuantityType(std::string_view t) {
  return t == "Quantity" || t == "SimpleQuantity" || t == "Age" || t == "Duration" ||
         t == "Distance" || t == "Count" || t == "MoneyQuantity";
}

bool isDateType(std::string_view t) { return t == "date" || t == "dateTime" || t == "instant"; }

bool isNumberType(std::string_view t) {
  return t == "decimal" || t == "integer" || t == "positiveInt" || t == "unsignedInt";
}

std::string_view childValue(const core::Element& e, std::string_view name) {
  const core::Element* c = e.child(name);
  return c != nullptr && c->hasValue() ? c->value() : std::string_view();
}

class Extractor {
 public:
  Extractor(const SearchParamDef& def, IndexRows& out) : def_(def), out_(out) {}

  void add(const fhirpath::Value& v) {
    if (v.isElement()) {
      addElement(*v.element);
      return;
    }
    // System values (an expression such as "deceased.exists() and deceased != false").
    if (v.kind == fhirpath::Kind::Boolean && def_.type == ParamType::Token) {
      out_.tokens.push_back({def_.code, "", v.boolean ? "true" : "false", ""});
    } else if (v.kind == fhirpath::Kind::String) {
      addText(v.string());
    }
  }

 private:
  void addText(std::string_view s) {
    switch (def_.type) {
      case ParamType::Token: out_.tokens.push_back({def_.code, "", std::string(s), ""}); break;
      case ParamType::String:
        out_.strings.push_back({def_.code, normalizeString(s), std::string(s)});
        break;
      case ParamType::Uri: out_.uris.push_back({def_.code, std::string(s)}); break;
      default: break;
    }
  }

  void addString(std::string_view s) {
    if (!s.empty()) out_.strings.push_back({def_.code, normalizeString(s), std::string(s)});
  }

  void addElement(const core::Element& e) {
    const std::string_view t = e.type().name;
    switch (def_.type) {
      case ParamType::Token: token(e, t); break;
      case ParamType::String: string(e, t); break;
      case ParamType::Date: date(e, t); break;
      case ParamType::Reference: reference(e, t); break;
      case ParamType::Number:
        if (isNumberType(t) && e.hasValue()) number(e.value(), "", "");
        break;
      case ParamType::Quantity: quantity(e, t); break;
      case ParamType::Uri:
        if (e.isPrimitive() && e.hasValue())
          out_.uris.push_back({def_.code, std::string(e.value())});
        break;
      default: break;
    }
  }

  void token(const core::Element& e, std::string_view t) {
    if (t == "Coding") {
      coding(e, {});
    } else if (t == "CodeableConcept") {
      const std::string_view text = childValue(e, "text");
      bool any = false;
      e.forEachChild("coding", [&](const core::Element& c) {
        coding(c, text);
        any = true;
      });
      if (!any && !text.empty()) out_.tokens.push_back({def_.code, "", "", normalizeString(text)});
    } else if (t == "Identifier") {
      const std::string_view value = childValue(e, "value");
      std::string text;
      if (const core::Element* type = e.child("type"))
        text = normalizeString(childValue(*type, "text"));
      if (!value.empty()) {
        out_.tokens.push_back(
            {def_.code, std::string(childValue(e, "system")), std::string(value), std::move(text)});
      }
    } else if (t == "ContactPoint") {
      const std::string_view value = childValue(e, "value");
      if (!value.empty()) {
        out_.tokens.push_back(
            {def_.code, std::string(childValue(e, "system")), std::string(value), ""});
      }
    } else if (e.isPrimitive() && e.hasValue()) {
      out_.tokens.push_back({def_.code, "", std::string(e.value()), ""});
    }
  }

  void coding(const core::Element& c, std::string_view conceptText) {
    const std::string_view code = childValue(c, "code");
    const std::string_view display = childValue(c, "display");
    std::string text = normalizeString(!conceptText.empty() ? conceptText : display);
    if (!conceptText.empty() && !display.empty()) text += " " + normalizeString(display);
    if (!code.empty() || !text.empty()) {
      out_.tokens.push_back(
          {def_.code, std::string(childValue(c, "system")), std::string(code), std::move(text)});
    }
  }

  void string(const core::Element& e, std::string_view t) {
    if (e.isPrimitive()) {
      if (e.hasValue()) addString(e.value());
      return;
    }
    const char* const* parts = nullptr;
    static const char* const kName[] = {"text", "family", "given", "prefix", "suffix", nullptr};
    static const char* const kAddress[] = {"text",  "line",       "city",    "district",
                                           "state", "postalCode", "country", nullptr};
    if (t == "HumanName") parts = kName;
    if (t == "Address") parts = kAddress;
    if (parts == nullptr) return;
    for (const char* const* p = parts; *p != nullptr; ++p) {
      e.forEachChild(*p, [&](const core::Element& c) {
        if (c.hasValue()) addString(c.value());
      });
    }
  }

  void date(const core::Element& e, std::string_view t) {
    TimeRange r;
    if (isDateType(t)) {
      if (e.hasValue() && parseFhirTime(e.value(), r))
        out_.dates.push_back({def_.code, r.low, r.high});
    } else if (t == "Period") {
      int64_t low = kMinTime, high = kMaxTime;
      const std::string_view start = childValue(e, "start");
      const std::string_view end = childValue(e, "end");
      if (start.empty() && end.empty()) return;
      if (!start.empty() && parseFhirTime(start, r)) low = r.low;
      if (!end.empty() && parseFhirTime(end, r)) high = r.high;
      out_.dates.push_back({def_.code, low, high});
    } else if (t == "Timing") {
      e.forEachChild("event", [&](const core::Element& ev) {
        if (ev.hasValue() && parseFhirTime(ev.value(), r)) {
          out_.dates.push_back({def_.code, r.low, r.high});
        }
      });
    }
  }

  void reference(const core::Element& e, std::string_view t) {
    std::string_view ref;
    if (t == "Reference") {
      ref = childValue(e, "reference");
    } else if (e.isPrimitive() && e.hasValue()) {
      ref = e.value();  // canonical, uri
    }
    if (ref.empty() || ref[0] == '#') return;
    ReferenceRow row{def_.code, "", "", std::string(ref)};
    splitReference(ref, row.targetType, row.targetId);
    if (row.targetType.empty() && t == "Reference") {
      // A bare id: the type comes from Reference.type, or the parameter's only target.
      const std::string_view type = childValue(e, "type");
      if (!type.empty()) {
        row.targetType = std::string(type);
      } else if (def_.targets.size() == 1) {
        row.targetType = def_.targets[0];
      }
      if (!row.targetType.empty() && ref.find(':') == std::string_view::npos &&
          ref.find('/') == std::string_view::npos) {
        row.targetId = std::string(ref);
      } else {
        row.targetType.clear();
      }
    }
    if (!def_.resolveFilter.empty() && row.targetType != def_.resolveFilter) return;
    out_.references.push_back(std::move(row));
  }

  void number(std::string_view text, std::string_view system, std::string_view code) {
    char* end = nullptr;
    const std::string s(text);
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str()) return;
    out_.numbers.push_back({def_.code, v, std::string(system), std::string(code)});
  }

  void quantity(const core::Element& e, std::string_view t) {
    if (isQuantityType(t)) {
      const std::string_view value = childValue(e, "value");
      std::string_view code = childValue(e, "code");
      if (code.empty()) code = childValue(e, "unit");
      if (!value.empty()) number(value, childValue(e, "system"), code);
    } else if (t == "Money") {
      const std::string_view value = childValue(e, "value");
      if (!value.empty()) number(value, "urn:iso:std:iso:4217", childValue(e, "currency"));
    } else if (isNumberType(t) && e.hasValue()) {
      number(e.value(), "", "");
    }
  }

  const SearchParamDef& def_;
  IndexRows& out_;
};

}  // namespace

std::string normalizeString(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  auto put = [&](std::string_view piece) {
    if (space && !out.empty()) out += ' ';
    space = false;
    out += piece;
  };
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      ++i;
      continue;
    }
    if (c < 0x80) {
      const char lower =
          c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
      put(std::string_view(&lower, 1));
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      const uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      const char* folded = nullptr;
      for (const Fold& f : kFolds) {
        if (cp >= f.from && cp <= f.to) folded = f.base;
      }
      if (folded != nullptr) {
        put(folded);
      } else {
        put(s.substr(i, 2));
      }
      i += 2;
      continue;
    }
    size_t n = (c & 0xF0) == 0xE0 ? 3 : ((c & 0xF8) == 0xF0 ? 4 : 1);
    if (i + n > s.size()) n = s.size() - i;
    put(s.substr(i, n));
    i += n;
  }
  return out;
}

bool splitReference(std::string_view ref, std::string& type, std::string& id) {
  if (ref.empty() || ref[0] == '#' || ref.rfind("urn:", 0) == 0) return false;
  if (const size_t h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  if (const size_t q = ref.find('?'); q != std::string_view::npos) return false;
  const size_t slash = ref.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == ref.size()) return false;
  const size_t prev = ref.rfind('/', slash - 1);
  const std::string_view t = ref.substr(prev == std::string_view::npos ? 0 : prev + 1,
                                        slash - (prev == std::string_view::npos ? 0 : prev + 1));
  if (t.empty() || t[0] < 'A' || t[0] > 'Z') return false;
  for (char c : t) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  type = std::string(t);
  id = std::string(ref.substr(slash + 1));
  return true;
}

void extractIndex(const SearchParameterRegistry& registry, const core::Element& resource,
                  IndexRows& out) {
  thread_local fhirpath::Evaluation evaluation;
  fhirpath::Environment env;
  env.enforceAsSingleton = false;
  env.context = &registry.context();
  for (const SearchParamDef* def : registry.forType(resource.type().name)) {
    if (!def->indexed) continue;
    if (!evaluation.run(*def->compiled, &resource, env)) continue;
    Extractor x(*def, out);
    for (const fhirpath::Value& v : evaluation.results()) x.add(v);
  }
}

std::string indexKey(std::string_view value) {
  if (value.size() <= kMaxIndexedBytes) return std::string(value);
  size_t end = kMaxIndexedBytes;
  // Back to the start of the character the cut falls in (continuation bytes are 10xxxxxx).
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return std::string(value.substr(0, end));
}

}  // namespace trialbridge::store
