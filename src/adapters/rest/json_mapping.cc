// JSON mapping of management resources.
#include "adapters/rest/json_mapping.h"

#include <boost/json.hpp>

#include "control/openapi_common.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;
namespace {

std::string Path(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

}  // namespace

Result<std::vector<std::string>> StringArray(const json::object& o, std::string_view name,
                                             std::string_view prefix) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return out;
  const std::string field = Path(prefix, name);
  if (!v->is_array()) return Invalid(field, field + " must be an array of strings");
  const json::array& a = v->get_array();
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) {
      return Invalid(field + "[" + std::to_string(i) + "]", "must be a string");
    }
    out.emplace_back(a[i].get_string());
  }
  return out;
}

json::array ToArray(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

// RFC 3339 text of instants: one implementation, shared with OpenAPI import/export.
std::string FormatTime(int64_t unix_seconds) { return control::openapi::FormatTime(unix_seconds); }

std::optional<int64_t> ParseTime(std::string_view text) { return control::openapi::ParseTime(text); }

Result<std::string> StringField(const json::object& o, std::string_view name,
                                std::string_view prefix) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) {
    const std::string field = Path(prefix, name);
    return Invalid(field, field + " must be a string");
  }
  return std::string(v->get_string());
}

Result<std::optional<int64_t>> TimeField(const json::object& o, std::string_view name) {
  auto text = StringField(o, name);
  if (!text.ok()) return text.error();
  if (text->empty()) return std::optional<int64_t>();
  auto t = ParseTime(*text);
  if (!t) return Invalid(std::string(name), "must be an RFC 3339 time, e.g. 2027-01-31T00:00:00Z");
  return std::optional<int64_t>(*t);
}

json::object ToJson(const Api& api) {
  json::array resources;
  for (const Resource& r : api.resources) {
    json::object o{{"method", r.method}, {"path", r.path}, {"auth", ToString(r.auth)},
                   {"scopes", ToArray(r.scopes)}};
    if (!r.plan.empty()) o["plan"] = r.plan;
    resources.push_back(std::move(o));
  }
  json::object o{{"id", api.id},
                 {"name", api.name},
                 {"version", api.version},
                 {"description", api.description},
                 {"context", api.context},
                 {"upstream", api.upstream},
                 {"resources", std::move(resources)},
                 {"plans", ToArray(api.plans)},
                 {"lifecycle", ToString(api.lifecycle)},
                 {"createdBy", api.created_by},
                 {"createdAt", FormatTime(api.created_at)},
                 {"updatedAt", FormatTime(api.updated_at)}};
  if (!api.virtual_host.empty()) o["virtualHost"] = api.virtual_host;
  if (!api.api_key_header.empty()) o["apiKeyHeader"] = api.api_key_header;
  AddApiLimits(api, o);
  AddApiPortalFields(api, o);
  if (!api.backend_jwt_header.empty()) o["backendJwtHeader"] = api.backend_jwt_header;
  return o;
}

json::object ToJson(const Application& app) {
  json::object o{{"id", app.id},
                 {"name", app.name},
                 {"description", app.description},
                 {"owner", app.owner},
                 {"createdAt", FormatTime(app.created_at)}};
  if (!app.plan.empty()) o["plan"] = app.plan;
  o["blocked"] = app.blocked;
  return o;
}

json::object ToJson(const Subscription& sub) {
  return {{"id", sub.id},
          {"applicationId", sub.application_id},
          {"apiId", sub.api_id},
          {"plan", sub.plan},
          {"status", ToString(sub.status)},
          {"createdAt", FormatTime(sub.created_at)}};
}

json::object ToJson(const ApiKey& key) {
  json::object o{{"id", key.id},
                 {"applicationId", key.application_id},
                 {"name", key.name},
                 {"prefix", key.prefix},
                 {"createdAt", FormatTime(key.created_at)}};
  if (key.expires_at) o["expiresAt"] = FormatTime(*key.expires_at);
  o["allowedIps"] = ToArray(key.allowed_ips);
  o["allowedReferrers"] = ToArray(key.allowed_referrers);
  o["apiIds"] = ToArray(key.api_ids);
  return o;
}

json::object ToJson(const LifecycleEvent& e) {
  return {{"from", ToString(e.from)},
          {"to", ToString(e.to)},
          {"actor", e.actor},
          {"at", FormatTime(e.at)}};
}

Result<Api> ApiFromJson(const json::value& body) {
  if (!body.is_object()) return Invalid("", "the body must be a JSON object", "invalid_body");
  const json::object& o = body.get_object();
  Api api;
  struct Text {
    const char* name;
    std::string* target;
  };
  for (Text t : {Text{"name", &api.name}, Text{"version", &api.version},
                 Text{"description", &api.description}, Text{"context", &api.context},
                 Text{"virtualHost", &api.virtual_host}, Text{"upstream", &api.upstream},
                 Text{"apiKeyHeader", &api.api_key_header}, Text{"audience", &api.audience},
                 Text{"backendJwtHeader", &api.backend_jwt_header}}) {
    auto v = StringField(o, t.name);
    if (!v.ok()) return v.error();
    *t.target = std::move(v.value());
  }
  if (const json::value* rs = o.if_contains("resources"); rs != nullptr && !rs->is_null()) {
    if (!rs->is_array()) return Invalid("resources", "resources must be an array");
    const json::array& a = rs->get_array();
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string at = "resources[" + std::to_string(i) + "]";
      if (!a[i].is_object()) return Invalid(at, at + " must be an object");
      const json::object& ro = a[i].get_object();
      Resource r;
      auto method = StringField(ro, "method", at);
      auto path = StringField(ro, "path", at);
      auto auth = StringField(ro, "auth", at);
      auto plan = StringField(ro, "plan", at);
      auto scopes = StringArray(ro, "scopes", at);
      for (const Error* e : {method.ok() ? nullptr : &method.error(),
                             path.ok() ? nullptr : &path.error(), auth.ok() ? nullptr : &auth.error(),
                             plan.ok() ? nullptr : &plan.error(),
                             scopes.ok() ? nullptr : &scopes.error()}) {
        if (e != nullptr) return *e;
      }
      if (method->empty()) return Invalid(at + ".method", "method is required");
      if (path->empty()) return Invalid(at + ".path", "path is required, e.g. \"/pets/{id}\"");
      r.method = std::move(method.value());
      r.path = std::move(path.value());
      if (!auth->empty()) {
        auto parsed = ParseAuthType(*auth);
        if (!parsed) {
          return Invalid(at + ".auth",
                         "auth is \"apiKey\", \"oauth2\", \"apiKeyOrOAuth2\", \"mesh\" or \"none\"");
        }
        r.auth = *parsed;
      }
      r.plan = std::move(plan.value());
      r.scopes = std::move(scopes.value());
      api.resources.push_back(std::move(r));
    }
  }
  auto plans = StringArray(o, "plans");
  if (!plans.ok()) return plans.error();
  api.plans = std::move(plans.value());
  if (auto s = ApiLimitsFromJson(o, api); !s.ok()) return s.error();
  auto tags = StringArray(o, "tags");
  if (!tags.ok()) return tags.error();
  api.tags = std::move(tags.value());
  auto is_default = BoolField(o, "isDefaultVersion");
  if (!is_default.ok()) return is_default.error();
  api.is_default_version = is_default->value_or(false);
  auto deprecated_at = TimeField(o, "deprecatedAt");
  if (!deprecated_at.ok()) return deprecated_at.error();
  api.deprecated_at = *deprecated_at;
  auto sunset_at = TimeField(o, "sunsetAt");
  if (!sunset_at.ok()) return sunset_at.error();
  api.sunset_at = *sunset_at;
  return api;
}

Result<Application> ApplicationFromJson(const json::value& body) {
  if (!body.is_object()) return Invalid("", "the body must be a JSON object", "invalid_body");
  const json::object& o = body.get_object();
  Application app;
  auto name = StringField(o, "name");
  if (!name.ok()) return name.error();
  auto description = StringField(o, "description");
  if (!description.ok()) return description.error();
  app.name = std::move(name.value());
  app.description = std::move(description.value());
  auto plan = StringField(o, "plan");
  if (!plan.ok()) return plan.error();
  app.plan = std::move(plan.value());
  return app;
}

}  // namespace tollgate::adapters::rest
