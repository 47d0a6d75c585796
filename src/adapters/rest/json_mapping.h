// JSON (camelCase, RFC 3339 times) ⇄ domain types for the management REST API.
// FromJson functions read only writable fields and name the field at fault on a type error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "control/service.h"
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

Result<Api> ApiFromJson(const boost::json::value& body);
Result<Application> ApplicationFromJson(const boost::json::value& body);

// Typed accessors for request bodies: missing → default; wrong type → error naming the field.
Result<std::string> StringField(const boost::json::object& o, std::string_view name,
                                std::string_view field_path = {});
Result<std::optional<int64_t>> TimeField(const boost::json::object& o, std::string_view name);

}  // namespace tollgate::adapters::rest
