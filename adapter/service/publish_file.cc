// The file sink: each change of a study's registry record becomes one file in the target's
// folder, in the target's format, for a registry coordinator to upload. The record is made from
// what the store holds (mapping::recordFromFhir over the study and the resources it refers to);
// a change of another published type remakes the records of every study, and only those that
// changed give a file. Files are named {NCT number or study id}-{n}-{hash}.{ext}, n counting the
// study's files: a replay after a crash writes the same name with the same content.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/json.h"
#include "mapping/registry_ctgov.h"
#include "mapping/registry_fhir.h"
#include "mapping/registry_prs.h"
#include "mapping/registry_who.h"
#include "service/publish_sinks.h"
#include "store/search_query.h"

namespace trialbridge::service {

namespace {

constexpr int kStudyReferenceDepth = 3;  // references followed from the study
constexpr size_t kMaxStudies = 10000;    // studies remade after a change of a shared resource

std::string extensionOf(const std::string& format) {
  return format == "prs-xml" || format == "who-xml" ? ".xml" : ".json";
}

std::string fileKey(const std::string& nct, const std::string& id) {
  std::string key = nct.empty() ? id : nct;
  for (char& c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return key;
}

// How many files the study has had (kept as the state's remoteVersion).
int filesWritten(const store::PublishState& state) {
  return static_cast<int>(std::strtol(state.remoteVersion.c_str(), nullptr, 10));
}

// Writes `text` to `path` durably: a temporary file, fsync, rename, fsync of the folder.
bool writeDurably(const std::filesystem::path& path, const std::string& text, std::string& error) {
  const std::filesystem::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot create " + tmp.string();
    return false;
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool synced = done == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    error = "cannot write " + path.string();
    return false;
  }
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

// A study's registry record in the target's format, and the same record as ClinicalTrials.gov
// JSON (what dry runs compare).
struct Made {
  std::string text, ctgov, key, hash;
};

class FileSink final : public PublishSink {
 public:
  FileSink(store::Store& store, const RegistryTarget& target, std::string localBase)
      : store_(store), target_(target), localBase_(std::move(localBase)) {}

  void beginRun(const std::atomic<bool>* /*stop*/) override {
    done_.clear();
    writes_ = 0;
  }
  size_t writes() const override { return writes_; }

  SinkOutcome publish(const store::OutboxMessage& row) override {
    std::vector<std::string> studies;
    if (row.type == "ResearchStudy") {
      studies.push_back(row.id);
    } else if (SinkOutcome o = allStudies(studies); o.failed()) {
      return o;
    }
    SinkOutcome result = SinkOutcome::unchanged();
    for (const std::string& id : studies) {
      if (!done_.insert(id).second) continue;
      SinkOutcome o = publishStudy(id);
      if (o.failed()) {
        done_.erase(id);
        return o;
      }
      if (o.kind == SinkOutcome::Kind::Sent) result = o;
    }
    return result;
  }

  void plan(const std::vector<store::OutboxMessage>& rows,
            std::vector<PlannedChange>& out) override;

 private:
  SinkOutcome allStudies(std::vector<std::string>& ids);
  SinkOutcome publishStudy(const std::string& id);
  // Made: Unchanged and `made` filled; Unchanged with an empty `made.text`: no study (deleted).
  SinkOutcome make(const std::string& id, Made& made);
  SinkOutcome assemble(const std::string& id, std::string& bundle);
  SinkOutcome search(const std::string& type, const std::string& query,
                     std::vector<store::ResourceVersion>& out);

  store::Store& store_;
  const RegistryTarget& target_;
  std::string localBase_;
  std::set<std::string> done_;  // studies remade in this run
  size_t writes_ = 0;
};

SinkOutcome FileSink::search(const std::string& type, const std::string& query,
                             std::vector<store::ResourceVersion>& out) {
  store::SearchQuery q;
  core::Issues issues;
  store::SearchLimits limits;
  limits.maxCount = kMaxStudies;
  store::parseSearch(store_.registry(), type, store::parseQueryString(query), limits, q, issues);
  if (issues.hasErrors()) return SinkOutcome::refused("cannot search " + type + "?" + query);
  store::SearchResult r;
  if (store::Status st = store_.search(q, r); !st) {
    return SinkOutcome::retry("the store failed: " + st.message(), true);
  }
  out = std::move(r.matches);
  return SinkOutcome::unchanged();
}

SinkOutcome FileSink::allStudies(std::vector<std::string>& ids) {
  std::vector<store::ResourceVersion> found;
  if (SinkOutcome o = search("ResearchStudy", "_count=" + std::to_string(kMaxStudies), found);
      o.failed()) {
    return o;
  }
  for (const store::ResourceVersion& v : found) ids.push_back(v.id);
  return SinkOutcome::unchanged();
}

// The study and what its record is made of, as a collection Bundle: the resources it refers to
// (of the target's types, three references deep) and the PractitionerRoles of its sites.
SinkOutcome FileSink::assemble(const std::string& id, std::string& bundle) {
  std::vector<std::pair<std::string, std::string>> queue = {{"ResearchStudy", id}};
  std::set<std::string> seen = {"ResearchStudy/" + id};
  std::vector<std::string> jsons, sites;
  const auto published = [&](const std::string& type) {
    return std::find(target_.types.begin(), target_.types.end(), type) != target_.types.end();
  };
  for (size_t i = 0, depthEnd = 1, depth = 0; i < queue.size(); ++i) {
    if (i == depthEnd) {
      ++depth;
      depthEnd = queue.size();
    }
    store::ResourceVersion v;
    if (store::Status st = store_.read(queue[i].first, queue[i].second, v); !st) {
      if (store::isDatabaseFailure(st.code())) return SinkOutcome::retry(st.message(), true);
      continue;  // a reference to nothing, or to a deleted resource
    }
    std::string error;
    std::optional<JsonTree> tree = parseJsonTree(v.json, error);
    if (!tree) continue;
    jsons.push_back(std::move(v.json));
    if (queue[i].first == "Location") sites.push_back(queue[i].second);
    if (depth >= kStudyReferenceDepth) continue;
    forEachReference(*tree, [&](std::string& ref) {
      std::string t, rid;
      if (localReference(ref, localBase_, t, rid) && published(t) &&
          seen.insert(t + "/" + rid).second) {
        queue.emplace_back(t, rid);
      }
    });
  }
  if (published("PractitionerRole")) {
    for (const std::string& site : sites) {
      std::vector<store::ResourceVersion> roles;
      if (SinkOutcome o = search("PractitionerRole", "location=Location/" + site, roles);
          o.failed()) {
        return o;
      }
      for (store::ResourceVersion& r : roles) {
        if (seen.insert("PractitionerRole/" + r.id).second) jsons.push_back(std::move(r.json));
      }
    }
  }
  bundle = R"({"resourceType":"Bundle","type":"collection","entry":[)";
  for (size_t i = 0; i < jsons.size(); ++i) {
    bundle += (i > 0 ? ",{\"resource\":" : "{\"resource\":") + jsons[i] + "}";
  }
  bundle += "]}";
  return SinkOutcome::unchanged();
}

SinkOutcome FileSink::make(const std::string& id, Made& made) {
  std::string bundle;
  if (SinkOutcome o = assemble(id, bundle); o.failed()) return o;
  if (bundle.find("\"resourceType\":\"ResearchStudy\"") == std::string::npos) {
    return SinkOutcome::unchanged();  // no such study (deleted): nothing to write
  }
  core::Issues issues;
  std::unique_ptr<core::Document> doc = core::readJson(bundle, store_.types(), issues);
  if (doc == nullptr) return SinkOutcome::refused("the study's resources do not read as FHIR");
  core::Issues recordIssues;
  std::optional<mapping::RegistryRecord> record =
      mapping::recordFromFhir(*doc->root(), recordIssues);
  if (!record) return SinkOutcome::refused("no registry record: no ResearchStudy");
  made.ctgov = mapping::writeCtgovJson(*record);
  if (target_.format == "ctgov-json") {
    made.text = made.ctgov;
  } else if (target_.format == "prs-xml") {
    mapping::PrsOptions options;
    options.orgName = target_.prsOrg;
    options.sections.insert(target_.prsSections.begin(), target_.prsSections.end());
    core::Issues prsIssues;
    made.text = mapping::writePrsXml(*record, options, prsIssues);
    if (made.text.empty()) return SinkOutcome::refused("the PRS upload could not be written");
  } else if (target_.format == "who-json") {
    made.text = mapping::writeWhoJson(*record);
  } else {
    made.text = mapping::writeWhoXml(*record);
  }
  made.key = fileKey(record->nctId, id);
  made.hash = sha256Hex(made.text);
  return SinkOutcome::unchanged();
}

SinkOutcome FileSink::publishStudy(const std::string& id) {
  Made made;
  if (SinkOutcome o = make(id, made); o.failed()) return o;
  if (made.text.empty()) return SinkOutcome::unchanged();
  store::PublishState state;
  if (!store_.readPublishState(target_.name, "ResearchStudy", id, state)) {
    state = {target_.name, "ResearchStudy", id};
  }
  if (state.hash == made.hash && state.pendingHash.empty()) return SinkOutcome::unchanged();
  const int written = filesWritten(state);
  const std::string name = made.key + "-" + std::to_string(written + 1) + "-" +
                           made.hash.substr(0, 12) + extensionOf(target_.format);
  state.pendingHash = made.hash;
  if (store::Status st = store_.savePublishState(state); !st) {
    return SinkOutcome::retry("the store failed: " + st.message(), true);
  }
  std::error_code ec;
  std::filesystem::create_directories(target_.directory, ec);
  std::string error;
  if (!writeDurably(std::filesystem::path(target_.directory) / name, made.text, error)) {
    return SinkOutcome::retry(error, true);
  }
  state.remoteId = name;
  state.remoteVersion = std::to_string(written + 1);
  state.hash = made.hash;
  state.pendingHash.clear();
  state.content = made.ctgov;
  ++writes_;
  if (store::Status st = store_.savePublishState(state); !st) {
    return SinkOutcome::retry("the store failed: " + st.message(), true);
  }
  return SinkOutcome::sent();
}

void FileSink::plan(const std::vector<store::OutboxMessage>& rows,
                    std::vector<PlannedChange>& out) {
  std::vector<std::string> studies;
  bool all = false;
  for (const store::OutboxMessage& row : rows) {
    if (row.type != "ResearchStudy") all = true;
    if (row.type == "ResearchStudy" &&
        std::find(studies.begin(), studies.end(), row.id) == studies.end()) {
      studies.push_back(row.id);
    }
  }
  if (all) {
    studies.clear();
    if (SinkOutcome o = allStudies(studies); o.failed()) {
      out.push_back({"ResearchStudy", "", "none", {}, o.reason});
      return;
    }
  }
  for (const std::string& id : studies) {
    PlannedChange c;
    c.resource = "ResearchStudy/" + id;
    Made made;
    if (SinkOutcome o = make(id, made); o.failed() || made.text.empty()) {
      c.action = "none";
      c.note = o.failed() ? o.reason : "no such study (deleted): nothing is written";
      out.push_back(std::move(c));
      continue;
    }
    store::PublishState state;
    const bool known =
        static_cast<bool>(store_.readPublishState(target_.name, "ResearchStudy", id, state));
    c.remote = known ? state.remoteId : std::string();
    std::string error;
    JsonTree before = JsonTree::object();
    if (auto t = parseJsonTree(known ? state.content : std::string("{}"), error)) before = *t;
    std::optional<JsonTree> after = parseJsonTree(made.ctgov, error);
    if (after) c.changes = diffJson(before, *after);
    if (known && state.hash == made.hash) {
      c.action = "none";
      c.note = "unchanged since " + state.remoteId;
    } else {
      c.action = known ? "update" : "create";
      c.note = "a new file " + made.key + "-" + std::to_string(filesWritten(state) + 1) + "-" +
               made.hash.substr(0, 12) + extensionOf(target_.format);
    }
    out.push_back(std::move(c));
  }
}

}  // namespace

std::unique_ptr<PublishSink> makeFileSink(store::Store& store, const RegistryTarget& target,
                                          std::string localBase) {
  return std::make_unique<FileSink>(store, target, std::move(localBase));
}

}  // namespace trialbridge::service
