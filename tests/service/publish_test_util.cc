#include "publish_test_util.h"

#include <fstream>
#include <sstream>

#include "study/trial_reader.h"

namespace trialbridge::testing {

using service::JsonTree;

std::string loadReferenceTrial(service::Service& service) {
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/samples/trials/NCT06813157.json");
  std::stringstream ss;
  ss << in.rdbuf();
  core::Issues issues;
  auto trial = study::readTrial(ss.str(), issues);
  if (!trial) return "the trial does not read";
  const service::TrialLoad load = service.loadTrial(*trial, {});
  if (!load.ok()) {
    std::string why = std::string(pipeline::statusName(load.status));
    for (const core::Issue& i : load.issues.items()) why += "; " + i.location + ": " + i.message;
    return why;
  }
  return {};
}

Registry registryAt(const std::string& base) {
  const size_t host = base.find("://") + 3;
  const size_t path = base.find('/', host);
  const std::string hostPort = base.substr(host, path - host);
  const size_t colon = hostPort.rfind(':');
  return {Client(hostPort.substr(0, colon), std::stoi(hostPort.substr(colon + 1)),
                 base.rfind("https", 0) == 0),
          base.substr(path)};
}

std::string statusValue(const std::string& parameters, const std::string& name) {
  std::string error;
  auto p = service::parseJsonTree(parameters, error);
  if (!p) return {};
  const JsonTree* list = p->get("parameter");
  if (list == nullptr || list->items.empty()) return {};
  const JsonTree* parts = list->items[0].get("part");
  if (parts == nullptr) return {};
  for (const JsonTree& part : parts->items) {
    if (part.str("name") != name) continue;
    for (const auto& [key, value] : part.members) {
      if (key.rfind("value", 0) == 0) return value.text;
    }
    return "part";
  }
  return {};
}

std::vector<JsonTree> entries(const std::string& bundleJson) {
  std::vector<JsonTree> out;
  std::string error;
  auto bundle = service::parseJsonTree(bundleJson, error);
  if (!bundle) return out;
  if (const JsonTree* list = bundle->get("entry"); list != nullptr && list->isArray()) {
    for (const JsonTree& e : list->items) {
      if (const JsonTree* r = e.get("resource")) out.push_back(*r);
    }
  }
  return out;
}

namespace {

// Every resource of a search, over its pages: each "next" link is followed on `client` by the
// path it names under `base` ("/fhir"), so that a type with more records than a page holds is
// compared whole. A full page without a "next" link (the Medplum peer gives none) is followed
// by `_offset`, until a page comes back empty.
std::vector<JsonTree> allEntries(const Client& client, const std::string& base,
                                 const std::string& first) {
  std::vector<JsonTree> out;
  std::string next = first;
  for (int page = 0; !next.empty() && page < 1000; ++page) {
    const std::string body = client.get(next).body;
    std::vector<JsonTree> found = entries(body);
    const bool full = found.size() >= 1000;  // the _count asked for
    for (JsonTree& r : found) out.push_back(std::move(r));
    next = full ? first + "&_offset=" + std::to_string(out.size()) : std::string();
    std::string error;
    auto bundle = service::parseJsonTree(body, error);
    const JsonTree* links = bundle ? bundle->get("link") : nullptr;
    if (links == nullptr || !links->isArray()) continue;
    for (const JsonTree& l : links->items) {
      if (l.str("relation") != "next") continue;
      const std::string url = l.str("url");
      const size_t at = url.find(base + "/");
      if (at != std::string::npos) next = url.substr(at);  // the server's own link first
    }
  }
  return out;
}

std::pair<std::string, std::string> identifierOf(const JsonTree& r, const std::string& type,
                                                 const std::string& sourceSystem) {
  std::pair<std::string, std::string> chosen;
  if (const JsonTree* list = r.get("identifier"); list != nullptr && list->isArray()) {
    for (const JsonTree& i : list->items) {
      if (i.str("system").empty() || i.str("value").empty()) continue;
      if (chosen.first.empty() || i.str("use") == "official") {
        if (!chosen.first.empty() && i.str("use") != "official") continue;
        chosen = {i.str("system"), i.str("value")};
      }
    }
  }
  if (chosen.first.empty()) chosen = {sourceSystem, type + "/" + r.str("id")};
  return chosen;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == '/' || c == '|') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Mirror checkMirror(const Client& local, const Registry& registry,
                   const std::vector<std::string>& types, const std::string& sourceSystem) {
  Mirror m;
  std::map<std::string, std::string> toLocal;  // registry "Type/id" -> local "Type/id"
  struct Pair {
    JsonTree local, remote;
    bool added;  // the registry's copy carries the source identifier
  };
  std::vector<Pair> pairs;
  for (const std::string& type : types) {
    const std::vector<JsonTree> mine = allEntries(local, "/fhir", "/fhir/" + type + "?_count=1000");
    const std::vector<JsonTree> theirs =
        allEntries(registry.client, registry.path, registry.path + "/" + type + "?_count=1000");
    if (mine.size() != theirs.size()) {
      m.problems += type + ": " + std::to_string(mine.size()) + " here, " +
                    std::to_string(theirs.size()) + " at the registry\n";
    }
    for (const JsonTree& r : mine) {
      const auto [system, value] = identifierOf(r, type, sourceSystem);
      const std::vector<JsonTree> found =
          entries(registry.client
                      .get(registry.path + "/" + type + "?identifier=" + escape(system) + "%7C" +
                           escape(value))
                      .body);
      const std::string key = type + "/" + r.str("id");
      if (found.size() != 1) {
        m.problems += key + ": " + std::to_string(found.size()) + " records at the registry\n";
        continue;
      }
      toLocal[type + "/" + found[0].str("id")] = key;
      m.versions[key] =
          entries(registry.client
                      .get(registry.path + "/" + type + "/" + found[0].str("id") + "/_history")
                      .body)
              .size();
      pairs.push_back({r, found[0], system == sourceSystem});
    }
  }
  for (Pair& p : pairs) {
    JsonTree want = p.local, got = p.remote;
    const std::string key = std::string(want.str("resourceType")) + "/" + want.str("id");
    for (JsonTree* t : {&want, &got}) {
      t->remove("id");
      t->remove("meta");
    }
    service::forEachReference(got, [&](std::string& ref) {
      if (auto it = toLocal.find(ref); it != toLocal.end()) ref = it->second;
    });
    if (p.added) {
      JsonTree* ids = got.get("identifier");
      if (ids != nullptr && !ids->items.empty()) ids->items.pop_back();
      if (ids != nullptr && ids->items.empty()) got.remove("identifier");
    }
    ++m.records;
    const auto diff = service::diffJson(want, got, 3);
    for (const service::FieldChange& c : diff) {
      m.problems +=
          key + ": " + c.path + " is " + c.after + " at the registry, " + c.before + " here\n";
    }
  }
  return m;
}

}  // namespace trialbridge::testing
