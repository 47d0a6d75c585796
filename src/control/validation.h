// Input rules for management resources. Pure functions: they normalise a draft in place and
// return the first problem found, naming the field (JSON spelling) at fault.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/model.h"
#include "core/status.h"

namespace tollgate::control {

// name, version, context, virtualHost, upstream, apiKeyHeader, resources[i].method/path/auth,
// plans, backendRate, keyedLimits[i].key/rate, in that order. Normalises: method upper case,
// virtual host lower case, default plan "Unlimited", header names in keys lower case. Whether the
// named plans exist is the service's check (it needs the store).
Status ValidateApi(Api& api);
// name, description, plan (trimmed; empty = none; existence checked by the service).
Status ValidateApplication(Application& app);

// name, description, rate (see ValidateRate, prefix "rate"), quota.requests > 0 and
// quota.timeZone a known zone. Neither rate nor quota = unlimited.
Status ValidatePlan(Plan& plan);

// requests > 0, burst >= 0 (both bounded), errors naming `<prefix>.requests` / `<prefix>.burst`.
// `per` is an enum here: input adapters report a bad period themselves as `<prefix>.per`.
Status ValidateRate(const RateLimit& rate, std::string_view prefix);

// The burst when the input gives none: a whole window's worth may arrive at once (GCRA
// capacity = burst + 1 = requests), so that "100 per minute" admits 100 requests at the start
// of a quiet minute, as people expect; 0 for requests <= 1.
int64_t DefaultBurst(int64_t requests);

// A keyed limit's key: "ip", "ip/N" (N in 1..128), "header:NAME", "query:NAME", "claim:NAME".
// Header names are lower-cased. Error names `field`.
Status ValidateLimitKey(std::string& key, std::string_view field);

// Whether `name` is an IANA zone of the system's tz database: no "." or leading "/", and
// /usr/share/zoneinfo/<name> is a regular file holding TZif data. Stand-in until a tz library
// check exists; every caller goes through this one function.
bool IsKnownTimeZoneName(std::string_view name);

// --- Management plane (publisher and developer portal).

// tags (trimmed, 1..50 characters, at most 20, case-insensitive duplicates dropped), audience,
// backendJwtHeader (lower-cased header name), sunsetAt not before deprecatedAt. Part of
// ValidateApi.
Status ValidateApiPortalFields(Api& api);

// name; type "markdown" (default; content at most 1 MiB, "document_too_large") or "url" (content
// an http(s) URL with a host).
Status ValidateDocument(ApiDocument& doc);
bool IsHttpUrl(std::string_view url);

// allowedIps[i]: IPv4/IPv6 address or CIDR ("invalid_address"); allowedReferrers[i]: pattern
// without spaces; apiIds distinct. At most 50 of each. Whether the APIs exist is the service's.
Status ValidateKeyRestrictions(ApiKey& key);
bool IsIpOrCidr(std::string_view text);

}  // namespace tollgate::control
