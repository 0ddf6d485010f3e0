#pragma once
// Concurrent clients in a test: `body(t)` for t in [0, threads), each on its own thread, all
// released at once (each waits until every thread has started), then joined.
#include <atomic>
#include <thread>
#include <vector>

namespace trialbridge::testing {

template <typename Body>
void runTogether(int threads, const Body& body) {
  std::atomic<int> ready{0};
  std::vector<std::thread> running;
  running.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&, t] {
      ready++;
      while (ready.load() < threads) std::this_thread::yield();
      body(t);
    });
  }
  for (std::thread& th : running) th.join();
}

}  // namespace trialbridge::testing
