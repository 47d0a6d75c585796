// Internal to control/openapi_*.cc: the root `x-tollgate` extension, read into an Api and written
// from one. Keys (all optional): name, context, upstream, virtualHost, apiKeyHeader, plans,
// backendRate {requests, per, burst}, keyedLimits [{key, rate}], failOpen, audience,
// backendJwtHeader, tags, isDefaultVersion, deprecatedAt, sunsetAt (RFC 3339), defaultAuth.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace tollgate::control::openapi {

struct RootExtension {
  std::optional<std::string> name, context, upstream, virtual_host, api_key_header, audience,
      backend_jwt_header;
  std::optional<std::vector<std::string>> plans, tags;
  std::optional<RateLimit> backend_rate;
  std::optional<std::vector<KeyedLimit>> keyed_limits;
  std::optional<bool> fail_open, is_default_version;
  std::optional<int64_t> deprecated_at, sunset_at;
  std::optional<AuthType> default_auth;  // for operations without any `security`
};

// Reads `value` (the root's "x-tollgate", or nullptr when absent). Unknown keys and wrong types
// are kInvalid "invalid_extension" with a pointer under "/x-tollgate".
Result<RootExtension> ReadRootExtension(const boost::json::value* value);

// Copies what `ext` sets into `api` (context and upstream excepted: the importer ranks them).
void ApplyRootExtension(const RootExtension& ext, Api& api);

// The extension carrying every Tollgate setting of `api` that OpenAPI has no place for.
boost::json::object WriteRootExtension(const Api& api);

// Operation extensions: a string list (x-tollgate-scopes), or an error naming `at`.
Result<std::vector<std::string>> ReadStringList(const boost::json::value& value,
                                                const std::string& at);

}  // namespace tollgate::control::openapi
