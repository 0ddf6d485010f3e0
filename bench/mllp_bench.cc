// The MLLP listener end to end: sustained messages per second and ACK latency with durable
// commits. A service runs in this process with its store in a temporary directory (SQLite, WAL,
// synchronous=FULL: every ACK waits for its fsync) or on PostgreSQL (--database with a libpq
// connection string); N senders on loopback each send a message, wait for its ACK and send the
// next (one in flight per connection, as MLLP senders do), for --seconds. Every message is new
// (its own MSH-10), so every one is parsed, mapped and stored with its receipt.
//
//   mllp_bench [--connections 1,8] [--seconds 10] [--message FILE.hl7] [--database CONNINFO]
//
// Prints one line per connection count: messages, msg/s, ACK latency p50/p99/max, and the
// store's units per commit (group commit). docs/PERFORMANCE.md has the figures.
#include <Poco/Net/StreamSocket.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hl7v2/mllp.h"
#include "service/service.h"

namespace {

using namespace trialbridge;
using Clock = std::chrono::steady_clock;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The message with MSH-10 replaced by `id`.
std::string withControlId(const std::string& message, const std::string& id) {
  const char sep = message[3];
  size_t at = 3;
  for (int n = 0; n < 8; ++n) at = message.find(sep, at + 1);  // the separator before MSH-10
  const size_t end = message.find(sep, at + 1);
  return message.substr(0, at + 1) + id + message.substr(end);
}

struct SenderResult {
  std::vector<double> latencies;  // ms
  uint64_t positive = 0, other = 0;
};

void sender(int port, const std::string& message, int index, Clock::time_point until,
            SenderResult& out) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.setNoDelay(true);
  hl7v2::MllpDecoder decoder;
  std::vector<hl7v2::MllpEvent> events;
  char buf[16384];
  for (uint64_t n = 0; Clock::now() < until; ++n) {
    const std::string framed = hl7v2::mllpFrame(
        withControlId(message, "B" + std::to_string(index) + "-" + std::to_string(n)));
    const auto start = Clock::now();
    socket.sendBytes(framed.data(), static_cast<int>(framed.size()));
    bool answered = false;
    while (!answered) {
      const int got = socket.receiveBytes(buf, sizeof buf);
      if (got <= 0) return;
      events.clear();
      decoder.feed(std::string_view(buf, static_cast<size_t>(got)), events);
      for (const auto& e : events) {
        if (!e.isFrame()) continue;
        answered = true;
        (e.payload.find("MSA|AA|") != std::string::npos ? out.positive : out.other)++;
      }
    }
    out.latencies.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
}

double percentile(std::vector<double>& v, double p);

// The floor under a durable commit here: the time of a small write and fdatasync in `dir`
// (p50 over 200), measured in the same run as the messages (the p50 of each row's fsync column).
double fsyncFloor(const std::string& dir) {
  const std::string path = dir + "/fsync-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 0;
  std::vector<double> times;
  const char block[512] = {};
  for (int i = 0; i < 200; ++i) {
    const auto start = Clock::now();
    if (::pwrite(fd, block, sizeof block, 0) < 0 || ::fdatasync(fd) != 0) break;
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  return percentile(times, 0.5);
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> connections = {1, 8};
  int seconds = 10;
  std::string messageFile =
      std::string(TB_SOURCE_ROOT) + "/samples/hl7v2/nct06813157-itp-0001-baseline-cbc.hl7";
  std::string database;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--connections") {
      connections.clear();
      std::stringstream ss(v);
      for (std::string n; std::getline(ss, n, ',');) connections.push_back(std::stoi(n));
    } else if (a == "--seconds") {
      seconds = std::stoi(v);
    } else if (a == "--message") {
      messageFile = v;
    } else if (a == "--database") {
      database = v;
    } else {
      std::cerr << "mllp_bench: unknown option " << a << "\n";
      return 2;
    }
  }
  std::string message = slurp(messageFile);
  for (char& c : message) {
    if (c == '\n') c = '\r';
  }
  char tmpl[] = "/tmp/tb-mllp-bench.XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  service::ServiceConfig config = service::defaultConfig();
  config.http.port = 0;
  config.mllp.enabled = true;
  config.mllp.port = 0;
  config.mllp.messageLog = false;
  config.store.database = dir + "/bench.db";
  if (!database.empty()) {
    config.store.backend = "postgresql";
    config.store.database = database;
  }
  auto started = service::Service::start(config);
  if (!started) {
    std::cerr << "mllp_bench: " << started.message() << "\n";
    return 2;
  }
  std::unique_ptr<service::Service> svc = std::move(started.value());
  const int port = svc->mllp()->port();
  std::printf("store %s, message %s (%zu bytes), %d s a run\n",
              std::string(svc->store().backend()).c_str(),
              std::filesystem::path(messageFile).filename().c_str(), message.size(), seconds);
  std::printf("%-11s %9s %9s %9s %9s %9s %12s %6s %9s\n", "connections", "messages", "msg/s",
              "p50 ms", "p99 ms", "max ms", "units/commit", "non-AA", "fsync ms");
  int round = 0;
  for (const int n : connections) {
    // The disk is shared: its fsync time is measured beside each run.
    const double floor = fsyncFloor(dir);
    const store::StoreStats before = svc->store().stats();
    std::vector<SenderResult> results(static_cast<size_t>(n));
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    const auto until = start + std::chrono::seconds(seconds);
    for (int i = 0; i < n; ++i) {
      threads.emplace_back(sender, port, std::cref(message), round * 1000 + i, until,
                           std::ref(results[static_cast<size_t>(i)]));
    }
    for (auto& t : threads) t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const store::StoreStats after = svc->store().stats();
    std::vector<double> all;
    uint64_t other = 0;
    for (auto& r : results) {
      all.insert(all.end(), r.latencies.begin(), r.latencies.end());
      other += r.other;
    }
    const double units = static_cast<double>(after.units - before.units);
    const double commits =
        static_cast<double>(std::max<uint64_t>(1, after.commits - before.commits));
    const size_t count = all.size();
    const double p50 = percentile(all, 0.50), p99 = percentile(all, 0.99);
    const double max = all.empty() ? 0 : *std::max_element(all.begin(), all.end());
    std::printf("%-11d %9zu %9.0f %9.2f %9.2f %9.2f %12.1f %6llu %9.2f\n", n, count,
                static_cast<double>(count) / elapsed, p50, p99, max, units / commits,
                static_cast<unsigned long long>(other), floor);
    std::fflush(stdout);
    ++round;
  }
  svc->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
