#include "service/registry_config.h"

#include <algorithm>

#include "conformance/context.h"
#include "core/json_input.h"
#include "mapping/registry_prs.h"
#include "store/store.h"

namespace trialbridge::service {

namespace {

bool validName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

void readFhir(core::JsonObjectReader& s, const core::JsonNode& v, core::Issues& issues,
              RegistryTarget& t) {
  s.str("url", t.url);
  s.str("caFile", t.caFile);
  s.str("tokenFile", t.tokenFile);
  s.integer("requestsPerMinute", t.requestsPerMinute, 1, 600000);
  s.integer("burst", t.burst, 1, 10000);
  s.integer("timeoutSeconds", t.timeoutSeconds, 1, 3600);
  s.integer("maxAttempts", t.maxAttempts, 1, 100);
  s.integer("retryBaseMillis", t.retryBaseMillis, 1, 3600000);
  s.integer("retryMaxMillis", t.retryMaxMillis, 1, 86400000);
  s.integer("failureDelayMillis", t.failureDelayMillis, 1, 604800000);
  s.str("sourceSystem", t.sourceSystem);
  const core::JsonInput& in = v.input();
  if (issues.hasErrors()) return;
  if (t.url.rfind("http://", 0) != 0 && t.url.rfind("https://", 0) != 0) {
    in.report(issues, v.path() + ".url", "must be the registry's FHIR base (http:// or https://)");
  }
  while (!t.url.empty() && t.url.back() == '/') t.url.pop_back();
  if (t.retryMaxMillis < t.retryBaseMillis) {
    in.report(issues, v.path() + ".retryMaxMillis", "must not be less than 'retryBaseMillis'");
  }
  if (t.sourceSystem.empty()) in.report(issues, v.path() + ".sourceSystem", "must not be empty");
}

void readFile(core::JsonObjectReader& s, const core::JsonNode& v, core::Issues& issues,
              RegistryTarget& t) {
  s.str("directory", t.directory);
  s.str("format", t.format);
  s.str("prsOrg", t.prsOrg);
  s.strings("prsSections", t.prsSections);
  if (issues.hasErrors()) return;
  const core::JsonInput& in = v.input();
  if (t.directory.empty()) {
    in.report(issues, v.path(), "needs 'directory' (the folder the files are written to)");
  }
  const std::vector<std::string> formats = registryFormats();
  if (std::find(formats.begin(), formats.end(), t.format) == formats.end()) {
    in.report(issues, v.path() + ".format",
              "must be one of \"ctgov-json\", \"prs-xml\", \"who-json\", \"who-xml\"");
  }
  const std::vector<std::string>& sections = mapping::prsSections();
  for (size_t i = 0; i < t.prsSections.size(); ++i) {
    if (std::find(sections.begin(), sections.end(), t.prsSections[i]) == sections.end()) {
      in.report(issues, v.get("prsSections").item(i).path(), "is not a PRS section");
      return;
    }
  }
}

void readTarget(const std::string& name, const core::JsonNode& v, core::Issues& issues,
                RegistryTarget& t) {
  const core::JsonInput& in = v.input();
  core::JsonObjectReader s(v, issues);
  t.name = name;
  std::string kind = "fhir";
  s.str("kind", kind);
  s.strings("types", t.types);
  s.integer("intervalSeconds", t.intervalSeconds, 0, 86400 * 7);
  s.integer("batch", t.batch, 1, 10000);
  if (kind == "fhir") {
    t.kind = TargetKind::Fhir;
    readFhir(s, v, issues, t);
  } else if (kind == "file") {
    t.kind = TargetKind::File;
    readFile(s, v, issues, t);
  } else {
    in.report(issues, v.get("kind").path(), "must be \"fhir\" or \"file\"");
    return;
  }
  s.noOthers("setting");
  const core::TypeResolver& types = conformance::Context::r4();
  for (size_t i = 0; i < t.types.size() && !issues.hasErrors(); ++i) {
    if (!store::isResourceType(types, t.types[i])) {
      in.report(issues, v.get("types").item(i).path(), "is not an R4 resource type");
    }
  }
  if (t.types.empty()) t.types = defaultPublishedTypes();
}

}  // namespace

const std::vector<std::string>& defaultPublishedTypes() {
  static const std::vector<std::string> kTypes = {
      "ResearchStudy",    "Group",          "Organization",       "Location",
      "PractitionerRole", "PlanDefinition", "ActivityDefinition", "Medication"};
  return kTypes;
}

std::vector<std::string> registryFormats() {
  return {"ctgov-json", "prs-xml", "who-json", "who-xml"};
}

std::string publishTopic(const std::string& target) { return "registry:" + target; }

void addPublishTopics(const std::vector<RegistryTarget>& targets,
                      std::map<std::string, std::vector<std::string>>& outboxTopics) {
  for (const RegistryTarget& t : targets) {
    for (const std::string& type : t.types) {
      std::vector<std::string>& topics = outboxTopics[type];
      const std::string topic = publishTopic(t.name);
      if (std::find(topics.begin(), topics.end(), topic) == topics.end()) topics.push_back(topic);
    }
  }
}

void readRegistries(const core::JsonNode& section, core::Issues& issues,
                    std::vector<RegistryTarget>& out) {
  const core::JsonInput& in = section.input();
  if (!section.isObject()) {
    in.report(issues, section.path(), "must be an object of targets by name");
    return;
  }
  std::vector<RegistryTarget> targets;
  for (const std::string& name : section.keys()) {
    const core::JsonNode v = section.get(name);
    if (!validName(name)) {
      in.report(issues, v.path(),
                "is not a target name (letters, digits, '-' and '_', at most 64)");
      return;
    }
    RegistryTarget t;
    readTarget(name, v, issues, t);
    if (issues.hasErrors()) return;
    targets.push_back(std::move(t));
  }
  out = std::move(targets);
}

}  // namespace trialbridge::service
