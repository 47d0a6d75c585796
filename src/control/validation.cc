// Validation of publisher and developer input; messages say what is expected.
#include "control/validation.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "core/path_template.h"

namespace tollgate::control {
namespace {

constexpr size_t kMaxName = 100;
constexpr size_t kMaxDescription = 2000;
constexpr size_t kMaxResources = 1000;
constexpr size_t kMaxKeyedLimits = 32;
constexpr int64_t kMaxRateNumber = 1'000'000'000;
constexpr int64_t kMaxQuotaRequests = 1'000'000'000'000;

bool IsTokenChar(char c) {  // RFC 9110 tchar, used for header names and versions
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool AllOf(std::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

bool IsVersionChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

void Trim(std::string& s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
}

Status ValidateName(std::string& name, const char* field) {
  Trim(name);
  if (name.empty()) return Invalid(field, std::string(field) + " is required");
  if (name.size() > kMaxName) {
    return Invalid(field, std::string(field) + " is at most 100 characters");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return Invalid(field, std::string(field) + " may not contain control characters");
    }
  }
  return Ok();
}

Status ValidateContext(const std::string& context) {
  if (context.empty()) return Invalid("context", "context is required, e.g. \"/petstore/v1\"");
  if (context.front() != '/' || context.size() < 2 || context.back() == '/') {
    return Invalid("context",
                   "context starts with '/', has at least one segment and no trailing '/', "
                   "e.g. \"/petstore/v1\"");
  }
  auto t = PathTemplate::Parse(context, "context");
  if (!t.ok()) return t.error();
  if (context.find_first_of("{}*") != std::string::npos) {
    return Invalid("context", "context is literal: no '{param}' or '*' segments");
  }
  if (context == "/_tollgate" || context.rfind("/_tollgate/", 0) == 0) {
    return Invalid("context", "paths under /_tollgate are reserved");
  }
  return Ok();
}

Status ValidateUpstream(const std::string& upstream) {
  std::string_view u = upstream;
  size_t scheme = 0;
  if (u.rfind("http://", 0) == 0) {
    scheme = 7;
  } else if (u.rfind("https://", 0) == 0) {
    scheme = 8;
  } else {
    return Invalid("upstream",
                   "upstream is an http:// or https:// URL of the mesh service, e.g. "
                   "\"http://petstore.default.svc.cluster.local:8080\"");
  }
  std::string_view authority = u.substr(scheme, u.find('/', scheme) - scheme);
  if (authority.empty() || authority.find_first_of(" @?#") != std::string_view::npos) {
    return Invalid("upstream", "upstream needs a host, e.g. \"http://petstore:8080\"");
  }
  return Ok();
}

Status ValidateResources(std::vector<Resource>& resources) {
  if (resources.size() > kMaxResources) {
    return Invalid("resources", "an API has at most 1000 resources");
  }
  static const std::set<std::string, std::less<>> kMethods = {
      "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"};
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < resources.size(); ++i) {
    Resource& r = resources[i];
    const std::string at = "resources[" + std::to_string(i) + "]";
    std::transform(r.method.begin(), r.method.end(), r.method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!kMethods.contains(r.method)) {
      return Invalid(at + ".method",
                     "method is one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or *");
    }
    auto t = PathTemplate::Parse(r.path, at + ".path");
    if (!t.ok()) return t.error();
    if (!seen.emplace(r.method, r.path).second) {
      return Invalid(at, "resource " + r.method + " " + r.path + " is listed twice",
                     "duplicate_resource");
    }
  }
  return Ok();
}

bool IsQueryNameChar(char c) {
  return static_cast<unsigned char>(c) > 0x20 && c != '&' && c != '=' && c != '#' && c != 0x7f;
}

bool IsClaimNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("_-.:/").find(c) != std::string_view::npos;
}

Status ValidateKeyedLimits(std::vector<KeyedLimit>& limits) {
  if (limits.size() > kMaxKeyedLimits) {
    return Invalid("keyedLimits", "an API has at most 32 keyed limits");
  }
  std::set<std::string> keys;
  for (size_t i = 0; i < limits.size(); ++i) {
    const std::string at = "keyedLimits[" + std::to_string(i) + "]";
    if (auto s = ValidateLimitKey(limits[i].key, at + ".key"); !s.ok()) return s;
    if (auto s = ValidateRate(limits[i].rate, at + ".rate"); !s.ok()) return s;
    if (!keys.insert(limits[i].key).second) {
      return Invalid(at + ".key", "key " + limits[i].key + " is limited twice", "duplicate_key");
    }
  }
  return Ok();
}

}  // namespace

int64_t DefaultBurst(int64_t requests) { return std::max<int64_t>(requests - 1, 0); }

Status ValidateRate(const RateLimit& rate, std::string_view prefix) {
  const std::string p(prefix);
  if (rate.requests <= 0 || rate.requests > kMaxRateNumber) {
    return Invalid(p + ".requests", p + ".requests is a whole number from 1 to 1000000000");
  }
  if (rate.burst < 0 || rate.burst > kMaxRateNumber) {
    return Invalid(p + ".burst", p + ".burst is a whole number from 0 to 1000000000: how many "
                                     "requests above the steady pace may arrive at once");
  }
  return Ok();
}

Status ValidateLimitKey(std::string& key, std::string_view field) {
  const std::string f(field);
  const std::string expected =
      f + " is \"ip\", \"ip/N\" (N from 1 to 128), \"header:NAME\", \"query:NAME\" or "
          "\"claim:NAME\"";
  std::string_view k = key;
  if (k == "ip") return Ok();
  if (k.rfind("ip/", 0) == 0) {
    const std::string_view digits = k.substr(3);
    int bits = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || digits.size() > 3 || ec != std::errc() ||
        end != digits.data() + digits.size() || bits < 1 || bits > 128) {
      return Invalid(f, expected, "invalid_limit_key");
    }
    return Ok();
  }
  const size_t colon = k.find(':');
  const std::string_view kind = k.substr(0, colon == std::string_view::npos ? 0 : colon);
  const std::string_view name = colon == std::string_view::npos ? "" : k.substr(colon + 1);
  bool good = false;
  if (kind == "header") {
    good = AllOf(name, IsTokenChar);
    std::transform(key.begin() + static_cast<std::ptrdiff_t>(colon) + 1, key.end(),
                   key.begin() + static_cast<std::ptrdiff_t>(colon) + 1,
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  } else if (kind == "query") {
    good = AllOf(name, IsQueryNameChar);
  } else if (kind == "claim") {
    good = AllOf(name, IsClaimNameChar);
  }
  if (!good || name.empty() || name.size() > 100) return Invalid(f, expected, "invalid_limit_key");
  return Ok();
}

bool IsKnownTimeZoneName(std::string_view name) {
  if (name.empty() || name.size() > 100 || name.front() == '/' ||
      name.find('.') != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("/_+-").find(c) == std::string_view::npos) {
      return false;
    }
  }
  const std::filesystem::path path = std::filesystem::path("/usr/share/zoneinfo") / name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  // Only compiled zones (not zone.tab, leapseconds, …) start with the TZif magic.
  char magic[4] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(magic, sizeof magic) && std::string_view(magic, sizeof magic) == "TZif";
}

Status ValidatePlan(Plan& plan) {
  if (auto s = ValidateName(plan.name, "name"); !s.ok()) return s;
  if (plan.description.size() > kMaxDescription) {
    return Invalid("description", "description is at most 2000 characters");
  }
  if (plan.rate) {
    if (auto s = ValidateRate(*plan.rate, "rate"); !s.ok()) return s;
  }
  if (plan.quota) {
    if (plan.quota->requests <= 0 || plan.quota->requests > kMaxQuotaRequests) {
      return Invalid("quota.requests",
                     "quota.requests is a whole number from 1 to 1000000000000 per month");
    }
    Trim(plan.quota->time_zone);
    if (plan.quota->time_zone.empty()) plan.quota->time_zone = "UTC";
    if (!IsKnownTimeZoneName(plan.quota->time_zone)) {
      return Invalid("quota.timeZone",
                     "quota.timeZone is an IANA time zone name, e.g. \"Europe/Paris\" or \"UTC\"",
                     "unknown_time_zone");
    }
  }
  return Ok();
}

Status ValidateApi(Api& api) {
  if (auto s = ValidateName(api.name, "name"); !s.ok()) return s;
  Trim(api.version);
  if (api.version.empty()) return Invalid("version", "version is required, e.g. \"v1\"");
  if (api.version.size() > 30 || !AllOf(api.version, IsVersionChar)) {
    return Invalid("version", "version is up to 30 letters, digits, '.', '-' or '_'");
  }
  if (api.description.size() > kMaxDescription) {
    return Invalid("description", "description is at most 2000 characters");
  }
  if (auto s = ValidateContext(api.context); !s.ok()) return s;
  std::transform(api.virtual_host.begin(), api.virtual_host.end(), api.virtual_host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!api.virtual_host.empty() &&
      (api.virtual_host.size() > 253 || !AllOf(api.virtual_host, IsHostChar))) {
    return Invalid("virtualHost", "virtualHost is a host name without port, e.g. api.example.com");
  }
  if (auto s = ValidateUpstream(api.upstream); !s.ok()) return s;
  // "query:NAME": the key comes in query parameter NAME instead of a header.
  const bool key_in_query = api.api_key_header.rfind("query:", 0) == 0;
  const std::string_view key_name =
      key_in_query ? std::string_view(api.api_key_header).substr(6) : api.api_key_header;
  if (!api.api_key_header.empty() &&
      (key_name.empty() || key_name.size() > 64 ||
       !AllOf(key_name, key_in_query ? IsQueryNameChar : IsTokenChar))) {
    return Invalid("apiKeyHeader",
                   "apiKeyHeader is an HTTP header name, e.g. \"x-api-key\", or \"query:NAME\" "
                   "for a query parameter");
  }
  if (auto s = ValidateResources(api.resources); !s.ok()) return s;
  if (api.plans.empty()) api.plans = {"Unlimited"};
  std::set<std::string> plans;
  for (size_t i = 0; i < api.plans.size(); ++i) {
    const std::string field = "plans[" + std::to_string(i) + "]";
    if (auto s = ValidateName(api.plans[i], field.c_str()); !s.ok()) return s;
    if (!plans.insert(api.plans[i]).second) {
      return Invalid(field, "plan " + api.plans[i] + " is listed twice");
    }
  }
  if (api.backend_rate) {
    if (auto s = ValidateRate(*api.backend_rate, "backendRate"); !s.ok()) return s;
  }
  if (auto s = ValidateKeyedLimits(api.keyed_limits); !s.ok()) return s;
  return ValidateApiPortalFields(api);
}

Status ValidateApplication(Application& app) {
  if (auto s = ValidateName(app.name, "name"); !s.ok()) return s;
  if (app.description.size() > kMaxDescription) {
    return Invalid("description", "description is at most 2000 characters");
  }
  Trim(app.plan);
  if (app.plan.size() > kMaxName) return Invalid("plan", "plan is at most 100 characters");
  return Ok();
}

}  // namespace tollgate::control

// ---------------------------------------------------------------------------------------------
// Management plane: API catalog fields, documents, API key restrictions.

namespace tollgate::control {
namespace {

constexpr size_t kMaxTags = 20;
constexpr size_t kMaxTag = 50;
constexpr size_t kMaxAudience = 200;
constexpr size_t kMaxDocumentContent = 1024 * 1024;  // 1 MiB of markdown
constexpr size_t kMaxUrl = 2048;
constexpr size_t kMaxKeyRestrictions = 50;
constexpr size_t kMaxReferrer = 200;

bool HasControlChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

Status ValidateTags(std::vector<std::string>& tags) {
  if (tags.size() > kMaxTags) return Invalid("tags", "an API has at most 20 tags");
  std::set<std::string> seen;
  std::vector<std::string> kept;
  for (size_t i = 0; i < tags.size(); ++i) {
    const std::string field = "tags[" + std::to_string(i) + "]";
    std::string tag = tags[i];
    Trim(tag);
    if (tag.empty() || tag.size() > kMaxTag || HasControlChar(tag)) {
      return Invalid(field, "a tag is 1 to 50 characters without control characters");
    }
    std::string folded = tag;
    std::transform(folded.begin(), folded.end(), folded.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (seen.insert(folded).second) kept.push_back(std::move(tag));  // duplicates dropped
  }
  tags = std::move(kept);
  return Ok();
}

}  // namespace

Status ValidateApiPortalFields(Api& api) {
  if (auto s = ValidateTags(api.tags); !s.ok()) return s;
  Trim(api.audience);
  if (api.audience.size() > kMaxAudience || HasControlChar(api.audience)) {
    return Invalid("audience", "audience is up to 200 characters without control characters");
  }
  std::transform(api.backend_jwt_header.begin(), api.backend_jwt_header.end(),
                 api.backend_jwt_header.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!api.backend_jwt_header.empty() &&
      (api.backend_jwt_header.size() > 64 || !AllOf(api.backend_jwt_header, IsTokenChar))) {
    return Invalid("backendJwtHeader",
                   "backendJwtHeader is an HTTP header name, e.g. \"x-jwt-assertion\"");
  }
  if (api.deprecated_at && api.sunset_at && *api.sunset_at < *api.deprecated_at) {
    return Invalid("sunsetAt", "sunsetAt cannot be before deprecatedAt");
  }
  return Ok();
}

bool IsHttpUrl(std::string_view url) {
  size_t scheme = 0;
  if (url.rfind("http://", 0) == 0) {
    scheme = 7;
  } else if (url.rfind("https://", 0) == 0) {
    scheme = 8;
  } else {
    return false;
  }
  if (url.size() > kMaxUrl) return false;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' ||
        c == '\\') {
      return false;
    }
  }
  const std::string_view rest = url.substr(scheme);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const std::string_view host = authority.substr(authority.rfind('@') + 1);
  return !host.empty() && host.front() != ':';
}

Status ValidateDocument(ApiDocument& doc) {
  if (auto s = ValidateName(doc.name, "name"); !s.ok()) return s;
  if (doc.type.empty()) doc.type = "markdown";
  if (doc.type == "markdown") {
    if (doc.content.size() > kMaxDocumentContent) {
      return Invalid("content", "markdown content is at most 1 MiB", "document_too_large");
    }
  } else if (doc.type == "url") {
    Trim(doc.content);
    if (!IsHttpUrl(doc.content)) {
      return Invalid("content", "content of a url document is an http:// or https:// URL");
    }
  } else {
    return Invalid("type", "type is \"markdown\" or \"url\"");
  }
  return Ok();
}

bool IsIpOrCidr(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  unsigned char buf[16];
  int max_bits = 0;
  if (inet_pton(AF_INET, address.c_str(), buf) == 1) {
    max_bits = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), buf) == 1) {
    max_bits = 128;
  } else {
    return false;
  }
  if (slash == std::string_view::npos) return true;
  const std::string_view digits = text.substr(slash + 1);
  int bits = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
  return !digits.empty() && digits.size() <= 3 && ec == std::errc() &&
         end == digits.data() + digits.size() && bits >= 0 && bits <= max_bits;
}

Status ValidateKeyRestrictions(ApiKey& key) {
  if (key.allowed_ips.size() > kMaxKeyRestrictions) {
    return Invalid("allowedIps", "a key has at most 50 allowed addresses");
  }
  for (size_t i = 0; i < key.allowed_ips.size(); ++i) {
    Trim(key.allowed_ips[i]);
    if (!IsIpOrCidr(key.allowed_ips[i])) {
      return Invalid("allowedIps[" + std::to_string(i) + "]",
                     "an IPv4 or IPv6 address or CIDR range, e.g. \"203.0.113.0/24\" or "
                     "\"2001:db8::/32\"",
                     "invalid_address");
    }
  }
  if (key.allowed_referrers.size() > kMaxKeyRestrictions) {
    return Invalid("allowedReferrers", "a key has at most 50 allowed referrers");
  }
  for (size_t i = 0; i < key.allowed_referrers.size(); ++i) {
    std::string& r = key.allowed_referrers[i];
    Trim(r);
    if (r.empty() || r.size() > kMaxReferrer || HasControlChar(r) ||
        r.find(' ') != std::string::npos) {
      return Invalid("allowedReferrers[" + std::to_string(i) + "]",
                     "a referrer pattern is 1 to 200 characters without spaces, '*' matching "
                     "anything, e.g. \"https://*.example.com/*\"");
    }
  }
  if (key.api_ids.size() > kMaxKeyRestrictions) {
    return Invalid("apiIds", "a key names at most 50 APIs");
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < key.api_ids.size(); ++i) {
    if (key.api_ids[i].empty() || HasControlChar(key.api_ids[i]) ||
        !ids.insert(key.api_ids[i]).second) {
      return Invalid("apiIds[" + std::to_string(i) + "]", "API ids are non-empty and distinct");
    }
  }
  return Ok();
}

}  // namespace tollgate::control
