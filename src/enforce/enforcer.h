// The enforcer's entry point for adapters: holds the current snapshot and decides requests on it.
#pragma once

#include <atomic>
#include <memory>
#include <utility>

#include "core/access.h"
#include "core/clock.h"
#include "enforce/decider.h"
#include "enforce/snapshot.h"

namespace tollgate::enforce {

// Holds the snapshot currently in force. Readers never block writers for long: Get() copies a
// shared_ptr; Set() swaps it atomically. Thread-safe.
class SnapshotHolder {
 public:
  SnapshotHolder() : current_(Snapshot::Empty()) {}
  std::shared_ptr<const Snapshot> Get() const { return current_.load(std::memory_order_acquire); }
  void Set(std::shared_ptr<const Snapshot> next) {
    current_.store(std::move(next), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
};

// What adapters call. Check() decides on the current snapshot and hands the Decision to `fn`
// while that snapshot is held, so the Decision's views are valid inside `fn` and only there.
class Enforcer {
 public:
  Enforcer(const SnapshotHolder& holder, const Clock& clock) : holder_(holder), clock_(clock) {}

  template <class Fn>
  decltype(auto) Check(const AccessRequest& request, Fn&& fn) const {
    std::shared_ptr<const Snapshot> snapshot = holder_.Get();
    const Decision decision = Decide(*snapshot, request, clock_.NowSeconds());
    return std::forward<Fn>(fn)(decision);
  }

  int64_t revision() const { return holder_.Get()->revision(); }

 private:
  const SnapshotHolder& holder_;
  const Clock& clock_;
};

}  // namespace tollgate::enforce
