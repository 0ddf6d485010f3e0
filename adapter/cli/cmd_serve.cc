#include "cli/cmd_serve.h"

#include <Poco/Util/ServerApplication.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/version.h"
#include "core/json_overrides.h"
#include "core/log.h"
#include "service/service.h"
#include "study/trial_reader.h"

namespace trialbridge::cli {

namespace {

// SIGTERM's work in progress did not end within shutdownGraceSeconds.
constexpr int kExitGraceExceeded = 3;

constexpr std::string_view kHelp =
    "Usage: trialbridge serve [--config FILE] [--port N] [--mllp-port N] [--trial TRIAL.json]...\n"
    "                         [--secret-file FILE] [--check-config]\n\n"
    "Runs the FHIR R4 REST service (docs/rest.md) until SIGTERM or SIGINT, then stops cleanly:\n"
    "the server stops accepting, requests in progress finish, queued audit records are written\n"
    "and the database is closed.\n\n"
    "Without --config it serves on 127.0.0.1 only, port 8080 (or --port), WITHOUT\n"
    "authentication, with the SQLite database trialbridge.db in the working directory.\n"
    "The configuration file (JSON; docs/configuration.md, deploy/trialbridge.example.json) sets\n"
    "the address, TLS, bearer-token authentication, the store (SQLite or PostgreSQL), profiles,\n"
    "audit and logs. Every setting can also be given as an environment variable named after its\n"
    "key (http.port: TRIALBRIDGE_HTTP_PORT), which wins over the file; secrets can be read from\n"
    "files (store.databaseFile, TRIALBRIDGE_STORE_DATABASE_FILE). --check-config validates the\n"
    "settings and the files they name, prints what was used and exits. --trial maps a trial\n"
    "definition (docs/trial-definition.md) and stores its resources at start through the write\n"
    "pipeline (validated, audited), as one transaction. Subjects are enrolled into a loaded\n"
    "trial with POST [base]/ResearchSubject/$enrol or 'trialbridge enrol'; that needs the\n"
    "trial's pseudonymisation secret: --secret-file FILE, the setting trialSecrets, or the\n"
    "variable TRIALBRIDGE_SECRET_{TRIAL}.\n\n"
    "--mllp-port (or an 'mllp' section) also starts the HL7 v2 MLLP listener (docs/mllp.md):\n"
    "ORU^R01 lab results, each ACKed once it is durable, unusable ones kept in quarantine\n"
    "(`trialbridge quarantine`).\n\n"
    "When it is serving it prints the base URL (and the MLLP address) on standard output:\n"
    "  trialbridge serve: FHIR base http://127.0.0.1:8080/fhir\n"
    "  trialbridge serve: MLLP on 127.0.0.1:2575\n"
    "Its log (start, stop, errors, the access log) goes to standard error: JSON lines, or text on\n"
    "a terminal (setting log.format).\n\n"
    "On SIGTERM it stops taking work (/readyz and new requests answer 503, MLLP connections\n"
    "close after their current ACK), finishes what is in progress and exits within the\n"
    "setting shutdownGraceSeconds (30).\n\n"
    "Exit status: 0 stopped on request (or, with --check-config, the configuration is valid);\n"
    "2 usage, configuration or start-up error; 3 the work in progress did not end within\n"
    "shutdownGraceSeconds.\n\n"
    "Examples:\n"
    "  trialbridge serve --trial samples/trials/NCT06813157.json\n"
    "  trialbridge serve --config /etc/trialbridge/trialbridge.json\n"
    "  TRIALBRIDGE_HTTP_PORT=9090 trialbridge serve --config tb.json --check-config\n"
    "  curl 'http://127.0.0.1:8080/fhir/ResearchStudy?identifier=NCT06813157'\n\n";

ArgParser serveOptions() {
  ArgParser p("serve");
  p.option("--config", "FILE", "the configuration file (JSON); default: see above")
      .option("--port", "N", "the TCP port (overrides the configuration; 0: any free port)")
      .option("--mllp-port", "N",
              "start the MLLP listener on this port (overrides the configuration; 0: any free "
              "port)")
      .option("--trial", "TRIAL.json", "a trial definition to map and load at start", true)
      .option("--secret-file", "FILE",
              "the pseudonymisation secret of the --trial trials (enrolment of subjects)")
      .flag("--check-config", "validate the configuration and the files it names, then exit");
  return p;
}

// A port option's value into `port` when it is given; false (said) when it is not a port.
bool portOption(const ArgParser& p, const std::string& name, int& port) {
  const auto value = p.value(name);
  if (!value) return true;
  char* end = nullptr;
  const long n = std::strtol(value->c_str(), &end, 10);
  if (value->empty() || *end != 0 || n < 0 || n > 65535) {
    std::cerr << "trialbridge serve: " << name << " takes a number from 0 to 65535\n";
    return false;
  }
  port = static_cast<int>(n);
  return true;
}

// Maps one trial definition and stores it through the pipeline, as one transaction; its
// subjects can then be enrolled with the secret of `secretFile` (else the configuration's or the
// environment's).
bool loadTrial(const service::Service& svc, const std::string& path,
               const std::optional<std::string>& secretFile) {
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
  mapping::MapOptions options;
  if (secretFile) {
    auto secret = mapping::Pseudonymizer::forTrial(trial->id, secretFile);
    if (!secret) {
      std::cerr << "trialbridge serve: " << secret.message() << "\n";
      return false;
    }
    options.pseudonymizer = std::move(secret.value());
  }
  const service::TrialLoad load = svc.loadTrial(*trial, {}, options);
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
            << " updated)"
            << (svc.trials().find(trial->id)->pseudonymizer
                    ? ""
                    : "; no pseudonymisation secret: subjects cannot be enrolled")
            << "\n";
  return true;
}

class ServeApp final : public Poco::Util::ServerApplication {
 public:
  ServeApp(service::ServiceConfig config, bool defaults, std::optional<std::string> secretFile)
      : config_(std::move(config)), defaults_(defaults), secretFile_(std::move(secretFile)) {}
  int status() const { return status_; }

 protected:
  int main(const std::vector<std::string>&) override {
    using core::Log;
    Log::configure(config_.log);
    if (defaults_) {
      Log::warning("serve.defaults",
                   "no configuration: serving on the loopback only, WITHOUT authentication",
                   {{"host", config_.http.host},
                    {"port", config_.http.port},
                    {"database", std::filesystem::absolute(config_.store.database).string()}});
    } else if (!config_.authEnabled) {
      Log::warning("serve.no_auth", "authentication is OFF (no 'auth' setting)",
                   {{"config", config_.source}});
    }
    auto started = service::Service::start(config_);
    if (!started) {
      Log::error("serve.failed", "cannot start", {{"reason", started.message()}});
      status_ = kExitUsage;
      return EXIT_CONFIG;
    }
    std::unique_ptr<service::Service> svc = std::move(started.value());
    for (const auto& w : svc->warnings()) Log::warning("serve.warning", "warning", {{"reason", w}});
    for (const std::string& trial : config_.trials) {
      if (!loadTrial(*svc, trial, secretFile_)) {
        Log::error("serve.failed", "cannot load a trial", {{"file", trial}});
        status_ = kExitUsage;
        return EXIT_CONFIG;
      }
    }
    std::cout << "trialbridge serve: FHIR base " << svc->baseUrl() << std::endl;
    if (const service::MllpListener* mllp = svc->mllp()) {
      std::cout << "trialbridge serve: MLLP on " << mllp->host() << ":" << mllp->port()
                << std::endl;
    }
    Log::info("serve.started", "serving",
              {{"base", svc->baseUrl()},
               {"port", svc->port()},
               {"backend", config_.store.backend},
               {"version", versionText()},
               {"config", config_.source},
               {"variables", config_.environment.size()}});
    waitForTerminationRequest();
    Log::info("serve.stopping", "stopping", {{"graceSeconds", config_.shutdownGraceSeconds}});
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(config_.shutdownGraceSeconds);
    // Whatever happens (a commit that hangs on a lost database), the process ends in time.
    std::thread([deadline] {
      std::this_thread::sleep_until(deadline + std::chrono::seconds(1));
      Log::error("serve.failed", "the work in progress did not end within shutdownGraceSeconds");
      std::_Exit(kExitGraceExceeded);
    }).detach();
    const store::StoreStats before = svc->store().stats();
    svc->drain(deadline);
    svc->stop();
    Log::info("serve.stopped", "stopped", {{"units", before.units}, {"commits", before.commits}});
    status_ = kExitOk;
    return EXIT_OK;
  }

 private:
  service::ServiceConfig config_;
  bool defaults_;
  std::optional<std::string> secretFile_;
  int status_ = kExitUsage;
};

// Prints a configuration problem (one per line of `message`) the way start-up does.
void printProblems(const std::string& message) {
  size_t start = 0;
  while (start <= message.size()) {
    const size_t end = std::min(message.find('\n', start), message.size());
    std::cerr << "trialbridge serve: " << message.substr(start, end - start) << "\n";
    start = end + 1;
  }
}

// --check-config: the settings, then the files they name (trial files read and checked too),
// without binding the port or connecting to the database.
int checkConfig(const service::ServiceConfig& config) {
  std::vector<std::string> problems = service::checkConfigFiles(config);
  for (const std::string& path : config.trials) {
    std::string text, error;
    if (!readInput(path, text, error)) continue;  // checkConfigFiles said so
    core::Issues issues;
    if (!study::readTrial(text, issues)) {
      for (const core::Issue& i : issues.items()) {
        if (i.severity > core::Severity::Error) continue;
        problems.push_back(path + ":" + std::to_string(i.line) + ":" + std::to_string(i.column) +
                           ": " + (i.location.empty() ? "" : i.location + ": ") + i.message);
      }
    }
  }
  for (const std::string& p : problems) std::cerr << "trialbridge serve: " << p << "\n";
  if (!problems.empty()) return kExitUsage;
  std::cout << "trialbridge serve: the configuration is valid ("
            << (config.source.empty() ? "no file" : config.source);
  if (!config.environment.empty()) {
    std::cout << "; environment:";
    for (const std::string& v : config.environment) std::cout << " " << v;
  }
  std::cout << ")\n";
  return kExitOk;
}

int run(std::span<const std::string> args) {
  ArgParser p = serveOptions();
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  if (!p.positionals().empty()) {
    std::cerr << "trialbridge serve: unexpected argument '" << p.positionals()[0] << "'\n";
    return kExitUsage;
  }
  core::JsonOverrides env =
      core::JsonOverrides::fromEnvironment(std::string(service::kEnvironmentPrefix));
  const auto configPath = p.value("--config");
  auto loaded =
      configPath ? service::loadConfig(*configPath, &env) : service::environmentConfig(env);
  if (!loaded) {
    printProblems(loaded.message());
    return kExitUsage;
  }
  service::ServiceConfig config = std::move(loaded.value());
  if (!portOption(p, "--port", config.http.port)) return kExitUsage;
  if (p.value("--mllp-port")) {
    if (!portOption(p, "--mllp-port", config.mllp.port)) return kExitUsage;
    config.mllp.enabled = true;
  }
  for (const std::string& t : p.values("--trial")) config.trials.push_back(t);
  if (p.has("--check-config")) return checkConfig(config);
  const bool defaults = !configPath && config.environment.empty();
  ServeApp app(std::move(config), defaults, p.value("--secret-file"));
  app.run(std::vector<std::string>{"trialbridge"});
  return app.status();
}

}  // namespace

Command serveCommand() {
  return {"serve", "run the FHIR REST service", run, kHelp, serveOptions, ""};
}

}  // namespace trialbridge::cli
