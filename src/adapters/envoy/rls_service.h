// Envoy's rate limit service (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit) on the
// enforcer: translates a RateLimitRequest into enforce/descriptors.h questions and the answers
// back into a RateLimitResponse. The semantics (which descriptor names which limit) live there.
#pragma once

#include "enforce/enforcer.h"
#include "envoy/service/ratelimit/v3/rls.grpc.pb.h"

namespace tollgate::adapters::envoy {

// The gRPC RLS v3 service (callback API). ShouldRateLimit() answers inline on the calling gRPC
// thread and never blocks: it reads an immutable snapshot and the non-blocking CounterStore.
//
// Request translation: domain and every descriptor's entries are read in place (no copies of the
// strings); descriptor.limit → override with units SECOND/MINUTE/HOUR/DAY/MONTH (YEAR and
// unknown units: no limit); hits_addend 0 → cost 1.
//
// Answer: one DescriptorStatus per descriptor, in request order: code OK/OVER_LIMIT and, when a
// limit applied, current_limit {name = policy, requests_per_unit, unit (MONTH for quotas)},
// limit_remaining, and duration_until_reset — when over, the time until a retry can succeed;
// otherwise until the counter is full again (rate) or the quota window ends. overall_code is
// OVER_LIMIT when any descriptor is over, else OK (also with no counters configured). When over,
// response_headers_to_add carries RateLimit-Policy, RateLimit and Retry-After for the first
// over-limit descriptor (as ext_authz sends them); request_headers_to_add stays empty. The RPC
// status is always OK: OVER_LIMIT is an answer, not a failure.
//
// Thread-safe; the Enforcer must outlive the service.
class RateLimitService final
    : public ::envoy::service::ratelimit::v3::RateLimitService::CallbackService {
 public:
  explicit RateLimitService(const enforce::Enforcer& enforcer) : enforcer_(enforcer) {}

  ::grpc::ServerUnaryReactor* ShouldRateLimit(
      ::grpc::CallbackServerContext* context,
      const ::envoy::service::ratelimit::v3::RateLimitRequest* request,
      ::envoy::service::ratelimit::v3::RateLimitResponse* response) override;

  // The translation ShouldRateLimit() performs, without gRPC: fills `response` (expected empty)
  // for `request`. For tests and benchmarks.
  void Answer(const ::envoy::service::ratelimit::v3::RateLimitRequest& request,
              ::envoy::service::ratelimit::v3::RateLimitResponse* response) const;

 private:
  const enforce::Enforcer& enforcer_;
};

}  // namespace tollgate::adapters::envoy
