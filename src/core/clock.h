// Time as an injected dependency, so that expiry and lifecycle rules are tested with a fake clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace tollgate {

class Clock {
 public:
  virtual ~Clock() = default;
  // Current time in Unix seconds (UTC). Thread-safe.
  virtual int64_t NowSeconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowSeconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// For tests: time moves only when told.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now = 1'800'000'000) : now_(now) {}
  int64_t NowSeconds() const override { return now_; }
  void Set(int64_t now) { now_ = now; }
  void Advance(int64_t seconds) { now_ += seconds; }

 private:
  int64_t now_;
};

}  // namespace tollgate
