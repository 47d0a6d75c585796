// Envoy rate-limit descriptors answered by Tollgate's limiter: the protocol-neutral part (which
// limits a descriptor names, and what the counters said about them). The gRPC adapter that
// translates RateLimitRequest/RateLimitResponse is adapters/envoy/rls_service.h.
//
// Every descriptor is answered on its own, in this order of precedence:
// 1. It carries a limit override (RateLimitDescriptor.limit): a rate of `requests_per_unit` per
//    SECOND/MINUTE/HOUR/DAY with burst `requests_per_unit - 1` (a full window may arrive at once,
//    as with Envoy's own fixed-window service), or for MONTH a calendar-month quota in UTC. Its
//    counter is keyed by the stable hash of the domain, the unit and every entry (key, value) in
//    order — the unit is part of the key so that one descriptor limited per second and per month
//    keeps two counters. Other units (YEAR, UNKNOWN, anything newer) and 0 requests: no limit.
// 2. Its entries include `application_id` and `api_id` (other entries are ignored): that
//    application's subscription to that API — the subscription plan's rate and quota and the
//    application's own plan — with exactly the rules and counter keys the ext_authz throttling
//    stage uses (enforce/throttle.h), so both paths draw on one budget. Unknown application or
//    API, or no subscription: no limit (ext_authz decides access; this service only limits).
// 3. Its only entry is `api_id`: that API's backend protection rate, when it has one.
// 4. Anything else: no limit.
// The cost of a call is Envoy's hits_addend (0 counts as 1), charged to every rule of a descriptor
// only if all of them allow (CounterStore::Acquire). Descriptors of one request are charged
// independently: an earlier descriptor's budget is used even when a later one is over.
// Note: ext_authz already charges each request it allows, so a descriptor of kind 2 or 3 charges
// the same counters a second time (meant for extra cost; see docs/envoy-ratelimit.md).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/access.h"
#include "core/model.h"
#include "enforce/snapshot.h"
#include "enforce/throttle.h"
#include "ratelimit/counter_store.h"

namespace tollgate::enforce {

// One descriptor entry, e.g. {"api_id", "api-petstore"}. Views into the caller's request.
struct DescriptorEntry {
  std::string_view key;
  std::string_view value;
};

// Units a descriptor's limit may be expressed in, and the unit a status reports.
enum class DescriptorUnit : uint8_t { kSecond, kMinute, kHour, kDay, kMonth, kUnsupported };

// A descriptor as Envoy sends it: its entries and, when `has_limit`, its limit override.
struct Descriptor {
  std::span<const DescriptorEntry> entries;
  bool has_limit = false;
  int64_t requests_per_unit = 0;
  DescriptorUnit unit = DescriptorUnit::kUnsupported;
};

// The rules one descriptor names. Rules may point into `own_rate`/`own_quota` (override limits
// that exist only for this call) or into the snapshot, so an instance must stay where it was
// filled (not copyable) and the snapshot must be held while it is used.
struct DescriptorRules {
  DescriptorRules() = default;
  DescriptorRules(const DescriptorRules&) = delete;
  DescriptorRules& operator=(const DescriptorRules&) = delete;

  RuleSet set;
  RateLimit own_rate;
  Quota own_quota;
};

// Fills `out` (freshly constructed) with the rules of `descriptor` per the precedence above.
// Pure and allocation-free; `out.set.size == 0` means no limit applies.
void CollectDescriptorRules(const Snapshot& snapshot, std::string_view domain,
                            const Descriptor& descriptor, DescriptorRules& out);

// The answer for one descriptor.
struct DescriptorStatus {
  bool over_limit = false;
  // The limit that decided (the first refusing rule) or, when allowed, the most restrictive one
  // (fewest remaining). `limit.present == false`: no limit applied (status OK, no current limit).
  // `limit.policy` views the snapshot (plan name) or a literal ("descriptor"); `reset_seconds`
  // is until the counter is full again (rate) or the window ends (quota); `retry_after_seconds`
  // is set (>= 1) only when over.
  LimitInfo limit;
  DescriptorUnit unit = DescriptorUnit::kUnsupported;  // of `limit`: kMonth for quotas
  bool quota = false;                                  // the reported limit is a quota
};

// What the counters said about `rules`, as a status. `outcomes[i]` answers `rules.set.rules[i]`;
// `allowed` is Acquire()'s result. Pure.
DescriptorStatus StatusFromOutcomes(const DescriptorRules& rules,
                                    std::span<const ratelimit::LimitOutcome> outcomes,
                                    bool allowed);

// Collects the rules of `descriptor`, charges `cost` (values < 1 count as 1) to `counters` at
// `now_ms` (Unix ms) and reports. `counters == nullptr` or no rule: OK with no limit. Allocation
// free; thread-safe as far as `counters` is. The snapshot must be held until the returned
// status's views are no longer used.
DescriptorStatus AnswerDescriptor(const Snapshot& snapshot, ratelimit::CounterStore* counters,
                                  std::string_view domain, const Descriptor& descriptor,
                                  int64_t cost, int64_t now_ms);

// A Decision carrying `status` (kRateLimited/kQuotaExceeded when over, else kAllow), for
// LimitHeadersFor (enforce/response.h): RateLimit and RateLimit-Policy, plus Retry-After when over.
Decision DecisionFor(const DescriptorStatus& status);

}  // namespace tollgate::enforce
