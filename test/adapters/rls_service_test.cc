// Envoy's rate limit service over real gRPC, answered by the in-process counters.
#include "adapters/envoy/rls_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "adapters/envoy/grpc_server.h"
#include "adapters/petstore_fixture.h"
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
  EXPECT_EQ(over.statuses(0).limit_remaining(), 0u);
  EXPECT_EQ(over.statuses(0).current_limit().name(), "Gold");
  std::map<std::string, std::string> headers;
  for (const auto& h : over.response_headers_to_add()) headers[h.key()] = h.value();
  EXPECT_EQ(headers["RateLimit-Policy"], "\"Gold\";q=3;w=60");
  EXPECT_EQ(headers["RateLimit"], "\"Gold\";r=0;t=60");
  EXPECT_EQ(headers["Retry-After"], "20");
  EXPECT_EQ(over.request_headers_to_add_size(), 0);
}

TEST_F(RlsServiceTest, AllowedAnswersCarryNoHeadersButTimeUntilFull) {
  rls::RateLimitRequest request;
  AddDescriptor(request, {{"application_id", "app-mobile"}, {"api_id", "api-petstore"}});
  const auto r = Call(request);
  EXPECT_EQ(r.overall_code(), rls::RateLimitResponse::OK);
  EXPECT_EQ(r.response_headers_to_add_size(), 0);
  EXPECT_EQ(r.request_headers_to_add_size(), 0);
  EXPECT_EQ(r.statuses(0).duration_until_reset().seconds(), 20) << "one request to refill";
}

TEST_F(RlsServiceTest, ExtAuthzAndRlsShareOneBudget) {
  // Two requests through ext_authz on the same port charge the subscription's counters...
  auto authz = ::envoy::service::auth::v3::Authorization::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_.port()), grpc::InsecureChannelCredentials()));
  ::envoy::service::auth::v3::CheckRequest check;
  auto* http = check.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("GET");
  http->set_host(std::string(fixture::kHost));
  http->set_path("/petstore/v1/pets");
  (*http->mutable_headers())["apikey"] = std::string(fixture::kApiKey);
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    ::envoy::service::auth::v3::CheckResponse allowed;
    ASSERT_TRUE(authz->Check(&context, check, &allowed).ok());
    ASSERT_EQ(allowed.status().code(), grpc::StatusCode::OK);
  }
  // ...so the descriptor naming that subscription finds one request of Gold's three left.
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

TEST_F(RlsServiceTest, MixedDescriptorsAreAnsweredEachInOrder) {
  rls::RateLimitRequest request;
  request.set_domain("tollgate");
  AddDescriptor(request, {{"application_id", "app-mobile"}, {"api_id", "api-petstore"}});
  AddDescriptor(request, {{"api_id", "api-petstore"}});
  AddDescriptor(request, {{"header_match", "bots"}});
  auto* month = request.mutable_descriptors(2)->mutable_limit();
  month->set_requests_per_unit(5);
  month->set_unit(::envoy::type::v3::MONTH);
  AddDescriptor(request, {{"destination_cluster", "petstore"}});

  const auto first = Call(request);
  ASSERT_EQ(first.statuses_size(), 4);
  EXPECT_EQ(first.overall_code(), rls::RateLimitResponse::OK);
  EXPECT_EQ(first.statuses(0).current_limit().unit(), rls::RateLimitResponse::RateLimit::MINUTE);
  EXPECT_EQ(first.statuses(0).limit_remaining(), 2u);
  EXPECT_EQ(first.statuses(1).current_limit().unit(), rls::RateLimitResponse::RateLimit::SECOND);
  EXPECT_EQ(first.statuses(1).current_limit().requests_per_unit(), 2u);
  EXPECT_EQ(first.statuses(1).limit_remaining(), 1u);
  EXPECT_EQ(first.statuses(2).current_limit().unit(), rls::RateLimitResponse::RateLimit::MONTH);
  EXPECT_EQ(first.statuses(2).current_limit().requests_per_unit(), 5u);
  EXPECT_EQ(first.statuses(2).limit_remaining(), 4u);
  EXPECT_GT(first.statuses(2).duration_until_reset().seconds(), 0) << "until the month ends";
  EXPECT_EQ(first.statuses(3).code(), rls::RateLimitResponse::OK);
  EXPECT_FALSE(first.statuses(3).has_current_limit());

  // Same instant: the backend protection limit (2/s, burst 1) is the one that runs out.
  Call(request);
  const auto third = Call(request);
  EXPECT_EQ(third.overall_code(), rls::RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(third.statuses(0).code(), rls::RateLimitResponse::OK);
  EXPECT_EQ(third.statuses(0).limit_remaining(), 0u);
  EXPECT_EQ(third.statuses(1).code(), rls::RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(third.statuses(1).duration_until_reset().seconds(), 1);
  EXPECT_EQ(third.statuses(2).code(), rls::RateLimitResponse::OK);
  EXPECT_EQ(third.statuses(2).limit_remaining(), 2u);
  EXPECT_EQ(third.statuses(3).code(), rls::RateLimitResponse::OK);
  bool retry_after = false;
  for (const auto& h : third.response_headers_to_add()) {
    if (h.key() == "Retry-After") retry_after = h.value() == "1";
  }
  EXPECT_TRUE(retry_after) << "headers of the descriptor that is over";
}

TEST_F(RlsServiceTest, UnsupportedOverrideUnitIsNotLimited) {
  rls::RateLimitRequest request;
  AddDescriptor(request, {{"generic_key", "yearly"}});
  request.mutable_descriptors(0)->mutable_limit()->set_requests_per_unit(1);
  request.mutable_descriptors(0)->mutable_limit()->set_unit(::envoy::type::v3::YEAR);
  for (int i = 0; i < 3; ++i) {
    const auto r = Call(request);
    EXPECT_EQ(r.overall_code(), rls::RateLimitResponse::OK);
    EXPECT_FALSE(r.statuses(0).has_current_limit());
  }
}

TEST_F(RlsServiceTest, WithoutCountersEverythingIsOk) {
  enforce::Enforcer no_counters(holder_, clock_);
  RateLimitService service(no_counters);
  rls::RateLimitRequest request;
  AddDescriptor(request, {{"application_id", "app-mobile"}, {"api_id", "api-petstore"}});
  AddDescriptor(request, {{"api_id", "api-petstore"}});
  for (int i = 0; i < 10; ++i) {
    rls::RateLimitResponse response;
    service.Answer(request, &response);
    EXPECT_EQ(response.overall_code(), rls::RateLimitResponse::OK);
    ASSERT_EQ(response.statuses_size(), 2);
    EXPECT_FALSE(response.statuses(0).has_current_limit());
  }
}

TEST_F(RlsServiceTest, UnknownApplicationOrApiIsNotLimited) {
  rls::RateLimitRequest request;
  AddDescriptor(request, {{"application_id", "nope"}, {"api_id", "api-petstore"}});
  AddDescriptor(request, {{"api_id", "nope"}});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Call(request).overall_code(), rls::RateLimitResponse::OK);
}

}  // namespace
}  // namespace tollgate::adapters::envoy
