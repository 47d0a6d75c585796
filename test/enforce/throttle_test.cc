// The throttling stage: which limits apply to a request, and how a refusal reads to a client.
#include "enforce/throttle.h"

#include <gtest/gtest.h>

#include <map>

#include "enforce/enforcer.h"
#include "enforce/counting_store.h"
#include "enforce/fixtures.h"
#include "enforce/limit_keys.h"

namespace tollgate::enforce {
namespace {

using ratelimit::LimitOutcome;
using ratelimit::LimitRule;
using testing::kGoodKey;
using testing::TestHeaders;

using testing::CountingStore;

class ThrottleTest : public ::testing::Test {
 protected:
  ThrottleTest() {
    Plan gold;
    gold.name = "Gold";
    gold.rate = RateLimit{3, Period::kMinute, 2};
    gold.quota = Quota{100, QuotaAnchor::kCalendar, "UTC"};
    data_.plans = {gold};
  }
  Decision Ask(const TestHeaders& headers, std::string_view path = "/petstore/v1/pets",
               std::string_view client = "203.0.113.7") {
    holder_.Set(Snapshot::Build(data_));
    Enforcer enforcer(holder_, clock_, &store_);
    AccessRequest r{"GET", "api.example.com", path, &headers, client};
    return enforcer.Check(r, [](const Decision& d) {
      Decision copy = d;
      return copy;  // views stay valid: the test keeps data_ alive and rebuilds only in Ask
    });
  }

  // The application's plan "AppTier" limited to `rate`, and the API's backend to 1000/s.
  void AddAppTierAndBackendLimit(const RateLimit& rate) {
    Plan app_plan;
    app_plan.name = "AppTier";
    app_plan.rate = rate;
    data_.plans.push_back(app_plan);
    data_.applications[0].plan = "AppTier";
    data_.apis[0].backend_rate = RateLimit{1000, Period::kSecond, 0};
  }

  SnapshotData data_ = testing::PetstoreData();
  SnapshotHolder holder_;
  FakeClock clock_;
  CountingStore store_;
};

TEST_F(ThrottleTest, SubscriptionPlanAppliesRateAndQuota) {
  const Decision d = Ask({{"apikey", kGoodKey}});
  ASSERT_EQ(d.code, DecisionCode::kAllow);
  ASSERT_EQ(store_.seen.size(), 2u);
  EXPECT_EQ(store_.seen[0].rule.key, SubscriptionRateKey("sub-1"));
  EXPECT_EQ(store_.seen[1].rule.key, SubscriptionQuotaKey("sub-1"));
  EXPECT_EQ(store_.seen[0].rule.name, "Gold");
  EXPECT_TRUE(d.limit.present);
  EXPECT_EQ(d.limit.limit, 3) << "the rule with the fewest left is reported";
  EXPECT_EQ(d.limit.remaining, 2);
}

TEST_F(ThrottleTest, ExhaustedRateIs429WithRetryAfter) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Ask({{"apikey", kGoodKey}}).allowed());
  const Decision d = Ask({{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kRateLimited);
  EXPECT_EQ(d.http_status(), 429);
  EXPECT_EQ(d.reason, "rate limit exhausted");
  EXPECT_EQ(d.limit.retry_after_seconds, 2) << "1500 ms rounds up";
  EXPECT_EQ(d.limit.remaining, 0);
}

TEST_F(ThrottleTest, ExhaustedQuotaIs429QuotaExceeded) {
  data_.plans[0].rate.reset();
  data_.plans[0].quota->requests = 1;
  ASSERT_TRUE(Ask({{"apikey", kGoodKey}}).allowed());
  EXPECT_EQ(Ask({{"apikey", kGoodKey}}).code, DecisionCode::kQuotaExceeded);
}

// Rules run resource, subscription (rate, quota), application, backend: the rule reported is the
// first that refused, or else the one with the fewest left, wherever it stands in that order.
TEST_F(ThrottleTest, TheRuleReportedIsTheFirstRefusalOrElseTheFewestLeft) {
  AddAppTierAndBackendLimit(RateLimit{2, Period::kHour, 0});
  data_.plans[0].rate = RateLimit{10, Period::kMinute, 9};

  Decision d = Ask({{"apikey", kGoodKey}});
  ASSERT_TRUE(d.allowed());
  ASSERT_EQ(store_.seen.size(), 4u);
  EXPECT_EQ(d.limit.policy, "AppTier") << "third of four rules, 1 left of 2";
  EXPECT_EQ(d.limit.remaining, 1);
  ASSERT_TRUE(Ask({{"apikey", kGoodKey}}).allowed());

  d = Ask({{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kRateLimited);
  EXPECT_EQ(d.limit.policy, "AppTier");
  EXPECT_EQ(d.limit.limit, 2);
  EXPECT_EQ(d.limit.window_seconds, 3600);

  data_.plans[0].quota->requests = 2;  // now the subscription's quota (second rule) refuses too
  d = Ask({{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kQuotaExceeded) << "the first refusal wins";
  EXPECT_EQ(d.limit.policy, "Gold");
  EXPECT_EQ(d.limit.limit, 2);
}

TEST_F(ThrottleTest, DeniedRequestsAndOpenResourcesCountNothing) {
  Ask({{"apikey", "tg_wrong"}});
  Ask({}, "/petstore/v1/health");
  EXPECT_TRUE(store_.used.empty());
}

TEST_F(ThrottleTest, UnlimitedPlanAddsNoRule) {
  data_.subscriptions[0].plan = "Unlimited";
  const Decision d = Ask({{"apikey", kGoodKey}});
  EXPECT_TRUE(d.allowed());
  EXPECT_FALSE(d.limit.present);
}

TEST_F(ThrottleTest, ApplicationResourceAndBackendLimitsAllApply) {
  AddAppTierAndBackendLimit(RateLimit{50, Period::kSecond, 0});
  data_.apis[0].resources[0].plan = "AppTier";  // GET /pets
  ASSERT_TRUE(Ask({{"apikey", kGoodKey}}).allowed());
  // resource × application, subscription rate + quota, application, API backend.
  EXPECT_EQ(store_.seen.size(), 5u);
}

TEST_F(ThrottleTest, KeyedLimitsCountPerValueAndSkipRequestsWithoutIt) {
  data_.subscriptions[0].plan = "Unlimited";
  data_.apis[0].keyed_limits = {{"ip/24", RateLimit{1, Period::kMinute, 0}},
                                {"header:X-User", RateLimit{1, Period::kMinute, 0}},
                                {"query:tenant", RateLimit{1, Period::kMinute, 0}}};
  ASSERT_TRUE(Ask({{"apikey", kGoodKey}}, "/petstore/v1/pets", "198.51.100.1").allowed());
  EXPECT_EQ(store_.seen.size(), 1u) << "no header, no query: only the IP limit";
  EXPECT_EQ(Ask({{"apikey", kGoodKey}}, "/petstore/v1/pets", "198.51.100.200").code,
            DecisionCode::kRateLimited)
      << "same /24";
  EXPECT_TRUE(Ask({{"apikey", kGoodKey}}, "/petstore/v1/pets", "198.51.101.1").allowed());
  EXPECT_TRUE(Ask({{"apikey", kGoodKey}, {"x-user", "u1"}}, "/petstore/v1/pets?tenant=a", "10.0.0.1").allowed());
  EXPECT_EQ(store_.seen.size(), 3u);
  EXPECT_EQ(Ask({{"apikey", kGoodKey}, {"x-user", "u1"}}, "/petstore/v1/pets", "10.1.0.1").code,
            DecisionCode::kRateLimited);
  EXPECT_TRUE(Ask({{"apikey", kGoodKey}, {"x-user", "u2"}}, "/petstore/v1/pets?x=1&tenant=b", "10.2.0.1").allowed());
}

TEST_F(ThrottleTest, WithoutCountersNothingIsLimited) {
  holder_.Set(Snapshot::Build(data_));
  Enforcer enforcer(holder_, clock_);
  TestHeaders h{{"apikey", kGoodKey}};
  AccessRequest r{"GET", "h", "/petstore/v1/pets", &h, {}};
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(enforcer.Check(r, [](const Decision& d) { return d.allowed(); }));
  }
}

}  // namespace
}  // namespace tollgate::enforce
