// OpenAPI 3.0 / 3.1 → Api. The rules are in docs/openapi.md; errors carry a JSON pointer.
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "control/openapi.h"
#include "control/openapi_common.h"
#include "control/openapi_security.h"
#include "control/openapi_x_tollgate.h"
#include "control/validation.h"
#include "control/yaml_json.h"
#include "core/path_template.h"

namespace tollgate::control {
namespace json = boost::json;
using openapi::Pointer;
using openapi::RoutePath;

namespace {

constexpr size_t kMaxName = 100;
constexpr size_t kMaxDescription = 2000;
constexpr size_t kMaxVersion = 30;

Error Problem(std::string code, std::string pointer, std::string message) {
  return Error{ErrorKind::kInvalid, std::move(code), std::move(message), std::move(pointer)};
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
void CutUtf8(std::string& s, size_t max) {
  if (s.size() <= max) return;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
}

std::string Trimmed(std::string_view s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// Replaces runs of characters outside `keep` with one '-', trims '-' at both ends.
std::string Slug(std::string_view s, bool lower, bool (*keep)(char)) {
  std::string out;
  for (char c : s) {
    if (keep(c)) {
      out += lower ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsVersionChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; }

const json::value* Get(const json::object& o, std::string_view key) { return o.if_contains(key); }

// A string, or a number written as text (YAML plain scalars are kept as text by the reader).
std::optional<std::string> Text(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_bool()) return std::string(v->get_bool() ? "true" : "false");
  return std::nullopt;
}

// A server URL with its variables replaced by their defaults. Error when a variable has none.
Result<std::string> ServerUrl(const json::object& server, const std::string& at) {
  auto url = Text(Get(server, "url"));
  if (!url) return Problem("missing_field", at + "/url", "a server needs a url");
  const json::object* vars = nullptr;
  if (const json::value* v = Get(server, "variables"); v != nullptr && v->is_object())
    vars = &v->get_object();
  std::string out;
  for (size_t i = 0; i < url->size(); ++i) {
    if ((*url)[i] != '{') {
      out += (*url)[i];
      continue;
    }
    const size_t close = url->find('}', i);
    if (close == std::string::npos)
      return Problem("invalid_server_url", at + "/url", "unclosed '{' in the server url");
    const std::string name = url->substr(i + 1, close - i - 1);
    const json::value* var = vars ? vars->if_contains(name) : nullptr;
    std::optional<std::string> def;
    if (var != nullptr && var->is_object()) def = Text(var->get_object().if_contains("default"));
    if (!def) {
      return Problem("invalid_server_url", Pointer(at + "/variables", name),
                     "server variable {" + name + "} has no default value");
    }
    out += *def;
    i = close;
  }
  return out;
}

struct ServerParts {
  std::string origin;  // "https://host:port" or "" when the URL is relative
  std::string path;    // "/v2", "" for none
};

ServerParts SplitServerUrl(const std::string& url) {
  ServerParts parts;
  std::string rest = url;
  const size_t scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    const size_t path_start = url.find('/', scheme_end + 3);
    parts.origin = url.substr(0, path_start);
    rest = path_start == std::string::npos ? "" : url.substr(path_start);
  }
  rest = rest.substr(0, rest.find_first_of("?#"));
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (!rest.empty() && rest.front() != '/') rest = "/" + rest;
  parts.path = rest;
  return parts;
}

class Importer {
 public:
  Importer(const json::value& doc, const ImportOptions& options)
      : doc_(doc), root_(doc.get_object()), options_(options) {}
  Result<Api> Run();

 private:
  Status ReadVersion();
  Status ReadOperations(Api& api, const openapi::RootExtension& ext);

  const json::value& doc_;
  const json::object& root_;
  const ImportOptions& options_;
  openapi::SecuritySchemes schemes_;
  std::vector<std::string> resource_pointers_;  // pointer of each imported resource's operation
};

Status Importer::ReadVersion() {
  if (Get(root_, "swagger") != nullptr) {
    return Problem("unsupported_openapi_version", "/swagger",
                   "Swagger 2.0 documents are not imported: convert it to OpenAPI 3 first (e.g. "
                   "with swagger2openapi or editor.swagger.io)");
  }
  auto version = Text(Get(root_, "openapi"));
  if (!version)
    return Problem("unsupported_openapi_version", "/openapi",
                   "not an OpenAPI document: no \"openapi\" version");
  if (version->rfind("3.0.", 0) != 0 && version->rfind("3.1.", 0) != 0) {
    return Problem("unsupported_openapi_version", "/openapi",
                   "OpenAPI " + *version + " is not supported: 3.0.x and 3.1.x are");
  }
  return Ok();
}

Status Importer::ReadOperations(Api& api, const openapi::RootExtension& ext) {
  const json::value* paths = Get(root_, "paths");
  if (paths != nullptr && !paths->is_null() && !paths->is_object()) {
    return Problem("invalid_field", "/paths", "paths is an object of path items");
  }
  const json::value* root_security = Get(root_, "security");
  struct Pending {
    Resource resource;
    std::string at;        // the operation
    std::string security;  // pointer of the security that decided, "" = none
    std::vector<std::string> key_locations;
    bool explicit_auth = false;
  };
  std::vector<Pending> ops;
  std::map<std::pair<std::string, std::string>, size_t> seen;
  if (paths != nullptr && paths->is_object()) {
    for (const auto& kv : paths->get_object()) {
      const std::string key(kv.key());
      if (key.rfind("x-", 0) == 0) continue;
      const std::string item_at = Pointer("/paths", key);
      if (!kv.value().is_object())
        return Problem("invalid_field", item_at, "a path item is an object");
      auto item = openapi::ResolveRef(doc_, kv.value().get_object(), item_at);
      if (!item.ok()) return item.error();
      auto route = RoutePath(key, item_at);
      if (!route.ok()) return route.error();
      for (const auto& op_kv : **item) {
        const std::string method(op_kv.key());
        if (std::find(std::begin(openapi::kMethods), std::end(openapi::kMethods), method) ==
            std::end(openapi::kMethods)) {
          continue;  // parameters, servers, summary, trace, x-…
        }
        const std::string at = Pointer(item_at, method);
        if (!op_kv.value().is_object())
          return Problem("invalid_field", at, "an operation is an object");
        const json::object& op = op_kv.value().get_object();
        Pending p;
        p.at = at;
        p.resource.path = *route;
        p.resource.method = method;
        std::transform(p.resource.method.begin(), p.resource.method.end(),
                       p.resource.method.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (const json::value* any = op.if_contains(openapi::kAnyMethod);
            any && any->is_bool() && any->get_bool()) {
          p.resource.method = "*";
        }
        // Security: the operation's, else the root's, else x-tollgate.defaultAuth (apiKey).
        const json::value* security = op.if_contains("security");
        std::string security_at = at + "/security";
        if (security == nullptr) {
          security = root_security;
          security_at = "/security";
        }
        Result<openapi::OpSecurity> mapped =
            openapi::OpSecurity{ext.default_auth.value_or(AuthType::kApiKey), {}, {}};
        if (security != nullptr) {
          mapped = schemes_.Map(*security, security_at);
          p.security = security_at;
        }
        if (const json::value* auth = op.if_contains(openapi::kAuth)) {
          auto parsed = auth->is_string() ? ParseAuthType(auth->get_string()) : std::nullopt;
          if (!parsed) {
            return Problem("invalid_extension", Pointer(at, openapi::kAuth),
                           "x-tollgate-auth is apiKey, oauth2, apiKeyOrOAuth2, mesh or none");
          }
          p.resource.auth = *parsed;
          p.explicit_auth = true;
          if (mapped.ok()) p.resource.scopes = mapped->scopes;
        } else {
          if (!mapped.ok() && mapped.error().code == "unsupported_security_scheme" &&
              options_.fallback_auth) {
            mapped = openapi::OpSecurity{*options_.fallback_auth, {}, {}};
          }
          if (!mapped.ok()) return mapped.error();
          p.resource.auth = mapped->auth;
          p.resource.scopes = mapped->scopes;
          p.key_locations = mapped->key_locations;
        }
        if (const json::value* scopes = op.if_contains(openapi::kScopes)) {
          auto list = openapi::ReadStringList(*scopes, Pointer(at, openapi::kScopes));
          if (!list.ok()) return list.error();
          p.resource.scopes = std::move(list.value());
        }
        if (const json::value* plan = op.if_contains(openapi::kPlan)) {
          if (!plan->is_string())
            return Problem("invalid_extension", Pointer(at, openapi::kPlan),
                           "x-tollgate-plan is a plan name");
          p.resource.plan = std::string(plan->get_string());
        }
        auto [it, fresh] =
            seen.emplace(std::make_pair(p.resource.method, p.resource.path), ops.size());
        if (!fresh) {
          const Resource& first = ops[it->second].resource;
          if (first.auth == p.resource.auth && first.scopes == p.resource.scopes &&
              first.plan == p.resource.plan)
            continue;
          if (p.resource.method == "*") continue;  // an expanded "*" next to an explicit method
          return Problem("conflicting_operations", at,
                         p.resource.method + " " + p.resource.path + " is also " +
                             ops[it->second].at + " with other security or plan");
        }
        ops.push_back(std::move(p));
      }
    }
  }
  if (ops.empty()) {
    return Problem("no_operations", "/paths",
                   "the document has no operations under paths: nothing to route");
  }
  // One API key location per API: x-tollgate.apiKeyHeader, else the first one operations use.
  std::optional<std::string> location;
  if (!ext.api_key_header) {
    for (const Pending& p : ops) {
      if (!p.key_locations.empty()) {
        location = p.key_locations.front();
        break;
      }
    }
  }
  for (Pending& p : ops) {
    if (location && !p.key_locations.empty() &&
        std::find(p.key_locations.begin(), p.key_locations.end(), *location) ==
            p.key_locations.end()) {
      return Problem("conflicting_api_key_schemes", p.security,
                     "operations send the API key in different places (" + *location + " and " +
                         p.key_locations.front() +
                         "); an API has one: set x-tollgate.apiKeyHeader");
    }
    resource_pointers_.push_back(p.at);
    api.resources.push_back(std::move(p.resource));
  }
  if (location) {
    api.api_key_header = location->rfind("header:", 0) == 0 ? location->substr(7) : *location;
  }
  return Ok();
}

Result<Api> Importer::Run() {
  if (auto s = ReadVersion(); !s.ok()) return s.error();
  auto ext = openapi::ReadRootExtension(Get(root_, openapi::kRoot));
  if (!ext.ok()) return ext.error();
  auto schemes = openapi::SecuritySchemes::Read(doc_);
  if (!schemes.ok()) return schemes.error();
  schemes_ = std::move(schemes.value());
  Api api;
  const json::value* info_v = Get(root_, "info");
  if (info_v == nullptr || !info_v->is_object())
    return Problem("missing_field", "/info", "info is required");
  const json::object& info = info_v->get_object();
  // Name, version, description.
  auto title = Text(Get(info, "title"));
  if (!options_.name.empty()) {
    api.name = options_.name;
  } else if (ext->name) {
    api.name = *ext->name;
  } else {
    if (!title || Trimmed(*title).empty())
      return Problem("missing_field", "/info/title", "info.title is required");
    for (char& c : *title) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    api.name = Trimmed(*title);
    CutUtf8(api.name, kMaxName);
  }
  if (!options_.version.empty()) {
    api.version = options_.version;
  } else {
    auto version = Text(Get(info, "version"));
    if (!version || Trimmed(*version).empty())
      return Problem("missing_field", "/info/version", "info.version is required");
    api.version = Slug(*version, false, IsVersionChar);
    if (api.version.size() > kMaxVersion) api.version.resize(kMaxVersion);
    if (api.version.empty()) api.version = "v1";
  }
  api.description = Trimmed(Text(Get(info, "description")).value_or(""));
  CutUtf8(api.description, kMaxDescription);
  openapi::ApplyRootExtension(*ext, api);
  if (!options_.name.empty()) api.name = options_.name;
  if (!ext->tags) {
    if (const json::value* tags = Get(root_, "tags"); tags != nullptr && tags->is_array()) {
      for (const json::value& t : tags->get_array()) {
        if (!t.is_object()) continue;
        auto name = Text(t.get_object().if_contains("name"));
        if (name && std::find(api.tags.begin(), api.tags.end(), *name) == api.tags.end())
          api.tags.push_back(*name);
      }
    }
  }
  // Context and upstream: options, then x-tollgate, then servers[0].
  ServerParts server;
  bool has_server = false;
  if (const json::value* servers = Get(root_, "servers");
      servers != nullptr && servers->is_array() && !servers->get_array().empty()) {
    const json::value& first = servers->get_array()[0];
    if (!first.is_object()) return Problem("invalid_field", "/servers/0", "a server is an object");
    auto url = ServerUrl(first.get_object(), "/servers/0");
    if (!url.ok()) return url.error();
    server = SplitServerUrl(*url);
    has_server = true;
    if (!server.origin.empty() && server.origin.rfind("http://", 0) != 0 &&
        server.origin.rfind("https://", 0) != 0) {
      return Problem("invalid_server_url", "/servers/0/url",
                     "a server url is http:// or https://: " + *url);
    }
  }
  if (!options_.context.empty()) {
    api.context = options_.context;
  } else if (ext->context) {
    api.context = *ext->context;
  } else if (!server.path.empty()) {
    api.context = server.path;
  } else {
    api.context =
        "/" + Slug(api.name, true, IsAlnum) + "/" + Slug(api.version, true, IsVersionChar);
  }
  if (!options_.upstream.empty()) {
    api.upstream = options_.upstream;
  } else if (ext->upstream) {
    api.upstream = *ext->upstream;
  } else if (!server.origin.empty()) {
    api.upstream = server.origin;
  } else {
    return Problem(
        "missing_upstream", has_server ? "/servers/0/url" : "/servers",
        "no absolute server URL to take the upstream from: give it (the mesh service's URL) "
        "with ?upstream= or x-tollgate.upstream");
  }
  if (auto s = ReadOperations(api, *ext); !s.ok()) return s.error();
  if (ext->api_key_header) api.api_key_header = *ext->api_key_header;
  if (auto s = ValidateApi(api); !s.ok()) {
    Error e = s.error();
    // Point into the document where we can.
    if (e.field.rfind("resources[", 0) == 0) {
      const size_t i = std::stoul(e.field.substr(10));
      if (i < resource_pointers_.size()) e.field = resource_pointers_[i];
    } else if (e.field == "name") {
      e.field = "/info/title";
    } else if (e.field == "version") {
      e.field = "/info/version";
    } else if (e.field == "context" && !ext->context && options_.context.empty() && has_server) {
      e.field = "/servers/0/url";
    } else if (!e.field.empty()) {
      e.field = Pointer("/x-tollgate", e.field.substr(0, e.field.find_first_of(".[")));
    }
    return e;
  }
  return api;
}

}  // namespace

Result<Api> ImportOpenApi(std::string_view document, const ImportOptions& options) {
  auto doc = YamlToJson(document, /*numbers_as_text=*/true);
  if (!doc.ok()) return doc.error();
  if (!doc->is_object()) {
    return Problem("invalid_document", "", "an OpenAPI document is a YAML or JSON object");
  }
  return Importer(*doc, options).Run();
}

}  // namespace tollgate::control
