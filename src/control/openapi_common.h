// Internal to control/openapi_*.cc: names and small helpers the importer and exporter share.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tollgate::control::openapi {

// Security scheme names the exporter writes (and the importer reads back like any other).
inline constexpr std::string_view kApiKeyScheme = "apiKey";
inline constexpr std::string_view kOAuth2Scheme = "oauth2";

// Extensions. Root: kRoot (an object of Tollgate settings). Operation: kPlan (resource plan),
// kAuth (auth type, wins over `security`), kScopes (scopes, wins over `security`), kAnyMethod
// (true: this operation stands for a "*" resource).
inline constexpr std::string_view kRoot = "x-tollgate";
inline constexpr std::string_view kPlan = "x-tollgate-plan";
inline constexpr std::string_view kAuth = "x-tollgate-auth";
inline constexpr std::string_view kScopes = "x-tollgate-scopes";
inline constexpr std::string_view kAnyMethod = "x-tollgate-any-method";

// Operation keys of a path item, in the order the exporter writes them. TRACE is not routed by
// Tollgate and is skipped on import.
inline constexpr std::string_view kMethods[] = {"get",     "put",  "post", "delete",
                                                "options", "head", "patch"};

// "/paths/~1pets/get": `token` escaped per RFC 6901 and appended to `base`.
std::string Pointer(std::string_view base, std::string_view token);

// A path key of `paths` as a Tollgate path template: "/pets/{petId}" stays; a segment with text
// around a parameter ("/report.{format}") becomes that parameter ("/{format}"), since Tollgate
// matches whole segments (a slightly wider set is routed; the service answers the rest); text
// after '#' or '?' is dropped (some documents list one path twice that way); a trailing '/' too.
// Error: kInvalid "invalid_path" naming `at`.
Result<std::string> RoutePath(const std::string& key, const std::string& at);

// `item` itself, or the object its local "$ref" ("#/…", chains followed) leads to in `doc`.
// Error: kInvalid "unsupported_ref" naming `at` + "/$ref" (external or broken reference).
Result<const boost::json::object*> ResolveRef(const boost::json::value& doc,
                                              const boost::json::object& item,
                                              const std::string& at);

// Copies into `doc` (built by the exporter) what `original` (the imported document) says that the
// Api does not: operation details, path-item parameters, components, info extras, webhooks.
void MergeOriginal(const boost::json::object& original, boost::json::object& doc);

std::string FormatTime(int64_t unix_seconds);                // "2026-11-27T00:00:00Z"
std::optional<int64_t> ParseTime(std::string_view rfc3339);  // "Z" or ±hh:mm

}  // namespace tollgate::control::openapi
