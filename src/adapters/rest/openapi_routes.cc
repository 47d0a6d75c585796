// OpenAPI routes of the management API: POST /api/v1/apis/import (an OpenAPI 3.0/3.1 document,
// JSON or YAML, becomes an API) and GET /api/v1/apis/{id}/openapi (the API as OpenAPI).
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <map>

#include "adapters/rest/json_mapping.h"
#include "adapters/rest/management_api.h"
#include "adapters/rest/replies.h"
#include "control/openapi.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;
namespace beast_http = boost::beast::http;
using beast_http::verb;

namespace {

tollgate::http::Response Text(const tollgate::http::Request& req, unsigned status,
                              std::string_view type, std::string body) {
  tollgate::http::Response res{static_cast<beast_http::status>(status), req.version()};
  res.set(beast_http::field::content_type, type);
  res.set(beast_http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

std::map<std::string, std::string> Query(const tollgate::http::Request& req) {
  std::map<std::string, std::string> out;
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return out;
  for (auto param : url->params()) out.emplace(std::string(param.key), std::string(param.value));
  return out;
}

// application/json, application/yaml, application/x-yaml, text/yaml, text/x-yaml (parameters
// such as charset ignored); no Content-Type is accepted too (the body tells).
bool AcceptedType(const tollgate::http::Request& req) {
  auto it = req.find(beast_http::field::content_type);
  if (it == req.end()) return true;
  std::string type(it->value().substr(0, it->value().find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json" || type == "application/yaml" || type == "application/x-yaml" ||
         type == "text/yaml" || type == "text/x-yaml" || type == "application/openapi+json" ||
         type == "application/openapi+yaml";
}

// Removes every "x-tollgate…" member, at any depth: what developers may not see.
void StripTollgateExtensions(json::value& value) {
  if (auto* object = value.if_object()) {
    for (auto it = object->begin(); it != object->end();) {
      if (it->key().starts_with("x-tollgate")) {
        it = object->erase(it);
      } else {
        StripTollgateExtensions(it->value());
        ++it;
      }
    }
  } else if (auto* array = value.if_array()) {
    for (json::value& item : *array) StripTollgateExtensions(item);
  }
}

}  // namespace

void ManagementApi::AddOpenApiRoutes() {
  using P = const control::Principal&;
  using R = const tollgate::http::Request&;
  using A = const tollgate::http::PathParams&;
  // ?name= &version= &context= &upstream= override the document; ?fallbackAuth=apiKey|oauth2|none
  // stands in for security Tollgate cannot check; ?dryRun=true answers 200 with the API that would
  // be created, without creating it.
  Route(verb::post, "/api/v1/apis/import", [this](P who, R req, A) {
    if (!AcceptedType(req)) {
      return tollgate::http::Problem(
          415, "unsupported_media_type",
          "send the OpenAPI document as application/json or application/yaml", "", req.version());
    }
    auto query = Query(req);
    control::ImportOptions options;
    options.name = query["name"];
    options.version = query["version"];
    options.context = query["context"];
    options.upstream = query["upstream"];
    if (const std::string& fallback = query["fallbackAuth"]; !fallback.empty()) {
      options.fallback_auth = ParseAuthType(fallback);
      if (!options.fallback_auth) {
        return ErrorResponse(req, Invalid("fallbackAuth",
                                 "fallbackAuth is apiKey, oauth2, apiKeyOrOAuth2, mesh or none",
                                 "invalid_query"));
      }
    }
    if (req.body().empty()) {
      return ErrorResponse(req, Invalid("", "the body is an OpenAPI 3.0 or 3.1 document (JSON or YAML)",
                               "invalid_document"));
    }
    auto draft = control::ImportOpenApi(req.body(), options);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    if (query["dryRun"] == "true") {
      return Text(req, 200, "application/json", json::serialize(ToJson(*draft)));
    }
    auto created = service_.CreateApi(who, std::move(draft.value()));
    if (!created.ok()) return ErrorResponse(req, created.error());
    return Text(req, 201, "application/json", json::serialize(ToJson(*created)));
  });
  // The developer portal's view of a catalog API as OpenAPI: the same document without Tollgate's
  // settings (no x-tollgate extensions, so no upstream address). Every signed-in user, for
  // PUBLISHED and DEPRECATED APIs; ?format and ?server as below.
  Route(verb::get, "/api/v1/catalog/{apiId}/openapi", [this](P who, R req, A params) {
    auto entry = service_.GetCatalogEntry(who, params.Get("apiId"));
    if (!entry.ok()) return ErrorResponse(req, entry.error());
    auto query = Query(req);
    if (!query["format"].empty() && query["format"] != "json" && query["format"] != "yaml") {
      return ErrorResponse(req, Invalid("format", "format is json or yaml", "invalid_query"));
    }
    control::ExportOptions options;
    options.gateway_url = query["server"];
    json::value doc = json::parse(control::ExportOpenApi(entry->api, {}, options));
    StripTollgateExtensions(doc);
    const std::string text = json::serialize(doc);
    if (query["format"] == "yaml") return Text(req, 200, "application/yaml", control::JsonToYaml(text));
    return Text(req, 200, "application/json", text);
  });
  // ?format=yaml for YAML; ?server=https://api.example.com for the gateway's base URL (default:
  // the context alone, a relative server URL).
  Route(verb::get, "/api/v1/apis/{id}/openapi", [this](P who, R req, A params) {
    auto api = service_.GetApi(who, params.Get("id"));
    if (!api.ok()) return ErrorResponse(req, api.error());
    auto query = Query(req);
    control::ExportOptions options;
    options.gateway_url = query["server"];
    const std::string doc = control::ExportOpenApi(*api, {}, options);
    if (query["format"] == "yaml")
      return Text(req, 200, "application/yaml", control::JsonToYaml(doc));
    if (!query["format"].empty() && query["format"] != "json") {
      return ErrorResponse(req, Invalid("format", "format is json or yaml", "invalid_query"));
    }
    return Text(req, 200, "application/json", doc);
  });
}

}  // namespace tollgate::adapters::rest
