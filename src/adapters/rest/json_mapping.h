// JSON (camelCase, RFC 3339 times) ⇄ domain types for the management REST API.
// FromJson functions read only writable fields and name the field at fault on a type error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "control/service.h"
#include "control/usage.h"
#include "core/model.h"
#include "core/status.h"

namespace tollgate::adapters::rest {

std::string FormatTime(int64_t unix_seconds);                 // "2026-11-27T00:00:00Z"
std::optional<int64_t> ParseTime(std::string_view rfc3339);   // accepts "Z" or ±hh:mm offsets

boost::json::object ToJson(const Api& api);
boost::json::object ToJson(const Application& app);
boost::json::object ToJson(const Subscription& sub);
boost::json::object ToJson(const ApiKey& key);  // never carries the key
boost::json::object ToJson(const LifecycleEvent& event);

// Plans (plan_json.cc): {"id","name","description","rate"?,"quota"?,"createdAt"}; a missing (or
// null) rate or quota means no such limit. rate = {"requests","per","burst"}, quota =
// {"requests","period":"month","anchor","timeZone"}.
boost::json::object ToJson(const Plan& plan);
boost::json::object ToJson(const RateLimit& rate);
boost::json::object ToJson(const Quota& quota);
// {"subscriptionId","plan","quota":{"limit","used","remaining","windowStart","windowEnd"}|null,
//  "rate":{…}|null}. A quota whose consumption is unknown has used/remaining/window* null.
boost::json::object ToJson(const control::SubscriptionUsage& usage);

Result<Api> ApiFromJson(const boost::json::value& body);
Result<Application> ApplicationFromJson(const boost::json::value& body);
// Reads name, description, rate, quota. In a rate, `per` must be second|minute|hour|day and a
// missing `burst` defaults to control::DefaultBurst(requests) (a whole window at once). In a
// quota, `period` may be omitted ("month"), `anchor` defaults to "calendar", `timeZone` to "UTC".
Result<Plan> PlanFromJson(const boost::json::value& body);
// A rate object under `prefix` (e.g. "rate", "keyedLimits[0].rate"); errors name its fields.
Result<RateLimit> RateFromJson(const boost::json::object& o, std::string_view prefix);
// The API's "backendRate", "keyedLimits" and "failOpen", read into `api` / written into `o`.
Status ApiLimitsFromJson(const boost::json::object& o, Api& api);
void AddApiLimits(const Api& api, boost::json::object& o);

// --- Management plane (portal_json.cc).
// The API's catalog fields: "tags", "isDefaultVersion", "deprecatedAt"/"sunsetAt" (RFC 3339, when
// set), "audience" (when set).
void AddApiPortalFields(const Api& api, boost::json::object& o);
// The developer portal's public view of an API: never the upstream, limits or backend settings.
boost::json::object ToCatalogJson(const Api& api);
// {"api": public view, "plans": [plans], "documents": [{id,name,type,…} without content],
//  "openapi": "/api/v1/apis/{id}/openapi"}.
boost::json::object ToJson(const control::CatalogEntry& entry);
// {"id","apiId","name","type","content","createdAt","updatedAt"}.
boost::json::object ToJson(const ApiDocument& doc);
// Reads name, type, content.
Result<ApiDocument> DocumentFromJson(const boost::json::value& body);

// Typed accessors for request bodies: missing → default; wrong type → error naming the field.
Result<std::string> StringField(const boost::json::object& o, std::string_view name,
                                std::string_view field_path = {});
Result<std::optional<int64_t>> TimeField(const boost::json::object& o, std::string_view name);
Result<std::optional<bool>> BoolField(const boost::json::object& o, std::string_view name);
Result<std::vector<std::string>> StringArray(const boost::json::object& o, std::string_view name,
                                             std::string_view field_path = {});
boost::json::array ToArray(const std::vector<std::string>& items);
Result<std::optional<int64_t>> IntField(const boost::json::object& o, std::string_view name,
                                        std::string_view field_path = {});

}  // namespace tollgate::adapters::rest
