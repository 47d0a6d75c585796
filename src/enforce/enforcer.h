// The enforcer's entry point for adapters: holds the current snapshot and decides requests on it.
#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <utility>

#include "core/access.h"
#include "core/clock.h"
#include "enforce/decider.h"
#include "enforce/snapshot.h"
#include "enforce/throttle.h"
#include "enforce/token_verifier.h"
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
// request is allowed, attaches the backend JWT the API asks for, and hands the Decision to `fn`
// while that snapshot (and the backend token) are held, so the Decision's views are valid inside
// `fn` and only there.
//
// Internal failures never escape: an exception while deciding, or a kInternalError decision
// (no token verifier, backend JWT cannot be signed), becomes 503 kInternalError, unless the
// matched API is fail_open: then the request is allowed with reason "failed open". (Counter
// stores apply fail_open themselves when global counters are unreachable, per LimitRule.)
class Enforcer {
 public:
  // `counters` may be null: then no rate limit or quota is applied.
  Enforcer(const SnapshotHolder& holder, const Clock& clock,
           ratelimit::CounterStore* counters = nullptr)
      : holder_(holder), clock_(clock), counters_(counters) {}

  // Bearer tokens are verified by `tokens` (null: refused). Call before serving; not
  // synchronised with Check().
  void SetTokenVerifier(std::shared_ptr<const TokenVerifier> tokens) { tokens_ = std::move(tokens); }
  // Backend JWTs (Api::backend_jwt_header) are signed by `signer` (null: such APIs answer 503
  // unless fail_open). Call before serving.
  void SetBackendSigner(std::shared_ptr<const BackendTokenSigner> signer) {
    signer_ = std::move(signer);
  }

  template <class Fn>
  decltype(auto) Check(const AccessRequest& request, Fn&& fn) const {
    std::shared_ptr<const Snapshot> snapshot = holder_.Get();
    std::shared_ptr<const std::string> backend_jwt;
    Match match;
    Decision decision;
    try {
      const int64_t now_ms = clock_.NowMillis();
      decision = Decide(*snapshot, request, now_ms / 1000, &match, tokens_.get());
      if (decision.allowed() && counters_ != nullptr) {
        Throttle(CollectRules(match, request), *counters_, now_ms, decision);
      }
      if (decision.allowed() && !match.api->backend_jwt_header.empty()) {
        backend_jwt = SignBackend(decision, now_ms / 1000);
        if (backend_jwt == nullptr) {
          decision.code = DecisionCode::kInternalError;
          decision.reason = "backend token unavailable";
        } else {
          decision.backend_jwt_header = match.api->backend_jwt_header;
          decision.backend_jwt = *backend_jwt;
        }
      }
    } catch (const std::exception&) {
      decision.code = DecisionCode::kInternalError;
      decision.reason = "internal error";
    }
    if (decision.code == DecisionCode::kInternalError && match.api != nullptr &&
        match.api->fail_open) {
      decision.code = DecisionCode::kAllow;
      decision.reason = "failed open";
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
  std::shared_ptr<const std::string> SignBackend(const Decision& d, int64_t now) const {
    if (signer_ == nullptr) return nullptr;
    return signer_->Sign(BackendFacts{d.application_id, d.application_name, d.subscriber, d.plan,
                                      d.api_id, d.api_name, d.api_version},
                         now);
  }

  const SnapshotHolder& holder_;
  const Clock& clock_;
  ratelimit::CounterStore* counters_;
  std::shared_ptr<const TokenVerifier> tokens_;
  std::shared_ptr<const BackendTokenSigner> signer_;
};

}  // namespace tollgate::enforce
