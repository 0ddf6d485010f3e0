#include "cli/cmd_quarantine.h"

#include <iostream>

#include "core/json_overrides.h"
#include "hl7v2/ack.h"
#include "pipeline/pipeline.h"
#include "service/service.h"

namespace trialbridge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge quarantine [--config FILE] list [--status S] [--count N]\n"
    "       trialbridge quarantine [--config FILE] show ID\n"
    "       trialbridge quarantine [--config FILE] retry ID\n"
    "       trialbridge quarantine [--config FILE] discard ID --reason TEXT\n\n"
    "The HL7 v2 messages the MLLP listener could not use, kept with their bytes and the reason\n"
    "(docs/mllp.md), in the store of the configuration (without --config: trialbridge.db in the\n"
    "working directory; the TRIALBRIDGE_ variables apply as for `trialbridge serve`).\n\n"
    "  list     the entries, newest first: id, time, status, ACK, sender, control id, where and\n"
    "           why (--status open (default), retried, discarded or all)\n"
    "  show     one entry with the message's bytes (segments on lines); they hold patients'\n"
    "           names and identifiers\n"
    "  retry    runs the message through the pipeline again (after a mapping or enrolment fix):\n"
    "           accepted, the entry becomes 'retried' and a resend from the sender gets AA;\n"
    "           still failing, the entry stays open with the new reason\n"
    "  discard  closes an open entry (its receipt stays: a resend gets the same answer); the\n"
    "           reason (--reason, required) goes into the audit log with the time\n\n"
    "Retry and discard write an AuditEvent (agent 'trialbridge quarantine', entity\n"
    "Quarantine/ID). While `trialbridge serve` runs, the same operations are\n"
    "POST /mllp/quarantine/ID/$retry and /$discard (docs/rest.md).\n\n"
    "An SQLite store is owned by one process: while `trialbridge serve` runs on it, use its REST\n"
    "view (GET /mllp/quarantine, POST .../$retry, .../$discard) instead.\n\n"
    "Exit status: 0 done; 1 no such entry, not open, or the retried message still fails;\n"
    "2 usage, configuration or store error.\n\n"
    "Examples:\n"
    "  trialbridge quarantine --config /etc/trialbridge/trialbridge.json list\n"
    "  trialbridge quarantine list --status all --count 20\n"
    "  trialbridge quarantine show 0193a2c4-7f1e-7b3a-9c41-2d5e8f0a1b6c\n"
    "  trialbridge quarantine retry 0193a2c4-7f1e-7b3a-9c41-2d5e8f0a1b6c\n\n";

int fail(const std::string& message, int status = kExitUsage) {
  std::cerr << "trialbridge quarantine: " << message << "\n";
  return status;
}

std::string shown(const std::string& text) { return text.empty() ? "-" : text; }

int list(store::Store& store, const std::string& status, size_t count) {
  store::QuarantineQuery q;
  q.status = status == "all" ? "" : status;
  q.limit = count;
  std::vector<store::QuarantineEntry> entries;
  int64_t total = 0;
  if (store::Status st = store.listQuarantine(q, entries, total); !st) return fail(st.message());
  for (const store::QuarantineEntry& e : entries) {
    std::cout << e.id << "  " << e.received << "  " << e.status << "  " << e.ackCode << " "
              << e.errorCode << "  " << shown(e.senderApplication) << "|" << shown(e.senderFacility)
              << "  " << shown(e.controlId) << "  " << shown(e.location) << ": " << e.reason
              << "\n";
  }
  std::cout << entries.size() << " of " << total << " " << (q.status.empty() ? "" : q.status + " ")
            << "entries\n";
  return kExitOk;
}

int show(store::Store& store, const std::string& id) {
  store::QuarantineEntry e;
  const store::Status st = store.readQuarantine(id, e);
  if (st.code() == store::Code::NotFound) return fail(st.message(), kExitDataError);
  if (!st) return fail(st.message());
  std::cout << "id: " << e.id << "\nstatus: " << e.status << " (attempts " << e.attempts
            << ")\nreceived: " << e.received << " from " << e.peer << "\nupdated: " << e.updated
            << "\nsender: " << e.senderApplication << "|" << e.senderFacility
            << "\ncontrol id: " << e.controlId << "\ntype: " << e.messageType
            << "\nack: " << e.ackCode << ", HL7 table 0357 code " << e.errorCode
            << "\nlocation: " << shown(e.location) << "\nreason: " << e.reason << "\nmessage ("
            << e.raw.size() << " bytes):\n";
  std::string text = e.raw;
  for (char& c : text) {
    if (c == '\r') c = '\n';
  }
  std::cout << text << (text.empty() || text.back() == '\n' ? "" : "\n");
  return kExitOk;
}

int change(const pipeline::Pipeline& pipeline, const std::string& action, const std::string& id,
           const std::string& reason) {
  pipeline::Options options;
  options.actor = {"trialbridge quarantine", "local"};
  options.reason = reason;
  const pipeline::Result r = action == "retry" ? pipeline.retryQuarantined(id, options)
                                               : pipeline.discardQuarantined(id, options);
  if (action == "discard" && r.ok()) {
    std::cout << "discarded " << id << "\n";
    return kExitOk;
  }
  if (r.ok()) {
    std::cout << "retried " << id << ": AA, accepted (" << r.entries.size()
              << " resources written)\n";
    return kExitOk;
  }
  if (r.v2 && r.status != pipeline::Status::Internal) {
    std::cout << id << " still fails: " << hl7v2::ackCodeName(r.v2->code) << "\n";
  }
  for (const core::Issue& i : r.issues.items()) {
    std::cerr << "  " << core::severityCode(i.severity) << ": "
              << (i.location.empty() ? "" : i.location + ": ") << i.message << "\n";
  }
  return r.status == pipeline::Status::Internal ? kExitUsage : kExitDataError;
}

ArgParser quarantineOptions() {
  ArgParser p("quarantine");
  p.option("--config", "FILE", "the configuration file (JSON) whose store to use")
      .option("--status", "S", "list: open (default), retried, discarded or all")
      .option("--count", "N", "list: at most N entries (default 100)")
      .option("--reason", "TEXT", "discard (required), retry: why, for the audit log");
  return p;
}

int run(std::span<const std::string> args) {
  ArgParser p = quarantineOptions();
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  const auto& pos = p.positionals();
  const std::string action = pos.empty() ? "" : pos[0];
  const bool needsId = action == "show" || action == "retry" || action == "discard";
  if (action != "list" && !needsId) return fail("list, show ID, retry ID or discard ID expected");
  if (pos.size() != (needsId ? 2u : 1u)) {
    return fail(needsId ? action + " takes one entry id" : "list takes no argument");
  }
  const std::string reason = p.value("--reason").value_or("");
  if (action == "discard" && reason.empty()) return fail("discard needs --reason TEXT");
  const std::string status = p.value("--status").value_or("open");
  if (status != "open" && status != "retried" && status != "discarded" && status != "all") {
    return fail("--status is open, retried, discarded or all");
  }
  const std::string countText = p.value("--count").value_or("100");
  if (countText.empty() || countText.size() > 6 ||
      countText.find_first_not_of("0123456789") != std::string::npos) {
    return fail("--count takes a whole number");
  }
  core::JsonOverrides env =
      core::JsonOverrides::fromEnvironment(std::string(service::kEnvironmentPrefix));
  const auto path = p.value("--config");
  auto loaded = path ? service::loadConfig(*path, &env) : service::environmentConfig(env);
  if (!loaded) return fail(loaded.message());
  auto opened = service::Service::open(loaded.value());
  if (!opened) return fail(opened.message());
  service::Service& svc = *opened.value();
  int exit = kExitOk;
  if (action == "list") {
    exit = list(svc.store(), status, std::stoul(countText));
  } else if (action == "show") {
    exit = show(svc.store(), pos[1]);
  } else {
    exit = change(svc.pipeline(), action, pos[1], reason);
  }
  svc.stop();
  return exit;
}

}  // namespace

Command quarantineCommand() {
  return {"quarantine",
          "list, show, retry or discard the HL7 v2 messages in quarantine",
          run,
          kHelp,
          quarantineOptions,
          ""};
}

}  // namespace trialbridge::cli
