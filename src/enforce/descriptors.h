// Envoy rate-limit descriptors answered by Tollgate's limiter (protocol-neutral part; the gRPC
// adapter is adapters/envoy/rls_service.h). Each descriptor is answered on its own:
// - entries `application_id` + `api_id` (as Tollgate's ext_authz puts them in dynamic metadata):
//   that application's subscription plan and application plan — the same counters ext_authz
//   charges, so both paths share one budget;
// - only `api_id`: the API's backend protection limit;
// - a descriptor with a limit override (requests per second/minute/hour/day, or per month as a
//   calendar-month quota in UTC): a limit keyed by the domain and all entries;
// - anything else: no limit (OK).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "enforce/snapshot.h"
#include "ratelimit/counter_store.h"

namespace tollgate::enforce {

struct DescriptorEntry {
  std::string_view key;
  std::string_view value;
};

// A descriptor's own limit (RateLimitDescriptor.limit). kMonth means a calendar-month quota.
struct DescriptorOverride {
  enum class Unit { kNone, kSecond, kMinute, kHour, kDay, kMonth, kUnsupported };
  Unit unit = Unit::kNone;
  int64_t requests_per_unit = 0;
};

struct DescriptorQuestion {
  std::span<const DescriptorEntry> entries;
  DescriptorOverride limit;
};

struct DescriptorAnswer {
  bool limited = false;     // some limit applied
  bool over_limit = false;
  int64_t requests_per_unit = 0;  // of the deciding (or most restrictive) limit
  int64_t window_seconds = 0;
  int64_t remaining = 0;
  int64_t reset_seconds = 0;
  int64_t retry_after_seconds = 0;
  std::string_view policy;  // name for RateLimit-Policy (plan name, "api", "descriptor")
};

// Answers every descriptor of one request. `counters` null → nothing is limited.
std::vector<DescriptorAnswer> AnswerDescriptors(const Snapshot& snapshot,
                                                ratelimit::CounterStore* counters,
                                                std::string_view domain,
                                                std::span<const DescriptorQuestion> descriptors,
                                                int64_t cost, int64_t now_ms);

}  // namespace tollgate::enforce
