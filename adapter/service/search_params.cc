#include "service/search_params.h"

#include <cstdlib>

#include "store/fhir_time.h"

namespace trialbridge::service {

using core::IssueType;
using core::Severity;

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Comma-separated values; for tokens the code after a '|'.
std::vector<std::string> values(const std::string& v, bool token) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    if (comma == std::string::npos) comma = v.size();
    std::string one = v.substr(pos, comma - pos);
    if (token) {
      if (const size_t bar = one.find('|'); bar != std::string::npos) one = one.substr(bar + 1);
    }
    if (!one.empty()) out.push_back(one);
    pos = comma + 1;
  }
  return out;
}

// A whole number >= 0, or an error naming the parameter.
bool wholeNumber(const std::string& name, const std::string& v, size_t& out, core::Issues& issues) {
  char* end = nullptr;
  const long long c = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != 0 || c < 0) {
    issues.add(Severity::Error, IssueType::Invalid, name + " must be a whole number", name);
    return false;
  }
  out = static_cast<size_t>(c);
  return true;
}

void paging(const std::string& n, const std::string& v, const store::SearchLimits& limits,
            size_t& count, size_t& offset, core::Issues& issues) {
  size_t c = 0;
  if (!wholeNumber(n, v, c, issues)) return;
  if (n == "_count") {
    count = std::min(c, limits.maxCount);
  } else {
    offset = c;
  }
}

bool auditDate(const std::string& value, store::AuditQuery& q, core::Issues& issues) {
  std::string d = value;
  store::AuditQuery::Date date;
  store::takePrefix(d, date.prefix);
  store::TimeRange r;
  if (!store::parseFhirTime(d, r)) {
    issues.add(Severity::Error, IssueType::Invalid, "'" + d + "' is not a date", "date");
    return false;
  }
  date.low = r.low;
  date.high = r.high;
  q.dates.push_back(date);
  return true;
}

void auditEntities(const std::string& n, const std::string& v, store::AuditQuery& q) {
  for (auto& e : values(v, false)) {
    std::string t, id;
    if (store::splitReference(e, t, id)) {
      q.entities.push_back(t + "/" + id);
    } else {
      q.entities.push_back(n == "patient" ? "Patient/" + e : e);
    }
  }
}

bool isResultParam(const std::string& n) {
  return n == "_format" || n == "_pretty" || n == "_elements" || n == "_summary" || n == "_total";
}

}  // namespace

void parseResultParams(const store::QueryParams& params, Render& render) {
  for (const auto& [n, v] : params) {
    if (n == "_summary") {
      if (v == "true") render.summary = Summary::True;
      if (v == "text") render.summary = Summary::Text;
      if (v == "data") render.summary = Summary::Data;
      if (v == "count") render.summary = Summary::Count;
    } else if (n == "_elements") {
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t comma = v.find(',', pos);
        if (comma == std::string::npos) comma = v.size();
        std::string e(trimmed(std::string_view(v).substr(pos, comma - pos)));
        if (const size_t dot = e.find('.'); dot != std::string::npos) e = e.substr(dot + 1);
        if (!e.empty()) render.elements.push_back(e);
        pos = comma + 1;
      }
    }
  }
}

void parseHistoryParams(const store::QueryParams& params, const store::SearchLimits& limits,
                        bool strict, store::HistoryQuery& q, core::Issues& issues) {
  q.count = limits.defaultCount;
  for (const auto& [n, v] : params) {
    if (n == "_count" || n == "_offset") {
      paging(n, v, limits, q.count, q.offset, issues);
    } else if (n == "_since") {
      store::TimeRange t;
      if (!store::parseFhirTime(v, t)) {
        issues.add(Severity::Error, IssueType::Invalid, "_since must be an instant", n);
      } else {
        q.sinceMs = t.low;
      }
    } else if (n != "_format" && n != "_pretty" && strict) {
      issues.add(Severity::Error, IssueType::NotSupported, "unknown parameter " + n, n);
    }
  }
}

void parseAuditQuery(const store::QueryParams& params, const store::SearchLimits& limits,
                     bool strict, store::AuditQuery& q, core::Issues& issues) {
  q.count = limits.defaultCount;
  for (const auto& [n, v] : params) {
    if (n == "_id") {
      for (auto& i : values(v, false)) q.ids.push_back(i);
    } else if (n == "entity" || n == "patient") {
      auditEntities(n, v, q);
    } else if (n == "agent" || n == "agent:identifier") {
      for (auto& a : values(v, true)) q.agents.push_back(a);
    } else if (n == "subtype") {
      for (auto& a : values(v, true)) q.subtypes.push_back(a);
    } else if (n == "action") {
      for (auto& a : values(v, true)) q.actions.push_back(a);
    } else if (n == "outcome") {
      for (auto& a : values(v, true)) q.outcomes.push_back(a);
    } else if (n == "date") {
      auditDate(v, q, issues);
    } else if (n == "_count" || n == "_offset") {
      paging(n, v, limits, q.count, q.offset, issues);
      if (n == "_count" && !issues.hasErrors() && q.count == 0) q.summaryCount = true;
    } else if (n == "_summary" && v == "count") {
      q.summaryCount = true;
    } else if (n == "_sort") {
      if (v == "date") {
        q.newestFirst = false;
      } else if (v != "-date") {
        issues.add(strict ? Severity::Error : Severity::Warning, IssueType::NotSupported,
                   "AuditEvent sorts by date or -date only", n);
      }
    } else if (!isResultParam(n)) {
      issues.add(strict ? Severity::Error : Severity::Warning, IssueType::NotSupported,
                 "AuditEvent search supports _id, entity, patient, agent, subtype, action, "
                 "outcome and date; '" +
                     n + "' is ignored",
                 n);
    }
  }
}

void addPageLinks(BundleBody& b, const std::string& self, const store::QueryParams& params,
                  size_t offset, size_t count, int64_t total, bool countOnly) {
  auto page = [&](size_t at) {
    std::string q;
    for (const auto& [n, v] : params) {
      if (n == "_offset" || n == "_count") continue;
      q += q.empty() ? "" : "&";
      q += store::percentEncode(n) + "=" + store::percentEncode(v);
    }
    q += q.empty() ? "" : "&";
    q += "_count=" + std::to_string(count);
    if (at > 0) q += "&_offset=" + std::to_string(at);
    return self + "?" + q;
  };
  b.links.emplace_back("self", page(offset));
  if (countOnly) return;
  b.links.emplace_back("first", page(0));
  if (count > 0 && offset + count < static_cast<size_t>(total)) {
    b.links.emplace_back("next", page(offset + count));
  }
  if (offset > 0) b.links.emplace_back("previous", page(offset > count ? offset - count : 0));
}

}  // namespace trialbridge::service
