// Business rules of the management plane on top of the Store.
#include "control/service.h"

#include <algorithm>
#include <utility>

#include "control/accounts.h"
#include "control/audit.h"
#include "control/validation.h"
#include "core/lifecycle.h"
#include "crypto/crypto.h"

namespace tollgate::control {
namespace {

constexpr size_t kGeneratedPasswordChars = 24;

Error Forbidden(std::string message) {
  return Error{ErrorKind::kForbidden, "forbidden", std::move(message), {}};
}

store::PageRequest Clamp(store::PageRequest page) {
  page.offset = std::max<int64_t>(page.offset, 0);
  page.limit = std::clamp<int64_t>(page.limit, 1, 500);
  return page;
}

}  // namespace

Service::Service(store::Store& store, const Clock& clock, std::function<void()> on_change)
    : store_(store),
      clock_(clock),
      on_change_(std::move(on_change)),
      accounts_(std::make_unique<Accounts>(store, clock)) {}

Service::~Service() = default;

Status Service::RequirePublisher(const Principal& who) const {
  if (who.role == Role::kAdmin || who.role == Role::kPublisher) return Ok();
  return Forbidden("only publishers and admins manage APIs");
}

Status Service::RequireAdmin(const Principal& who) const {
  if (who.role == Role::kAdmin) return Ok();
  return Forbidden("only admins manage plans");
}

// ---------------------------------------------------------------------------------------------
// Users

Result<AdminBootstrap> Service::EnsureAdmin(std::optional<std::string> password) {
  auto count = store_.CountUsers();
  if (!count.ok()) return count.error();
  AdminBootstrap out;
  if (*count > 0) return out;
  if (!password || password->empty()) {
    out.generated_password = crypto::RandomToken(kGeneratedPasswordChars);
    password = out.generated_password;
  }
  auto hash = crypto::HashPassword(*password);
  if (!hash.ok()) return hash.error();
  User admin{crypto::RandomUuid(), "admin", Role::kAdmin, std::move(hash.value()),
             clock_.NowSeconds()};
  auto audit = OpenAudit(clock_, "system", "user.create", "user", admin.id, "", Summary(admin));
  auto created = store_.CreateUser(admin);
  if (!created.ok()) {
    // Another process sharing the store created it first: that admin stands.
    if (created.error().kind == ErrorKind::kConflict) return AdminBootstrap{};
    return created.error();
  }
  out.created = true;
  return out;
}

Result<Principal> Service::Authenticate(std::string_view user, std::string_view password) {
  return accounts_->AuthenticatePassword(user, password);
}

// ---------------------------------------------------------------------------------------------
// Publisher

Result<Api> Service::CreateApi(const Principal& who, Api draft) {
  if (auto s = RequirePublisher(who); !s.ok()) return s.error();
  if (auto s = ValidateApi(draft); !s.ok()) return s.error();
  if (auto s = CheckApiPlans(draft); !s.ok()) return s.error();
  draft.id = crypto::RandomUuid();
  draft.lifecycle = Lifecycle::kCreated;
  draft.deprecated_at.reset();  // set by the lifecycle only
  draft.created_by = who.user;
  draft.created_at = draft.updated_at = clock_.NowSeconds();
  auto audit = OpenAudit(clock_, who.user, "api.create", "api", draft.id, "", Summary(draft));
  return Changed(store_.CreateApi(draft));
}

Result<Api> Service::GetApi(const Principal& who, std::string_view id) {
  if (auto s = RequirePublisher(who); !s.ok()) return s.error();
  return store_.GetApi(id);
}

Result<store::Page<Api>> Service::ListApis(const Principal& who, store::PageRequest page) {
  if (auto s = RequirePublisher(who); !s.ok()) return s.error();
  return store_.ListApis(Clamp(page));
}

Result<Api> Service::UpdateApi(const Principal& who, std::string_view id, Api draft) {
  if (auto s = RequirePublisher(who); !s.ok()) return s.error();
  if (auto s = ValidateApi(draft); !s.ok()) return s.error();
  if (auto s = CheckApiPlans(draft); !s.ok()) return s.error();
  auto current = store_.GetApi(id);
  if (!current.ok()) return current.error();
  draft.id = std::string(id);
  draft.updated_at = clock_.NowSeconds();
  draft.lifecycle = current->lifecycle;  // for the summary: UpdateApi keeps it
  auto audit = OpenAudit(clock_, who.user, "api.update", "api", draft.id, Summary(*current),
                         Summary(draft));
  return Changed(store_.UpdateApi(draft));
}

Status Service::DeleteApi(const Principal& who, std::string_view id) {
  if (auto s = RequirePublisher(who); !s.ok()) return s;
  auto current = store_.GetApi(id);
  if (!current.ok()) return current.error();
  auto audit = OpenAudit(clock_, who.user, "api.delete", "api", current->id, Summary(*current), "");
  return Changed(store_.DeleteApi(id));
}

Result<Api> Service::ChangeLifecycle(const Principal& who, std::string_view id,
                                     std::string_view action, const LifecycleOptions& options) {
  if (auto s = RequirePublisher(who); !s.ok()) return s.error();
  if (!IsLifecycleAction(action)) {
    return Invalid("action", "action is one of publish, deprecate, retire, block, unblock");
  }
  auto api = store_.GetApi(id);
  if (!api.ok()) return api.error();
  auto next = NextLifecycle(api->lifecycle, action);
  if (!next) {
    return Conflict("illegal_transition", "cannot " + std::string(action) + " an API that is " +
                                              std::string(ToString(api->lifecycle)));
  }
  LifecycleEvent event{api->id, api->lifecycle, *next, who.user, clock_.NowSeconds()};
  auto audit = OpenAudit(clock_, who.user, "api.lifecycle", "api", api->id,
                         JsonSummary().Add("lifecycle", ToString(event.from)).str(),
                         JsonSummary()
                             .Add("lifecycle", ToString(event.to))
                             .Add("action", action)
                             .str());
  return Changed(Transition(event, options));
}

Result<std::vector<LifecycleEvent>> Service::LifecycleHistory(const Principal& who,
                                                              std::string_view id) {
  if (auto s = RequirePublisher(who); !s.ok()) return s.error();
  if (auto api = store_.GetApi(id); !api.ok()) return api.error();
  return store_.ListLifecycleEvents(id);
}

// ---------------------------------------------------------------------------------------------
// Applications, subscriptions, keys

Result<Application> Service::OwnedApplication(const Principal& who, std::string_view id) {
  auto app = store_.GetApplication(id);
  if (!app.ok()) return app.error();
  if (who.role != Role::kAdmin && app->owner != who.user) {
    return NotFound("application_not_found", "no application with this id");
  }
  return app;
}

Result<Application> Service::CreateApplication(const Principal& who, Application draft) {
  if (auto s = ValidateApplication(draft); !s.ok()) return s.error();
  if (auto s = CheckApplicationPlan(draft); !s.ok()) return s.error();
  draft.id = crypto::RandomUuid();
  draft.owner = who.user;
  draft.created_at = clock_.NowSeconds();
  auto audit = OpenAudit(clock_, who.user, "application.create", "application", draft.id, "",
                         Summary(draft));
  return Changed(store_.CreateApplication(draft));
}

Result<Application> Service::GetApplication(const Principal& who, std::string_view id) {
  return OwnedApplication(who, id);
}

Result<store::Page<Application>> Service::ListApplications(const Principal& who,
                                                           store::PageRequest page) {
  return store_.ListApplications(who.role == Role::kAdmin ? std::string_view() : who.user,
                                 Clamp(page));
}

Result<Application> Service::UpdateApplication(const Principal& who, std::string_view id,
                                               Application draft) {
  auto app = OwnedApplication(who, id);
  if (!app.ok()) return app.error();
  if (auto s = ValidateApplication(draft); !s.ok()) return s.error();
  if (auto s = CheckApplicationPlan(draft); !s.ok()) return s.error();
  const std::string before = Summary(*app);
  app->name = std::move(draft.name);
  app->description = std::move(draft.description);
  app->plan = std::move(draft.plan);
  auto audit = OpenAudit(clock_, who.user, "application.update", "application", app->id, before,
                         Summary(*app));
  return Changed(store_.UpdateApplication(*app));
}

Status Service::DeleteApplication(const Principal& who, std::string_view id) {
  auto app = OwnedApplication(who, id);
  if (!app.ok()) return app.error();
  auto audit = OpenAudit(clock_, who.user, "application.delete", "application", app->id,
                         Summary(*app), "");
  return Changed(store_.DeleteApplication(id));
}

Result<Subscription> Service::Subscribe(const Principal& who, std::string_view application_id,
                                        std::string_view api_id, std::string plan) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  if (api_id.empty()) return Invalid("apiId", "apiId is required");
  auto api = store_.GetApi(api_id);
  if (!api.ok()) {
    if (api.error().kind == ErrorKind::kNotFound) {
      return Invalid("apiId", "no API with this id", "api_not_found");
    }
    return api.error();
  }
  if (app->blocked) {
    return Conflict("application_blocked", "an admin blocked this application");
  }
  if (!AcceptsSubscriptions(api->lifecycle)) {
    return Conflict("api_not_subscribable", "the API is " + std::string(ToString(api->lifecycle)) +
                                                "; only PUBLISHED APIs take new subscriptions");
  }
  if (plan.empty()) plan = api->plans.empty() ? "Unlimited" : api->plans.front();
  if (std::find(api->plans.begin(), api->plans.end(), plan) == api->plans.end()) {
    return Invalid("plan", "the API does not offer plan '" + plan + "'", "plan_not_offered");
  }
  auto offered = store_.GetPlanByName(plan);
  if (!offered.ok()) return offered.error();
  // Plans that require approval start PENDING: no traffic until the API's publisher approves.
  const SubscriptionStatus status =
      offered->requires_approval ? SubscriptionStatus::kPending : SubscriptionStatus::kActive;
  Subscription sub{crypto::RandomUuid(), app->id, api->id, std::move(plan), status,
                   clock_.NowSeconds()};
  auto audit = OpenAudit(clock_, who.user, "subscription.create", "subscription", sub.id, "",
                         Summary(sub));
  return Changed(store_.CreateSubscription(sub));
}

Result<store::Page<Subscription>> Service::ListSubscriptions(const Principal& who,
                                                             std::string_view application_id,
                                                             store::PageRequest page) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  return store_.ListSubscriptions(application_id, Clamp(page));
}

Status Service::Unsubscribe(const Principal& who, std::string_view application_id,
                            std::string_view subscription_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  auto audit = OpenAudit(clock_, who.user, "subscription.delete", "subscription", subscription_id,
                         JsonSummary().Add("applicationId", app->id).str(), "");
  return Changed(store_.DeleteSubscription(application_id, subscription_id));
}

Result<IssuedKey> Service::CreateApiKey(const Principal& who, std::string_view application_id,
                                        std::string name, std::optional<int64_t> expires_at) {
  return IssueApiKey(who, application_id, ApiKeyRequest{std::move(name), expires_at, {}, {}, {}});
}

Result<std::vector<ApiKey>> Service::ListApiKeys(const Principal& who,
                                                 std::string_view application_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  return store_.ListApiKeys(application_id);
}

Status Service::DeleteApiKey(const Principal& who, std::string_view application_id,
                             std::string_view key_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  auto audit = OpenAudit(clock_, who.user, "key.revoke", "key", key_id,
                         JsonSummary().Add("applicationId", app->id).str(), "");
  return Changed(store_.DeleteApiKey(application_id, key_id));
}

}  // namespace tollgate::control
