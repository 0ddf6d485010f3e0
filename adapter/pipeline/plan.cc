// Before the unit: a change's steps are read, checked, authorised and validated, and what can
// be computed outside the store's writer thread is (index rows, a create's JSON).
#include "core/json.h"
#include "pipeline/steps.h"
#include "validation/validator.h"

namespace trialbridge::pipeline::detail {

using core::IssueType;
using core::Severity;

namespace {

// Splits an entry url ("Patient/1", "Patient?x=y", "http://base/fhir/Patient/1").
void splitUrl(std::string_view url, std::string_view base, std::string& path, std::string& query) {
  if (!base.empty() && url.rfind(base, 0) == 0) url.remove_prefix(base.size());
  if (!url.empty() && url[0] == '/') url.remove_prefix(1);
  const size_t q = url.find('?');
  path = std::string(url.substr(0, q));
  query = q == std::string_view::npos ? std::string() : std::string(url.substr(q + 1));
}

std::string at(const Step& step, std::string_view part) {
  if (step.location.empty()) return std::string(part);
  return part.empty() ? step.location : step.location + "." + std::string(part);
}

void invalid(const Step& step, core::Issues& issues, std::string message,
             std::string_view part = {}, IssueType code = IssueType::Invalid) {
  issues.add(Severity::Error, code, std::move(message), at(step, part));
}

// "Patient.gender" of an entry's resource as "Bundle.entry[1].resource.gender".
std::string relocate(const Step& step, const std::string& location) {
  if (step.location.empty()) return location;
  const std::string prefix = step.location + ".resource";
  if (location.empty() || location == step.type) return prefix;
  if (location.rfind(step.location, 0) == 0) return location;  // the Bundle reader's
  if (location.size() > step.type.size() && location.compare(0, step.type.size(), step.type) == 0 &&
      location[step.type.size()] == '.') {
    return prefix + location.substr(step.type.size());
  }
  return prefix + " " + location;
}

// The resource of a POST or PUT entry, copied into its own document.
void planResource(const core::Element& entry, const Settings& s, Step& step, core::Issues& issues) {
  const core::Element* r = entry.child("resource");
  if (r == nullptr) {
    invalid(step, issues, step.method + " needs a resource", "resource", IssueType::Required);
    return;
  }
  step.doc = core::copyResource(*r, s.pipeline.store().types());
  if (r->type().name != step.type) {
    invalid(step, issues,
            "the resource is a " + std::string(r->type().name) + " but the url says " + step.type,
            "resource");
  }
}

// The type, id and query of an entry's url, checked against its method.
void planUrl(const Settings& s, Step& step, core::Issues& issues) {
  std::string path;
  splitUrl(step.url, s.options.baseUrl, path, step.query);
  const size_t slash = path.find('/');
  step.type = path.substr(0, slash);
  if (slash != std::string::npos) step.id = path.substr(slash + 1);
  const std::string& m = step.method;
  if (m != "GET" && m != "POST" && m != "PUT" && m != "DELETE") {
    invalid(step, issues, "method '" + m + "' is not supported", "request.method",
            IssueType::NotSupported);
  } else if (!store::isResourceType(s.pipeline.store().types(), step.type)) {
    invalid(step, issues, "unknown resource type in '" + step.url + "'", "request.url",
            IssueType::NotSupported);
  } else if ((m == "PUT" || m == "DELETE") && step.id.empty() && step.query.empty()) {
    invalid(step, issues, m + " needs Type/id or Type?criteria", "request.url");
  } else if (!step.id.empty() && (!store::isValidId(step.id) || m == "POST")) {
    invalid(step, issues, "bad url '" + step.url + "'", "request.url");
  }
}

void planIfMatch(const std::string& text, Step& step, core::Issues& issues) {
  if (text.empty()) return;
  step.ifMatch = parseETag(text);
  if (!step.ifMatch) invalid(step, issues, "If-Match must be an ETag W/\"n\"", "request.ifMatch");
}

}  // namespace

bool planCondition(std::string_view criteria, std::string_view what, const Settings& s, Step& step,
                   core::Issues& issues) {
  if (const size_t qm = criteria.find('?'); qm != std::string_view::npos) {
    criteria = criteria.substr(qm + 1);
  }
  store::SearchLimits limits = s.pipeline.config().searchLimits;
  limits.strict = s.options.strict;
  core::Issues found;
  step.condition.emplace();
  store::parseSearch(s.pipeline.store().registry(), step.type, store::parseQueryString(criteria),
                     limits, *step.condition, found);
  for (core::Issue& i : found.items()) {
    if (!step.location.empty()) i.location = at(step, "request");
    issues.add(std::move(i));
  }
  if (found.hasErrors()) return false;
  if (step.condition->criteria.empty()) {
    invalid(step, issues, std::string(what), "request");
    return false;
  }
  const bool create = step.method == "POST";
  step.tooMany = create && step.location.empty()
                     ? "If-None-Exist matches more than one " + step.type
                 : create ? "the condition matches more than one " + step.type
                          : "the criteria match more than one " + step.type;
  return true;
}

void planEntry(const core::Element& entry, size_t index, const Settings& s, Step& step,
               core::Issues& issues) {
  step.index = index;
  step.location = "Bundle.entry[" + std::to_string(index) + "]";
  step.fullUrl = childText(entry, "fullUrl");
  step.result.index = index;
  step.result.fullUrl = step.fullUrl;
  const core::Element* req = entry.child("request");
  if (req == nullptr) {
    invalid(step, issues, "request is required", "request", IssueType::Required);
    return;
  }
  step.method = childText(*req, "method");
  step.url = childText(*req, "url");
  step.result.method = step.method;
  if (step.method.empty() || step.url.empty()) {
    invalid(step, issues, "request.method and request.url are required", "request",
            IssueType::Required);
    return;
  }
  const size_t before = issues.size();
  planUrl(s, step, issues);
  step.result.type = step.type;
  if (issues.size() > before) return;
  const std::string ifMatch = childText(*req, "ifMatch");
  step.ifNoneExist = childText(*req, "ifNoneExist");
  step.ifNoneMatch = childText(*req, "ifNoneMatch");
  step.ifModifiedSince = childText(*req, "ifModifiedSince");
  if (step.method == "GET") {
    if (!ifMatch.empty() || !step.ifNoneExist.empty()) {
      invalid(step, issues, "GET takes no conditions", "request");
      return;
    }
    step.result.outcome = Outcome::Read;
    step.result.id = step.id;
    step.result.read = ReadRequest{step.url,   step.type,        step.id,
                                   step.query, step.ifNoneMatch, step.ifModifiedSince};
    return;
  }
  planIfMatch(ifMatch, step, issues);
  if (step.method == "POST" || step.method == "PUT") planResource(entry, s, step, issues);
  if (step.method == "PUT" && !step.id.empty() && step.doc != nullptr) {
    const std::string bodyId = childText(*step.doc->root(), "id");
    if (bodyId != step.id) {
      invalid(step, issues,
              "the resource id '" + bodyId + "' differs from the url's '" + step.id + "'",
              "resource");
    }
  }
  if (step.method == "POST" && !step.ifNoneExist.empty()) {
    planCondition(step.ifNoneExist, "the condition has no criteria", s, step, issues);
  } else if (step.method != "POST" && step.id.empty()) {
    planCondition(step.query, "the condition has no criteria", s, step, issues);
  }
}

void planSingle(Change& change, const Settings& s, Step& step, core::Issues& issues) {
  static constexpr const char* kMethods[] = {"POST", "PUT", "PUT", "DELETE", "DELETE"};
  step.method = kMethods[static_cast<size_t>(change.kind)];
  step.type = change.type;
  step.id = change.id;
  step.query = change.criteria;
  step.ifMatch = s.options.ifMatch;
  step.doc = std::move(change.document);
  step.result.type = step.type;
  step.result.id = step.id;
  const core::TypeResolver& types = s.pipeline.store().types();
  const bool writes = step.method != "DELETE";
  if (writes && (step.doc == nullptr || step.doc->root() == nullptr)) {
    return invalid(step, issues, "there is no resource to write", {}, IssueType::Required);
  }
  if (writes && step.doc->root()->type().name != step.type) {
    return invalid(
        step, issues,
        "the body is a " + std::string(step.doc->root()->type().name) + ", not a " + step.type);
  }
  if (!store::isResourceType(types, step.type)) {
    return invalid(step, issues, "unknown resource type '" + step.type + "'", {},
                   IssueType::NotSupported);
  }
  const std::string bodyId = writes ? childText(*step.doc->root(), "id") : std::string();
  switch (change.kind) {
    case ChangeKind::Create:
      if (!s.options.ifNoneExist.empty()) {
        planCondition(s.options.ifNoneExist, "If-None-Exist has no search criteria", s, step,
                      issues);
      }
      break;
    case ChangeKind::Update:
      if (bodyId.empty()) return invalid(step, issues, "the resource has no id");
      if (bodyId != step.id) {
        return invalid(
            step, issues,
            "the resource id '" + bodyId + "' differs from the id in the URL '" + step.id + "'");
      }
      if (!store::isValidId(step.id)) invalid(step, issues, "'" + step.id + "' is not a valid id");
      break;
    case ChangeKind::ConditionalUpdate:
      planCondition(
          change.criteria,
          "a conditional update needs search criteria (PUT " + step.type + "?identifier=...)", s,
          step, issues);
      if (!bodyId.empty() && !store::isValidId(bodyId)) {
        invalid(step, issues, "'" + bodyId + "' is not a valid id");
      }
      break;
    case ChangeKind::Delete:
      if (!store::isValidId(step.id)) invalid(step, issues, "'" + step.id + "' is not a valid id");
      break;
    case ChangeKind::ConditionalDelete:
      planCondition(change.criteria, "a conditional delete needs search criteria", s, step, issues);
      break;
    default: break;
  }
}

bool authorizeStep(const Step& step, const Settings& s, core::Issues& issues) {
  if (!s.options.authorize) return true;
  const Permission p = step.method == "POST"     ? Permission::Create
                       : step.method == "PUT"    ? Permission::Update
                       : step.method == "DELETE" ? Permission::Delete
                       : step.id.empty()         ? Permission::Search
                                                 : Permission::Read;
  if (s.options.authorize(step.type, p)) return true;
  static constexpr std::string_view kWords[] = {"create", "read", "update", "delete", "search"};
  const size_t i = std::string_view("cruds").find(static_cast<char>(p));
  invalid(step, issues,
          "the client may not " + std::string(kWords[i]) + " " + step.type + " resources", {},
          IssueType::Security);
  return false;
}

bool validateStep(Step& step, const core::Issues& readIssues, const Settings& s,
                  core::Issues& issues) {
  if (step.doc == nullptr) return true;
  core::Issues found = readIssues;
  const validation::Validator* validator = s.pipeline.validator();
  if (validator != nullptr && s.options.validation == ValidationPolicy::Full) {
    std::vector<std::string> profiles;
    const auto& required = s.pipeline.config().requiredProfiles;
    if (auto it = required.find(step.type); it != required.end()) profiles.push_back(it->second);
    validator->validate(*step.doc->root(), found, profiles);
  }
  const bool ok = !found.hasErrors();
  for (core::Issue& i : found.items()) {
    i.location = relocate(step, i.location);
    if (i.severity == Severity::Error || i.severity == Severity::Fatal) {
      issues.add(std::move(i));
    } else {
      step.result.issues.add(std::move(i));
    }
  }
  return ok;
}

void prepareStep(Step& step, const Settings& s) {
  // In a transaction ids and references are known only inside the unit.
  if (step.doc == nullptr || s.rewriteReferences) return;
  const store::Store& store = s.pipeline.store();
  if (step.method == "POST") {
    step.id = store::newId();
    setId(*step.doc, step.id);
  }
  store::extractIndex(store.registry(), *step.doc->root(), step.indexRows);
  step.indexed = true;
  if (step.method != "POST") return;
  step.prepared = store::prepareCreate(*step.doc);
  const AuditPolicy* policy = s.pipeline.config().audit;
  if (policy != nullptr && policy->covers(step.type)) {
    AuditRecord r;
    r.interaction = "create";
    r.action = 'C';
    r.agentId = s.options.actor.clientId;
    r.address = s.options.actor.address;
    r.entityType = step.type;
    r.entityId = step.id;
    r.entityVersion = 1;
    step.presetAudit.push_back(auditEntry(r));
  }
}

}  // namespace trialbridge::pipeline::detail
