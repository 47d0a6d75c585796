// The Lua scripts the Redis counter store runs (EVALSHA), kept as C++ constants beside the store.
// Each script but the batched lease touches the keys of one limit only (one hash tag); the batch
// carries many limits' keys, so the store needs one Redis server (or a client that would group a
// batch by Cluster slot — not done: RedisConnection talks to one server).
#pragma once

#include <string_view>

namespace tollgate::ratelimit {

// Rate bucket lease. KEYS[1] = string "<tokens (float)> <ts: Redis ms>", expiring when the
// bucket would be full again (absent = full). ARGV = capacity,
// tokens_per_ms, want, debt. Refills by Redis TIME (replica clocks do not matter), charges `debt`
// unconditionally (the bucket may go down to -capacity, never lower), then grants
// min(want, floor(tokens)). Returns {granted, floor(tokens left), ms until one token}.
extern const std::string_view kRateLeaseScript;

// Rate bucket return. KEYS[1] as above. ARGV = capacity, tokens_per_ms, n. Adds n unused tokens
// back, capped at capacity; an absent bucket is full already. Returns floor(tokens left).
extern const std::string_view kRateReturnScript;

// Quota lease. KEYS[1] = counter of one window. ARGV = limit, want, debt, expire_at (Unix s).
// Adds `debt` unconditionally (counts are never lost), grants min(want, limit - used) and keeps
// the counter until expire_at (set when the call creates it). Returns {granted, used after}.
extern const std::string_view kQuotaLeaseScript;

// Quota return. KEYS[1] as above. ARGV = n. Subtracts n unused units (never below 0, never
// re-creating an expired counter). Returns used after.
extern const std::string_view kQuotaReturnScript;

// Batched leases and settlements: many rate and quota keys in one call. KEYS = the rate buckets
// first, then the quota counters. ARGV[1] = how many of KEYS are rate buckets; then four
// arguments per key, in KEYS order: a rate's capacity, tokens_per_ms, want, debt or a quota's
// limit, want, debt, expire_at. want ≥ 0 leases as kRateLeaseScript / kQuotaLeaseScript (debt
// charged first); want < 0 charges the debt, then gives -want back as kRateReturnScript /
// kQuotaReturnScript (an absent bucket is full, an absent counter is not re-created by a return).
// Reads Redis TIME once. Returns a flat array, two integers per key in KEYS order: {granted,
// floor(tokens left)} for a rate, {granted, used after} for a quota. Keys are processed in order;
// a runtime error stops the script after the keys before it were applied (the caller treats
// every lease of the call as lost and every settlement of it as still owed).
extern const std::string_view kLeaseBatchScript;

// Replica heartbeat. KEYS[1] = sorted set of replicas scored by Redis ms. ARGV = replica id,
// ttl_ms, clean ('1' or '0'), expire_ms. Registers this replica and returns how many were heard
// from within ttl_ms; with clean = '1' also drops the silent ones and sets the set's expiry.
extern const std::string_view kHeartbeatScript;

}  // namespace tollgate::ratelimit
