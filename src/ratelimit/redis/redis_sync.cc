// RedisCounterStore's sync thread: each tick, one pipelined round trip carrying every pending
// lease (with the debts it charges), return and settlement plus the replica heartbeat; idle
// sweeps; reconnection with backoff. Contracts and the error bound: redis_counter_store.h.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <span>

#include "ratelimit/redis/redis_cluster.h"
#include "ratelimit/redis/redis_connection.h"
#include "ratelimit/redis/redis_counter_store.h"
#include "ratelimit/redis/shard.h"

namespace tollgate::ratelimit {
namespace {

using redis_internal::ColdAllowance;
using redis_internal::kShards;
using redis_internal::LeaseCap;
using redis_internal::LeaseFloor;

constexpr int64_t kQuotaGraceSeconds = 86'400;  // keep a quota counter a day past its window
constexpr int64_t kQuotaRecheckMs = 1000;       // re-ask an exhausted quota this often

}  // namespace

void RedisCounterStore::KeyNameInto(uint64_t key, LimitRule::Kind kind, int64_t window_start,
                                    std::string& out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  char text[48];
  char* p = text;
  *p++ = '{';
  for (int shift = 60; shift >= 0; shift -= 4) *p++ = kHex[(key >> shift) & 0xf];
  *p++ = '}';
  *p++ = ':';
  if (kind == LimitRule::Kind::kRate) {
    *p++ = 'b';  // the string bucket of lua_scripts.cc (versions with a hash bucket used ":r")
  } else {
    *p++ = 'q';
    *p++ = ':';
    p = std::to_chars(p, text + sizeof text, window_start).ptr;
  }
  out.assign(options_.key_prefix);
  out.append(text, static_cast<size_t>(p - text));
}

void RedisCounterStore::Run() {
  RememberMasters();
  std::vector<KeyState*> inbound;
  std::vector<Settle> inbound_settles;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait_for(lock, options_.tick, [this] { return stopping_ || urgent_; });
      if (stopping_) break;
      urgent_ = false;
      inbound.swap(inbound_);
      inbound_settles.swap(inbound_settles_);
    }
    pending_.insert(pending_.end(), inbound.begin(), inbound.end());
    settles_.insert(settles_.end(), inbound_settles.begin(), inbound_settles.end());
    inbound.clear();
    inbound_settles.clear();
    Tick(Now());
  }
  std::lock_guard lock(queue_mu_);  // leftovers for SettleEverything()
  pending_.insert(pending_.end(), inbound_.begin(), inbound_.end());
  settles_.insert(settles_.end(), inbound_settles_.begin(), inbound_settles_.end());
  inbound_.clear();
  inbound_settles_.clear();
}

void RedisCounterStore::MarkDown(int64_t now_ms) {
  nodes_.reset();  // Cluster: every master's connection; the slot map is loaded on reconnect
  counters_.failures.fetch_add(1, std::memory_order_relaxed);
  backoff_ms_ = std::min<int64_t>(std::max<int64_t>(options_.tick.count(), backoff_ms_ * 2),
                                  options_.reconnect_backoff_max.count());
  next_connect_ms_ = now_ms + backoff_ms_;
  if (redis_up_.exchange(false, std::memory_order_acq_rel)) {
    outage_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void RedisCounterStore::RememberMasters() {
  if (seeds_.empty()) seeds_.push_back({options_.host, options_.port});
  if (!nodes_) return;
  for (size_t i = 0; i < nodes_->size(); ++i) {
    if (std::find(seeds_.begin(), seeds_.end(), nodes_->address(i)) == seeds_.end()) {
      seeds_.push_back(nodes_->address(i));
    }
  }
  std::lock_guard lock(cluster_stats_mu_);
  cluster_stats_.cluster = nodes_->cluster();
  cluster_stats_.slot_map_loads += nodes_->cluster() ? 1 : 0;
}

bool RedisCounterStore::EnsureConnected(int64_t now_ms) {
  if (nodes_) return true;
  if (now_ms < next_connect_ms_) return false;
  // Single server or Cluster, whichever answers now: a cluster needs every master reachable
  // and in cluster_state:ok (it is treated as one unit, see docs/ratelimit-redis.md).
  Result<std::unique_ptr<RedisNodes>> nodes = RedisNodes::Open(
      ConnectionOptions{options_.host, options_.port, options_.password, options_.db,
                        options_.connect_timeout, options_.command_timeout},
      seeds_);
  if (!nodes.ok()) {
    MarkDown(Now());
    return false;
  }
  nodes_ = std::move(*nodes);
  reload_slots_ = false;
  RememberMasters();
  backoff_ms_ = 0;
  next_heartbeat_ms_ = 0;  // learn the replica count again right away
  redis_up_.store(true, std::memory_order_release);
  return true;
}

void RedisCounterStore::Tick(int64_t now_ms) {
  if (!EnsureConnected(now_ms)) return;
  if (reload_slots_) {
    // A redirect was answered: follow the slot map before sending again. A reload that fails
    // means no master answers or a new one cannot be reached: an outage.
    if (!nodes_->Reload().ok()) {
      MarkDown(Now());
      return;
    }
    reload_slots_ = false;
    RememberMasters();
  }
  Sweep(now_ms);
  const bool heartbeat = now_ms >= next_heartbeat_ms_;
  std::string ttl, expire;
  std::vector<std::string_view> beat;
  if (heartbeat) {
    ttl = std::to_string(options_.replica_ttl.count());
    expire = std::to_string(RegistryExpireMs());
    const bool clean = heartbeats_++ % kHeartbeatCleanEvery == 0;
    beat = {options_.replica_id, ttl, clean ? "1" : "0", expire};
    next_heartbeat_ms_ = now_ms + options_.heartbeat.count();
  }
  batch_.clear();
  BatchSettles(now_ms);
  size_t keep = 0;
  // Each key is planned under its shard's lock (a few arithmetic operations); the commands are
  // formatted and sent, and the replies awaited, without any lock held.
  for (KeyState* s : pending_) {
    Lease lease;
    bool planned = false;
    {
      std::lock_guard lock(ShardOf(*s).mu);
      const bool needed = s->debt > 0 || s->tokens < s->low_water;
      const bool wanted = s->last_used_ms + options_.idle_return.count() >= now_ms;
      if (!needed || (s->debt == 0 && !wanted)) {
        s->queued = false;
      } else if (s->debt == 0 && now_ms < s->empty_until_ms) {
        pending_[keep++] = s;  // Redis said empty: wait until it has refilled
      } else if (!(planned = PlanLease(*s, now_ms, lease))) {
        s->queued = false;
      }
    }
    if (planned) batch_.push_back(lease);
  }
  pending_.resize(keep);
  PlanCalls();
  if (!ExchangeCalls(beat)) MarkDown(Now());  // reconnecting reloads scripts and the slot map
}

bool RedisCounterStore::ExchangeCalls(std::span<const std::string_view> heartbeat) {
  settled_.assign(settles_.size(), false);
  // The calls a master answered ASK are appended to calls_ (asking set, node: the importing
  // master) while the first pass takes its replies; the second pass sends them, the same tick.
  const size_t planned = calls_.size();
  bool ok = SendCalls(0, planned, heartbeat, true);
  std::stable_sort(calls_.begin() + static_cast<ptrdiff_t>(planned), calls_.end(),
                   [](const Call& a, const Call& b) { return a.node < b.node; });
  ok = SendCalls(planned, calls_.size(), {}, ok);
  // Apply() may have added settlements (after settled_ was sized): those are kept.
  size_t kept_settles = 0;
  for (size_t i = 0; i < settles_.size(); ++i) {
    if (i >= settled_.size() || !settled_[i]) settles_[kept_settles++] = settles_[i];
  }
  settles_.resize(kept_settles);
  return ok;
}

bool RedisCounterStore::SendCalls(size_t begin, size_t end,
                                  std::span<const std::string_view> heartbeat, bool ok) {
  const std::string registry = options_.key_prefix + "replicas";
  const size_t registry_node = nodes_->NodeOfKey(registry);
  std::vector<RedisReply> replies;
  size_t call = begin;
  for (size_t node = 0; node < nodes_->size(); ++node) {
    const size_t first_call = call;
    while (call < end && calls_[call].node == node) ++call;
    const bool beat = !heartbeat.empty() && node == registry_node;
    if (call == first_call && !beat) continue;
    replies.clear();
    NodeStats sent;
    if (ok) {  // after a failed master the others are not sent to: their items are retried
      RedisConnection& conn = nodes_->connection(node);
      if (beat) conn.AppendScript(Script::kHeartbeat, registry, heartbeat);
      for (size_t c = first_call; c < call; ++c) {
        AppendCall(conn, c);
        sent.keys += static_cast<int64_t>(calls_[c].count);
        sent.asked += calls_[c].asking ? 1 : 0;
      }
      sent.commands = static_cast<int64_t>(conn.pending());
      sent.round_trips = 1;
      counters_.commands.fetch_add(sent.commands, std::memory_order_relaxed);
      counters_.round_trips.fetch_add(1, std::memory_order_relaxed);
      ok = conn.Exchange(replies).ok();
      if (beat && !replies.empty() && replies[0].type == RedisReply::Type::kInteger) {
        replicas_.store(std::max<int64_t>(1, replies[0].integer), std::memory_order_relaxed);
      } else if (beat && !replies.empty() && replies[0].type == RedisReply::Type::kError &&
                 ClassifyError(replies[0].text) != ClusterError::kNone) {
        reload_slots_ = true;  // the registry's slot moved: the next heartbeat follows it
        next_heartbeat_ms_ = 0;
      }
    }
    const int64_t done_ms = Now();
    size_t r = beat ? 1 : 0;
    for (size_t c = first_call; c < call; ++c) {
      r += calls_[c].asking ? 1 : 0;  // ASKING's +OK
      const Taken taken = TakeReply(c, r < replies.size() ? &replies[r] : nullptr, done_ms);
      ++r;
      sent.redirects += taken == Taken::kRedirected || taken == Taken::kAsked ? 1 : 0;
      ok = ok && taken != Taken::kFailed;
    }
    if (sent.round_trips != 0) CountExchange(node, sent);
  }
  return ok;
}

RedisCounterStore::Taken RedisCounterStore::TakeReply(size_t call, const RedisReply* reply,
                                                      int64_t done_ms) {
  const Call cl = calls_[call];  // a copy: following an ASK appends to calls_
  // A batched call answers two integers per item, in batch_ order.
  const bool answered = reply != nullptr && reply->type == RedisReply::Type::kArray &&
                        reply->values.size() == 2 * cl.count;
  Taken taken = answered ? Taken::kAnswered : Taken::kLost;
  if (!answered && reply != nullptr) {
    const ClusterError error =
        reply->type == RedisReply::Type::kError ? ClassifyError(reply->text) : ClusterError::kNone;
    if (error == ClusterError::kNone || error == ClusterError::kClusterDown) {
      taken = Taken::kFailed;  // NOSCRIPT, OOM, a script error, the cluster refusing keys
    } else if (error == ClusterError::kAsk && !cl.asking && FollowAsk(call, reply->text)) {
      return Taken::kAsked;  // its items are taken with the importing master's reply
    } else {
      // Not run at all: retried below. MOVED: the slot map changed, reload it first. TRYAGAIN
      // (and an ASK not followed): a migration is under way and the map does not change until
      // it ends (then MOVED follows); the items wait for that, a tick at a time.
      taken = Taken::kRedirected;
      reload_slots_ = reload_slots_ || error == ClusterError::kMoved;
    }
  }
  for (size_t i = cl.first; i < cl.first + cl.count; ++i) {
    const Lease& item = batch_[i];
    if (item.settle >= 0) {
      settled_[static_cast<size_t>(item.settle)] = answered;
    } else if (answered) {
      const size_t k = i - cl.first;
      Apply(item, reply->values[2 * k], reply->values[2 * k + 1], done_ms);
    } else {
      Retry(item);
    }
  }
  return taken;
}

bool RedisCounterStore::FollowAsk(size_t call, std::string_view text) {
  // The importing master has the keys the old one no longer has; the slot map stays as it is
  // (the slot is still the old master's until SETSLOT NODE, then MOVED says so).
  const Call cl = calls_[call];  // a copy: calls_ grows below
  const std::optional<redis_internal::AskRedirect> ask =
      redis_internal::ParseAsk(text, nodes_->address(cl.node).host);
  if (!ask || ask->slot != batch_[cl.first].slot) return false;  // unreadable: a plain redirect
  const std::optional<size_t> target = nodes_->NodeAt(ask->target);
  if (!target || *target == cl.node) {
    reload_slots_ = true;  // a node this store does not know: the map names it once reloaded
    return false;
  }
  calls_.push_back(Call{cl.first, cl.count, *target, /*asking=*/true});
  return true;
}

void RedisCounterStore::CountExchange(size_t node, const NodeStats& sent) {
  const std::string address = nodes_->address(node).ToString();
  std::lock_guard lock(cluster_stats_mu_);
  auto it = std::find_if(cluster_stats_.nodes.begin(), cluster_stats_.nodes.end(),
                         [&](const NodeStats& n) { return n.address == address; });
  if (it == cluster_stats_.nodes.end()) {
    it = cluster_stats_.nodes.insert(it, NodeStats{address});
  }
  it->keys += sent.keys;
  it->commands += sent.commands;
  it->round_trips += sent.round_trips;
  it->redirects += sent.redirects;
  it->asked += sent.asked;
}

RedisCounterStore::ClusterStats RedisCounterStore::GetClusterStats() const {
  std::lock_guard lock(cluster_stats_mu_);
  return cluster_stats_;
}

bool RedisCounterStore::PlanLease(KeyState& s, int64_t now_ms, Lease& lease) {
  const bool rate = s.kind == LimitRule::Kind::kRate;
  const int64_t replicas = replicas_.load(std::memory_order_relaxed);
  // Demand: requests per ms since the last lease, smoothed.
  const double elapsed = static_cast<double>(std::max<int64_t>(options_.tick.count(),
                                                               now_ms - s.hits_since_ms));
  const double instant = static_cast<double>(s.hits) / elapsed;
  s.demand_per_ms = s.known ? 0.5 * s.demand_per_ms + 0.5 * instant : instant;
  s.hits = 0;
  s.hits_since_ms = now_ms;
  const int64_t budget = rate ? s.capacity : std::max<int64_t>(0, s.capacity - s.used);
  s.lease_cap = LeaseCap(budget, replicas);
  const auto horizon = static_cast<double>(options_.lease_horizon.count());
  const int64_t smallest =
      LeaseFloor(budget, replicas, options_.min_lease, options_.min_lease_percent);
  const int64_t target =
      std::clamp<int64_t>(static_cast<int64_t>(std::ceil(s.demand_per_ms * horizon)),
                          std::min(s.lease_cap, smallest), s.lease_cap);
  // Prefetch: ask again while what is left still covers a few ticks of demand and the round
  // trip, and at least an eighth of a lease, so that a key seldom runs dry (running dry wakes
  // the sync thread at once and puts requests on credit).
  const auto lead = static_cast<int64_t>(
      std::ceil(s.demand_per_ms * static_cast<double>(2 * options_.tick.count() + 2)));
  s.low_water = std::clamp<int64_t>(std::max(lead, target / 8), 1, std::max<int64_t>(1, target / 2));
  const int64_t want = std::max<int64_t>(0, target - s.tokens);
  if (want == 0 && s.debt == 0) return false;

  lease = Lease{&s, want, s.debt, s.window.start, now_ms, s.key, s.kind, s.capacity,
                s.tokens_per_ms, s.window.end};
  s.inflight_debt = s.debt;
  s.debt = 0;
  return true;
}

void RedisCounterStore::PlanCalls() {
  calls_.clear();
  if (!nodes_->cluster()) {
    // One server: the script wants each call's rate buckets before its quota counters; a
    // stable order keeps the keys of one shard together as they were planned.
    std::stable_partition(batch_.begin(), batch_.end(),
                          [](const Lease& l) { return l.kind == LimitRule::Kind::kRate; });
    for (size_t first = 0; first < batch_.size(); first += kMaxBatchKeys) {
      calls_.push_back(Call{first, std::min(kMaxBatchKeys, batch_.size() - first), 0});
    }
  } else {
    // Cluster: a call's keys must share one slot (else CROSSSLOT), and go to its master. Most
    // calls then carry one limit's keys; each master still gets one exchange per tick.
    for (Lease& l : batch_) {
      KeyNameInto(l.key, l.kind, l.window_start, key_name_);
      l.slot = redis_internal::KeySlot(key_name_);
    }
    std::stable_sort(batch_.begin(), batch_.end(), [this](const Lease& a, const Lease& b) {
      const size_t na = nodes_->NodeOfSlot(a.slot), nb = nodes_->NodeOfSlot(b.slot);
      if (na != nb) return na < nb;
      if (a.slot != b.slot) return a.slot < b.slot;
      return a.kind == LimitRule::Kind::kRate && b.kind != LimitRule::Kind::kRate;
    });
    for (size_t i = 0; i < batch_.size(); ++i) {
      if (calls_.empty() || calls_.back().count == kMaxBatchKeys ||
          batch_[calls_.back().first].slot != batch_[i].slot) {
        calls_.push_back(Call{i, 0, nodes_->NodeOfSlot(batch_[i].slot)});
      }
      ++calls_.back().count;
    }
  }
  int64_t leases = 0, returns = 0;
  for (const Lease& item : batch_) {
    leases += item.settle < 0 ? 1 : 0;
    returns += item.settle >= 0 && item.want < 0 ? 1 : 0;
  }
  counters_.leases.fetch_add(leases, std::memory_order_relaxed);
  counters_.returns.fetch_add(returns, std::memory_order_relaxed);
}

void RedisCounterStore::AppendCall(RedisConnection& conn, size_t call) {
  const std::span<const Lease> leases(batch_.data() + calls_[call].first, calls_[call].count);
  if (calls_[call].asking) {
    constexpr std::string_view kAsking[] = {"ASKING"};  // for the next command only
    conn.Append(kAsking);
  }
  // EVALSHA sha numkeys key… nrate, then four arguments per key (lua_scripts.h).
  command_.Begin(4 + 5 * leases.size());
  command_.Arg(std::string_view("EVALSHA"));
  command_.Arg(conn.sha(Script::kLeaseBatch));
  command_.Arg(static_cast<int64_t>(leases.size()));
  int64_t rates = 0;
  for (const Lease& l : leases) {
    KeyNameInto(l.key, l.kind, l.window_start, key_name_);
    command_.Arg(std::string_view(key_name_));
    rates += l.kind == LimitRule::Kind::kRate ? 1 : 0;
  }
  command_.Arg(rates);
  for (const Lease& l : leases) {
    command_.Arg(l.capacity);
    if (l.kind == LimitRule::Kind::kRate) {
      command_.Arg(l.tokens_per_ms);
      command_.Arg(l.want);
      command_.Arg(l.debt);
    } else {
      command_.Arg(l.want);
      command_.Arg(l.debt);
      command_.Arg(l.window_end + kQuotaGraceSeconds);
    }
  }
  conn.AppendFormatted(command_.data());
}

void RedisCounterStore::Apply(const Lease& lease, int64_t granted, int64_t left, int64_t now_ms) {
  KeyState& s = *lease.state;
  std::lock_guard lock(ShardOf(s).mu);
  counters_.granted.fetch_add(granted, std::memory_order_relaxed);
  s.inflight_debt = 0;
  const bool rate = s.kind == LimitRule::Kind::kRate;
  if (!rate && s.window.start != lease.window_start) {
    // The quota window rolled while the lease was in flight: the tokens belong to the old one.
    if (granted > 0) {
      settles_.push_back(Settle{s.key, s.kind, Window{lease.window_start, lease.window_start + 1},
                                0, 0, granted, 0});
    }
  } else {
    const int64_t replicas = replicas_.load(std::memory_order_relaxed);
    s.tokens += granted;
    s.known = true;
    bool covered = false;
    if (rate) {
      s.global_left = left;
      covered = left >= 0;
      if (granted < lease.want) {
        // The bucket ran dry: ask again only once it has refilled a worthwhile lease (a quarter
        // of a fair share), so that a key held over its limit costs Redis a few calls per second
        // per replica instead of one per tick.
        const int64_t worthwhile = std::max(ColdAllowance(s.capacity, replicas, options_.max_allowance),
                                            s.capacity / (4 * std::max<int64_t>(1, replicas)));
        const int64_t refill = static_cast<int64_t>(
            std::ceil(static_cast<double>(worthwhile - left) / s.tokens_per_ms));
        s.empty_until_ms = now_ms + std::max<int64_t>(refill, options_.tick.count());
      }
    } else {
      s.used = left;
      s.global_left = s.capacity - left;
      covered = left <= s.capacity;
      if (granted < lease.want) s.empty_until_ms = now_ms + kQuotaRecheckMs;
    }
    // Credit is re-armed only when the global budget covered every debt charged so far (a
    // quota's credit never exceeds what is known to be left).
    if (covered) {
      int64_t credit = ColdAllowance(s.capacity, replicas, options_.max_allowance);
      if (!rate) credit = std::min(credit, s.capacity - left);
      s.allowance = std::max<int64_t>(0, credit - s.debt);
    }
  }
  const bool needed = s.debt > 0 || s.tokens < s.low_water;
  const bool wanted = s.last_used_ms >= lease.sent_ms;
  if (needed && (s.debt > 0 || wanted)) {
    pending_.push_back(&s);
  } else {
    s.queued = false;
  }
}

void RedisCounterStore::Retry(const Lease& lease) {
  KeyState& s = *lease.state;
  std::lock_guard lock(ShardOf(s).mu);
  s.debt += s.inflight_debt;
  s.inflight_debt = 0;
  pending_.push_back(&s);  // still queued
}

void RedisCounterStore::BatchSettles(int64_t now_ms) {
  for (size_t j = 0; j < settles_.size(); ++j) {
    const Settle& st = settles_[j];
    batch_.push_back(Lease{nullptr, -st.give_back, st.debt, st.window.start, now_ms, st.key,
                           st.kind, st.capacity, st.tokens_per_ms, st.window.end,
                           static_cast<int64_t>(j)});
  }
}

void RedisCounterStore::Sweep(int64_t now_ms) {
  const int64_t period = std::max<int64_t>(1, options_.idle_return.count() / 4);
  if (!sweep_.active) {
    if (now_ms < next_sweep_ms_) return;
    sweep_ = SweepCursor{.active = true, .started_ms = now_ms};
  }
  // A pass should end within half a period at one tick of work each: the states to visit now.
  const auto keys =
      static_cast<size_t>(std::max<int64_t>(0, counters_.keys.load(std::memory_order_relaxed)));
  const auto ticks = static_cast<size_t>(
      std::max<int64_t>(1, period / 2 / std::max<int64_t>(1, options_.tick.count())));
  size_t budget = std::max(8 * kSweepChunk, keys / ticks + 1);
  const bool up = redis_up_.load(std::memory_order_relaxed);
  int64_t evicted = 0;
  int64_t longest_hold_ns = 0;
  while (budget > 0 && sweep_.shard < kShards) {
    Shard& shard = shards_[sweep_.shard];
    std::lock_guard shard_lock(shard.mu);  // no Acquire() holds a state of this shard now
    const auto held = std::chrono::steady_clock::now();
    auto it = sweep_.resume ? shard.map.find(redis_internal::MapKey{sweep_.key, sweep_.kind})
                            : shard.map.begin();
    const size_t chunk = std::min(budget, kSweepChunk);
    size_t visited = 0;
    for (; it != shard.map.end() && visited < chunk; ++visited) {
      KeyState& s = *it->second;
      if (SweepState(s, now_ms, up)) {
        shard.map.erase(it++);
        ++evicted;
      } else {
        ++it;
      }
    }
    budget -= visited == 0 ? std::min<size_t>(budget, 1) : visited;
    sweep_.resume = it != shard.map.end();
    if (sweep_.resume) {
      sweep_.key = it->first.key;
      sweep_.kind = it->first.kind;
    } else {
      ++sweep_.shard;
    }
    longest_hold_ns =
        std::max<int64_t>(longest_hold_ns, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::steady_clock::now() - held)
                                               .count());
  }
  if (evicted != 0) counters_.keys.fetch_sub(evicted, std::memory_order_relaxed);
  if (longest_hold_ns > counters_.longest_sweep_hold_ns.load(std::memory_order_relaxed)) {
    counters_.longest_sweep_hold_ns.store(longest_hold_ns, std::memory_order_relaxed);
  }
  if (sweep_.shard == kShards) {
    sweep_.active = false;
    next_sweep_ms_ = sweep_.started_ms + period;
  }
}

bool RedisCounterStore::SweepState(KeyState& s, int64_t now_ms, bool up) {
  const int64_t idle = now_ms - s.last_used_ms;
  if (s.queued || idle < options_.idle_return.count()) return false;
  if (s.tokens > 0 && up) {  // give idle leases back so that other replicas can use them
    settles_.push_back(Settle{s.key, s.kind, s.window, s.capacity, s.tokens_per_ms, s.tokens, 0});
    s.tokens = 0;
  }
  // A quota known to be exhausted is remembered until its window ends (see the bound).
  const bool exhausted = s.kind == LimitRule::Kind::kQuota && s.known && s.used >= s.capacity &&
                         now_ms / 1000 < s.window.end;
  return idle >= options_.evict_after.count() && s.tokens == 0 && s.debt == 0 &&
         s.inflight_debt == 0 && now_ms >= s.empty_until_ms && !exhausted;
}

void RedisCounterStore::SettleEverything() {
  if (!nodes_) {
    next_connect_ms_ = 0;
    RememberMasters();                    // Stop() without Start(): the seeds are not set yet
    if (!EnsureConnected(Now())) return;  // what is owed is lost with this process
  }
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard shard_lock(shards_[i].mu);
    for (auto& [id, state] : shards_[i].map) {
      KeyState& s = *state;
      const int64_t debt = s.debt + s.inflight_debt;
      if (s.tokens > 0 || debt > 0) {
        settles_.push_back(
            Settle{s.key, s.kind, s.window, s.capacity, s.tokens_per_ms, s.tokens, debt});
      }
      s.tokens = s.debt = s.inflight_debt = 0;
    }
  }
  // Every master gets its settlements; one answered ASK (its slot half-migrated) follows it to
  // the importing master in the same round. A settlement otherwise redirected (MOVED, TRYAGAIN)
  // is sent again after the slot map is reloaded, a few times at most: Stop() must not hang.
  for (int attempt = 0; attempt < 3 && !settles_.empty(); ++attempt) {
    if (reload_slots_ && !nodes_->Reload().ok()) break;
    reload_slots_ = false;
    batch_.clear();
    BatchSettles(Now());
    PlanCalls();
    if (!ExchangeCalls({})) break;
  }
  batch_.clear();
  settles_.clear();
  const std::string registry = options_.key_prefix + "replicas";
  const std::string_view leave[] = {"ZREM", registry, options_.replica_id};
  RedisConnection& conn = nodes_->connection(nodes_->NodeOfKey(registry));
  conn.Append(leave);
  counters_.commands.fetch_add(1, std::memory_order_relaxed);
  counters_.round_trips.fetch_add(1, std::memory_order_relaxed);
  std::vector<RedisReply> replies;
  if (!conn.Exchange(replies).ok()) MarkDown(Now());
  nodes_.reset();
}

}  // namespace tollgate::ratelimit
