// A small per-client-address limiter of attempts (self-signup): at most `attempts` per fixed
// window of `window_seconds`. Memory is bounded: when it tracks too many addresses it forgets
// them all (an attacker spraying addresses gains one window). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tollgate::adapters::rest {

class AttemptLimiter {
 public:
  // attempts <= 0: no limit.
  AttemptLimiter(int attempts, int window_seconds)
      : attempts_(attempts), window_(std::chrono::seconds(window_seconds)) {}

  // Counts one attempt from `client`; false when it is over the limit (the attempt is refused).
  bool Allow(std::string_view client) {
    if (attempts_ <= 0) return true;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    if (windows_.size() >= kMaxClients) windows_.clear();
    Window& w = windows_[std::string(client)];
    if (w.count == 0 || now - w.start >= window_) w = Window{now, 0};
    return ++w.count <= attempts_;
  }

 private:
  static constexpr size_t kMaxClients = 10000;
  struct Window {
    std::chrono::steady_clock::time_point start;
    int count = 0;
  };
  const int attempts_;
  const std::chrono::steady_clock::duration window_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;  // guarded by mu_
};

}  // namespace tollgate::adapters::rest
