// External issuers' signing keys for the bearer path: JwksCache holds the last good key set per
// issuer (read on the request path), JwksRefresher fills it through a JwksFetcher (I/O lives in
// cli/, see cli/jwks_fetcher.h) on a timer and when a token names a kid we do not know.
//
// Unknown kid policy: the request that meets an unknown kid fails at once (401 "unknown signing
// key") and asks for a refresh; the refresher fetches that issuer's JWKS asynchronously, at most
// once per `min_refetch` (30 s) per issuer, so a flood of forged kids cannot turn the enforcer into
// a JWKS-fetching amplifier. A key an issuer rotates in therefore works within a second or two of
// its first use. When a fetch fails or yields an unusable document, the last good keys stay.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "enforce/snapshot.h"
#include "jwt/jwt.h"

namespace tollgate::enforce {

// Fetches a document by URL (the JWKS, or OpenID discovery metadata). Implemented with an HTTP
// client in cli/; fakes in tests. Called from the refresher's thread only; may block (bounded by
// the implementation's timeouts).
class JwksFetcher {
 public:
  virtual ~JwksFetcher() = default;
  virtual Result<std::string> Fetch(const std::string& uri) = 0;
};

// issuer id → key set. Thread-safe; Get() takes a shared lock and copies a shared_ptr.
class JwksCache {
 public:
  struct Entry {
    std::shared_ptr<const jwt::KeySet> keys;
    int64_t fetched_at_ms = 0;
    uint64_t generation = 0;  // changes whenever `keys` is replaced
  };

  // The keys of `issuer_id` (null keys when never fetched successfully).
  Entry Get(std::string_view issuer_id) const;
  void Put(const std::string& issuer_id, std::shared_ptr<const jwt::KeySet> keys, int64_t now_ms);
  // Asks the refresher to fetch `issuer_id` soon (non-blocking; rate-limited by the refresher).
  void RequestRefresh(std::string_view issuer_id) const;
  // The requested issuers, cleared.
  std::vector<std::string> TakeRequests();
  // Called by RequestRefresh (set by the refresher to wake its thread).
  void SetWakeup(std::function<void()> wake);

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t next_generation_ = 1;
  mutable std::mutex requests_mu_;
  mutable std::unordered_set<std::string> requests_;
  std::function<void()> wake_;
};

class JwksRefresher {
 public:
  struct Options {
    std::chrono::milliseconds interval{std::chrono::minutes(10)};  // periodic refresh
    std::chrono::milliseconds min_refetch{std::chrono::seconds(30)};  // per issuer
  };
  using IssuersFn = std::function<std::vector<CompiledIssuer>()>;

  // `issuers` lists the issuers to keep keys for (from the current snapshot).
  JwksRefresher(JwksCache& cache, JwksFetcher& fetcher, const Clock& clock, IssuersFn issuers,
                Options options);
  ~JwksRefresher();  // Stop()

  // One round, synchronously: fetches issuers whose keys are older than `interval` (or missing),
  // and requested ones, each at most once per `min_refetch`. Returns how many fetches succeeded.
  int RunOnce();
  void Start();  // a thread calling RunOnce every second and when woken
  void Stop();

 private:
  bool Fetch(const CompiledIssuer& issuer, int64_t now_ms);

  JwksCache& cache_;
  JwksFetcher& fetcher_;
  const Clock& clock_;
  IssuersFn issuers_;
  Options options_;
  std::unordered_map<std::string, int64_t> last_attempt_ms_;  // refresher thread only
  std::unordered_set<std::string> pending_;  // requested, not yet fetched (rate limit)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace tollgate::enforce
