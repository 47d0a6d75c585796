// RedisCounterStore: rate and quota counters shared by every enforcer replica through Redis,
// without a Redis round trip per request. Each replica leases tokens from per-key budgets in
// Redis (Lua, Redis TIME), spends them locally, prefetches before they run out and gives back
// what it does not use; one background thread batches all of that into one pipelined round trip
// per tick — per master, against a Redis Cluster (calls cut by slot; a call answered ASK goes to
// the importing master in the same tick; docs/ratelimit-redis.md).
//
// ERROR BOUND (Redis reachable). Let R be the live replicas (heartbeat registry), C the capacity
// (rate: burst+1; quota: requests per window), Lmax = LeaseCap(C, R) = max(1, ⌊C/2R⌋) and
// A = ColdAllowance(C, R, max_allowance) = max(1, min(⌊C/4R⌋, max(max_allowance, ⌊C/100R⌋))),
// so R·A ≤ max(R·max_allowance, C/100).
//  - Rate: every admitted request is paid by a token granted from the Redis bucket, except
//    requests admitted on credit (≤ A per replica between two replies showing the bucket
//    non-negative); credit is charged to the bucket afterwards even below zero (floor −C), so it
//    is repaid by later requests. Leased-but-unspent tokens (≤ Lmax per replica) may be spent
//    after the bucket refilled. Hence, over any interval of length t, across all replicas:
//        admitted ≤ C + rate·t + R·(Lmax + A)
//    and with C ≥ 16·R the excess R·(Lmax + A) ≤ 0.75·C stays within one burst.
//  - Quota: the Redis counter counts every admitted request (leases are counted when granted,
//    unused ones returned, credit charged even above the limit), so after Stop() it equals what
//    was admitted. Per window: admitted ≤ limit + R·A (each replica's credit can cross the limit
//    once; a replica that learnt the quota is exhausted keeps that knowledge until the window
//    ends), plus A for each replica process restarted within the window.
//  - Beyond A, a key waiting for its first lease refuses (≈ one tick + one RTT): seen only by a
//    brand-new key that gets more than A requests in its first few ms.
//  - Lost replies (timeout after Redis ran a script) only lose tokens (under-admission) or
//    count a debt twice (quota over-counted by at most one batch) — never over-admit.
// DEGRADED (Redis unreachable; outcomes carry degraded = true): leased tokens are spent first,
// then each replica enforces a fair share locally — rate: burst C/R refilled at rate/R; quota:
// (limit − used at last sync)/R, none for a quota key never synced — and once that is spent the
// rule's fail_open decides. Everything admitted meanwhile is debt, charged to Redis on recovery
// (quotas keep every count; rate buckets absorb at most C of it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "ratelimit/counter_store.h"
#include "ratelimit/redis/cluster_slots.h"
#include "ratelimit/redis/key_state.h"
#include "ratelimit/redis/redis_options.h"
#include "ratelimit/redis/resp_command.h"

namespace tollgate::ratelimit {

class RedisConnection;
struct RedisReply;
class RedisNodes;

class RedisCounterStore final : public CounterStore {
 public:
  // Monotonic counters for metrics and tests; a snapshot, each field read atomically.
  struct Stats {
    int64_t requests = 0;            // Acquire() calls (with at least one rule)
    int64_t commands = 0;            // Redis commands sent (each EVALSHA is one)
    int64_t round_trips = 0;         // pipelined exchanges
    int64_t leases = 0;              // lease commands (rate + quota)
    int64_t returns = 0;             // return commands
    int64_t granted = 0;             // tokens granted by Redis
    int64_t credit_admits = 0;       // requests admitted on credit (debt) while Redis was up
    int64_t degraded_decisions = 0;  // outcomes with degraded = true
    int64_t failures = 0;            // failed connects or exchanges
    int64_t keys = 0;                // keys with local state now
    int64_t longest_sweep_hold_ns = 0;  // longest a sweep held one shard's lock (requests wait)
    int64_t replicas = 0;            // live replicas last seen (≥ 1)
    bool connected = false;
  };

  // Connects (blocking, bounded by the timeouts), loads the scripts and registers this replica.
  // Error kUnavailable when Redis cannot be reached or refuses AUTH/SELECT. Call Start() next.
  static Result<std::unique_ptr<RedisCounterStore>> Connect(const RedisOptions& options);

  ~RedisCounterStore() override;  // Stop()s if needed

  // Starts the sync thread. Acquire() before Start() works on credit only.
  void Start();
  // Stops the sync thread, then (best effort, one round trip) returns every unused lease,
  // settles debts and leaves the replica registry. Idempotent. Not concurrent with Acquire().
  void Stop();

  // CounterStore. Never blocks on the network: takes only in-process locks (one lock per
  // distinct shard of its rules). Thread-safe. No allocation once the keys exist.
  bool Acquire(std::span<const LimitRule> rules, int64_t cost, int64_t now_ms,
               std::span<LimitOutcome> out) override;
  // Used in the window containing now_ms, from the last sync plus this replica's local view.
  int64_t QuotaUsed(const LimitRule& rule, int64_t now_ms) override;

  Stats GetStats() const;

  // Where the sync thread's work went, per Redis master (Redis Cluster) or for the one server.
  struct NodeStats {
    std::string address;     // "host:port"
    int64_t keys = 0;        // lease and settlement items sent to it (a batched call has many)
    int64_t commands = 0;    // commands sent to it
    int64_t round_trips = 0; // pipelined exchanges with it
    int64_t redirects = 0;   // calls it answered MOVED, ASK or TRYAGAIN (CLUSTERDOWN: an outage)
    int64_t asked = 0;       // calls sent to it after ASKING (another master answered ASK)
  };
  struct ClusterStats {
    bool cluster = false;       // the last connection found a Redis Cluster
    int64_t slot_map_loads = 0; // slot maps loaded (connects and reloads after a redirect)
    std::vector<NodeStats> nodes;  // every node ever used, in order of first use
  };
  // A snapshot; thread-safe (takes a mutex the sync thread takes once per exchange).
  ClusterStats GetClusterStats() const;
  const RedisOptions& options() const { return options_; }

 private:
  using KeyState = redis_internal::KeyState;
  using Paid = redis_internal::Paid;
  using Lease = redis_internal::Lease;
  using Settle = redis_internal::Settle;
  using Shard = redis_internal::Shard;

  RedisCounterStore(RedisOptions options, std::unique_ptr<RedisNodes> nodes, int64_t replicas);

  // --- Hot path (redis_counter_store.cc).
  // The rule's state in `shard` (whose lock the caller holds), created on first use.
  KeyState& FindOrCreate(const LimitRule& rule, Shard& shard, int64_t now_ms);
  Shard& ShardOf(const KeyState& s) const;
  // Decides one rule under the key's lock; consumes. `notify` set when the sync thread must wake.
  Paid Take(KeyState& s, const LimitRule& rule, int64_t cost, int64_t now_ms, LimitOutcome& out,
            bool& notify);
  void Undo(KeyState& s, Paid paid, int64_t cost);
  void Refresh(KeyState& s, const LimitRule& rule, int64_t now_ms);
  void Enqueue(KeyState& s, bool urgent);  // requires the key's shard lock

  // --- Sync thread (redis_sync.cc).
  void Run();
  void Tick(int64_t now_ms);
  bool EnsureConnected(int64_t now_ms);
  // Sweeps a share of the keys (idle leases returned, idle states freed): a pass over every key
  // starts each idle_return / 4 and is spread over the ticks; a shard's lock is held for at most
  // kSweepChunk states at a time, so that a request never waits for a whole shard's walk.
  void Sweep(int64_t now_ms);
  // One state's sweep: its idle lease queued for return; true when it can be freed.
  bool SweepState(KeyState& s, int64_t now_ms, bool up);
  static constexpr size_t kSweepChunk = 256;
  // Records a lease's answer (tokens granted; rate: whole tokens left in the bucket, quota: used
  // after) in its key, and decides whether the key stays queued.
  void Apply(const Lease& lease, int64_t granted, int64_t left, int64_t now_ms);
  // A lease whose answer never came or was an error: its debt is owed again, key re-queued.
  void Retry(const Lease& lease);
  void MarkDown(int64_t now_ms);
  // Under the key's shard lock: sizes the key's next lease (demand, prefetch mark), moves its
  // debt in flight and fills `lease`; false when there is nothing to ask.
  bool PlanLease(KeyState& s, int64_t now_ms, Lease& lease);
  // Adds every pending settlement to batch_ (as items with Lease::settle set).
  void BatchSettles(int64_t now_ms);
  // No lock: orders batch_ and cuts it into calls_ of the batched lease script, each of at most
  // kMaxBatchKeys items, rate keys first. One server: in planning order, as many keys per call
  // as fit. Redis Cluster: grouped by master, and a call's keys share one slot.
  void PlanCalls();
  // Queues calls_[call] on `conn` as one EVALSHA (RESP written into command_).
  void AppendCall(RedisConnection& conn, size_t call);
  // Sends each master its calls (and the heartbeat to the registry's master: `heartbeat` holds
  // its arguments, empty for none), one pipelined exchange per master in turn, then each
  // importing master the calls answered ASK, after ASKING (one exchange per importing master,
  // the same tick); takes each call's reply (TakeReply): answered settlements leave settles_.
  // Returns false after a transport failure, a timeout or a failed reply (the caller marks Redis
  // down). The masters after a failed one are not sent to: their items are retried.
  bool ExchangeCalls(std::span<const std::string_view> heartbeat);
  // One pass of ExchangeCalls(): calls_[begin, end), ordered by node, one exchange per node (the
  // heartbeat in its master's). `ok` false: nothing is sent, the items are retried. Returns `ok`
  // and-ed with how this pass went.
  bool SendCalls(size_t begin, size_t end, std::span<const std::string_view> heartbeat, bool ok);
  // How TakeReply() found a call's reply.
  enum class Taken : uint8_t {
    kAnswered,    // leases applied, settlements marked settled
    kLost,        // no reply (the exchange failed or was not sent): items retried
    kAsked,       // ASK followed: the call is queued for its importing master (FollowAsk)
    kRedirected,  // MOVED, TRYAGAIN, an ASK not followed: not run, items retried
    kFailed,      // CLUSTERDOWN or another error reply: items retried, an outage
  };
  // Takes calls_[call]'s reply (nullptr: none came): an answer applies its leases (Apply()) and
  // marks its settlements in settled_; anything else retries its leases (Retry()) and leaves its
  // settlements owed — except an ASK that FollowAsk() follows (only for a call not itself sent
  // after ASKING: one hop per tick). MOVED sets reload_slots_.
  Taken TakeReply(size_t call, const RedisReply* reply, int64_t done_ms);
  // calls_[call] was answered ASK `text` by its master: appends a copy of it to calls_ for the
  // importing master (asking set) and returns true when that is a connected master. An ASK
  // naming another node sets reload_slots_ (the reloaded map will name it); one that does not
  // parse, or names another slot than the call's, is a plain redirect. Both return false.
  bool FollowAsk(size_t call, std::string_view text);
  // Adds every master of the current connection to seeds_ (reconnects try them all).
  void RememberMasters();
  // Adds `sent` (one exchange with node `node` of nodes_; its address unused) to the cluster
  // stats.
  void CountExchange(size_t node, const NodeStats& sent);
  void SettleEverything();  // Stop(): every key's tokens and debts, one exchange per master
  // A counter's Redis key, written into `out` (whose capacity is reused).
  void KeyNameInto(uint64_t key, LimitRule::Kind kind, int64_t window_start,
                   std::string& out) const;
  // Leases per batched script call: a call of this many keys keeps Redis busy well under 1 ms.
  static constexpr size_t kMaxBatchKeys = 128;
  // The heartbeat drops silent replicas (and renews the registry's expiry) once in this many;
  // the others only register and count, which costs Redis two commands fewer.
  static constexpr int64_t kHeartbeatCleanEvery = 10;
  int64_t RegistryExpireMs() const {
    return 2 * options_.replica_ttl.count() + kHeartbeatCleanEvery * options_.heartbeat.count();
  }
  int64_t Now() const;

  const RedisOptions options_;
  const Clock* const clock_;

  // Key map: sharded (shard.h); a shard's lock guards its map and its states. Acquire() holds
  // the locks of its keys' shards while it uses the states, so eviction never frees a state
  // in use; the sync thread takes one shard lock at a time, briefly, never across I/O.
  std::unique_ptr<Shard[]> shards_;

  // Work handed from the hot path to the sync thread. Guarded by queue_mu_ (taken after key
  // locks, never before).
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<KeyState*> inbound_;       // keys that need a lease or a settlement
  std::vector<Settle> inbound_settles_;  // quota windows left behind with tokens or debt
  bool stopping_ = false;
  bool urgent_ = false;  // a key ran dry: do not wait for the tick

  // Shared with the hot path without a lock.
  std::atomic<bool> redis_up_{true};
  std::atomic<uint64_t> outage_{0};      // incremented when Redis becomes unreachable
  std::atomic<int64_t> replicas_{1};
  struct Counters {
    std::atomic<int64_t> commands{0}, round_trips{0}, leases{0}, returns{0}, granted{0},
        credit_admits{0}, degraded{0}, failures{0}, keys{0},
        longest_sweep_hold_ns{0};  // written by the sync thread only
  } counters_;

  // Owned by the sync thread only (and by Stop() after the thread has ended).
  std::unique_ptr<RedisNodes> nodes_;    // null while Redis is down
  // Where reconnects start: the configured node, then every master learnt from a slot map (the
  // configured node may be the one that died).
  std::vector<redis_internal::NodeAddress> seeds_;
  // MOVED, or an ASK to an unknown node, was answered: reload before the next exchange.
  bool reload_slots_ = false;
  struct Call {
    size_t first = 0;  // batch_[first, first + count)
    size_t count = 0;
    size_t node = 0;   // index in nodes_
    bool asking = false;  // sent after ASKING: following another master's ASK
  };
  std::vector<Call> calls_;              // the batched calls of the exchange being built
  std::vector<KeyState*> pending_;       // queued keys waiting for their retry time or Redis
  std::vector<Settle> settles_;          // returns and window settlements not yet acknowledged
  std::vector<bool> settled_;            // per settles_ item: answered in this exchange
  std::vector<Lease> batch_;             // leases of the exchange being built
  redis_internal::RespCommand command_;  // the batched lease call being written
  std::string key_name_;                 // scratch for one key's name
  int64_t next_connect_ms_ = 0;
  int64_t backoff_ms_ = 0;
  int64_t next_heartbeat_ms_ = 0;
  int64_t heartbeats_ = 0;
  int64_t next_sweep_ms_ = 0;
  // Where the sweep pass under way stands: the shard, and the key to go on from in it (none: its
  // start). A key the map moved (an insert rehashed it) may be skipped for one pass.
  struct SweepCursor {
    bool active = false;
    int64_t started_ms = 0;
    size_t shard = 0;
    bool resume = false;  // go on from (key, kind) in `shard`, else from its start
    uint64_t key = 0;
    LimitRule::Kind kind = LimitRule::Kind::kRate;
  };
  SweepCursor sweep_;

  mutable std::mutex cluster_stats_mu_;  // guards cluster_stats_ (sync thread writes)
  ClusterStats cluster_stats_;

  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace tollgate::ratelimit
