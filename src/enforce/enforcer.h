// The enforcer's entry point for adapters: holds the current snapshot and decides requests on it.
#pragma once

#include <atomic>
#include <memory>
#include <utility>

#include "core/access.h"
#include "core/clock.h"
#include "enforce/decider.h"
#include "enforce/snapshot.h"
#include "enforce/throttle.h"
#include "ratelimit/counter_store.h"

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

// What adapters call. Check() decides on the current snapshot, applies rate limits when the
// request is allowed, and hands the Decision to `fn` while that snapshot is held, so the
// Decision's views are valid inside `fn` and only there.
class Enforcer {
 public:
  // `counters` may be null: then no rate limit or quota is applied.
  Enforcer(const SnapshotHolder& holder, const Clock& clock,
           ratelimit::CounterStore* counters = nullptr)
      : holder_(holder), clock_(clock), counters_(counters) {}

  template <class Fn>
  decltype(auto) Check(const AccessRequest& request, Fn&& fn) const {
    std::shared_ptr<const Snapshot> snapshot = holder_.Get();
    const int64_t now_ms = clock_.NowMillis();
    Match match;
    Decision decision = Decide(*snapshot, request, now_ms / 1000, &match);
    if (decision.allowed() && counters_ != nullptr) {
      Throttle(CollectRules(match, request), *counters_, now_ms, decision);
    }
    return std::forward<Fn>(fn)(static_cast<const Decision&>(decision));
  }

  // For adapters that ask about limits directly (Envoy's rate limit service): calls
  // fn(const Snapshot&, ratelimit::CounterStore* /*may be null*/, int64_t now_ms) with the
  // current snapshot held.
  template <class Fn>
  decltype(auto) WithSnapshot(Fn&& fn) const {
    std::shared_ptr<const Snapshot> snapshot = holder_.Get();
    return std::forward<Fn>(fn)(*snapshot, counters_, clock_.NowMillis());
  }

  int64_t revision() const { return holder_.Get()->revision(); }

 private:
  const SnapshotHolder& holder_;
  const Clock& clock_;
  ratelimit::CounterStore* counters_;
};

}  // namespace tollgate::enforce
