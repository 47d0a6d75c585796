// Envoy's rate limit service (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit),
// answered by Tollgate's limiter: translates descriptors to enforce/descriptors.h and back.
#pragma once

#include "enforce/enforcer.h"
#include "envoy/service/ratelimit/v3/rls.grpc.pb.h"

namespace tollgate::adapters::envoy {

class RateLimitService final
    : public ::envoy::service::ratelimit::v3::RateLimitService::CallbackService {
 public:
  explicit RateLimitService(const enforce::Enforcer& enforcer) : enforcer_(enforcer) {}

  grpc::ServerUnaryReactor* ShouldRateLimit(
      grpc::CallbackServerContext* context,
      const ::envoy::service::ratelimit::v3::RateLimitRequest* request,
      ::envoy::service::ratelimit::v3::RateLimitResponse* response) override;

  // The translation without gRPC, for tests and benchmarks.
  void Answer(const ::envoy::service::ratelimit::v3::RateLimitRequest& request,
              ::envoy::service::ratelimit::v3::RateLimitResponse* response) const;

 private:
  const enforce::Enforcer& enforcer_;
};

}  // namespace tollgate::adapters::envoy
