// The store unit of a change: everything between "checked and validated" and "durable" happens
// here, on the store's writer thread, inside one transaction.
#include <algorithm>
#include <map>

#include "pipeline/steps.h"

namespace trialbridge::pipeline::detail {

using core::IssueType;
using core::Severity;

namespace {

store::Status error(store::Code code, std::string message) {
  return store::Status::error(code, std::move(message));
}

// Calls f(element) for every Reference.reference element of the tree.
template <typename F>
void forEachReference(core::Element* e, F&& f) {
  if (e->type().name == "Reference") {
    for (core::Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
      if (c->name() == "reference" && c->hasValue()) f(c);
    }
  }
  for (core::Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
    forEachReference(c, f);
  }
}

// The id of the one live resource `query` matches, into `id` ("" when none); PreconditionFailed
// with `tooMany` when more match.
store::Status matchAtMostOne(store::WriteContext& ctx, const store::SearchQuery& query,
                             const std::string& tooMany, std::string& id) {
  id.clear();
  std::vector<std::string> ids;
  if (store::Status s = ctx.match(query, 2, ids); !s) return s;
  if (ids.size() > 1) return error(store::Code::PreconditionFailed, tooMany);
  if (ids.size() == 1) id = std::move(ids[0]);
  return store::Status::ok();
}

void fillFrom(EntryResult& e, const store::WriteResult& w) {
  e.id = w.id;
  e.version = w.version;
  e.lastUpdated = w.lastUpdated;
  e.json = w.json;
}

// Appends `field` so that no two sequences of fields give the same text: its length, ':', it.
void appendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

}  // namespace

std::string criteriaKey(const store::SearchQuery& query) {
  std::vector<std::string> criteria;
  for (const store::Criterion& c : query.criteria) {
    std::vector<std::string> values;
    for (const store::SearchValue& v : c.values) {
      std::string text;
      appendField(text, std::to_string(static_cast<int>(v.prefix)));
      appendField(text, v.text);
      appendField(text, v.hasSystem ? v.system + "|" + v.code : v.code);
      appendField(text, v.refType + "/" + v.refId);
      appendField(text, v.missing ? "m" : "");
      values.push_back(std::move(text));
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    std::string text;
    appendField(text, c.name);
    appendField(text, std::to_string(static_cast<int>(c.modifier)));
    appendField(text, c.typeModifier);
    appendField(text, c.chained != nullptr ? c.chained->code : "");
    for (const std::string& v : values) appendField(text, v);
    criteria.push_back(std::move(text));
  }
  std::sort(criteria.begin(), criteria.end());
  criteria.erase(std::unique(criteria.begin(), criteria.end()), criteria.end());
  std::string key;
  for (const std::string& c : criteria) appendField(key, c);
  return key;
}

namespace {

class Unit {
 public:
  Unit(store::WriteContext& ctx, std::vector<Step*>& steps, const Settings& s, UnitState& state)
      : ctx_(ctx), steps_(steps), s_(s), state_(state) {}

  store::Status run() {
    if (store::Status r = lockConditions(); !r) return r;
    for (Step* st : steps_) {
      if (st->method != "DELETE") continue;
      if (store::Status r = remove(*st); !r) return fail(*st, r);
    }
    for (Step* st : steps_) {
      if (st->method != "POST" && st->method != "PUT") continue;
      if (store::Status r = assignId(*st); !r) return fail(*st, r);
    }
    if (s_.rewriteReferences) {
      for (Step* st : steps_) {
        if (st->doc == nullptr || st->result.outcome == Outcome::Matched) continue;
        if (store::Status r = rewriteReferences(*st); !r) return fail(*st, r);
      }
    }
    for (const char* method : {"POST", "PUT"}) {
      for (Step* st : steps_) {
        if (st->method != method || st->result.outcome == Outcome::Matched) continue;
        if (store::Status r = put(*st); !r) return fail(*st, r);
      }
    }
    return finish();
  }

 private:
  // Conditional creates, updates and deletes serialize on their criteria across writers and
  // nodes (WriteContext::lockCriteria), so that two with the same criteria cannot both find
  // nothing and both create. First in the unit, before anything changes (after a deadlock the
  // store runs the unit again from the start), and in one order (fewer deadlocks).
  store::Status lockConditions() {
    std::vector<std::pair<std::string, std::string>> keys;
    for (const Step* st : steps_) {
      if (st->condition) keys.emplace_back(st->type, criteriaKey(*st->condition));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto& [type, key] : keys) {
      if (store::Status s = ctx_.lockCriteria(type, key); !s) return s;
    }
    return store::Status::ok();
  }

  store::Status fail(Step& st, store::Status s) {
    state_.failed = &st;
    return s;
  }

  store::Status remove(Step& st) {
    std::string id = st.id;
    if (st.condition) {
      if (store::Status s = matchAtMostOne(ctx_, *st.condition, st.tooMany, id); !s) return s;
      if (id.empty()) {
        st.result.outcome = Outcome::NoOp;
        return store::Status::ok();
      }
    }
    st.result.id = id;
    store::ResourceVersion current;
    if (store::Status s = ctx_.current(st.type, id, current); !s) {
      return s.code() == store::Code::NotFound
                 ? error(store::Code::NotFound, st.type + "/" + id + " not found")
                 : s;
    }
    store::WriteResult w;
    if (current.deleted()) {
      // Nothing to delete: the deletion is the current version.
      st.result.outcome = Outcome::NoOp;
      st.result.version = current.version;
      st.result.lastUpdated = current.lastUpdated;
      st.wrote = true;  // audited as a delete, as the client asked for one
      return store::Status::ok();
    }
    store::PutOptions o;
    o.ifMatch = st.ifMatch;
    if (store::Status s = ctx_.remove(st.type, id, o, w); !s) return s;
    fillFrom(st.result, w);
    st.result.outcome = Outcome::Deleted;
    st.result.outbox = outboxOf(st.type);
    st.wrote = true;
    return store::Status::ok();
  }

  // The id a POST or PUT writes: the url's, the condition's match, the body's (PUT) or a new one.
  store::Status assignId(Step& st) {
    std::string id;
    const std::string bodyId = childText(*st.doc->root(), "id");
    if (st.method == "PUT" && !st.id.empty()) {
      id = st.id;
    } else if (st.condition) {
      if (store::Status s = matchAtMostOne(ctx_, *st.condition, st.tooMany, id); !s) return s;
      if (!id.empty() && st.method == "POST") return matched(st, id);
      if (!id.empty() && !bodyId.empty() && bodyId != id) {
        return error(store::Code::Invalid,
                     "the resource id '" + bodyId + "' differs from the match '" + id + "'");
      }
    }
    if (id.empty()) {
      if (st.prepared) {
        id = st.id;  // chosen when it was prepared
      } else {
        id = st.method == "PUT" && store::isValidId(bodyId) ? bodyId : store::newId();
      }
    }
    if (!st.prepared) setId(*st.doc, id);
    st.id = id;
    if (s_.rewriteReferences) {
      const std::string local = st.type + "/" + id;
      if (!st.fullUrl.empty()) idFor_[st.fullUrl] = local;
      if (!s_.options.baseUrl.empty()) idFor_[s_.options.baseUrl + "/" + local] = local;
    }
    return store::Status::ok();
  }

  // A conditional create found `id`: nothing is written; the result is the current version.
  store::Status matched(Step& st, const std::string& id) {
    store::ResourceVersion v;
    if (store::Status s = ctx_.current(st.type, id, v); !s) return s;
    st.id = id;
    st.result.outcome = Outcome::Matched;
    st.result.id = id;
    st.result.version = v.version;
    st.result.lastUpdated = v.lastUpdated;
    st.result.json = std::move(v.json);
    if (s_.rewriteReferences && !st.fullUrl.empty()) idFor_[st.fullUrl] = st.type + "/" + id;
    return store::Status::ok();
  }

  store::Status rewriteReferences(Step& st) {
    store::Status bad;
    forEachReference(st.doc->root(), [&](core::Element* ref) {
      if (!bad.isOk()) return;
      const std::string value(ref->value());
      if (auto it = idFor_.find(value); it != idFor_.end()) {
        st.doc->setValue(ref, it->second);
        return;
      }
      const size_t qm = value.find('?');
      if (qm == std::string::npos || qm == 0) return;
      std::string id;
      bad = resolveConditional(value, qm, id);
      if (bad.isOk()) st.doc->setValue(ref, value.substr(0, qm) + "/" + id);
    });
    return bad;
  }

  // A conditional reference (Type?criteria) must match exactly one resource.
  store::Status resolveConditional(const std::string& value, size_t qm, std::string& id) {
    const std::string type = value.substr(0, qm);
    const store::Store& store = s_.pipeline.store();
    store::SearchQuery q;
    core::Issues issues;
    store::parseSearch(store.registry(), type, store::parseQueryString(value.substr(qm + 1)),
                       s_.pipeline.config().searchLimits, q, issues);
    if (!store::isResourceType(store.types(), type) || issues.hasErrors() || q.criteria.empty()) {
      return error(store::Code::Invalid, "bad conditional reference '" + value + "'");
    }
    std::vector<std::string> ids;
    if (store::Status s = ctx_.match(q, 2, ids); !s) return s;
    if (ids.size() != 1) {
      return error(store::Code::PreconditionFailed, "the conditional reference '" + value +
                                                        "' matches " + std::to_string(ids.size()) +
                                                        " resources, not one");
    }
    id = std::move(ids[0]);
    return store::Status::ok();
  }

  store::Status put(Step& st) {
    store::PutOptions o;
    o.mustNotExist = st.method == "POST" && !st.prepared;
    o.ifMatch = st.ifMatch;
    if (st.indexed) o.index = &st.indexRows;
    if (st.prepared) o.prepared = &*st.prepared;
    store::WriteResult w;
    if (store::Status s = ctx_.put(*st.doc, o, w); !s) return s;
    fillFrom(st.result, w);
    st.result.outcome = w.created ? Outcome::Created : Outcome::Updated;
    st.result.outbox = outboxOf(st.type);
    st.wrote = true;
    return store::Status::ok();
  }

  std::vector<std::string> outboxOf(const std::string& type) const {
    return s_.pipeline.store().outboxTopics(type);
  }

  // The audit rows of the writes (and of a conditional create's match, a read), then the key
  // with the results.
  store::Status finish() {
    const AuditPolicy* policy = s_.pipeline.config().audit;
    std::vector<store::AuditEntry> rows;
    for (Step* st : steps_) {
      if (policy == nullptr || !policy->covers(st->type)) continue;
      if (!st->presetAudit.empty() && st->result.outcome == Outcome::Created) {
        for (auto& row : st->presetAudit) rows.push_back(std::move(row));
        continue;
      }
      AuditRecord r;
      switch (st->result.outcome) {
        case Outcome::Created: r.interaction = "create", r.action = 'C'; break;
        case Outcome::Updated: r.interaction = "update", r.action = 'U'; break;
        case Outcome::Deleted: r.interaction = "delete", r.action = 'D'; break;
        case Outcome::Matched: r.interaction = "read", r.action = 'R'; break;
        case Outcome::NoOp:
          if (!st->wrote) continue;
          r.interaction = "delete", r.action = 'D';
          break;
        default: continue;
      }
      r.agentId = s_.options.actor.clientId;
      r.address = s_.options.actor.address;
      r.entityType = st->type;
      r.entityId = st->result.id;
      r.entityVersion = st->result.version;
      rows.push_back(auditEntry(r));
    }
    if (!rows.empty()) {
      if (store::Status s = ctx_.audit(rows); !s) return s;
    }
    if (s_.key.empty()) return store::Status::ok();
    store::IdempotencyRecord record;
    record.key = s_.key;
    for (const Step* st : steps_) {
      if (st->result.id.empty()) continue;
      record.type = st->type;
      record.id = st->result.id;
      record.version = st->result.version;
      break;
    }
    record.fingerprint = s_.fingerprint;
    record.result = encodeResults(steps_);
    store::Status saved = ctx_.saveKey(record);
    // findKey found nothing at the start of the unit: another unit took the key since.
    if (saved.code() == store::Code::Conflict) state_.keyTaken = true;
    return saved;
  }

  store::WriteContext& ctx_;
  std::vector<Step*>& steps_;
  const Settings& s_;
  UnitState& state_;
  std::map<std::string, std::string> idFor_;  // fullUrl -> Type/id
};

}  // namespace

std::string childText(const core::Element& e, std::string_view name) {
  const core::Element* c = e.child(name);
  return c != nullptr && c->hasValue() ? std::string(c->value()) : std::string();
}

void setId(core::Document& doc, std::string_view id) {
  core::Element* root = doc.root();
  for (core::Element* c = root->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() == "id") {
      doc.setValue(c, id);
      return;
    }
  }
  doc.addPrimitive(root, "id", id);
}

Status statusOf(store::Code code) {
  switch (code) {
    case store::Code::Ok: return Status::Ok;
    case store::Code::NotFound: return Status::NotFound;
    case store::Code::Gone: return Status::Gone;
    case store::Code::Conflict: return Status::Conflict;
    case store::Code::PreconditionFailed: return Status::PreconditionFailed;
    case store::Code::Invalid: return Status::Invalid;
    case store::Code::Internal: return Status::Internal;
    case store::Code::Unavailable: return Status::Unavailable;
  }
  return Status::Internal;
}

store::Status runSteps(store::WriteContext& ctx, std::vector<Step*>& steps, const Settings& s,
                       UnitState& state) {
  return Unit(ctx, steps, s, state).run();
}

store::Status runUnit(store::WriteContext& ctx, std::vector<Step*>& steps, const Settings& s,
                      UnitState& state) {
  state = UnitState();
  if (!s.key.empty()) {
    store::IdempotencyRecord record;
    const store::Status found = ctx.findKey(s.key, record);
    if (found) {
      if (record.fingerprint != s.fingerprint) {
        return error(store::Code::Conflict,
                     "the idempotency key '" + s.key + "' was used for another change");
      }
      if (!decodeResults(record.result, steps)) {
        return error(store::Code::Internal,
                     "the result kept with the idempotency key '" + s.key + "' is unreadable");
      }
      state.replayed = true;
      return store::Status::ok();
    }
    if (found.code() != store::Code::NotFound) return found;
  }
  return Unit(ctx, steps, s, state).run();
}

Result refuse(Step& step, Status status, core::Issues issues) {
  Result r;
  r.status = status;
  r.issues = std::move(issues);
  step.result.status = status;
  step.result.outcome = Outcome::None;
  r.entries.push_back(std::move(step.result));
  return r;
}

namespace {

// The audit record of a change that failed in its unit (whose rows were rolled back with it).
void recordFailure(const Settings& s, const std::vector<Step*>& steps, const store::Status& st) {
  const Config& config = s.pipeline.config();
  if (!config.recordFailure || config.audit == nullptr) return;
  AuditRecord r;
  r.outcome = store::isDatabaseFailure(st.code()) ? '8' : '4';
  r.agentId = s.options.actor.clientId;
  r.address = s.options.actor.address;
  if (steps.size() != 1 || s.rewriteReferences) {
    r.interaction = "transaction";
    r.action = 'E';
    r.entityType = "Bundle";
  } else {
    const Step& step = *steps[0];
    const bool remove = step.method == "DELETE";
    r.interaction = remove ? "delete" : (step.method == "POST" ? "create" : "update");
    r.action = remove ? 'D' : (step.method == "POST" ? 'C' : 'U');
    r.entityType = step.type;
    if (step.condition && step.method != "POST") {
      r.query = step.query;
    } else if (step.method != "POST") {
      r.entityId = step.id;
    }
  }
  if (config.audit->covers(r.entityType)) config.recordFailure(std::move(r));
}

}  // namespace

void execute(const Settings& s, std::vector<Step*>& steps, Result& result,
             std::string_view failurePrefix) {
  store::Store& store = s.pipeline.store();
  UnitState state;
  store::Status st =
      store.write([&](store::WriteContext& ctx) { return runUnit(ctx, steps, s, state); });
  if (!st && state.keyTaken) {
    // A change with the same key committed while this one ran (several writers or nodes on
    // PostgreSQL: the key's insert waited for it): run again, which replays its result.
    st = store.write([&](store::WriteContext& ctx) { return runUnit(ctx, steps, s, state); });
  }
  Step* failed = state.failed;
  const bool replayed = state.replayed;
  if (!st) {
    result.status = statusOf(st.code());
    const IssueType code = store::isDatabaseFailure(st.code())  ? IssueType::Exception
                           : st.code() == store::Code::NotFound ? IssueType::NotFound
                           : st.code() == store::Code::Gone     ? IssueType::NotFound
                           : st.code() == store::Code::Invalid  ? IssueType::Invalid
                                                                : IssueType::Conflict;
    result.issues.add(Severity::Error, code, std::string(failurePrefix) + st.message(),
                      failed != nullptr ? failed->location : std::string());
    for (Step* step : steps) {
      step->result.status = result.status;
      step->result.outcome = Outcome::None;
      step->result.outbox.clear();
      step->wrote = false;
    }
    recordFailure(s, steps, st);
    return;
  }
  result.replayed = replayed;
  for (Step* step : steps) {
    EntryResult& e = step->result;
    if (replayed) {
      if (e.outcome == Outcome::Created || e.outcome == Outcome::Updated ||
          e.outcome == Outcome::Matched) {
        store::ResourceVersion v;
        if (store.vread(e.type, e.id, e.version, v)) e.json = std::move(v.json);
      }
      continue;
    }
    if ((e.outcome == Outcome::Created || e.outcome == Outcome::Updated) && step->doc != nullptr) {
      e.document = std::shared_ptr<const core::Document>(std::move(step->doc));
    }
  }
}

}  // namespace trialbridge::pipeline::detail
