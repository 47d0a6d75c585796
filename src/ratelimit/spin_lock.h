// The lock of a counter shard. Counter stores hold it for a few dozen instructions per rule (a
// hash probe and some arithmetic), never across I/O or an allocation-heavy path, so an
// uncontended acquire should cost one atomic exchange and a release one plain store: a
// std::mutex costs a locked compare-exchange plus a locked release and two library calls, which
// was a fifth of the instructions the three limits of a request add to its decision.
//
// Test-and-test-and-set: a waiter spins on a read (no cache-line ping-pong), pausing the core;
// after kSpinsBeforeYield spins it yields the CPU on every further round, so a holder that was
// preempted gets to run and finish instead of being starved by spinners.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>

namespace tollgate::ratelimit {

class SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void lock() {
    if (!held_.exchange(true, std::memory_order_acquire)) return;
    LockSlow();
  }
  bool try_lock() {
    return !held_.load(std::memory_order_relaxed) && !held_.exchange(true, std::memory_order_acquire);
  }
  void unlock() { held_.store(false, std::memory_order_release); }

 private:
  static constexpr uint32_t kSpinsBeforeYield = 128;

  static void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  void LockSlow() {
    uint32_t spins = 0;
    do {
      while (held_.load(std::memory_order_relaxed)) {
        if (++spins < kSpinsBeforeYield) {
          CpuRelax();
        } else {
          sched_yield();
        }
      }
    } while (held_.exchange(true, std::memory_order_acquire));
  }

  std::atomic<bool> held_{false};
};

}  // namespace tollgate::ratelimit
