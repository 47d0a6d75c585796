// Seeding of the demo API, application and key.
#include "control/demo.h"

namespace tollgate::control {
namespace {

constexpr const char* kDemoApi = "Petstore";
constexpr const char* kDemoVersion = "v1";
constexpr const char* kDemoApp = "demo-app";

template <class T, class Pred>
Result<std::optional<T>> FindFirst(const std::function<Result<store::Page<T>>(store::PageRequest)>& list,
                                   Pred pred) {
  store::PageRequest page{0, 500};
  for (;;) {
    auto items = list(page);
    if (!items.ok()) return items.error();
    for (const T& item : items->items) {
      if (pred(item)) return std::optional<T>(item);
    }
    page.offset += page.limit;
    if (page.offset >= items->total) return std::optional<T>();
  }
}

}  // namespace

Result<DemoSeed> SeedDemo(Service& service, const Principal& admin, const std::string& upstream) {
  DemoSeed seed;
  auto existing_api = FindFirst<Api>(
      [&](store::PageRequest p) { return service.ListApis(admin, p); },
      [](const Api& a) { return a.name == kDemoApi && a.version == kDemoVersion; });
  if (!existing_api.ok()) return existing_api.error();
  Api api;
  if (*existing_api) {
    api = **existing_api;
  } else {
    Api draft;
    draft.name = kDemoApi;
    draft.version = kDemoVersion;
    draft.description = "Demo API: a pet store behind Tollgate.";
    draft.context = "/petstore/v1";
    draft.upstream = upstream;
    draft.resources = {{"GET", "/pets", AuthType::kApiKey, {}, {}},
                       {"GET", "/pets/{id}", AuthType::kApiKey, {}, {}},
                       {"POST", "/pets", AuthType::kApiKey, {}, {}},
                       {"GET", "/health", AuthType::kNone, {}, {}}};
    draft.plans = {"Unlimited"};
    auto created = service.CreateApi(admin, std::move(draft));
    if (!created.ok()) return created.error();
    api = std::move(created.value());
  }
  if (api.lifecycle == Lifecycle::kCreated) {
    auto published = service.ChangeLifecycle(admin, api.id, "publish");
    if (!published.ok()) return published.error();
  }
  seed.api_id = api.id;

  auto existing_app = FindFirst<Application>(
      [&](store::PageRequest p) { return service.ListApplications(admin, p); },
      [](const Application& a) { return a.name == kDemoApp; });
  if (!existing_app.ok()) return existing_app.error();
  if (*existing_app) {
    seed.application_id = (*existing_app)->id;
  } else {
    auto created = service.CreateApplication(admin, Application{.name = kDemoApp, .description = "Demo application"});
    if (!created.ok()) return created.error();
    seed.application_id = created->id;
  }
  auto sub = service.Subscribe(admin, seed.application_id, seed.api_id, "");
  if (!sub.ok() && sub.error().code != "already_subscribed") return sub.error();

  auto key = service.CreateApiKey(admin, seed.application_id, "demo", std::nullopt);
  if (!key.ok()) return key.error();
  seed.key = std::move(key->key);
  return seed;
}

}  // namespace tollgate::control
