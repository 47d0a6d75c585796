// JSON mapping of plans, rates, quotas, the API's rate settings and a subscription's usage.
#include <algorithm>
#include <limits>

#include <boost/json.hpp>

#include "adapters/rest/json_mapping.h"
#include "control/validation.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;
namespace {

std::string Path(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

// The object at `name`, nullptr when missing or null; an error when it is something else.
Result<const json::object*> ObjectField(const json::object& o, std::string_view name,
                                        std::string_view prefix = {}) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return static_cast<const json::object*>(nullptr);
  if (!v->is_object()) {
    const std::string field = Path(prefix, name);
    return Invalid(field, field + " must be an object");
  }
  return &v->get_object();
}

}  // namespace

Result<std::optional<int64_t>> IntField(const json::object& o, std::string_view name,
                                        std::string_view prefix) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return std::optional<int64_t>();
  if (v->is_int64()) return std::optional<int64_t>(v->get_int64());
  if (v->is_uint64() && v->get_uint64() <= uint64_t{std::numeric_limits<int64_t>::max()}) {
    return std::optional<int64_t>(static_cast<int64_t>(v->get_uint64()));
  }
  const std::string field = Path(prefix, name);
  return Invalid(field, field + " must be a whole number");
}

json::object ToJson(const RateLimit& rate) {
  return {{"requests", rate.requests}, {"per", ToString(rate.per)}, {"burst", rate.burst}};
}

json::object ToJson(const Quota& quota) {
  return {{"requests", quota.requests},
          {"period", "month"},
          {"anchor", ToString(quota.anchor)},
          {"timeZone", quota.time_zone}};
}

json::object ToJson(const Plan& plan) {
  json::object o{{"id", plan.id},
                 {"name", plan.name},
                 {"description", plan.description},
                 {"requiresApproval", plan.requires_approval},
                 {"createdAt", FormatTime(plan.created_at)}};
  if (plan.rate) o["rate"] = ToJson(*plan.rate);
  if (plan.quota) o["quota"] = ToJson(*plan.quota);
  return o;
}

Result<RateLimit> RateFromJson(const json::object& o, std::string_view prefix) {
  RateLimit rate;
  auto requests = IntField(o, "requests", prefix);
  if (!requests.ok()) return requests.error();
  if (!*requests) return Invalid(Path(prefix, "requests"), Path(prefix, "requests") + " is required");
  rate.requests = **requests;
  auto per = StringField(o, "per", prefix);
  if (!per.ok()) return per.error();
  auto period = ParsePeriod(*per);
  if (!period) {
    return Invalid(Path(prefix, "per"),
                   Path(prefix, "per") + " is one of second, minute, hour, day");
  }
  rate.per = *period;
  auto burst = IntField(o, "burst", prefix);
  if (!burst.ok()) return burst.error();
  rate.burst = burst->value_or(control::DefaultBurst(rate.requests));
  return rate;
}

Result<std::optional<RateLimit>> OptionalRateFromJson(const json::object& o,
                                                      std::string_view name,
                                                      std::string_view prefix) {
  auto obj = ObjectField(o, name, prefix);
  if (!obj.ok()) return obj.error();
  if (*obj == nullptr) return std::optional<RateLimit>();
  auto rate = RateFromJson(**obj, Path(prefix, name));
  if (!rate.ok()) return rate.error();
  return std::optional<RateLimit>(*rate);
}

Result<Plan> PlanFromJson(const json::value& body) {
  if (!body.is_object()) return Invalid("", "the body must be a JSON object", "invalid_body");
  const json::object& o = body.get_object();
  Plan plan;
  auto name = StringField(o, "name");
  if (!name.ok()) return name.error();
  plan.name = std::move(name.value());
  auto description = StringField(o, "description");
  if (!description.ok()) return description.error();
  plan.description = std::move(description.value());
  auto approval = BoolField(o, "requiresApproval");
  if (!approval.ok()) return approval.error();
  plan.requires_approval = approval->value_or(false);
  auto rate = OptionalRateFromJson(o, "rate", "");
  if (!rate.ok()) return rate.error();
  plan.rate = *rate;
  auto quota_obj = ObjectField(o, "quota");
  if (!quota_obj.ok()) return quota_obj.error();
  if (*quota_obj != nullptr) {
    const json::object& q = **quota_obj;
    Quota quota;
    auto requests = IntField(q, "requests", "quota");
    if (!requests.ok()) return requests.error();
    if (!*requests) return Invalid("quota.requests", "quota.requests is required");
    quota.requests = **requests;
    auto period = StringField(q, "period", "quota");
    if (!period.ok()) return period.error();
    if (!period->empty() && *period != "month") {
      return Invalid("quota.period", "quota.period is \"month\" (the only quota period)");
    }
    auto anchor = StringField(q, "anchor", "quota");
    if (!anchor.ok()) return anchor.error();
    if (!anchor->empty()) {
      auto parsed = ParseQuotaAnchor(*anchor);
      if (!parsed) return Invalid("quota.anchor", "quota.anchor is \"calendar\" or \"subscription\"");
      quota.anchor = *parsed;
    }
    auto zone = StringField(q, "timeZone", "quota");
    if (!zone.ok()) return zone.error();
    if (!zone->empty()) quota.time_zone = std::move(zone.value());
    plan.quota = std::move(quota);
  }
  return plan;
}

Status ApiLimitsFromJson(const json::object& o, Api& api) {
  auto backend = OptionalRateFromJson(o, "backendRate", "");
  if (!backend.ok()) return backend.error();
  api.backend_rate = *backend;
  if (const json::value* v = o.if_contains("keyedLimits"); v != nullptr && !v->is_null()) {
    if (!v->is_array()) return Invalid("keyedLimits", "keyedLimits must be an array");
    const json::array& a = v->get_array();
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string at = "keyedLimits[" + std::to_string(i) + "]";
      if (!a[i].is_object()) return Invalid(at, at + " must be an object");
      const json::object& lo = a[i].get_object();
      auto key = StringField(lo, "key", at);
      if (!key.ok()) return key.error();
      auto rate = OptionalRateFromJson(lo, "rate", at);
      if (!rate.ok()) return rate.error();
      if (!*rate) return Invalid(at + ".rate", at + ".rate is required");
      api.keyed_limits.push_back(KeyedLimit{std::move(key.value()), **rate});
    }
  }
  if (const json::value* v = o.if_contains("failOpen"); v != nullptr && !v->is_null()) {
    if (!v->is_bool()) return Invalid("failOpen", "failOpen must be true or false");
    api.fail_open = v->get_bool();
  }
  return Ok();
}

void AddApiLimits(const Api& api, json::object& o) {
  if (api.backend_rate) o["backendRate"] = ToJson(*api.backend_rate);
  json::array keyed;
  for (const KeyedLimit& k : api.keyed_limits) {
    keyed.push_back(json::object{{"key", k.key}, {"rate", ToJson(k.rate)}});
  }
  o["keyedLimits"] = std::move(keyed);
  o["failOpen"] = api.fail_open;
}

json::object ToJson(const control::SubscriptionUsage& usage) {
  json::object o{{"subscriptionId", usage.subscription.id}, {"plan", usage.plan.name}};
  if (usage.plan.quota) {
    const int64_t limit = usage.plan.quota->requests;
    json::object q{{"limit", limit}};
    if (usage.quota) {
      q["used"] = usage.quota->used;
      q["remaining"] = std::max<int64_t>(limit - usage.quota->used, 0);
      q["windowStart"] = FormatTime(usage.quota->window_start);
      q["windowEnd"] = FormatTime(usage.quota->window_end);
    } else {  // the counters are not known here: unknown, not zero
      for (const char* key : {"used", "remaining", "windowStart", "windowEnd"}) q[key] = nullptr;
    }
    o["quota"] = std::move(q);
  } else {
    o["quota"] = nullptr;
  }
  if (usage.plan.rate) {
    o["rate"] = ToJson(*usage.plan.rate);
  } else {
    o["rate"] = nullptr;
  }
  return o;
}

}  // namespace tollgate::adapters::rest
