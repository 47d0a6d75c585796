// Api → OpenAPI 3.0.3 (JSON): what clients of the gateway need, plus x-tollgate settings so that
// importing the export gives back the same Api.
#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>

#include "control/openapi.h"
#include "control/openapi_common.h"
#include "control/openapi_x_tollgate.h"
#include "control/yaml_json.h"

namespace tollgate::control {
namespace json = boost::json;
namespace {

using openapi::kApiKeyScheme;
using openapi::kOAuth2Scheme;

bool UsesApiKey(AuthType a) { return a == AuthType::kApiKey || a == AuthType::kApiKeyOrOAuth2; }
bool UsesOAuth2(AuthType a) { return a == AuthType::kOAuth2 || a == AuthType::kApiKeyOrOAuth2; }

json::array Strings(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

// "getPetsById"-like ids from method and path, unique within the document.
std::string OperationId(const std::string& method, const std::string& path,
                        std::set<std::string>& taken) {
  std::string id = method;
  bool upper = true;
  for (char c : path) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      id += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    } else {
      upper = true;
    }
  }
  if (path == "/") id += "Root";
  std::string unique = id;
  for (int n = 2; !taken.insert(unique).second; ++n) unique = id + std::to_string(n);
  return unique;
}

json::array PathParameters(const std::string& path) {
  json::array params;
  std::set<std::string> names;  // a template may repeat a name: declared once
  size_t pos = 0;
  while ((pos = path.find('{', pos)) != std::string::npos) {
    const size_t close = path.find('}', pos);
    if (close == std::string::npos) break;
    std::string name = path.substr(pos + 1, close - pos - 1);
    pos = close;
    if (!names.insert(name).second) continue;
    params.push_back(json::object{{"name", std::move(name)},
                                  {"in", "path"},
                                  {"required", true},
                                  {"schema", json::object{{"type", "string"}}}});
  }
  return params;
}

json::value Security(const Resource& r) {
  json::array alternatives;
  if (UsesApiKey(r.auth)) alternatives.push_back(json::object{{kApiKeyScheme, json::array()}});
  if (UsesOAuth2(r.auth)) alternatives.push_back(json::object{{kOAuth2Scheme, Strings(r.scopes)}});
  return alternatives;
}

json::object ProblemResponse(std::string_view description) {
  return {{"description", description},
          {"content",
           json::object{
               {"application/problem+json",
                json::object{
                    {"schema", json::object{{"$ref", "#/components/schemas/TollgateProblem"}}}}}}}};
}

json::object Components(const Api& api, const ExportOptions& options) {
  json::object schemes;
  std::set<std::string> scopes;
  bool api_key = false, oauth2 = false;
  for (const Resource& r : api.resources) {
    api_key = api_key || UsesApiKey(r.auth);
    if (UsesOAuth2(r.auth)) {
      oauth2 = true;
      scopes.insert(r.scopes.begin(), r.scopes.end());
    }
  }
  if (api_key) {
    const bool in_query = api.api_key_header.rfind("query:", 0) == 0;
    schemes[kApiKeyScheme] =
        json::object{{"type", "apiKey"},
                     {"in", in_query ? "query" : "header"},
                     {"name", in_query                     ? api.api_key_header.substr(6)
                              : api.api_key_header.empty() ? std::string("apikey")
                                                           : api.api_key_header},
                     {"description", "An API key of an application subscribed to this API."}};
  }
  if (oauth2) {
    json::object scope_map;
    for (const auto& s : scopes) scope_map[s] = "scope " + s;
    schemes[kOAuth2Scheme] = json::object{
        {"type", "oauth2"},
        {"description", "A bearer token of an application subscribed to this API."},
        {"flows",
         json::object{{"clientCredentials", json::object{{"tokenUrl", options.token_url},
                                                         {"scopes", std::move(scope_map)}}}}}};
  }
  json::object unauthorized = ProblemResponse("No valid credential (missing, invalid or expired).");
  unauthorized["headers"] = json::object{
      {"WWW-Authenticate", json::object{{"schema", json::object{{"type", "string"}}}}}};
  json::object too_many =
      ProblemResponse("A rate limit or quota is exhausted; retry after Retry-After seconds.");
  const json::object int_schema{{"schema", json::object{{"type", "integer"}}}};
  const json::object text_schema{{"schema", json::object{{"type", "string"}}}};
  too_many["headers"] = json::object{
      {"Retry-After", int_schema}, {"RateLimit", text_schema}, {"RateLimit-Policy", text_schema}};
  json::object problem_props;
  for (const char* p : {"type", "title", "code", "detail", "field"})
    problem_props[p] = json::object{{"type", "string"}};
  problem_props["status"] = json::object{{"type", "integer"}};
  json::object components{
      {"schemas",
       json::object{{"TollgateProblem",
                     json::object{{"type", "object"},
                                  {"description", "RFC 9457 problem details with a stable code."},
                                  {"required", json::array{"type", "title", "status", "code"}},
                                  {"properties", std::move(problem_props)}}}}},
      {"responses",
       json::object{{"TollgateUnauthorized", std::move(unauthorized)},
                    {"TollgateForbidden",
                     ProblemResponse("The application may not call this (not subscribed, "
                                     "blocked, or missing a scope).")},
                    {"TollgateTooManyRequests", std::move(too_many)}}}};
  if (!schemes.empty()) components["securitySchemes"] = std::move(schemes);
  return components;
}

json::object Operation(const Api& api, const Resource& r, const std::string& method,
                       std::set<std::string>& ids) {
  json::object op{{"operationId", OperationId(method, r.path, ids)}};
  json::array params = PathParameters(r.path);
  if (!params.empty()) op["parameters"] = std::move(params);
  json::object responses{
      {"default", json::object{{"description", "The answer of " + api.name + "."}}}};
  if (r.auth != AuthType::kNone && r.auth != AuthType::kMesh) {
    responses["401"] = json::object{{"$ref", "#/components/responses/TollgateUnauthorized"}};
    responses["403"] = json::object{{"$ref", "#/components/responses/TollgateForbidden"}};
  }
  responses["429"] = json::object{{"$ref", "#/components/responses/TollgateTooManyRequests"}};
  op["responses"] = std::move(responses);
  op["security"] = Security(r);
  if (r.auth == AuthType::kMesh) op[openapi::kAuth] = "mesh";
  if (!UsesOAuth2(r.auth) && !r.scopes.empty()) op[openapi::kScopes] = Strings(r.scopes);
  if (!r.plan.empty()) op[openapi::kPlan] = r.plan;
  return op;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

json::object BuildDocument(const Api& api, const ExportOptions& options) {
  json::object info{{"title", api.name}, {"version", api.version}};
  if (!api.description.empty()) info["description"] = api.description;
  std::string base = options.gateway_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  json::object doc{{"openapi", "3.0.3"},
                   {"info", std::move(info)},
                   {"servers", json::array{json::object{{"url", base + api.context}}}}};
  if (!api.tags.empty()) {
    json::array tags;
    for (const auto& t : api.tags) tags.push_back(json::object{{"name", t}});
    doc["tags"] = std::move(tags);
  }
  // Path items in the order their first resource appears; explicit methods before "*" ones.
  json::object paths;
  std::set<std::string> ids;
  for (const Resource& r : api.resources) {
    if (r.method == "*") continue;
    json::value& item = paths[r.path];
    if (!item.is_object()) item = json::object();
    item.get_object()[Lower(r.method)] = Operation(api, r, Lower(r.method), ids);
  }
  for (const Resource& r : api.resources) {
    if (r.method != "*") continue;
    json::value& item = paths[r.path];
    if (!item.is_object()) item = json::object();
    for (std::string_view m : openapi::kMethods) {
      if (item.get_object().contains(m)) continue;
      json::object op = Operation(api, r, std::string(m), ids);
      op[openapi::kAnyMethod] = true;
      item.get_object()[m] = std::move(op);
    }
  }
  doc["paths"] = std::move(paths);
  doc["components"] = Components(api, options);
  doc[openapi::kRoot] = openapi::WriteRootExtension(api);
  return doc;
}

}  // namespace

std::string ExportOpenApi(const Api& api, std::string_view original_document,
                          const ExportOptions& options) {
  json::object doc = BuildDocument(api, options);
  if (!original_document.empty()) {
    if (auto original = YamlToJson(original_document); original.ok() && original->is_object()) {
      openapi::MergeOriginal(original->get_object(), doc);
    }
  }
  return json::serialize(doc);
}

std::string JsonToYaml(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::string(text);
  return ToYaml(v);
}

}  // namespace tollgate::control
