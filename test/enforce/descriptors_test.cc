// Envoy rate-limit descriptors: which limits each kind of descriptor names, and how the counters'
// answers read back — specified against a counting fake store.
#include "enforce/descriptors.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "enforce/enforcer.h"
#include "enforce/counting_store.h"
#include "enforce/fixtures.h"
#include "enforce/limit_keys.h"
#include "enforce/response.h"

namespace tollgate::enforce {
namespace {

using ratelimit::LimitOutcome;
using ratelimit::LimitRule;
using testing::kGoodKey;
using testing::TestHeaders;

using testing::CountingStore;

class DescriptorsTest : public ::testing::Test {
 protected:
  DescriptorsTest() {
    Plan gold;
    gold.name = "Gold";
    gold.rate = RateLimit{3, Period::kMinute, 2};
    gold.quota = Quota{100, QuotaAnchor::kCalendar, "UTC"};
    Plan app_tier;
    app_tier.name = "AppTier";
    app_tier.rate = RateLimit{50, Period::kSecond, 0};
    data_.plans = {gold, app_tier};
    data_.applications[0].plan = "AppTier";
  }

  // Answers one descriptor on a snapshot of data_ (rebuilt each call).
  DescriptorStatus Ask(std::vector<DescriptorEntry> entries, int64_t cost = 1,
                       std::optional<std::pair<int64_t, DescriptorUnit>> limit = std::nullopt,
                       std::string_view domain = "tollgate") {
    snapshot_ = Snapshot::Build(data_);
    entries_ = std::move(entries);
    Descriptor d;
    d.entries = entries_;
    if (limit) {
      d.has_limit = true;
      d.requests_per_unit = limit->first;
      d.unit = limit->second;
    }
    return AnswerDescriptor(*snapshot_, &store_, domain, d, cost, 0);
  }

  DescriptorStatus AskOverride(std::vector<DescriptorEntry> entries, int64_t requests,
                               DescriptorUnit unit, std::string_view domain = "edge") {
    return Ask(std::move(entries), 1, std::pair(requests, unit), domain);
  }

  uint64_t LastKey() const { return store_.seen.at(0).rule.key; }

  SnapshotData data_ = testing::PetstoreData();
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<DescriptorEntry> entries_;
  CountingStore store_;
};

const std::vector<DescriptorEntry> kSubscription = {{"application_id", "app-1"},
                                                    {"api_id", "api-petstore"}};

TEST_F(DescriptorsTest, ApplicationAndApiNameTheSubscriptionAndApplicationPlans) {
  data_.apis[0].backend_rate = RateLimit{1000, Period::kSecond, 0};
  data_.apis[0].resources[0].plan = "AppTier";
  data_.apis[0].keyed_limits = {{"ip", RateLimit{1, Period::kMinute, 0}}};
  const DescriptorStatus s = Ask(kSubscription);
  ASSERT_EQ(store_.seen.size(), 3u) << "no resource, backend or keyed limit";
  EXPECT_EQ(store_.seen[0].rule.key, SubscriptionRateKey("sub-1"));
  EXPECT_EQ(store_.seen[1].rule.key, SubscriptionQuotaKey("sub-1"));
  EXPECT_EQ(store_.seen[2].rule.key, ApplicationRateKey("app-1"));
  EXPECT_FALSE(s.over_limit);
  ASSERT_TRUE(s.limit.present);
  EXPECT_EQ(s.limit.policy, "Gold") << "fewest remaining";
  EXPECT_EQ(s.limit.limit, 3);
  EXPECT_EQ(s.limit.remaining, 2);
  EXPECT_EQ(s.unit, DescriptorUnit::kMinute);
}

TEST_F(DescriptorsTest, SubscriptionRulesAreTheOnesExtAuthzCharges) {
  // One request through ext_authz's throttling stage, then the descriptor: same rules, same keys.
  auto snapshot = Snapshot::Build(data_);
  SnapshotHolder holder;
  holder.Set(snapshot);
  FakeClock clock;
  Enforcer enforcer(holder, clock, &store_);
  TestHeaders headers{{"apikey", kGoodKey}};
  AccessRequest request{"GET", "api.example.com", "/petstore/v1/pets/7", &headers, {}};
  ASSERT_TRUE(enforcer.Check(request, [](const Decision& d) { return d.allowed(); }));
  const std::vector<CountingStore::Seen> ext_authz = store_.seen;
  Ask(kSubscription);
  ASSERT_EQ(store_.seen.size(), ext_authz.size());
  for (size_t i = 0; i < ext_authz.size(); ++i) {
    EXPECT_EQ(store_.seen[i].rule.key, ext_authz[i].rule.key);
    EXPECT_EQ(store_.seen[i].rule.kind, ext_authz[i].rule.kind);
    EXPECT_EQ(store_.seen[i].rule.anchor, ext_authz[i].rule.anchor);
  }
  EXPECT_EQ(store_.used[SubscriptionRateKey("sub-1")], 2) << "one budget, charged by both paths";
}

TEST_F(DescriptorsTest, OtherEntriesBesideApplicationAndApiAreIgnored) {
  Ask({{"plan", "Gold"}, {"api_id", "api-petstore"}, {"application_id", "app-1"}});
  ASSERT_EQ(store_.seen.size(), 3u);
  EXPECT_EQ(store_.seen[0].rule.key, SubscriptionRateKey("sub-1"));
}

TEST_F(DescriptorsTest, UnknownIdsOrNoSubscriptionAreNotLimited) {
  for (const auto& entries : std::vector<std::vector<DescriptorEntry>>{
           {{"application_id", "nope"}, {"api_id", "api-petstore"}},
           {{"application_id", "app-1"}, {"api_id", "nope"}},
           {{"application_id", "app-2"}, {"api_id", "api-petstore"}},  // not subscribed
           {{"api_id", "nope"}}}) {
    const DescriptorStatus s = Ask(entries);
    EXPECT_FALSE(s.over_limit);
    EXPECT_FALSE(s.limit.present);
  }
  EXPECT_EQ(store_.calls, 0) << "nothing to count";
}

TEST_F(DescriptorsTest, ApiAloneNamesTheBackendProtectionLimit) {
  EXPECT_FALSE(Ask({{"api_id", "api-petstore"}}).limit.present) << "no backend limit set";
  data_.apis[0].backend_rate = RateLimit{2, Period::kSecond, 1};
  const DescriptorStatus s = Ask({{"api_id", "api-petstore"}});
  ASSERT_EQ(store_.seen.size(), 1u);
  EXPECT_EQ(store_.seen[0].rule.key, ApiBackendKey("api-petstore"));
  EXPECT_EQ(s.unit, DescriptorUnit::kSecond);
  EXPECT_EQ(s.limit.remaining, 1);
}

TEST_F(DescriptorsTest, ApiWithOtherEntriesIsNotTheBackendLimit) {
  data_.apis[0].backend_rate = RateLimit{2, Period::kSecond, 1};
  EXPECT_FALSE(Ask({{"api_id", "api-petstore"}, {"remote_address", "10.0.0.1"}}).limit.present);
  EXPECT_FALSE(Ask({{"generic_key", "anything"}}).limit.present);
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(DescriptorsTest, HitsAddendIsTheCostAndZeroCountsAsOne) {
  Ask(kSubscription, 2);
  EXPECT_EQ(store_.last_cost, 2);
  EXPECT_EQ(store_.used[SubscriptionRateKey("sub-1")], 2);
  Ask(kSubscription, 0);
  EXPECT_EQ(store_.last_cost, 1);
  const DescriptorStatus over = Ask(kSubscription, 2);
  EXPECT_TRUE(over.over_limit) << "3 used of 3";
  EXPECT_EQ(store_.used[SubscriptionRateKey("sub-1")], 3) << "a refusal charges nothing";
}

TEST_F(DescriptorsTest, OverLimitReportsTheRefusingRuleAndWhenToRetry) {
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(Ask(kSubscription).over_limit);
  const DescriptorStatus s = Ask(kSubscription);
  EXPECT_TRUE(s.over_limit);
  EXPECT_EQ(s.limit.policy, "Gold");
  EXPECT_EQ(s.limit.remaining, 0);
  EXPECT_EQ(s.limit.retry_after_seconds, 2) << "1500 ms rounds up";
  EXPECT_EQ(s.limit.reset_seconds, 30);
  EXPECT_FALSE(s.quota);
}

TEST_F(DescriptorsTest, OverrideUnitsBecomeRatesWithAFullWindowOfBurst) {
  const std::pair<DescriptorUnit, Period> units[] = {{DescriptorUnit::kSecond, Period::kSecond},
                                                     {DescriptorUnit::kMinute, Period::kMinute},
                                                     {DescriptorUnit::kHour, Period::kHour},
                                                     {DescriptorUnit::kDay, Period::kDay}};
  for (const auto& [unit, period] : units) {
    const DescriptorStatus s = AskOverride({{"remote_address", "198.51.100.7"}}, 10, unit);
    ASSERT_EQ(store_.seen.size(), 1u);
    ASSERT_TRUE(store_.seen[0].rate.has_value());
    EXPECT_EQ(store_.seen[0].rate->requests, 10);
    EXPECT_EQ(store_.seen[0].rate->per, period);
    EXPECT_EQ(store_.seen[0].rate->burst, 9);
    EXPECT_EQ(s.unit, unit);
    EXPECT_EQ(s.limit.policy, "descriptor");
  }
}

TEST_F(DescriptorsTest, MonthOverrideIsACalendarMonthQuotaInUtc) {
  const DescriptorStatus s = AskOverride({{"tenant", "acme"}}, 1, DescriptorUnit::kMonth);
  ASSERT_EQ(store_.seen.size(), 1u);
  ASSERT_TRUE(store_.seen[0].quota.has_value());
  EXPECT_EQ(store_.seen[0].quota->requests, 1);
  EXPECT_EQ(store_.seen[0].quota->anchor, QuotaAnchor::kCalendar);
  EXPECT_EQ(store_.seen[0].quota->time_zone, "UTC");
  EXPECT_EQ(s.unit, DescriptorUnit::kMonth);
  const DescriptorStatus over = AskOverride({{"tenant", "acme"}}, 1, DescriptorUnit::kMonth);
  EXPECT_TRUE(over.over_limit);
  EXPECT_TRUE(over.quota);
  EXPECT_EQ(DecisionFor(over).code, DecisionCode::kQuotaExceeded);
}

TEST_F(DescriptorsTest, UnsupportedOrZeroOverridesAreNotLimited) {
  EXPECT_FALSE(AskOverride({{"k", "v"}}, 5, DescriptorUnit::kUnsupported).limit.present);
  EXPECT_FALSE(AskOverride({{"k", "v"}}, 0, DescriptorUnit::kSecond).limit.present);
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(DescriptorsTest, OverrideCounterIsKeyedByDomainUnitAndEveryEntryInOrder) {
  AskOverride({{"a", "1"}, {"b", "2"}}, 5, DescriptorUnit::kMinute);
  const uint64_t base = LastKey();
  AskOverride({{"a", "1"}, {"b", "2"}}, 7, DescriptorUnit::kMinute);
  EXPECT_EQ(LastKey(), base) << "stable; the request count is not part of the key";
  AskOverride({{"a", "1"}, {"b", "2"}}, 5, DescriptorUnit::kMinute, "other-domain");
  EXPECT_NE(LastKey(), base);
  AskOverride({{"b", "2"}, {"a", "1"}}, 5, DescriptorUnit::kMinute);
  EXPECT_NE(LastKey(), base) << "order matters";
  AskOverride({{"a", "1"}, {"b", "3"}}, 5, DescriptorUnit::kMinute);
  EXPECT_NE(LastKey(), base);
  AskOverride({{"a", "1b"}, {"", "2"}}, 5, DescriptorUnit::kMinute);
  EXPECT_NE(LastKey(), base) << "entries are hashed separately, not concatenated";
  AskOverride({{"a", "1"}, {"b", "2"}}, 5, DescriptorUnit::kHour);
  EXPECT_NE(LastKey(), base) << "each unit has its own counter";
}

TEST_F(DescriptorsTest, OverrideWinsOverApplicationAndApiEntries) {
  AskOverride(kSubscription, 4, DescriptorUnit::kSecond);
  ASSERT_EQ(store_.seen.size(), 1u);
  EXPECT_NE(store_.seen[0].rule.key, SubscriptionRateKey("sub-1"));
  EXPECT_EQ(store_.seen[0].rate->requests, 4);
}

TEST_F(DescriptorsTest, WithoutCountersEverythingIsOk) {
  auto snapshot = Snapshot::Build(data_);
  Descriptor d;
  d.entries = kSubscription;
  const DescriptorStatus s = AnswerDescriptor(*snapshot, nullptr, "tollgate", d, 1, 0);
  EXPECT_FALSE(s.over_limit);
  EXPECT_FALSE(s.limit.present);
}

TEST_F(DescriptorsTest, StatusReportsFewestRemainingWhenAllowedAndFirstRefusalWhenNot) {
  DescriptorRules rules;
  const RateLimit per_second{10, Period::kSecond, 0};
  const Quota month{100, QuotaAnchor::kCalendar, "UTC"};
  rules.set.rules[0] = LimitRule{LimitRule::Kind::kRate, 1, &per_second, nullptr, 0, false, "fast"};
  rules.set.rules[1] = LimitRule{LimitRule::Kind::kQuota, 2, nullptr, &month, 0, false, "monthly"};
  rules.set.size = 2;
  std::array<LimitOutcome, 2> out{LimitOutcome{true, 10, 7, 300, 0, 1, false},
                                  LimitOutcome{true, 100, 3, 86'400'000, 0, 2'592'000, false}};
  DescriptorStatus s = StatusFromOutcomes(rules, out, true);
  EXPECT_EQ(s.limit.policy, "monthly");
  EXPECT_EQ(s.unit, DescriptorUnit::kMonth);
  EXPECT_EQ(s.limit.reset_seconds, 86'400);
  EXPECT_EQ(s.limit.retry_after_seconds, 0);

  out[0] = LimitOutcome{false, 10, 0, 900, 250, 1, false};
  s = StatusFromOutcomes(rules, out, false);
  EXPECT_TRUE(s.over_limit);
  EXPECT_EQ(s.limit.policy, "fast");
  EXPECT_EQ(s.unit, DescriptorUnit::kSecond);
  EXPECT_EQ(s.limit.retry_after_seconds, 1) << "never 0 when over";
}

TEST_F(DescriptorsTest, DecisionForOverLimitYieldsRetryAfterHeaders) {
  for (int i = 0; i < 3; ++i) Ask(kSubscription);
  const LimitHeaders over = LimitHeadersFor(DecisionFor(Ask(kSubscription)));
  ASSERT_EQ(over.size, 3u);
  EXPECT_EQ(over.items[0].name, "RateLimit-Policy");
  EXPECT_EQ(over.items[0].value, "\"Gold\";q=3;w=60");
  EXPECT_EQ(over.items[1].value, "\"Gold\";r=0;t=30");
  EXPECT_EQ(over.items[2].name, "Retry-After");
  EXPECT_EQ(over.items[2].value, "2");
}

}  // namespace
}  // namespace tollgate::enforce
