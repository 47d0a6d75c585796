// The Lua scripts the Redis counter store runs (EVALSHA), kept as C++ constants beside the store.
// Against one server a batched lease carries many limits' keys (many hash tags); against a Redis
// Cluster the sync thread cuts each call to one slot and sends it to that slot's master, since a
// script's keys must share a slot there (redis_sync.cc, docs/ratelimit-redis.md).
#pragma once

#include <string_view>

namespace tollgate::ratelimit {

// Batched leases and settlements: many rate and quota keys in one call. KEYS = the rate buckets
// first, then the quota counters. ARGV[1] = how many of KEYS are rate buckets; then four
// arguments per key, in KEYS order: a rate's capacity, tokens_per_ms, want, debt or a quota's
// limit, want, debt, expire_at (Unix s). Reads Redis TIME once.
// - A rate bucket (string "<tokens (float)> <ts: Redis ms>", expiring when it would be full
//   again; absent = full) is refilled by Redis TIME (replica clocks do not matter), charged
//   `debt` unconditionally (down to -capacity, never lower), then grants min(want, floor(tokens))
//   when want ≥ 0, or takes -want unused tokens back (capped at capacity) when want < 0.
// - A quota counter (one window) adds `debt` unconditionally (counts are never lost), grants
//   min(want, limit - used) when want ≥ 0 or subtracts -want unused units (never below 0, never
//   re-creating an expired counter) when want < 0, and keeps the counter until expire_at (set
//   when the call creates it).
// Returns a flat array, two integers per key in KEYS order: {granted, floor(tokens left)} for a
// rate, {granted, used after} for a quota. Keys are processed in order; a runtime error stops the
// script after the keys before it were applied (the caller treats every lease of the call as lost
// and every settlement of it as still owed).
extern const std::string_view kLeaseBatchScript;

// Replica heartbeat. KEYS[1] = sorted set of replicas scored by Redis ms. ARGV = replica id,
// ttl_ms, clean ('1' or '0'), expire_ms. Registers this replica and returns how many were heard
// from within ttl_ms; with clean = '1' also drops the silent ones and sets the set's expiry.
extern const std::string_view kHeartbeatScript;

}  // namespace tollgate::ratelimit
