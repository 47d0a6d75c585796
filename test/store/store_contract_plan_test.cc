// Store contract, part 3: plans (with the built-in Unlimited), plan references, API rate settings,
// application plans and persisted quota usage. Written against Store& only.
#include "store/store_contract_test.h"
#include "store/store_test_data.h"

namespace tollgate::store {
namespace {

using namespace testdata;  // NOLINT(google-build-using-namespace)

TEST_P(StoreContractTest, UnlimitedPlanAlwaysExistsAndCannotBeChangedOrDeleted) {
  auto unlimited = store().GetPlanByName(kUnlimitedPlan);
  ASSERT_TRUE(Succeeds(unlimited));
  EXPECT_FALSE(unlimited->rate.has_value());
  EXPECT_FALSE(unlimited->quota.has_value());
  EXPECT_TRUE(Succeeds(store().GetPlan(unlimited->id)));
  Plan edit = *unlimited;
  edit.rate = RateLimit{1, Period::kSecond, 0};
  EXPECT_TRUE(FailsWith(store().UpdatePlan(edit), ErrorKind::kConflict, "plan_builtin"));
  EXPECT_TRUE(FailsWith(store().DeletePlan(unlimited->id), ErrorKind::kConflict, "plan_builtin"));
  EXPECT_FALSE(store().GetPlanByName(kUnlimitedPlan)->rate.has_value());
}

TEST_P(StoreContractTest, PlanReadsBackWithEveryField) {
  Plan full = MakePlan("Silver");
  ASSERT_TRUE(Succeeds(store().CreatePlan(full)));
  ExpectSamePlan(full, *store().GetPlan(full.id));
  ExpectSamePlan(full, *store().GetPlanByName("Silver"));

  Plan rate_only = MakePlan("Bronze");
  rate_only.quota.reset();
  rate_only.rate = RateLimit{5, Period::kSecond, 0};
  ExpectSamePlan(rate_only, *store().CreatePlan(rate_only));
  Plan quota_only = MakePlan("Monthly");
  quota_only.rate.reset();
  quota_only.quota = Quota{500, QuotaAnchor::kCalendar, "UTC"};
  ExpectSamePlan(quota_only, *store().CreatePlan(quota_only));
  ExpectSamePlan(quota_only, *store().GetPlan(quota_only.id));
}

TEST_P(StoreContractTest, PlanNameIsUniqueAndUnknownPlansAreNotFound) {
  Plan twin = MakePlan("Other");
  twin.name = "Gold";
  EXPECT_TRUE(FailsWith(store().CreatePlan(twin), ErrorKind::kConflict, "plan_name_taken"));
  const auto code = "plan_not_found";
  EXPECT_TRUE(FailsWith(store().GetPlan("nope"), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().GetPlanByName("Platinum"), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().UpdatePlan(MakePlan("Ghost")), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().DeletePlan("nope"), ErrorKind::kNotFound, code));
}

TEST_P(StoreContractTest, UpdatePlanReplacesLimitsButKeepsNameAndCreation) {
  Plan edit = MakePlan("Gold");
  edit.name = "Renamed";
  edit.created_at = 999999;
  edit.description = "cheaper";
  edit.rate = RateLimit{10, Period::kHour, 3};
  edit.quota.reset();
  auto updated = store().UpdatePlan(edit);
  ASSERT_TRUE(Succeeds(updated));
  EXPECT_EQ(updated->name, "Gold");
  EXPECT_EQ(updated->created_at, MakePlan("Gold").created_at);
  EXPECT_EQ(updated->description, "cheaper");
  ASSERT_TRUE(updated->rate.has_value());
  ExpectSameRate(*edit.rate, *updated->rate);
  EXPECT_FALSE(store().GetPlan(edit.id)->quota.has_value());
}

TEST_P(StoreContractTest, ListPlansPagesInCreationOrderWithUnlimitedFirst) {
  ASSERT_TRUE(Succeeds(store().CreatePlan(MakePlan("Silver", 700))));
  ASSERT_TRUE(Succeeds(store().CreatePlan(MakePlan("Bronze", 600))));
  auto all = store().ListPlans({0, 50});
  ASSERT_TRUE(Succeeds(all));
  EXPECT_EQ(all->total, 4);
  std::vector<std::string> names;
  for (const Plan& p : all->items) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Unlimited", "Gold", "Bronze", "Silver"}));
  auto page = store().ListPlans({2, 1});
  ASSERT_TRUE(Succeeds(page));
  EXPECT_EQ(page->total, 4);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name, "Bronze");
}

TEST_P(StoreContractTest, PlanInUseCannotBeDeletedUntilEveryUseIsGone) {
  const std::string gold = MakePlan("Gold").id;
  Api api = MakeApi("petstore");  // offers Gold and names it on a resource
  Application app = MakeApp("shop");
  app.plan = "Gold";
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  Subscription sub = MakeSub(app, api);
  ASSERT_TRUE(Succeeds(store().CreateSubscription(sub)));
  const int64_t revision = *store().Revision();
  EXPECT_TRUE(FailsWith(store().DeletePlan(gold), ErrorKind::kConflict, "plan_in_use"));

  ASSERT_TRUE(Succeeds(store().DeleteSubscription(app.id, sub.id)));  // still offered, used
  EXPECT_TRUE(FailsWith(store().DeletePlan(gold), ErrorKind::kConflict, "plan_in_use"));
  api.plans = {"Unlimited"};  // still named by a resource
  ASSERT_TRUE(Succeeds(store().UpdateApi(api)));
  EXPECT_TRUE(FailsWith(store().DeletePlan(gold), ErrorKind::kConflict, "plan_in_use"));
  api.resources[1].plan.clear();  // still the application's plan
  ASSERT_TRUE(Succeeds(store().UpdateApi(api)));
  EXPECT_TRUE(FailsWith(store().DeletePlan(gold), ErrorKind::kConflict, "plan_in_use"));
  app.plan.clear();
  ASSERT_TRUE(Succeeds(store().UpdateApplication(app)));
  EXPECT_GT(*store().Revision(), revision);

  ASSERT_TRUE(Succeeds(store().DeletePlan(gold)));
  EXPECT_TRUE(FailsWith(store().GetPlan(gold), ErrorKind::kNotFound, "plan_not_found"));
}

TEST_P(StoreContractTest, WritesNamingAnUnknownPlanAreRefusedWhole) {
  const int64_t revision = *store().Revision();
  const auto code = "plan_not_found";
  Api offers = MakeApi("petstore");
  offers.plans = {"Gold", "Platinum"};
  EXPECT_TRUE(FailsWith(store().CreateApi(offers), ErrorKind::kNotFound, code));
  Api resource = MakeApi("petstore");
  resource.resources[0].plan = "Platinum";
  EXPECT_TRUE(FailsWith(store().CreateApi(resource), ErrorKind::kNotFound, code));
  Application app = MakeApp("shop");
  app.plan = "Platinum";
  EXPECT_TRUE(FailsWith(store().CreateApplication(app), ErrorKind::kNotFound, code));
  EXPECT_EQ(*store().Revision(), revision);
  EXPECT_EQ(store().ListApis({0, 50})->total, 0);
  EXPECT_EQ(store().ListApplications("", {0, 50})->total, 0);

  Api api = MakeApi("petstore");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  app.plan.clear();
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  Api edit = api;
  edit.plans = {"Platinum"};
  edit.description = "changed";
  EXPECT_TRUE(FailsWith(store().UpdateApi(edit), ErrorKind::kNotFound, code));
  EXPECT_EQ(store().GetApi(api.id)->description, api.description) << "no partial write";
  app.plan = "Platinum";
  EXPECT_TRUE(FailsWith(store().UpdateApplication(app), ErrorKind::kNotFound, code));
  Subscription sub = MakeSub(app, api);
  sub.plan = "Platinum";
  EXPECT_TRUE(FailsWith(store().CreateSubscription(sub), ErrorKind::kNotFound, code));
}

TEST_P(StoreContractTest, ApiRateSettingsReadBackAndAreReplacedByUpdate) {
  Api api = MakeApi("petstore");
  api.backend_rate = RateLimit{1000, Period::kSecond, 200};
  api.keyed_limits = {{"ip", {10, Period::kSecond, 5}},
                      {"ip/24", {100, Period::kMinute, 0}},
                      {"header:x-tenant", {5000, Period::kDay, 10}}};
  api.fail_open = true;
  auto created = store().CreateApi(api);
  ASSERT_TRUE(Succeeds(created));
  ExpectSameApi(api, *created);
  ExpectSameApi(api, *store().GetApi(api.id));

  api.backend_rate.reset();
  api.keyed_limits = {{"claim:sub", {7, Period::kHour, 1}}};
  api.fail_open = false;
  ASSERT_TRUE(Succeeds(store().UpdateApi(api)));
  ExpectSameApi(api, *store().GetApi(api.id));
  ExpectSameApi(api, store().LoadSnapshotData()->apis.at(0));
}

TEST_P(StoreContractTest, ApplicationPlanReadsBackAndUpdates) {
  ASSERT_TRUE(Succeeds(store().CreatePlan(MakePlan("AppTier"))));
  Application app = MakeApp("shop");
  app.plan = "AppTier";
  EXPECT_EQ(store().CreateApplication(app)->plan, "AppTier");
  EXPECT_EQ(store().GetApplication(app.id)->plan, "AppTier");
  app.plan = "Gold";
  EXPECT_EQ(store().UpdateApplication(app)->plan, "Gold");
  EXPECT_EQ(store().LoadSnapshotData()->applications.at(0).plan, "Gold");
  app.plan.clear();
  EXPECT_EQ(store().UpdateApplication(app)->plan, "");
}

TEST_P(StoreContractTest, PlanWritesBumpTheRevisionAndTheSnapshotHoldsPlans) {
  int64_t revision = *store().Revision();
  Plan silver = MakePlan("Silver");
  ASSERT_TRUE(Succeeds(store().CreatePlan(silver)));
  EXPECT_GT(*store().Revision(), revision);
  revision = *store().Revision();
  silver.description = "edited";
  ASSERT_TRUE(Succeeds(store().UpdatePlan(silver)));
  EXPECT_GT(*store().Revision(), revision);
  revision = *store().Revision();

  auto snap = store().LoadSnapshotData();
  ASSERT_TRUE(Succeeds(snap));
  EXPECT_EQ(snap->revision, revision);
  ASSERT_EQ(snap->plans.size(), 3u);
  EXPECT_EQ(snap->plans[0].name, "Unlimited");
  ExpectSamePlan(MakePlan("Gold"), snap->plans[1]);
  EXPECT_EQ(snap->plans[2].description, "edited");

  (void)store().CreatePlan(silver);                        // conflict
  (void)store().DeletePlan(store().GetPlanByName("Unlimited")->id);  // built in
  (void)store().GetPlan(silver.id);
  (void)store().ListPlans({0, 50});
  EXPECT_EQ(*store().Revision(), revision);
  ASSERT_TRUE(Succeeds(store().DeletePlan(silver.id)));
  EXPECT_GT(*store().Revision(), revision);
}

TEST_P(StoreContractTest, QuotaUsageIsUpsertedExpiredAndKeptAcrossRestartsWithoutARevision) {
  const int64_t revision = *store().Revision();
  using U = Store::QuotaUsage;
  ASSERT_TRUE(Succeeds(store().SaveQuotaUsage(
      {U{"sub:a", 1000, 2000, 5}, U{"sub:b", 1000, 2000, 7}, U{"sub:a", 0, 1000, 99}}, 1500)));
  auto loaded = store().LoadQuotaUsage(1500);
  ASSERT_TRUE(Succeeds(loaded));
  ASSERT_EQ(loaded->size(), 2u) << "the window that ended at 1000 is gone";
  EXPECT_EQ((*loaded)[0].key, "sub:a");
  EXPECT_EQ((*loaded)[0].used, 5);
  EXPECT_EQ((*loaded)[1].key, "sub:b");

  ASSERT_TRUE(Succeeds(store().SaveQuotaUsage({U{"sub:a", 1000, 2000, 42}}, 1600)));
  Restart();
  loaded = store().LoadQuotaUsage(1999);
  ASSERT_TRUE(Succeeds(loaded));
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].used, 42) << "upserted by key and window start";
  EXPECT_EQ((*loaded)[0].window_start, 1000);
  EXPECT_EQ((*loaded)[0].window_end, 2000);
  EXPECT_TRUE(store().LoadQuotaUsage(2000)->empty()) << "a window has ended at its end";

  ASSERT_TRUE(Succeeds(store().SaveQuotaUsage({U{"sub:a", 2000, 3000, 1}}, 2000)));
  loaded = store().LoadQuotaUsage(0);
  ASSERT_TRUE(Succeeds(loaded));
  ASSERT_EQ(loaded->size(), 1u) << "saving removed the ended windows";
  EXPECT_EQ((*loaded)[0].window_start, 2000);
  EXPECT_EQ(*store().Revision(), revision) << "counters are not configuration";
}

}  // namespace
}  // namespace tollgate::store
