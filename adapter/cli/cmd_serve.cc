#include "cli/cmd_serve.h"

#include <Poco/Util/ServerApplication.h>

#include <filesystem>
#include <iostream>

#include "service/service.h"
#include "study/trial_reader.h"

namespace trialbridge::cli {

namespace {

constexpr const char* kHelp =
    "Usage: trialbridge serve [--config FILE] [--port N] [--trial TRIAL.json]...\n\n"
    "Runs the FHIR R4 REST service (docs/rest.md) until SIGTERM or SIGINT, then stops cleanly:\n"
    "the server stops accepting, requests in progress finish, queued audit records are written\n"
    "and the database is closed.\n\n"
    "Without --config it serves on 127.0.0.1 only, port 8080 (or --port), WITHOUT\n"
    "authentication, with the SQLite database trialbridge.db in the working directory.\n"
    "The configuration file (JSON; docs/configuration.md, deploy/trialbridge.example.json) sets\n"
    "the address, TLS, bearer-token authentication, the store (SQLite or PostgreSQL), profiles\n"
    "and audit. --trial maps a trial definition (docs/trial-definition.md) and stores its\n"
    "resources at start through the write pipeline (validated, audited), as one transaction.\n\n"
    "When it is serving it prints the base URL on standard output:\n"
    "  trialbridge serve: FHIR base http://127.0.0.1:8080/fhir\n\n"
    "Exit status: 0 stopped on request; 2 usage, configuration or start-up error.\n\n"
    "Examples:\n"
    "  trialbridge serve --trial samples/trials/NCT06813157.json\n"
    "  trialbridge serve --config /etc/trialbridge/trialbridge.json\n"
    "  curl http://127.0.0.1:8080/fhir/ResearchStudy?identifier=NCT06813157\n\n";

// Maps one trial definition and stores it through the pipeline, as one transaction.
bool loadTrial(const service::Service& svc, const std::string& path) {
  std::string text, error;
  if (!readInput(path, text, error)) {
    std::cerr << "trialbridge serve: " << error << "\n";
    return false;
  }
  core::Issues issues;
  auto trial = study::readTrial(text, issues);
  for (const core::Issue& i : issues.items()) {
    if (i.severity == core::Severity::Information) continue;
    std::cerr << path << ":" << i.line << ":" << i.column << ": " << core::severityCode(i.severity)
              << ": " << (i.location.empty() ? "" : i.location + ": ") << i.message << "\n";
  }
  if (!trial) return false;
  const service::TrialLoad load = svc.loadTrial(*trial, {});
  if (!load.ok()) {
    std::cerr << "trialbridge serve: loading " << path << " failed ("
              << pipeline::statusName(load.status) << ")\n";
    for (const core::Issue& i : load.issues.items()) {
      std::cerr << "  " << core::severityCode(i.severity) << ": "
                << (i.location.empty() ? "" : i.location + ": ") << i.message << "\n";
    }
    return false;
  }
  std::cout << "trialbridge serve: loaded trial " << trial->id << " from " << path << " ("
            << load.entries.size() << " resources: " << load.created << " created, " << load.updated
            << " updated)\n";
  return true;
}

class ServeApp final : public Poco::Util::ServerApplication {
 public:
  ServeApp(service::ServiceConfig config, bool defaults)
      : config_(std::move(config)), defaults_(defaults) {}
  int status() const { return status_; }

 protected:
  int main(const std::vector<std::string>&) override {
    if (defaults_) {
      std::cerr << "trialbridge serve: no --config: serving on " << config_.http.host << ":"
                << config_.http.port << " only, WITHOUT authentication, SQLite database "
                << std::filesystem::absolute(config_.store.database).string() << "\n";
    } else if (!config_.authEnabled) {
      std::cerr << "trialbridge serve: authentication is OFF (no 'auth' in " << config_.source
                << ")\n";
    }
    auto started = service::Service::start(config_);
    if (!started) {
      std::cerr << "trialbridge serve: " << started.message() << "\n";
      status_ = kExitUsage;
      return EXIT_CONFIG;
    }
    std::unique_ptr<service::Service> svc = std::move(started.value());
    for (const auto& w : svc->warnings()) std::cerr << "trialbridge serve: warning: " << w << "\n";
    for (const std::string& trial : config_.trials) {
      if (!loadTrial(*svc, trial)) {
        status_ = kExitUsage;
        return EXIT_CONFIG;
      }
    }
    std::cout << "trialbridge serve: FHIR base " << svc->baseUrl() << std::endl;
    waitForTerminationRequest();
    std::cerr << "trialbridge serve: stopping\n";
    const store::StoreStats before = svc->store().stats();
    svc->stop();
    std::cerr << "trialbridge serve: stopped (" << before.units << " units of work in "
              << before.commits << " commits)\n";
    status_ = kExitOk;
    return EXIT_OK;
  }

 private:
  service::ServiceConfig config_;
  bool defaults_;
  int status_ = kExitUsage;
};

int run(std::span<const std::string> args) {
  ArgParser p("serve");
  p.option("--config", "FILE", "the configuration file (JSON); default: see above")
      .option("--port", "N", "the TCP port (overrides the configuration; 0: any free port)")
      .option("--trial", "TRIAL.json", "a trial definition to map and load at start", true);
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  if (!p.positionals().empty()) {
    std::cerr << "trialbridge serve: unexpected argument '" << p.positionals()[0] << "'\n";
    return kExitUsage;
  }
  service::ServiceConfig config = service::defaultConfig();
  const auto configPath = p.value("--config");
  if (configPath) {
    auto loaded = service::loadConfig(*configPath);
    if (!loaded) {
      std::cerr << "trialbridge serve: " << loaded.message() << "\n";
      return kExitUsage;
    }
    config = std::move(loaded.value());
  }
  if (auto port = p.value("--port")) {
    char* end = nullptr;
    const long n = std::strtol(port->c_str(), &end, 10);
    if (port->empty() || *end != 0 || n < 0 || n > 65535) {
      std::cerr << "trialbridge serve: --port takes a number from 0 to 65535\n";
      return kExitUsage;
    }
    config.http.port = static_cast<int>(n);
  }
  for (const std::string& t : p.values("--trial")) config.trials.push_back(t);
  ServeApp app(std::move(config), !configPath);
  app.run(std::vector<std::string>{"trialbridge"});
  return app.status();
}

}  // namespace

Command serveCommand() { return {"serve", "run the FHIR REST service", run}; }

}  // namespace trialbridge::cli
