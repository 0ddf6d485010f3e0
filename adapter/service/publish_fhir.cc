// The FHIR registry sink: each resource of the target's types is kept as one record at the
// registry, found by identifier the first time (a conditional update) and by the registry's id
// and version after that (an update with If-Match). docs/registries.md, "Publishing", states the
// guarantees this code keeps.
#include <algorithm>
#include <cctype>
#include <set>
#include <thread>

#include "core/type_info.h"
#include "service/publish_sinks.h"
#include "store/search_query.h"

namespace trialbridge::service {

namespace {

constexpr int kReferenceDepth = 4;  // references followed to publish what a resource refers to

struct Identifier {
  std::string system, value;
  std::string query() const {
    return "identifier=" + store::percentEncode(system) + "|" + store::percentEncode(value);
  }
};

// A resource as it will be sent.
struct Prepared {
  JsonTree body;          // without id; with meta.profile/tag/security only
  JsonTree content;       // the body without id and meta: what is compared
  std::string canonical;  // canonical text of `content`
  std::string hash;
  Identifier identifier;
};

// The registry's copy of a record.
struct Remote {
  bool exists = false;
  std::string id, version;
  JsonTree content;
  std::string hash;
};

JsonTree withoutIdAndMeta(const JsonTree& t) {
  JsonTree c = t;
  c.remove("id");
  c.remove("meta");
  return c;
}

// Keeps what a registry should see of meta (profiles, tags, security labels), drops the rest
// (versionId, lastUpdated, source: the registry sets its own).
void trimMeta(JsonTree& body) {
  JsonTree* meta = body.get("meta");
  if (meta == nullptr || !meta->isObject()) return;
  JsonTree kept = JsonTree::object();
  for (const char* name : {"profile", "tag", "security"}) {
    if (const JsonTree* v = meta->get(name)) kept.set(name, *v);
  }
  if (kept.members.empty()) {
    body.remove("meta");
  } else {
    *meta = std::move(kept);
  }
}

// The identifier a record is found by: the official one, else the first with system and value;
// none: {sourceSystem, "Type/id"} is added to the body.
Identifier chooseIdentifier(JsonTree& body, const std::string& type, const std::string& id,
                            const std::string& sourceSystem) {
  const JsonTree* list = body.get("identifier");
  const JsonTree* chosen = nullptr;
  if (list != nullptr && list->isArray()) {
    for (const JsonTree& i : list->items) {
      if (!i.isObject() || i.str("system").empty() || i.str("value").empty()) continue;
      if (chosen == nullptr || (i.str("use") == "official" && chosen->str("use") != "official")) {
        chosen = &i;
      }
    }
  }
  if (chosen != nullptr) return {chosen->str("system"), chosen->str("value")};
  Identifier added{sourceSystem, type + "/" + id};
  JsonTree ident = JsonTree::object();
  ident.set("system", JsonTree::string(added.system));
  ident.set("value", JsonTree::string(added.value));
  JsonTree* existing = body.get("identifier");
  if (existing != nullptr && existing->isArray()) {
    existing->items.push_back(std::move(ident));
  } else {
    JsonTree arr = JsonTree::array();
    arr.items.push_back(std::move(ident));
    body.set("identifier", std::move(arr));
  }
  return added;
}

class FhirSink final : public PublishSink {
 public:
  FhirSink(store::Store& store, const RegistryTarget& target,
           std::unique_ptr<RegistryClient> client, std::string localBase)
      : store_(store),
        target_(target),
        client_(std::move(client)),
        localBase_(std::move(localBase)),
        random_(std::random_device{}()) {}

  void beginRun(const std::atomic<bool>* stop) override {
    stop_ = stop;
    writes_ = 0;
  }
  size_t writes() const override { return writes_; }

  SinkOutcome publish(const store::OutboxMessage& row) override {
    visiting_.clear();
    return publishResource(row.type, row.id, 0);
  }

  void plan(const std::vector<store::OutboxMessage>& rows,
            std::vector<PlannedChange>& out) override;

 private:
  bool published(const std::string& type) const {
    return std::find(target_.types.begin(), target_.types.end(), type) != target_.types.end();
  }
  store::PublishState stateOf(const std::string& type, const std::string& id) const {
    store::PublishState s;
    if (!store_.readPublishState(target_.name, type, id, s)) s = {target_.name, type, id};
    return s;
  }
  SinkOutcome save(const store::PublishState& s) {
    if (store::Status st = store_.savePublishState(s); !st) {
      return SinkOutcome::retry("the store failed: " + st.message(), true);
    }
    return SinkOutcome::sent();
  }

  SinkOutcome publishResource(const std::string& type, const std::string& id, int depth);
  SinkOutcome prepare(const std::string& json, const std::string& type, const std::string& id,
                      int depth, bool dryRun, Prepared& out);
  SinkOutcome withRetries(const std::string& type, const std::string& id, const Prepared& p);
  SinkOutcome attempt(const std::string& type, store::PublishState& state, const Prepared& p,
                      bool& again);
  SinkOutcome afterConflict(const std::string& type, store::PublishState& state, const Prepared& p,
                            bool& again);
  SinkOutcome removeRemote(const std::string& type, const std::string& id);
  SinkOutcome adopt(store::PublishState& state, const Remote& remote, const Prepared& p);
  // Reads the registry's record (by id when known, else by identifier). A failure comes back
  // as an outcome; Unchanged means it was read (remote.exists says whether there is one).
  SinkOutcome fetch(const std::string& type, const std::string& remoteId, const Identifier& ident,
                    Remote& remote);
  static SinkOutcome failure(const RegistryReply& reply, const std::string& what);
  void planOne(const store::OutboxMessage& row, PlannedChange& c);

  store::Store& store_;
  const RegistryTarget& target_;
  std::unique_ptr<RegistryClient> client_;
  std::string localBase_;
  std::mt19937_64 random_;
  const std::atomic<bool>* stop_ = nullptr;
  std::set<std::string> visiting_;  // the resources being published (reference cycles)
  size_t writes_ = 0;
};

SinkOutcome FhirSink::failure(const RegistryReply& reply, const std::string& what) {
  SinkOutcome o = reply.transient() ? SinkOutcome::retry(what + ": " + reply.describe(), true)
                                    : SinkOutcome::refused(what + ": " + reply.describe());
  if (reply.status == 429 || reply.status == 503) {
    o.retryAfterMs = parseRetryAfter(reply.header("retry-after"), epochMillis());
  }
  return o;
}

SinkOutcome FhirSink::publishResource(const std::string& type, const std::string& id, int depth) {
  const std::string key = type + "/" + id;
  if (!visiting_.insert(key).second) return SinkOutcome::unchanged();  // a cycle: as it stands
  store::ResourceVersion v;
  const store::Status st = store_.read(type, id, v);
  if (st.code() == store::Code::NotFound) return SinkOutcome::unchanged();
  if (st.code() == store::Code::Gone) return removeRemote(type, id);
  if (!st) return SinkOutcome::retry("the store failed: " + st.message(), true);
  Prepared p;
  if (SinkOutcome o = prepare(v.json, type, id, depth, false, p); o.failed()) return o;
  const store::PublishState state = stateOf(type, id);
  if (state.hash == p.hash && state.pendingHash.empty() && !state.remoteId.empty()) {
    return SinkOutcome::unchanged();
  }
  return withRetries(type, id, p);
}

SinkOutcome FhirSink::prepare(const std::string& json, const std::string& type,
                              const std::string& id, int depth, bool dryRun, Prepared& out) {
  std::string error;
  std::optional<JsonTree> tree = parseJsonTree(json, error);
  if (!tree || !tree->isObject()) return SinkOutcome::refused("the stored JSON: " + error);
  JsonTree body = std::move(*tree);
  body.remove("id");
  trimMeta(body);
  const core::TypeInfo* info = store_.types().findType(type);
  if (info == nullptr || info->property("identifier") == nullptr) {
    return SinkOutcome::refused(type + " has no identifier to find its record by");
  }
  out.identifier = chooseIdentifier(body, type, id, target_.sourceSystem);
  // References to resources this target publishes point at their records at the registry,
  // which are published first.
  SinkOutcome dependency = SinkOutcome::unchanged();
  forEachReference(body, [&](std::string& ref) {
    std::string rt, rid;
    if (dependency.failed() || !localReference(ref, localBase_, rt, rid) || !published(rt)) return;
    if (!dryRun && depth < kReferenceDepth) {
      SinkOutcome o = publishResource(rt, rid, depth + 1);
      if (o.failed()) {
        o.reason = "refers to " + rt + "/" + rid + ", which failed: " + o.reason;
        dependency = std::move(o);
        return;
      }
    }
    const store::PublishState s = stateOf(rt, rid);
    if (!s.remoteId.empty()) {
      ref = rt + "/" + s.remoteId;
    } else if (dryRun) {
      ref = rt + "/(new record for " + rid + ")";
    }
  });
  if (dependency.failed()) return dependency;
  out.content = withoutIdAndMeta(body);
  out.canonical = writeJsonTree(out.content, true);
  out.hash = sha256Hex(out.canonical);
  out.body = std::move(body);
  return SinkOutcome::unchanged();
}

SinkOutcome FhirSink::withRetries(const std::string& type, const std::string& id,
                                  const Prepared& p) {
  store::PublishState state = stateOf(type, id);
  SinkOutcome last;
  for (int attemptNo = 1; attemptNo <= target_.maxAttempts; ++attemptNo) {
    bool again = false;
    last = attempt(type, state, p, again);
    if (again && attemptNo < target_.maxAttempts) continue;  // re-read, sent again at once
    if (last.kind != SinkOutcome::Kind::Retry || attemptNo == target_.maxAttempts) return last;
    int64_t wait =
        backoffDelay(attemptNo, target_.retryBaseMillis, target_.retryMaxMillis, random_);
    if (last.retryAfterMs) {
      // Retry-After is honoured: waited here when it is short, else by the outbox row.
      if (*last.retryAfterMs > target_.retryMaxMillis) return last;
      wait = *last.retryAfterMs;
    }
    if (!sleepUnlessStopped(wait, stop_)) return last;
  }
  return last;
}

SinkOutcome FhirSink::adopt(store::PublishState& state, const Remote& remote, const Prepared& p) {
  state.remoteId = remote.id;
  state.remoteVersion = remote.version;
  state.hash = p.hash;
  state.pendingHash.clear();
  state.content = p.canonical;
  ++writes_;
  return save(state);
}

SinkOutcome FhirSink::attempt(const std::string& type, store::PublishState& state,
                              const Prepared& p, bool& again) {
  if (!state.pendingHash.empty()) {
    // The answer to an earlier send was lost: what does the registry hold?
    Remote remote;
    if (SinkOutcome o = fetch(type, state.remoteId, p.identifier, remote); o.failed()) return o;
    if (remote.exists && remote.hash == p.hash) return adopt(state, remote, p);
    if (!remote.exists) {
      state.remoteId.clear();
      state.remoteVersion.clear();
    }
  }
  state.pendingHash = p.hash;
  if (SinkOutcome o = save(state); o.failed()) return o;
  RegistryReply reply;
  if (!state.remoteId.empty()) {
    JsonTree body = p.body;
    body.members.insert(body.members.begin() + 1, {"id", JsonTree::string(state.remoteId)});
    std::vector<std::pair<std::string, std::string>> headers;
    if (!state.remoteVersion.empty())
      headers.emplace_back("If-Match", "W/\"" + state.remoteVersion + "\"");
    reply = client_->send("PUT", "/" + type + "/" + state.remoteId, writeJsonTree(body), headers);
  } else {
    reply = client_->send("PUT", "/" + type + "?" + p.identifier.query(), writeJsonTree(p.body));
  }
  if (reply.ok()) {
    std::string error;
    std::optional<JsonTree> answer = parseJsonTree(reply.body, error);
    Remote remote;
    remote.exists = true;
    remote.id = answer ? answer->str("id") : std::string();
    if (answer && answer->get("meta") != nullptr)
      remote.version = answer->get("meta")->str("versionId");
    if (remote.version.empty()) remote.version = etagVersion(reply.header("etag"));
    if (remote.id.empty()) {
      // No body (return=minimal): the Location header names the record.
      std::string loc = reply.header("location");
      if (const size_t h = loc.find("/_history/"); h != std::string::npos) loc.resize(h);
      const size_t slash = loc.rfind('/');
      remote.id = slash == std::string::npos ? state.remoteId : loc.substr(slash + 1);
    }
    if (remote.id.empty()) return SinkOutcome::refused("the registry's answer names no record");
    return adopt(state, remote, p);
  }
  if (reply.status == 412) return afterConflict(type, state, p, again);
  if ((reply.status == 404 || reply.status == 410) && !state.remoteId.empty()) {
    // The record was removed at the registry: found (or made) again by identifier.
    state.remoteId.clear();
    state.remoteVersion.clear();
    again = true;
    return save(state);
  }
  return failure(reply, "PUT " + type);
}

SinkOutcome FhirSink::afterConflict(const std::string& type, store::PublishState& state,
                                    const Prepared& p, bool& again) {
  if (state.remoteId.empty()) {
    return SinkOutcome::refused("several records at the registry have the identifier " +
                                p.identifier.system + "|" + p.identifier.value);
  }
  Remote remote;
  if (SinkOutcome o = fetch(type, state.remoteId, p.identifier, remote); o.failed()) return o;
  if (remote.exists && remote.hash == p.hash) return adopt(state, remote, p);
  if (remote.exists && remote.hash == state.hash) {
    // Only the version moved (our own answer-lost send of the same content): send again on it.
    state.remoteVersion = remote.version;
    again = true;
    return save(state);
  }
  return SinkOutcome::refused("the registry's record " + type + "/" + state.remoteId +
                              " was changed by someone else since version " + state.remoteVersion +
                              " (now " + remote.version + "): not overwritten");
}

SinkOutcome FhirSink::removeRemote(const std::string& type, const std::string& id) {
  store::PublishState state = stateOf(type, id);
  if (state.remoteId.empty()) return SinkOutcome::unchanged();
  std::vector<std::pair<std::string, std::string>> headers;
  if (!state.remoteVersion.empty())
    headers.emplace_back("If-Match", "W/\"" + state.remoteVersion + "\"");
  RegistryReply reply = client_->send("DELETE", "/" + type + "/" + state.remoteId, {}, headers);
  if (!reply.ok() && reply.status != 404 && reply.status != 410) {
    return failure(reply, "DELETE " + type + "/" + state.remoteId);
  }
  state.remoteId.clear();
  state.remoteVersion.clear();
  state.hash.clear();
  state.pendingHash.clear();
  state.content.clear();
  ++writes_;
  return save(state);
}

SinkOutcome FhirSink::fetch(const std::string& type, const std::string& remoteId,
                            const Identifier& ident, Remote& remote) {
  const bool byId = !remoteId.empty();
  RegistryReply reply =
      client_->send("GET", "/" + type + (byId ? "/" + remoteId : "?" + ident.query()));
  if (byId && (reply.status == 404 || reply.status == 410)) return SinkOutcome::unchanged();
  if (!reply.ok()) return failure(reply, "GET " + type);
  std::string error;
  std::optional<JsonTree> answer = parseJsonTree(reply.body, error);
  if (!answer || !answer->isObject()) return SinkOutcome::retry("GET " + type + ": " + error);
  const JsonTree* record = &*answer;
  if (!byId) {
    std::vector<const JsonTree*> found;
    if (const JsonTree* entries = answer->get("entry"); entries != nullptr && entries->isArray()) {
      for (const JsonTree& e : entries->items) {
        const JsonTree* r = e.get("resource");
        if (r != nullptr && r->str("resourceType") == type) found.push_back(r);
      }
    }
    if (found.size() > 1) {
      return SinkOutcome::refused("several records at the registry have the identifier " +
                                  ident.system + "|" + ident.value);
    }
    if (found.empty()) return SinkOutcome::unchanged();
    record = found[0];
  }
  remote.exists = true;
  remote.id = record->str("id");
  if (const JsonTree* meta = record->get("meta")) remote.version = meta->str("versionId");
  if (remote.version.empty() && byId) remote.version = etagVersion(reply.header("etag"));
  remote.content = withoutIdAndMeta(*record);
  remote.hash = sha256Hex(writeJsonTree(remote.content, true));
  return SinkOutcome::unchanged();
}

void FhirSink::plan(const std::vector<store::OutboxMessage>& rows,
                    std::vector<PlannedChange>& out) {
  std::set<std::string> seen;
  for (const store::OutboxMessage& row : rows) {
    if (!seen.insert(row.type + "/" + row.id).second) continue;
    PlannedChange c;
    c.resource = row.type + "/" + row.id;
    planOne(row, c);
    out.push_back(std::move(c));
  }
}

void FhirSink::planOne(const store::OutboxMessage& row, PlannedChange& c) {
  const store::PublishState state = stateOf(row.type, row.id);
  if (!state.remoteId.empty())
    c.remote = row.type + "/" + state.remoteId + " version " + state.remoteVersion;
  store::ResourceVersion v;
  const store::Status st = store_.read(row.type, row.id, v);
  if (st.code() == store::Code::Gone || st.code() == store::Code::NotFound) {
    c.action = state.remoteId.empty() ? "none" : "delete";
    if (state.remoteId.empty()) c.note = "deleted here, never published";
    return;
  }
  Prepared p;
  if (SinkOutcome o = prepare(v.json, row.type, row.id, 0, true, p); o.failed() || !st) {
    c.action = "none";
    c.note = !st ? "the store failed: " + st.message() : o.reason;
    return;
  }
  if (state.hash == p.hash && state.pendingHash.empty() && !state.remoteId.empty()) {
    c.action = "none";
    c.note = "unchanged since it was last sent";
    return;
  }
  Remote remote;
  JsonTree before = JsonTree::object();
  if (SinkOutcome o = fetch(row.type, state.remoteId, p.identifier, remote); o.failed()) {
    c.note = "the registry's record could not be read (" + o.reason +
             "); compared with what was last sent";
    std::string error;
    if (auto t = parseJsonTree(state.content, error)) before = std::move(*t);
    c.action = state.remoteId.empty() ? "create" : "update";
  } else if (remote.exists) {
    before = remote.content;
    c.remote = row.type + "/" + remote.id + " version " + remote.version;
    c.action = "update";
  } else {
    c.action = "create";
  }
  c.changes = diffJson(before, p.content);
  if (c.action == "update" && c.changes.empty()) {
    c.action = "none";
    c.note = "the registry holds this content already";
  }
}

}  // namespace

bool localReference(const std::string& reference, const std::string& localBase, std::string& type,
                    std::string& id) {
  std::string_view r = reference;
  if (!localBase.empty() && r.size() > localBase.size() + 1 && r.rfind(localBase, 0) == 0 &&
      r[localBase.size()] == '/') {
    r.remove_prefix(localBase.size() + 1);
  }
  if (const size_t h = r.find("/_history/"); h != std::string_view::npos) r = r.substr(0, h);
  const size_t slash = r.find('/');
  if (slash == std::string_view::npos || slash == 0 || r.find('/', slash + 1) != r.npos) {
    return false;
  }
  const std::string_view t = r.substr(0, slash), i = r.substr(slash + 1);
  if (t[0] < 'A' || t[0] > 'Z' || !store::isValidId(i)) return false;
  for (const char ch : t) {
    if (!std::isalpha(static_cast<unsigned char>(ch))) return false;
  }
  type = std::string(t);
  id = std::string(i);
  return true;
}

bool sleepUnlessStopped(int64_t ms, const std::atomic<bool>* stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (stop != nullptr && stop->load()) return false;
    const auto left = until - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
  return stop == nullptr || !stop->load();
}

std::unique_ptr<PublishSink> makeFhirSink(store::Store& store, const RegistryTarget& target,
                                          std::unique_ptr<RegistryClient> client,
                                          std::string localBase) {
  return std::make_unique<FhirSink>(store, target, std::move(client), std::move(localBase));
}

}  // namespace trialbridge::service
