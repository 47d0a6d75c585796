// RedisCounterStore's request path (Acquire, QuotaUsed), construction and shutdown. The sync
// thread (leases, returns, heartbeats, reconnects) is in redis_sync.cc.
#include "ratelimit/redis/redis_counter_store.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "ratelimit/redis/redis_cluster.h"
#include "ratelimit/redis/redis_connection.h"
#include "ratelimit/redis/shard.h"

namespace tollgate::ratelimit {
namespace {

using redis_internal::ColdAllowance;
using redis_internal::LeaseCap;
using redis_internal::kShards;
using redis_internal::MapKey;
using redis_internal::ShardIndex;

constexpr size_t kMaxRules = 16;  // more rules per Acquire than the enforcer ever sends (12)

std::string DefaultReplicaId() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + std::to_string(rd() % 100000);
}

// A rate's refill, derived from the rule on the request path (the same arithmetic as the copy
// Refresh() keeps in the state for the sync thread, so the same value).
int64_t WindowMs(const RateLimit& rate) { return PeriodSeconds(rate.per) * 1000; }
double TokensPerMs(const RateLimit& rate) {
  return static_cast<double>(rate.requests) / static_cast<double>(WindowMs(rate));
}

Window QuotaWindowOrUtc(const LimitRule& rule, int64_t now_s) {
  if (Result<Window> w = QuotaWindow(*rule.quota, rule.anchor, now_s); w.ok()) return *w;
  Quota utc = *rule.quota;  // unknown zone (validation prevents it): calendar months in UTC
  utc.time_zone = "UTC";
  if (Result<Window> w = QuotaWindow(utc, rule.anchor, now_s); w.ok()) return *w;
  return Window{now_s - now_s % 2'592'000, now_s - now_s % 2'592'000 + 2'592'000};
}

}  // namespace

Result<std::unique_ptr<RedisCounterStore>> RedisCounterStore::Connect(const RedisOptions& given) {
  RedisOptions options = given;
  if (options.replica_id.empty()) options.replica_id = DefaultReplicaId();
  const redis_internal::NodeAddress seed[] = {{options.host, options.port}};
  Result<std::unique_ptr<RedisNodes>> nodes = RedisNodes::Open(
      ConnectionOptions{options.host, options.port, options.password, options.db,
                        options.connect_timeout, options.command_timeout},
      seed);
  if (!nodes.ok()) return nodes.error();
  const std::string registry = options.key_prefix + "replicas";
  RedisConnection* conn = &(*nodes)->connection((*nodes)->NodeOfKey(registry));
  const std::string ttl = std::to_string(options.replica_ttl.count());
  const std::string expire = std::to_string(
      2 * options.replica_ttl.count() + kHeartbeatCleanEvery * options.heartbeat.count());
  const std::string_view args[] = {options.replica_id, ttl, "1", expire};
  conn->AppendScript(Script::kHeartbeat, registry, args);
  std::vector<RedisReply> replies;
  if (Status s = conn->Exchange(replies); !s.ok()) return s.error();
  if (replies.front().type != RedisReply::Type::kInteger) {
    return Error{ErrorKind::kUnavailable, "redis_unavailable",
                 "redis " + conn->address() + " heartbeat failed: " + replies.front().text, {}};
  }
  return std::unique_ptr<RedisCounterStore>(new RedisCounterStore(
      std::move(options), std::move(*nodes), std::max<int64_t>(1, replies.front().integer)));
}

RedisCounterStore::RedisCounterStore(RedisOptions options, std::unique_ptr<RedisNodes> nodes,
                                     int64_t replicas)
    : options_(std::move(options)),
      clock_(options_.clock),
      shards_(new Shard[kShards]),
      nodes_(std::move(nodes)) {
  replicas_.store(replicas);
}

RedisCounterStore::~RedisCounterStore() { Stop(); }

void RedisCounterStore::Start() {
  if (started_ || stopped_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void RedisCounterStore::Stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  SettleEverything();
}

int64_t RedisCounterStore::Now() const {
  if (clock_ != nullptr) return clock_->NowMillis();
  return SystemClock().NowMillis();
}

RedisCounterStore::Shard& RedisCounterStore::ShardOf(const KeyState& s) const {
  return shards_[ShardIndex(s.key, s.kind)];
}

RedisCounterStore::KeyState& RedisCounterStore::FindOrCreate(const LimitRule& rule, Shard& shard,
                                                             int64_t now_ms) {
  auto [it, inserted] = shard.map.try_emplace(MapKey{rule.key, rule.kind}, nullptr);
  if (!inserted) return *it->second;
  it->second = std::make_unique<KeyState>(rule.key, rule.kind);
  KeyState& s = *it->second;
  Refresh(s, rule, now_ms);
  const int64_t replicas = replicas_.load(std::memory_order_relaxed);
  s.allowance = ColdAllowance(s.capacity, replicas, options_.max_allowance);
  s.lease_cap = LeaseCap(s.capacity, replicas);
  s.global_left = s.capacity;
  s.hits_since_ms = s.last_used_ms = now_ms;
  counters_.keys.fetch_add(1, std::memory_order_relaxed);
  return s;
}

void RedisCounterStore::Refresh(KeyState& s, const LimitRule& rule, int64_t now_ms) {
  // Fields are compared before they are written: a line only read stays clean.
  if (rule.kind == LimitRule::Kind::kRate) {
    if (s.capacity != rule.rate->burst + 1) s.capacity = rule.rate->burst + 1;
    if (rule.rate->requests != s.rate_requests || static_cast<uint8_t>(rule.rate->per) != s.rate_per) {
      s.rate_requests = rule.rate->requests;
      s.rate_per = static_cast<uint8_t>(rule.rate->per);
      s.window_ms = WindowMs(*rule.rate);
      s.tokens_per_ms = TokensPerMs(*rule.rate);
    }
    return;
  }
  if (s.capacity != rule.quota->requests) s.capacity = rule.quota->requests;
  const int64_t now_s = now_ms / 1000;
  if (now_s >= s.window.start && now_s < s.window.end) return;
  // A new window (or the first): what this replica holds or owes belongs to the old one.
  if (s.window.end != 0 && (s.tokens > 0 || s.debt > 0)) {
    std::lock_guard lock(queue_mu_);
    inbound_settles_.push_back(Settle{s.key, s.kind, s.window, s.capacity, 0, s.tokens, s.debt});
  }
  s.window = QuotaWindowOrUtc(rule, now_s);
  s.tokens = s.debt = s.used = 0;
  s.known = false;
  s.global_left = s.capacity;
  s.empty_until_ms = 0;
  s.outage = 0;
  s.allowance = ColdAllowance(s.capacity, replicas_.load(std::memory_order_relaxed),
                              options_.max_allowance);
}

void RedisCounterStore::Enqueue(KeyState& s, bool urgent) {
  s.queued = true;
  std::lock_guard lock(queue_mu_);
  inbound_.push_back(&s);
  urgent_ = urgent_ || urgent;
}

RedisCounterStore::Paid RedisCounterStore::Take(KeyState& s, const LimitRule& rule, int64_t cost,
                                                int64_t now_ms, LimitOutcome& out,
                                                bool& notify) {
  Refresh(s, rule, now_ms);
  const bool rate = s.kind == LimitRule::Kind::kRate;
  const double tokens_per_ms = rate ? TokensPerMs(*rule.rate) : 0;  // = s.tokens_per_ms
  s.hits += static_cast<uint32_t>(s.hits != UINT32_MAX);
  s.last_used_ms = now_ms;
  const bool up = redis_up_.load(std::memory_order_acquire);
  const int64_t replicas = replicas_.load(std::memory_order_relaxed);
  Paid paid = Paid::kRefused;
  if (s.tokens >= cost) {
    s.tokens -= cost;
    paid = Paid::kLease;
  } else if (up) {
    if (s.allowance >= cost && now_ms >= s.empty_until_ms) {
      s.allowance -= cost;
      s.debt += cost;
      paid = Paid::kAllowance;
    }
  } else {
    out.degraded = true;
    const uint64_t outage = outage_.load(std::memory_order_acquire);
    if (s.outage != outage) {  // first degraded request of this outage: a fresh fair share
      s.outage = outage;
      s.local_tokens = std::max(1.0, static_cast<double>(s.capacity) / static_cast<double>(replicas));
      s.local_ts_ms = now_ms;
      s.local_quota = s.known ? std::max<int64_t>(0, s.capacity - s.used) / replicas : 0;
    }
    if (rate) {
      const double cap = std::max(1.0, static_cast<double>(s.capacity) / static_cast<double>(replicas));
      s.local_tokens = std::min(cap, s.local_tokens + static_cast<double>(now_ms - s.local_ts_ms) *
                                                          tokens_per_ms / static_cast<double>(replicas));
      s.local_ts_ms = std::max(s.local_ts_ms, now_ms);
    }
    const bool local_ok = rate ? s.local_tokens >= static_cast<double>(cost) : s.local_quota >= cost;
    if (local_ok) {
      if (rate) {
        s.local_tokens -= static_cast<double>(cost);
      } else {
        s.local_quota -= cost;
      }
      paid = Paid::kDegradedLocal;
    } else if (rule.fail_open) {
      paid = Paid::kFailOpen;
    }
    if (paid != Paid::kRefused) s.debt += cost;
  }
  // Ask the sync thread for tokens before they run out, or to charge what is owed.
  if (!s.queued && (s.tokens < s.low_water || s.debt > 0)) {
    const bool urgent = up && s.tokens < cost;
    Enqueue(s, urgent);
    notify = notify || urgent;
  }

  out.allowed = paid != Paid::kRefused;
  if (rate) {
    out.limit = rule.rate->requests;
    out.window_seconds = PeriodSeconds(rule.rate->per);
    int64_t left = s.tokens + std::max<int64_t>(0, s.global_left);
    if (out.degraded) left = s.tokens + static_cast<int64_t>(s.local_tokens);
    out.remaining = std::clamp<int64_t>(left, 0, s.capacity);
    out.reset_ms = static_cast<int64_t>(
        std::ceil(static_cast<double>(s.capacity - out.remaining) / tokens_per_ms));
    if (!out.allowed) {
      const double per_ms = out.degraded ? tokens_per_ms / static_cast<double>(replicas)
                                         : tokens_per_ms;
      out.retry_after_ms = std::max<int64_t>(
          s.empty_until_ms - now_ms,
          static_cast<int64_t>(std::ceil(static_cast<double>(cost) / per_ms)));
    }
  } else {
    out.limit = s.capacity;
    out.window_seconds = s.window.end - s.window.start;
    int64_t left = s.known ? s.capacity - s.used + s.tokens : s.capacity - s.debt;
    if (out.degraded) left = s.tokens + s.local_quota;
    out.remaining = std::clamp<int64_t>(left, 0, s.capacity);
    out.reset_ms = std::max<int64_t>(0, s.window.end * 1000 - now_ms);
    if (!out.allowed) {
      const bool exhausted = s.known && s.used >= s.capacity;
      out.retry_after_ms = out.degraded ? 1000  // Redis may be back by then
                           : exhausted  ? out.reset_ms
                                        : std::max<int64_t>(s.empty_until_ms - now_ms,
                                                            2 * options_.tick.count());
    }
  }
  return paid;
}

void RedisCounterStore::Undo(KeyState& s, Paid paid, int64_t cost) {
  switch (paid) {
    case Paid::kLease:
      s.tokens += cost;
      break;
    case Paid::kAllowance:
      s.allowance += cost;
      s.debt -= cost;
      break;
    case Paid::kDegradedLocal:
      if (s.kind == LimitRule::Kind::kRate) {
        s.local_tokens += static_cast<double>(cost);
      } else {
        s.local_quota += cost;
      }
      s.debt -= cost;
      break;
    case Paid::kFailOpen:
      s.debt -= cost;
      break;
    case Paid::kRefused:
      break;
  }
}

bool RedisCounterStore::Acquire(std::span<const LimitRule> all_rules, int64_t cost, int64_t now_ms,
                                std::span<LimitOutcome> out) {
  const std::span<const LimitRule> rules = all_rules.first(std::min(all_rules.size(), kMaxRules));
  const size_t n = rules.size();
  // Only the first n entries are used: not zeroed (zeroing them was ~20 % of this function).
  std::array<size_t, kMaxRules> shard_of;
  std::array<size_t, kMaxRules> shards;
  std::array<KeyState*, kMaxRules> states;
  for (size_t i = 0; i < n; ++i) shards[i] = shard_of[i] = ShardIndex(rules[i].key, rules[i].kind);
  size_t shard_count = n;
  if (n > 1) {
    std::sort(shards.begin(), shards.begin() + n);
    shard_count = std::unique(shards.begin(), shards.begin() + n) - shards.begin();
  }
  // One lock per distinct shard, in index order; it guards the map and the states in it.
  for (size_t j = 0; j < shard_count; ++j) shards_[shards[j]].mu.lock();
  if (n > 0) {
    std::atomic<int64_t>& requests = shards_[shards[0]].requests;  // written under its lock
    requests.store(requests.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  // With several rules the lookups are independent: start every rule's map probe, then every
  // state's line, before the first use, so that their cache misses overlap.
  if (n > 1) {
    for (size_t i = 0; i < n; ++i) shards_[shard_of[i]].map.prefetch(MapKey{rules[i].key, rules[i].kind});
  }
  for (size_t i = 0; i < n; ++i) {
    states[i] = &FindOrCreate(rules[i], shards_[shard_of[i]], now_ms);
    __builtin_prefetch(states[i], 1);
  }

  bool allowed = true;
  bool notify = false;
  std::array<Paid, kMaxRules> paid;
  for (size_t i = 0; i < n; ++i) {
    out[i] = LimitOutcome{};
    paid[i] = Take(*states[i], rules[i], cost, now_ms, out[i], notify);
    allowed = allowed && paid[i] != Paid::kRefused;
  }
  int64_t credit = 0;
  int64_t degraded = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!allowed && paid[i] != Paid::kRefused) {  // all or nothing
      Undo(*states[i], paid[i], cost);
      out[i].remaining = std::min(out[i].limit, out[i].remaining + cost);
    }
    credit += allowed && paid[i] == Paid::kAllowance ? 1 : 0;
    degraded += out[i].degraded ? 1 : 0;
  }
  for (size_t j = 0; j < shard_count; ++j) shards_[shards[j]].mu.unlock();
  for (size_t i = n; i < all_rules.size() && i < out.size(); ++i) out[i] = LimitOutcome{};
  if (credit != 0) counters_.credit_admits.fetch_add(credit, std::memory_order_relaxed);
  if (degraded != 0) counters_.degraded.fetch_add(degraded, std::memory_order_relaxed);
  if (notify) queue_cv_.notify_one();
  return allowed;
}

int64_t RedisCounterStore::QuotaUsed(const LimitRule& rule, int64_t now_ms) {
  Shard& shard = shards_[ShardIndex(rule.key, rule.kind)];
  std::lock_guard lock(shard.mu);
  auto it = shard.map.find(MapKey{rule.key, rule.kind});
  if (it == shard.map.end()) return 0;
  const KeyState* s = it->second.get();
  const int64_t now_s = now_ms / 1000;
  if (now_s < s->window.start || now_s >= s->window.end) return 0;
  const int64_t unsynced = s->debt + s->inflight_debt;
  return std::max<int64_t>(0, (s->known ? s->used - s->tokens : 0) + unsynced);
}

RedisCounterStore::Stats RedisCounterStore::GetStats() const {
  constexpr auto r = std::memory_order_relaxed;
  Stats st;
  for (size_t i = 0; i < kShards; ++i) st.requests += shards_[i].requests.load(r);
  st.commands = counters_.commands.load(r);
  st.round_trips = counters_.round_trips.load(r);
  st.leases = counters_.leases.load(r);
  st.returns = counters_.returns.load(r);
  st.granted = counters_.granted.load(r);
  st.credit_admits = counters_.credit_admits.load(r);
  st.degraded_decisions = counters_.degraded.load(r);
  st.failures = counters_.failures.load(r);
  st.keys = counters_.keys.load(r);
  st.longest_sweep_hold_ns = counters_.longest_sweep_hold_ns.load(r);
  st.replicas = replicas_.load(r);
  st.connected = redis_up_.load(r);
  return st;
}

}  // namespace tollgate::ratelimit
