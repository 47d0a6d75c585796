// Envoy's rate limit service over real gRPC, answered by the in-process counters.
#include "adapters/envoy/rls_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "adapters/envoy/grpc_server.h"
#include "adapters/petstore_fixture.h"
#include "enforce/limit_keys.h"
#include "ratelimit/local_counter_store.h"

namespace tollgate::adapters::envoy {
namespace {

namespace rls = ::envoy::service::ratelimit::v3;

class RlsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SnapshotData data = fixture::PetstoreData();
    Plan gold;
    gold.name = "Gold";
    gold.rate = RateLimit{3, Period::kMinute, 2};
    data.plans = {gold};
    data.apis[0].backend_rate = RateLimit{2, Period::kSecond, 1};
    holder_.Set(enforce::Snapshot::Build(data));
    server_.AddService(&service_);
    ASSERT_TRUE(server_.Start("127.0.0.1", 0).ok());
    stub_ = rls::RateLimitService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_.port()), grpc::InsecureChannelCredentials()));
  }

  rls::RateLimitResponse Call(const rls::RateLimitRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    rls::RateLimitResponse response;
    const grpc::Status status = stub_->ShouldRateLimit(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static void AddDescriptor(rls::RateLimitRequest& r,
                            std::initializer_list<std::pair<const char*, const char*>> entries) {
    auto* d = r.add_descriptors();
    for (const auto& [k, v] : entries) {
      auto* e = d->add_entries();
      e->set_key(k);
      e->set_value(v);
    }
  }

  FakeClock clock_;
  enforce::SnapshotHolder holder_;
  ratelimit::LocalCounterStore counters_;
  enforce::Enforcer enforcer_{holder_, clock_, &counters_};
  RateLimitService service_{enforcer_};
  GrpcServer server_{enforcer_};
  std::unique_ptr<rls::RateLimitService::Stub> stub_;
};

TEST_F(RlsServiceTest, SubscriptionDescriptorCountsDownThenIsOverLimit) {
  rls::RateLimitRequest request;
  request.set_domain("tollgate");
  AddDescriptor(request, {{"application_id", "app-mobile"}, {"api_id", "api-petstore"}});
  for (uint32_t left : {2u, 1u, 0u}) {
    const auto r = Call(request);
    ASSERT_EQ(r.overall_code(), rls::RateLimitResponse::OK);
    ASSERT_EQ(r.statuses_size(), 1);
    EXPECT_EQ(r.statuses(0).limit_remaining(), left);
    EXPECT_EQ(r.statuses(0).current_limit().requests_per_unit(), 3u);
    EXPECT_EQ(r.statuses(0).current_limit().unit(), rls::RateLimitResponse::RateLimit::MINUTE);
  }
  const auto over = Call(request);
  EXPECT_EQ(over.overall_code(), rls::RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(over.statuses(0).code(), rls::RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(over.statuses(0).duration_until_reset().seconds(), 20) << "one per 20 s refills";
  bool retry_after = false;
  for (const auto& h : over.response_headers_to_add()) retry_after = retry_after || h.key() == "Retry-After";
  EXPECT_TRUE(retry_after);
}

TEST_F(RlsServiceTest, ExtAuthzAndRlsShareOneBudget) {
  // Same counter key as the throttling stage of ext_authz.
  ratelimit::LimitRule rule;
  const RateLimit gold{3, Period::kMinute, 2};
  rule.key = enforce::SubscriptionRateKey("sub-1");
  rule.rate = &gold;
  ratelimit::LimitOutcome out;
  ASSERT_TRUE(counters_.Acquire(std::span(&rule, 1), 2, clock_.NowMillis(), std::span(&out, 1)));
  rls::RateLimitRequest request;
  AddDescriptor(request, {{"application_id", "app-mobile"}, {"api_id", "api-petstore"}});
  EXPECT_EQ(Call(request).statuses(0).limit_remaining(), 0u);
  EXPECT_EQ(Call(request).overall_code(), rls::RateLimitResponse::OVER_LIMIT);
}

TEST_F(RlsServiceTest, ApiDescriptorUsesBackendProtectionAndHitsAddend) {
  rls::RateLimitRequest request;
  AddDescriptor(request, {{"api_id", "api-petstore"}});
  request.set_hits_addend(2);
  EXPECT_EQ(Call(request).overall_code(), rls::RateLimitResponse::OK);
  EXPECT_EQ(Call(request).overall_code(), rls::RateLimitResponse::OVER_LIMIT);
}

TEST_F(RlsServiceTest, OverrideDescriptorsAreLimitedPerValueAndOthersPass) {
  rls::RateLimitRequest request;
  request.set_domain("edge");
  AddDescriptor(request, {{"remote_address", "198.51.100.7"}});
  auto* limit = request.mutable_descriptors(0)->mutable_limit();
  limit->set_requests_per_unit(1);
  limit->set_unit(::envoy::type::v3::SECOND);
  AddDescriptor(request, {{"generic_key", "unknown"}});
  auto first = Call(request);
  EXPECT_EQ(first.overall_code(), rls::RateLimitResponse::OK);
  ASSERT_EQ(first.statuses_size(), 2);
  EXPECT_FALSE(first.statuses(1).has_current_limit()) << "no limit applies";
  auto second = Call(request);
  EXPECT_EQ(second.overall_code(), rls::RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(second.statuses(0).code(), rls::RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(second.statuses(1).code(), rls::RateLimitResponse::OK);
  request.mutable_descriptors(0)->mutable_entries(0)->set_value("198.51.100.8");
  EXPECT_EQ(Call(request).statuses(0).code(), rls::RateLimitResponse::OK) << "another address";
}

TEST_F(RlsServiceTest, UnknownApplicationOrApiIsNotLimited) {
  rls::RateLimitRequest request;
  AddDescriptor(request, {{"application_id", "nope"}, {"api_id", "api-petstore"}});
  AddDescriptor(request, {{"api_id", "nope"}});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Call(request).overall_code(), rls::RateLimitResponse::OK);
}

}  // namespace
}  // namespace tollgate::adapters::envoy
