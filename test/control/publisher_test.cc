// The service's publisher and developer-portal rules: deprecation instants, new versions,
// documents, the catalog, approval plans, subscription and application blocking, key options.
#include <gtest/gtest.h>

#include "control/service.h"
#include "control/service_fixture.h"
#include "control/validation.h"

namespace tollgate::control {
namespace {

template <class R>
std::string CodeOf(const R& result) {
  return result.ok() ? "ok" : result.error().code;
}

class PublisherTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    Plan gated{.id = "plan-gated", .name = "Gated", .requires_approval = true};
    ASSERT_TRUE(store_->CreatePlan(gated).ok());
  }
  // An API created by carol (a publisher), published, offering Gold and Gated.
  Api CarolsApi(std::string name = "Petstore", std::string context = "/petstore/v1") {
    Api draft = Draft(std::move(name), std::move(context));
    draft.plans = {"Gold", "Gated"};
    draft.tags = {"pets", "demo"};
    auto api = service_->CreateApi(carol_, draft);
    EXPECT_TRUE(api.ok()) << CodeOf(api);
    auto published = service_->ChangeLifecycle(carol_, api->id, "publish");
    EXPECT_TRUE(published.ok());
    return published.value();
  }
  Application AlicesApp(std::string name = "shop") {
    auto app = service_->CreateApplication(alice_, Application{.name = std::move(name)});
    EXPECT_TRUE(app.ok());
    return app.value();
  }
  Principal dave_{"dave", Role::kPublisher};
};

TEST_F(PublisherTest, DeprecationSetsItsInstantAndAnOptionalSunset) {
  Api api = CarolsApi();
  clock_.Set(1'800'000'100);
  auto deprecated =
      service_->ChangeLifecycle(carol_, api.id, "deprecate", {std::nullopt, 1'900'000'000});
  ASSERT_TRUE(deprecated.ok()) << CodeOf(deprecated);
  EXPECT_EQ(deprecated->deprecated_at, std::optional<int64_t>(1'800'000'100));
  EXPECT_EQ(deprecated->sunset_at, std::optional<int64_t>(1'900'000'000));
  EXPECT_EQ(service_->LifecycleHistory(carol_, api.id)->size(), 2u);

  Application app = AlicesApp();
  EXPECT_EQ(CodeOf(service_->Subscribe(alice_, app.id, api.id, "Gold")), "api_not_subscribable")
      << "DEPRECATED takes no new subscriptions";

  Api other = CarolsApi("Other", "/other/v1");
  EXPECT_EQ(CodeOf(service_->ChangeLifecycle(carol_, other.id, "deprecate", {std::nullopt, 5})),
            "invalid_field")
      << "a sunset before the deprecation";
  EXPECT_EQ(CodeOf(service_->ChangeLifecycle(carol_, other.id, "block", {std::nullopt, 5})),
            "invalid_field")
      << "only deprecate takes dates";
  auto retired = service_->ChangeLifecycle(carol_, api.id, "retire");
  ASSERT_TRUE(retired.ok());
  EXPECT_EQ(retired->deprecated_at, std::optional<int64_t>(1'800'000'100)) << "kept when retired";
}

TEST_F(PublisherTest, NewVersionCopiesTheApiWithItsDocumentsUnderADerivedContext) {
  Api v1 = CarolsApi();
  ASSERT_TRUE(service_->CreateDocument(carol_, v1.id, {.name = "Guide", .content = "# Hi"}).ok());
  auto v2 = service_->CreateApiVersion(dave_, v1.id, {"v2", "", true});
  ASSERT_TRUE(v2.ok()) << CodeOf(v2);
  EXPECT_NE(v2->id, v1.id);
  EXPECT_EQ(v2->name, v1.name);
  EXPECT_EQ(v2->version, "v2");
  EXPECT_EQ(v2->context, "/petstore/v2");
  EXPECT_EQ(v2->lifecycle, Lifecycle::kCreated);
  EXPECT_EQ(v2->created_by, "dave");
  EXPECT_TRUE(v2->is_default_version);
  EXPECT_EQ(v2->plans, v1.plans);
  EXPECT_EQ(v2->tags, v1.tags);
  EXPECT_EQ(v2->resources.size(), v1.resources.size());
  auto docs = service_->ListDocuments(carol_, v2->id, {0, 10});
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->total, 1);
  EXPECT_EQ(docs->items[0].content, "# Hi");

  // No version segment in the context: the version is appended.
  Api plain = CarolsApi("Plain", "/plain");
  EXPECT_EQ(service_->CreateApiVersion(carol_, plain.id, {"v2", "", false})->context, "/plain/v2");
  // The version segment is replaced where it stands.
  Api mid = CarolsApi("Mid", "/mid/v1/api");
  EXPECT_EQ(service_->CreateApiVersion(carol_, mid.id, {"v3", "", false})->context,
            "/mid/v3/api");

  EXPECT_EQ(CodeOf(service_->CreateApiVersion(carol_, v1.id, {"v2", "/elsewhere", false})),
            "api_name_version_taken");
  EXPECT_EQ(CodeOf(service_->CreateApiVersion(carol_, v1.id, {"v3", "/petstore/v2", false})),
            "api_context_taken");
  EXPECT_EQ(CodeOf(service_->CreateApiVersion(carol_, "nope", {"v3", "", false})),
            "api_not_found");
  EXPECT_EQ(CodeOf(service_->CreateApiVersion(alice_, v1.id, {"v3", "", false})), "forbidden");
  EXPECT_EQ(CodeOf(service_->CreateApiVersion(carol_, v1.id, {"", "", false})), "invalid_field");
}

TEST_F(PublisherTest, DocumentsAreWrittenByPublishersAndReadFromTheCatalog) {
  Api api = CarolsApi();
  auto draft = service_->CreateApi(carol_, Draft("Draft", "/draft/v1"));
  ASSERT_TRUE(draft.ok());
  EXPECT_EQ(CodeOf(service_->CreateDocument(alice_, api.id, {.name = "Guide"})), "forbidden");
  auto guide = service_->CreateDocument(carol_, api.id, {.name = "Guide", .content = "# Guide"});
  ASSERT_TRUE(guide.ok());
  EXPECT_EQ(guide->type, "markdown");
  EXPECT_EQ(CodeOf(service_->CreateDocument(carol_, api.id,
                                            {.name = "Spec", .type = "url", .content = "ftp://x"})),
            "invalid_field");
  EXPECT_EQ(CodeOf(service_->CreateDocument(
                carol_, api.id, {.name = "Big", .content = std::string(1024 * 1024 + 1, 'x')})),
            "document_too_large");
  EXPECT_EQ(CodeOf(service_->CreateDocument(carol_, api.id, {.name = "Guide"})),
            "document_name_taken");
  ASSERT_TRUE(service_->CreateDocument(carol_, draft->id, {.name = "Hidden"}).ok());

  EXPECT_TRUE(service_->GetDocument(alice_, api.id, guide->id).ok());
  EXPECT_EQ(service_->ListDocuments(alice_, api.id, {0, 10})->total, 1);
  EXPECT_EQ(CodeOf(service_->ListDocuments(alice_, draft->id, {0, 10})), "api_not_found")
      << "subscribers read documents of catalog APIs only";
  EXPECT_TRUE(service_->ListDocuments(carol_, draft->id, {0, 10}).ok());

  auto updated = service_->UpdateDocument(
      carol_, api.id, guide->id, {.name = "Guide", .type = "url", .content = "https://x.dev/g"});
  ASSERT_TRUE(updated.ok()) << CodeOf(updated);
  EXPECT_EQ(updated->type, "url");
  EXPECT_EQ(CodeOf(service_->UpdateDocument(carol_, api.id, "nope", {.name = "X"})),
            "document_not_found");
  EXPECT_EQ(CodeOf(service_->DeleteDocument(alice_, api.id, guide->id)), "forbidden");
  EXPECT_TRUE(service_->DeleteDocument(carol_, api.id, guide->id).ok());
}

TEST_F(PublisherTest, CatalogShowsPublishedAndDeprecatedApisWithPlansAndDocuments) {
  Api api = CarolsApi();
  Api old = CarolsApi("Weather", "/weather/v1");
  ASSERT_TRUE(service_->ChangeLifecycle(carol_, old.id, "deprecate").ok());
  auto draft = service_->CreateApi(carol_, Draft("Draft", "/draft/v1"));
  ASSERT_TRUE(draft.ok());
  ASSERT_TRUE(service_->CreateDocument(carol_, api.id, {.name = "Guide", .content = "x"}).ok());

  auto all = service_->SearchCatalog(alice_, {}, {0, 50});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total, 2);
  auto pets = service_->SearchCatalog(alice_, {"PETS", ""}, {0, 50});
  ASSERT_TRUE(pets.ok());
  EXPECT_EQ(pets->total, 2) << "both carry the tag 'pets'";
  EXPECT_EQ(service_->SearchCatalog(alice_, {"weather", ""}, {0, 50})->total, 1);

  auto entry = service_->GetCatalogEntry(alice_, api.id);
  ASSERT_TRUE(entry.ok());
  ASSERT_EQ(entry->plans.size(), 2u);
  EXPECT_EQ(entry->plans[0].name, "Gold");
  ASSERT_TRUE(entry->plans[0].rate.has_value());
  EXPECT_TRUE(entry->plans[1].requires_approval);
  ASSERT_EQ(entry->documents.size(), 1u);
  EXPECT_EQ(entry->openapi_path, "/api/v1/catalog/" + api.id + "/openapi");
  EXPECT_EQ(CodeOf(service_->GetCatalogEntry(alice_, draft->id)), "api_not_found");
}

TEST_F(PublisherTest, ApprovalPlanSubscriptionsWaitForTheApisPublisherOrAnAdmin) {
  Api api = CarolsApi();
  Application app = AlicesApp();
  auto sub = service_->Subscribe(alice_, app.id, api.id, "Gated");
  ASSERT_TRUE(sub.ok()) << CodeOf(sub);
  EXPECT_EQ(sub->status, SubscriptionStatus::kPending);

  EXPECT_EQ(CodeOf(service_->FindSubscriptions(alice_, SubscriptionStatus::kPending, {0, 10})),
            "forbidden");
  auto carols = service_->FindSubscriptions(carol_, SubscriptionStatus::kPending, {0, 10});
  ASSERT_TRUE(carols.ok());
  EXPECT_EQ(carols->total, 1);
  EXPECT_EQ(service_->FindSubscriptions(dave_, SubscriptionStatus::kPending, {0, 10})->total, 0)
      << "another publisher's pending subscriptions are not dave's";
  EXPECT_EQ(service_->FindSubscriptions(admin_, std::nullopt, {0, 10})->total, 1);

  EXPECT_EQ(CodeOf(service_->ApproveSubscription(alice_, sub->id)), "forbidden");
  EXPECT_EQ(CodeOf(service_->ApproveSubscription(dave_, sub->id)), "forbidden");
  EXPECT_EQ(CodeOf(service_->BlockSubscription(carol_, sub->id)), "subscription_not_active");
  const int before = changes_;
  auto approved = service_->ApproveSubscription(carol_, sub->id);
  ASSERT_TRUE(approved.ok());
  EXPECT_EQ(approved->status, SubscriptionStatus::kActive);
  EXPECT_EQ(changes_, before + 1) << "the enforcer is told";
  EXPECT_EQ(CodeOf(service_->ApproveSubscription(carol_, sub->id)), "subscription_not_pending");
  EXPECT_EQ(CodeOf(service_->ApproveSubscription(carol_, "nope")), "subscription_not_found");

  auto blocked = service_->BlockSubscription(admin_, sub->id);
  ASSERT_TRUE(blocked.ok());
  EXPECT_EQ(blocked->status, SubscriptionStatus::kBlocked);
  EXPECT_EQ(CodeOf(service_->BlockSubscription(carol_, sub->id)), "subscription_not_active");
  EXPECT_EQ(service_->UnblockSubscription(carol_, sub->id)->status, SubscriptionStatus::kActive);
  EXPECT_EQ(CodeOf(service_->UnblockSubscription(carol_, sub->id)), "subscription_not_blocked");
}

TEST_F(PublisherTest, RejectingAPendingSubscriptionDeletesIt) {
  Api api = CarolsApi();
  Application app = AlicesApp();
  auto sub = service_->Subscribe(alice_, app.id, api.id, "Gated");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(CodeOf(service_->RejectSubscription(alice_, sub->id)), "forbidden");
  ASSERT_TRUE(service_->RejectSubscription(carol_, sub->id).ok());
  EXPECT_EQ(service_->ListSubscriptions(alice_, app.id, {0, 10})->total, 0);
  auto active = service_->Subscribe(alice_, app.id, api.id, "Gold");
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->status, SubscriptionStatus::kActive) << "plans without approval start ACTIVE";
  EXPECT_EQ(CodeOf(service_->RejectSubscription(carol_, active->id)), "subscription_not_pending");
}

TEST_F(PublisherTest, OnlyAdminsBlockApplicationsAndBlockedOnesCannotSubscribe) {
  Api api = CarolsApi();
  Application app = AlicesApp();
  EXPECT_EQ(CodeOf(service_->SetApplicationBlocked(carol_, app.id, true)), "forbidden");
  EXPECT_EQ(CodeOf(service_->SetApplicationBlocked(alice_, app.id, true)), "forbidden");
  auto blocked = service_->SetApplicationBlocked(admin_, app.id, true);
  ASSERT_TRUE(blocked.ok());
  EXPECT_TRUE(blocked->blocked);
  EXPECT_EQ(CodeOf(service_->Subscribe(alice_, app.id, api.id, "Gold")), "application_blocked");
  auto renamed = service_->UpdateApplication(alice_, app.id, Application{.name = "shop2"});
  ASSERT_TRUE(renamed.ok());
  EXPECT_TRUE(renamed->blocked) << "owners cannot unblock by editing";
  EXPECT_FALSE(service_->SetApplicationBlocked(admin_, app.id, false)->blocked);
  EXPECT_EQ(CodeOf(service_->SetApplicationBlocked(admin_, "nope", true)),
            "application_not_found");
}

TEST_F(PublisherTest, ApiKeysCarryValidatedRestrictionsToSubscribedApisOnly) {
  Api api = CarolsApi();
  Api other = CarolsApi("Other", "/other/v1");
  Application app = AlicesApp();
  ASSERT_TRUE(service_->Subscribe(alice_, app.id, api.id, "Gold").ok());
  ApiKeyRequest request{"ci", clock_.NowSeconds() + 3600, {" 10.0.0.0/8", "2001:db8::1"},
                        {"https://*.example.com/*"}, {api.id}};
  auto issued = service_->IssueApiKey(alice_, app.id, request);
  ASSERT_TRUE(issued.ok()) << CodeOf(issued);
  EXPECT_EQ(issued->record.allowed_ips, (std::vector<std::string>{"10.0.0.0/8", "2001:db8::1"}));
  EXPECT_EQ(issued->record.api_ids, std::vector<std::string>{api.id});
  EXPECT_EQ(issued->key.rfind("tg_", 0), 0u);
  auto listed = service_->ListApiKeys(alice_, app.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].allowed_referrers, request.allowed_referrers);

  ApiKeyRequest bad_ip = request;
  bad_ip.allowed_ips = {"10.0.0.0/33"};
  auto refused = service_->IssueApiKey(alice_, app.id, bad_ip);
  EXPECT_EQ(CodeOf(refused), "invalid_address");
  EXPECT_EQ(refused.error().field, "allowedIps[0]");
  ApiKeyRequest unsubscribed = request;
  unsubscribed.api_ids = {api.id, other.id};
  auto not_subscribed = service_->IssueApiKey(alice_, app.id, unsubscribed);
  EXPECT_EQ(CodeOf(not_subscribed), "api_not_subscribed");
  EXPECT_EQ(not_subscribed.error().field, "apiIds[1]");
  ApiKeyRequest bad_referrer = request;
  bad_referrer.allowed_referrers = {"has space"};
  EXPECT_EQ(CodeOf(service_->IssueApiKey(alice_, app.id, bad_referrer)), "invalid_field");
  EXPECT_EQ(CodeOf(service_->IssueApiKey(bob_, app.id, request)), "application_not_found");
  // Several keys per application.
  ASSERT_TRUE(service_->IssueApiKey(alice_, app.id, {"second", std::nullopt, {}, {}, {}}).ok());
  EXPECT_EQ(service_->ListApiKeys(alice_, app.id)->size(), 2u);
}

TEST(PortalValidationTest, AddressesAndCidrsOfBothFamilies) {
  for (const char* good : {"10.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1", "2001:db8::/32",
                           "::ffff:192.0.2.1", "fe80::1/128"}) {
    EXPECT_TRUE(IsIpOrCidr(good)) << good;
  }
  for (const char* bad : {"", "10.0.0", "10.0.0.0/", "10.0.0.0/33", "2001:db8::/129", "host",
                          "10.0.0.0/8/8", "10.0.0.0/-1", "1.2.3.4 "}) {
    EXPECT_FALSE(IsIpOrCidr(bad)) << bad;
  }
}

TEST(PortalValidationTest, ApiPortalFieldsAreNormalised) {
  Api api;
  api.tags = {" Pets ", "pets", "demo"};
  api.backend_jwt_header = "X-JWT-Assertion";
  ASSERT_TRUE(ValidateApiPortalFields(api).ok());
  EXPECT_EQ(api.tags, (std::vector<std::string>{"Pets", "demo"}));
  EXPECT_EQ(api.backend_jwt_header, "x-jwt-assertion");
  api.tags = {""};
  EXPECT_EQ(ValidateApiPortalFields(api).error().field, "tags[0]");
  api.tags = {};
  api.backend_jwt_header = "bad header";
  EXPECT_EQ(ValidateApiPortalFields(api).error().field, "backendJwtHeader");
  api.backend_jwt_header = "";
  api.deprecated_at = 10;
  api.sunset_at = 5;
  EXPECT_EQ(ValidateApiPortalFields(api).error().field, "sunsetAt");
}

TEST(PortalValidationTest, DocumentUrlsAreHttpWithAHost) {
  EXPECT_TRUE(IsHttpUrl("https://docs.example.com/guide"));
  EXPECT_TRUE(IsHttpUrl("http://localhost:8080"));
  EXPECT_FALSE(IsHttpUrl("https://"));
  EXPECT_FALSE(IsHttpUrl("javascript:alert(1)"));
  EXPECT_FALSE(IsHttpUrl("https://exa mple.com"));
}

}  // namespace
}  // namespace tollgate::control
