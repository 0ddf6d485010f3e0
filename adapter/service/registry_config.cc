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

using Reader = core::JsonObjectReader;

void readFhir(Reader& s, RegistryTarget& t) {
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
  if (s.hasErrors()) return;
  if (!s.given("url")) {
    s.error("needs 'url' (the registry's FHIR base, http:// or https://)");
  } else if (t.url.rfind("http://", 0) != 0 && t.url.rfind("https://", 0) != 0) {
    s.error("url", "must be the registry's FHIR base (http:// or https://)");
  }
  while (!t.url.empty() && t.url.back() == '/') t.url.pop_back();
  if (t.retryMaxMillis < t.retryBaseMillis) {
    s.error("retryMaxMillis", "must not be less than 'retryBaseMillis'");
  }
  if (t.sourceSystem.empty()) s.error("sourceSystem", "must not be empty");
}

void readFile(Reader& s, RegistryTarget& t) {
  s.str("directory", t.directory);
  s.str("format", t.format);
  s.str("prsOrg", t.prsOrg);
  s.strings("prsSections", t.prsSections);
  if (s.hasErrors()) return;
  if (t.directory.empty()) s.error("needs 'directory' (the folder the files are written to)");
  const std::vector<std::string> formats = registryFormats();
  if (std::find(formats.begin(), formats.end(), t.format) == formats.end()) {
    s.error("format", "must be one of \"ctgov-json\", \"prs-xml\", \"who-json\", \"who-xml\"");
  }
  const std::vector<std::string>& sections = mapping::prsSections();
  for (const std::string& section : t.prsSections) {
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
      s.error("prsSections", "has '" + section + "', which is not a PRS section");
      return;
    }
  }
}

void readTarget(const std::string& name, Reader& s, RegistryTarget& t) {
  t.name = name;
  std::string kind = "fhir";
  s.str("kind", kind);
  s.strings("types", t.types);
  s.integer("intervalSeconds", t.intervalSeconds, 0, 86400 * 7);
  s.integer("batch", t.batch, 1, 10000);
  if (kind == "fhir") {
    t.kind = TargetKind::Fhir;
    readFhir(s, t);
  } else if (kind == "file") {
    t.kind = TargetKind::File;
    readFile(s, t);
  } else {
    s.error("kind", "must be \"fhir\" or \"file\"");
    return;
  }
  s.noOthers("setting");
  const core::TypeResolver& types = conformance::Context::r4();
  for (const std::string& type : t.types) {
    if (!store::isResourceType(types, type)) {
      s.error("types", "has '" + type + "', which is not an R4 resource type");
      break;
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

void readRegistries(core::JsonObjectReader& section, std::vector<RegistryTarget>& out) {
  std::vector<RegistryTarget> targets;
  for (const std::string& name : section.keys()) {
    core::JsonObjectReader s = section.section(name);
    if (!validName(name)) {
      s.error("is not a target name (letters, digits, '-' and '_', at most 64)");
      return;
    }
    RegistryTarget t;
    readTarget(name, s, t);
    if (s.hasErrors()) return;
    targets.push_back(std::move(t));
  }
  out = std::move(targets);
}

}  // namespace trialbridge::service
