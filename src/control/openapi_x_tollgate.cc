// The root `x-tollgate` extension of OpenAPI documents: Tollgate settings OpenAPI has no field for.
#include "control/openapi_x_tollgate.h"

#include <boost/json.hpp>
#include <charconv>

#include "control/openapi_common.h"
#include "control/validation.h"

namespace tollgate::control::openapi {
namespace json = boost::json;
namespace {

constexpr std::string_view kAt = "/x-tollgate";

Error Bad(const std::string& at, std::string message) {
  return Error{ErrorKind::kInvalid, "invalid_extension", std::move(message), at};
}

Result<std::string> String(const json::value& v, const std::string& at) {
  if (!v.is_string()) return Bad(at, at + " must be a string");
  return std::string(v.get_string());
}

// Numbers may come as text (the YAML reader keeps plain scalars' text).
Result<int64_t> Integer(const json::value& v, const std::string& at) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v.get_uint64());
  if (v.is_string()) {
    const std::string_view s = v.get_string();
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return n;
  }
  return Bad(at, at + " must be a whole number");
}

Result<bool> Boolean(const json::value& v, const std::string& at) {
  if (v.is_bool()) return v.get_bool();
  return Bad(at, at + " must be true or false");
}

Result<RateLimit> Rate(const json::value& v, const std::string& at) {
  if (!v.is_object()) return Bad(at, at + " is {requests, per, burst}");
  const json::object& o = v.get_object();
  RateLimit rate;
  const json::value* requests = o.if_contains("requests");
  if (requests == nullptr) return Bad(at + "/requests", at + "/requests is required");
  auto n = Integer(*requests, at + "/requests");
  if (!n.ok()) return n.error();
  rate.requests = *n;
  if (const json::value* per = o.if_contains("per")) {
    auto text = String(*per, at + "/per");
    if (!text.ok()) return text.error();
    auto parsed = ParsePeriod(*text);
    if (!parsed) return Bad(at + "/per", at + "/per is second, minute, hour or day");
    rate.per = *parsed;
  }
  rate.burst = DefaultBurst(rate.requests);
  if (const json::value* burst = o.if_contains("burst")) {
    auto b = Integer(*burst, at + "/burst");
    if (!b.ok()) return b.error();
    rate.burst = *b;
  }
  for (const auto& kv : o) {
    if (kv.key() != "requests" && kv.key() != "per" && kv.key() != "burst") {
      return Bad(Pointer(at, kv.key()), "unknown key " + std::string(kv.key()) + " in a rate");
    }
  }
  if (auto s = ValidateRate(rate, at); !s.ok()) return Bad(at, s.error().message);
  return rate;
}

Result<int64_t> Time(const json::value& v, const std::string& at) {
  if (v.is_int64()) return v.get_int64();
  auto text = String(v, at);
  if (!text.ok()) return text.error();
  auto t = ParseTime(*text);
  if (!t) return Bad(at, at + " is an RFC 3339 time, e.g. 2027-01-31T00:00:00Z");
  return *t;
}

json::object RateJson(const RateLimit& r) {
  return {{"requests", r.requests}, {"per", ToString(r.per)}, {"burst", r.burst}};
}

json::array Strings(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

}  // namespace

Result<std::vector<std::string>> ReadStringList(const json::value& value, const std::string& at) {
  if (!value.is_array()) return Bad(at, at + " must be a list of strings");
  std::vector<std::string> out;
  const json::array& a = value.get_array();
  for (size_t i = 0; i < a.size(); ++i) {
    auto s = String(a[i], at + "/" + std::to_string(i));
    if (!s.ok()) return s.error();
    out.push_back(std::move(s.value()));
  }
  return out;
}

Result<RootExtension> ReadRootExtension(const json::value* value) {
  RootExtension ext;
  if (value == nullptr || value->is_null()) return ext;
  const std::string root(kAt);
  if (!value->is_object()) return Bad(root, "x-tollgate is an object of Tollgate settings");
  for (const auto& kv : value->get_object()) {
    const std::string key(kv.key());
    const std::string at = Pointer(root, key);
    const json::value& v = kv.value();
    std::optional<std::string>* text = key == "name"               ? &ext.name
                                       : key == "context"          ? &ext.context
                                       : key == "upstream"         ? &ext.upstream
                                       : key == "virtualHost"      ? &ext.virtual_host
                                       : key == "apiKeyHeader"     ? &ext.api_key_header
                                       : key == "audience"         ? &ext.audience
                                       : key == "backendJwtHeader" ? &ext.backend_jwt_header
                                                                   : nullptr;
    if (text != nullptr) {
      auto s = String(v, at);
      if (!s.ok()) return s.error();
      *text = std::move(s.value());
    } else if (key == "plans" || key == "tags") {
      auto list = ReadStringList(v, at);
      if (!list.ok()) return list.error();
      (key == "plans" ? ext.plans : ext.tags) = std::move(list.value());
    } else if (key == "backendRate") {
      auto rate = Rate(v, at);
      if (!rate.ok()) return rate.error();
      ext.backend_rate = *rate;
    } else if (key == "keyedLimits") {
      if (!v.is_array()) return Bad(at, at + " is a list of {key, rate}");
      std::vector<KeyedLimit> limits;
      for (size_t i = 0; i < v.get_array().size(); ++i) {
        const std::string item_at = at + "/" + std::to_string(i);
        const json::value& item = v.get_array()[i];
        if (!item.is_object() || !item.get_object().contains("key") ||
            !item.get_object().contains("rate")) {
          return Bad(item_at, item_at + " is {key, rate}");
        }
        auto key_text = String(item.get_object().at("key"), item_at + "/key");
        if (!key_text.ok()) return key_text.error();
        auto rate = Rate(item.get_object().at("rate"), item_at + "/rate");
        if (!rate.ok()) return rate.error();
        limits.push_back(KeyedLimit{std::move(key_text.value()), *rate});
      }
      ext.keyed_limits = std::move(limits);
    } else if (key == "failOpen" || key == "isDefaultVersion") {
      auto b = Boolean(v, at);
      if (!b.ok()) return b.error();
      (key == "failOpen" ? ext.fail_open : ext.is_default_version) = *b;
    } else if (key == "deprecatedAt" || key == "sunsetAt") {
      auto t = Time(v, at);
      if (!t.ok()) return t.error();
      (key == "deprecatedAt" ? ext.deprecated_at : ext.sunset_at) = *t;
    } else if (key == "defaultAuth") {
      auto s = String(v, at);
      if (!s.ok()) return s.error();
      auto auth = ParseAuthType(*s);
      if (!auth) return Bad(at, at + " is apiKey, oauth2, apiKeyOrOAuth2, mesh or none");
      ext.default_auth = *auth;
    } else {
      return Bad(at, "unknown Tollgate setting x-tollgate." + key);
    }
  }
  return ext;
}

void ApplyRootExtension(const RootExtension& ext, Api& api) {
  if (ext.name) api.name = *ext.name;
  if (ext.virtual_host) api.virtual_host = *ext.virtual_host;
  if (ext.api_key_header) api.api_key_header = *ext.api_key_header;
  if (ext.audience) api.audience = *ext.audience;
  if (ext.backend_jwt_header) api.backend_jwt_header = *ext.backend_jwt_header;
  if (ext.plans) api.plans = *ext.plans;
  if (ext.tags) api.tags = *ext.tags;
  if (ext.backend_rate) api.backend_rate = *ext.backend_rate;
  if (ext.keyed_limits) api.keyed_limits = *ext.keyed_limits;
  if (ext.fail_open) api.fail_open = *ext.fail_open;
  if (ext.is_default_version) api.is_default_version = *ext.is_default_version;
  if (ext.deprecated_at) api.deprecated_at = *ext.deprecated_at;
  if (ext.sunset_at) api.sunset_at = *ext.sunset_at;
}

json::object WriteRootExtension(const Api& api) {
  json::object o{{"context", api.context},
                 {"upstream", api.upstream},
                 {"apiKeyHeader", api.api_key_header},
                 {"plans", Strings(api.plans)},
                 {"failOpen", api.fail_open}};
  if (!api.virtual_host.empty()) o["virtualHost"] = api.virtual_host;
  if (api.backend_rate) o["backendRate"] = RateJson(*api.backend_rate);
  if (!api.keyed_limits.empty()) {
    json::array limits;
    for (const KeyedLimit& k : api.keyed_limits)
      limits.push_back(json::object{{"key", k.key}, {"rate", RateJson(k.rate)}});
    o["keyedLimits"] = std::move(limits);
  }
  if (!api.audience.empty()) o["audience"] = api.audience;
  if (!api.backend_jwt_header.empty()) o["backendJwtHeader"] = api.backend_jwt_header;
  if (!api.tags.empty()) o["tags"] = Strings(api.tags);
  if (api.is_default_version) o["isDefaultVersion"] = true;
  if (api.deprecated_at) o["deprecatedAt"] = FormatTime(*api.deprecated_at);
  if (api.sunset_at) o["sunsetAt"] = FormatTime(*api.sunset_at);
  return o;
}

}  // namespace tollgate::control::openapi
