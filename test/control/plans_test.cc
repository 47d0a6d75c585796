// The service's plan rules: who may manage plans, the built-in plan, plans in use, plan
// references of APIs and applications, and the usage view of a subscription.
#include <gtest/gtest.h>

#include "control/service_fixture.h"
#include "control/validation.h"

namespace tollgate::control {
namespace {

Plan PlanDraft(std::string name = "Platinum") {
  Plan p;
  p.name = std::move(name);
  p.description = "for big customers";
  p.rate = RateLimit{600, Period::kMinute, 50};
  p.quota = Quota{1'000'000, QuotaAnchor::kCalendar, "Europe/Paris"};
  return p;
}

std::string FieldOf(Plan p) {
  Status s = ValidatePlan(p);
  return s.ok() ? "<ok>" : s.error().field;
}

TEST_F(ServiceTest, OnlyAdminsWritePlansButEveryoneReadsThem) {
  for (const Principal* who : {&alice_, &carol_}) {
    auto refused = service_->CreatePlan(*who, PlanDraft());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::kForbidden);
  }
  const int before = changes_;
  auto created = service_->CreatePlan(admin_, PlanDraft());
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(changes_, before + 1);
  EXPECT_FALSE(created->id.empty());
  EXPECT_EQ(created->created_at, clock_.NowSeconds());
  for (const Principal* who : {&alice_, &carol_, &admin_}) {
    EXPECT_EQ(service_->GetPlan(*who, created->id)->name, "Platinum");
    EXPECT_EQ(service_->ListPlans(*who, {})->total, 4);  // Unlimited, Gold, Silver, Platinum
  }
  for (const Principal* who : {&alice_, &carol_}) {
    EXPECT_EQ(service_->UpdatePlan(*who, created->id, PlanDraft()).error().kind,
              ErrorKind::kForbidden);
    EXPECT_EQ(service_->DeletePlan(*who, created->id).error().kind, ErrorKind::kForbidden);
  }
  EXPECT_EQ(service_->CreatePlan(admin_, PlanDraft()).error().code, "plan_name_taken");
}

TEST_F(ServiceTest, UnlimitedIsBuiltInAndCannotBeChangedOrDeleted) {
  auto unlimited = store_->GetPlanByName("Unlimited");
  ASSERT_TRUE(unlimited.ok());
  Plan edit = PlanDraft("Unlimited");
  EXPECT_EQ(service_->UpdatePlan(admin_, unlimited->id, edit).error().code, "plan_builtin");
  EXPECT_EQ(service_->DeletePlan(admin_, unlimited->id).error().code, "plan_builtin");
}

TEST_F(ServiceTest, UpdatePlanChangesLimitsButNeverTheName) {
  auto created = service_->CreatePlan(admin_, PlanDraft());
  ASSERT_TRUE(created.ok());
  Plan edit = PlanDraft("");
  edit.rate.reset();
  auto updated = service_->UpdatePlan(admin_, created->id, edit);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->name, "Platinum");
  EXPECT_FALSE(updated->rate.has_value());
  auto renamed = service_->UpdatePlan(admin_, created->id, PlanDraft("Diamond"));
  ASSERT_FALSE(renamed.ok());
  EXPECT_EQ(renamed.error().field, "name");
  EXPECT_EQ(renamed.error().code, "plan_name_immutable");
  EXPECT_EQ(service_->UpdatePlan(admin_, "nope", PlanDraft()).error().code, "plan_not_found");
}

TEST_F(ServiceTest, PlanInUseCannotBeDeleted) {
  Published();  // offers Gold and Silver
  EXPECT_EQ(service_->DeletePlan(admin_, "plan-Gold").error().code, "plan_in_use");
  auto spare = service_->CreatePlan(admin_, PlanDraft());
  ASSERT_TRUE(spare.ok());
  auto app = service_->CreateApplication(alice_, Application{.name = "Mobile", .plan = "Platinum"});
  ASSERT_TRUE(app.ok()) << app.error().message;
  EXPECT_EQ(app->plan, "Platinum");
  EXPECT_EQ(service_->DeletePlan(admin_, spare->id).error().code, "plan_in_use");
  ASSERT_TRUE(service_->UpdateApplication(alice_, app->id, Application{.name = "Mobile"}).ok());
  EXPECT_TRUE(service_->DeletePlan(admin_, spare->id).ok());
}

TEST_F(ServiceTest, ApisAndApplicationsMayOnlyNameExistingPlans) {
  Api draft = Draft();
  draft.plans = {"Gold", "Platinum"};
  auto api = service_->CreateApi(admin_, draft);
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(api.error().field, "plans[1]");
  EXPECT_EQ(api.error().code, "unknown_plan");
  draft = Draft();
  draft.resources[0].plan = "Platinum";
  EXPECT_EQ(service_->CreateApi(admin_, draft).error().field, "resources[0].plan");
  auto app = service_->CreateApplication(alice_, Application{.name = "Mobile", .plan = "Nope"});
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.error().field, "plan");
  EXPECT_EQ(app.error().code, "unknown_plan");
  draft = Draft();
  draft.plans = {};
  auto defaulted = service_->CreateApi(admin_, draft);
  ASSERT_TRUE(defaulted.ok()) << defaulted.error().message;
  EXPECT_EQ(defaulted->plans, std::vector<std::string>{"Unlimited"});
}

TEST_F(ServiceTest, ApiRateSettingsAreValidatedAndKept) {
  Api draft = Draft();
  draft.backend_rate = RateLimit{1000, Period::kSecond, 100};
  draft.keyed_limits = {{"ip/24", {10, Period::kSecond, 0}}, {"header:X-Tenant", {5, Period::kMinute, 4}}};
  draft.fail_open = true;
  auto api = service_->CreateApi(admin_, draft);
  ASSERT_TRUE(api.ok()) << api.error().message;
  ASSERT_TRUE(api->backend_rate.has_value());
  EXPECT_EQ(api->backend_rate->requests, 1000);
  ASSERT_EQ(api->keyed_limits.size(), 2u);
  EXPECT_EQ(api->keyed_limits[1].key, "header:x-tenant");
  EXPECT_TRUE(api->fail_open);
  draft = Draft("Other", "/other/v1");
  draft.keyed_limits = {{"ip/129", {10, Period::kSecond, 0}}};
  EXPECT_EQ(service_->CreateApi(admin_, draft).error().field, "keyedLimits[0].key");
  draft.keyed_limits = {{"ip", {0, Period::kSecond, 0}}};
  EXPECT_EQ(service_->CreateApi(admin_, draft).error().field, "keyedLimits[0].rate.requests");
  draft.keyed_limits.clear();
  draft.backend_rate = RateLimit{10, Period::kSecond, -1};
  EXPECT_EQ(service_->CreateApi(admin_, draft).error().field, "backendRate.burst");
}

TEST(ValidatePlan, NamesEachBadField) {
  EXPECT_EQ(FieldOf(PlanDraft()), "<ok>");
  Plan p = PlanDraft("  ");
  EXPECT_EQ(FieldOf(p), "name");
  p = PlanDraft();
  p.rate->requests = 0;
  EXPECT_EQ(FieldOf(p), "rate.requests");
  p = PlanDraft();
  p.rate->burst = -1;
  EXPECT_EQ(FieldOf(p), "rate.burst");
  p = PlanDraft();
  p.quota->requests = 0;
  EXPECT_EQ(FieldOf(p), "quota.requests");
  for (const char* zone : {"Mars/Olympus", "../../etc/passwd", "Europe/../UTC", "zone.tab",
                           "/etc/localtime", "Europe"}) {
    p = PlanDraft();
    p.quota->time_zone = zone;
    EXPECT_EQ(FieldOf(p), "quota.timeZone") << zone;
  }
  p = PlanDraft();
  p.rate.reset();
  p.quota.reset();
  EXPECT_EQ(FieldOf(p), "<ok>") << "unlimited";
  p = PlanDraft();
  p.quota->time_zone = "";
  ASSERT_EQ(FieldOf(p), "<ok>");
  Plan q = PlanDraft();
  q.quota->time_zone = "";
  ASSERT_TRUE(ValidatePlan(q).ok());
  EXPECT_EQ(q.quota->time_zone, "UTC");
}

TEST(ValidatePlan, KnowsRealZonesAndDefaultsBurstToAWholeWindow) {
  for (const char* zone : {"UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5"}) {
    EXPECT_TRUE(IsKnownTimeZoneName(zone)) << zone;
  }
  EXPECT_FALSE(IsKnownTimeZoneName("leapseconds"));
  EXPECT_EQ(DefaultBurst(100), 99);
  EXPECT_EQ(DefaultBurst(1), 0);
}

TEST(ValidateLimitKey, AcceptsTheDocumentedKeysOnly) {
  for (const char* good : {"ip", "ip/1", "ip/24", "ip/128", "header:x-tenant", "query:apikey",
                           "claim:sub", "claim:https://example.com/org"}) {
    std::string key = good;
    EXPECT_TRUE(ValidateLimitKey(key, "k").ok()) << good;
  }
  for (const char* bad : {"", "ip/0", "ip/129", "ip/", "ip/2x", "header:", "header:bad name",
                          "cookie:x", "query:a&b", "claim:", "IP"}) {
    std::string key = bad;
    Status s = ValidateLimitKey(key, "keyedLimits[0].key");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().field, "keyedLimits[0].key");
  }
}

// Answers a fixed consumption and records what it was asked.
class FakeUsage final : public UsageSource {
 public:
  std::optional<QuotaUsageView> QuotaUsage(const Subscription& sub, const Plan& plan,
                                           int64_t now) override {
    asked_sub = sub.id;
    asked_plan = plan.name;
    asked_at = now;
    return QuotaUsageView{250, 1000, 2000};
  }
  std::string asked_sub, asked_plan;
  int64_t asked_at = 0;
};

TEST_F(ServiceTest, SubscriptionUsageShowsThePlanAndTheSourcesCounts) {
  auto quota = service_->CreatePlan(admin_, PlanDraft());
  ASSERT_TRUE(quota.ok());
  Api draft = Draft();
  draft.plans = {"Platinum", "Gold"};
  auto api = service_->CreateApi(admin_, draft);
  ASSERT_TRUE(api.ok());
  ASSERT_TRUE(service_->ChangeLifecycle(admin_, api->id, "publish").ok());
  auto app = service_->CreateApplication(alice_, Application{.name = "Mobile"});
  auto sub = service_->Subscribe(alice_, app->id, api->id, "Platinum");
  ASSERT_TRUE(sub.ok());

  FakeUsage usage;
  auto seen = service_->SubscriptionUsageOf(alice_, app->id, sub->id, &usage);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_EQ(seen->plan.name, "Platinum");
  ASSERT_TRUE(seen->quota.has_value());
  EXPECT_EQ(seen->quota->used, 250);
  EXPECT_EQ(usage.asked_sub, sub->id);
  EXPECT_EQ(usage.asked_at, clock_.NowSeconds());

  auto unknown = service_->SubscriptionUsageOf(alice_, app->id, sub->id, nullptr);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->quota.has_value());
  EXPECT_EQ(service_->SubscriptionUsageOf(bob_, app->id, sub->id, &usage).error().code,
            "application_not_found");
  EXPECT_TRUE(service_->SubscriptionUsageOf(admin_, app->id, sub->id, &usage).ok());
  EXPECT_EQ(service_->SubscriptionUsageOf(alice_, app->id, "nope", &usage).error().code,
            "subscription_not_found");
}

}  // namespace
}  // namespace tollgate::control
