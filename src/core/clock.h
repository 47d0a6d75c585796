// Time as an injected dependency, so that expiry and lifecycle rules are tested with a fake clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace tollgate {

class Clock {
 public:
  virtual ~Clock() = default;
  // Current time in Unix milliseconds (UTC). Thread-safe.
  virtual int64_t NowMillis() const = 0;
  // Current time in Unix seconds (UTC).
  int64_t NowSeconds() const { return NowMillis() / 1000; }
};

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// For tests: time moves only when told.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_seconds = 1'800'000'000) : now_ms_(now_seconds * 1000) {}
  int64_t NowMillis() const override { return now_ms_; }
  void Set(int64_t now_seconds) { now_ms_ = now_seconds * 1000; }
  void Advance(int64_t seconds) { now_ms_ += seconds * 1000; }
  void AdvanceMillis(int64_t ms) { now_ms_ += ms; }

 private:
  int64_t now_ms_;
};

}  // namespace tollgate
