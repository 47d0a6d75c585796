// The service's plan rules: admin-only plan management, plan references of APIs and
// applications, and a subscription's usage view.
#include <algorithm>
#include <utility>

#include "control/audit.h"
#include "control/service.h"
#include "control/validation.h"
#include "crypto/crypto.h"

namespace tollgate::control {
namespace {

constexpr int64_t kSubscriptionPageSize = 500;  // the store's largest page

store::PageRequest ClampPage(store::PageRequest page) {
  page.offset = std::max<int64_t>(page.offset, 0);
  page.limit = std::clamp<int64_t>(page.limit, 1, 500);
  return page;
}

// kInvalid "unknown_plan" naming `field` when no plan is called `name`; other errors pass.
Status RequirePlanNamed(store::Store& store, const std::string& name, const std::string& field) {
  auto plan = store.GetPlanByName(name);
  if (plan.ok()) return Ok();
  if (plan.error().kind != ErrorKind::kNotFound) return plan.error();
  return Invalid(field, "no plan is named '" + name + "'; create it first (POST /api/v1/plans)",
                 "unknown_plan");
}

}  // namespace

Status Service::CheckApiPlans(const Api& api) {
  for (size_t i = 0; i < api.plans.size(); ++i) {
    const std::string field = "plans[" + std::to_string(i) + "]";
    if (auto s = RequirePlanNamed(store_, api.plans[i], field); !s.ok()) return s;
  }
  for (size_t i = 0; i < api.resources.size(); ++i) {
    if (api.resources[i].plan.empty()) continue;
    const std::string field = "resources[" + std::to_string(i) + "].plan";
    if (auto s = RequirePlanNamed(store_, api.resources[i].plan, field); !s.ok()) return s;
  }
  return Ok();
}

Status Service::CheckApplicationPlan(const Application& app) {
  return app.plan.empty() ? Ok() : RequirePlanNamed(store_, app.plan, "plan");
}

Result<Plan> Service::CreatePlan(const Principal& who, Plan draft) {
  if (auto s = RequireAdmin(who); !s.ok()) return s.error();
  if (auto s = ValidatePlan(draft); !s.ok()) return s.error();
  draft.id = crypto::RandomUuid();
  draft.created_at = clock_.NowSeconds();
  auto audit = OpenAudit(clock_, who.user, "plan.create", "plan", draft.id, "", Summary(draft));
  return Changed(store_.CreatePlan(draft));
}

Result<Plan> Service::GetPlan(const Principal&, std::string_view id) {
  return store_.GetPlan(id);  // any authenticated user
}

Result<store::Page<Plan>> Service::ListPlans(const Principal&, store::PageRequest page) {
  return store_.ListPlans(ClampPage(page));  // any authenticated user
}

Result<Plan> Service::UpdatePlan(const Principal& who, std::string_view id, Plan draft) {
  if (auto s = RequireAdmin(who); !s.ok()) return s.error();
  auto current = store_.GetPlan(id);
  if (!current.ok()) return current.error();
  if (current->name == kUnlimitedPlan) {
    return Conflict("plan_builtin", "the built-in plan Unlimited cannot be changed");
  }
  if (draft.name.empty()) draft.name = current->name;
  if (draft.name != current->name) {
    return Invalid("name",
                   "a plan's name cannot change: APIs and subscriptions refer to it; create a "
                   "new plan instead",
                   "plan_name_immutable");
  }
  if (auto s = ValidatePlan(draft); !s.ok()) return s.error();
  draft.id = current->id;
  draft.created_at = current->created_at;
  auto audit = OpenAudit(clock_, who.user, "plan.update", "plan", draft.id, Summary(*current),
                         Summary(draft));
  return Changed(store_.UpdatePlan(draft));
}

Status Service::DeletePlan(const Principal& who, std::string_view id) {
  if (auto s = RequireAdmin(who); !s.ok()) return s;
  auto current = store_.GetPlan(id);
  if (!current.ok()) return current.error();
  auto audit =
      OpenAudit(clock_, who.user, "plan.delete", "plan", current->id, Summary(*current), "");
  return Changed(store_.DeletePlan(id));
}

Result<SubscriptionUsage> Service::SubscriptionUsageOf(const Principal& who,
                                                       std::string_view application_id,
                                                       std::string_view subscription_id,
                                                       UsageSource* usage) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  std::optional<Subscription> found;
  for (store::PageRequest page{0, kSubscriptionPageSize}; !found; page.offset += page.limit) {
    auto subs = store_.ListSubscriptions(application_id, page);
    if (!subs.ok()) return subs.error();
    for (Subscription& sub : subs->items) {
      if (sub.id == subscription_id) found = std::move(sub);
    }
    if (page.offset + page.limit >= subs->total) break;
  }
  if (!found) {
    return NotFound("subscription_not_found", "no such subscription on this application");
  }
  auto plan = store_.GetPlanByName(found->plan);
  if (!plan.ok()) return plan.error();
  SubscriptionUsage out{std::move(*found), std::move(plan.value()), std::nullopt};
  if (out.plan.quota && usage != nullptr) {
    out.quota = usage->QuotaUsage(out.subscription, out.plan, clock_.NowSeconds());
  }
  return out;
}

}  // namespace tollgate::control
