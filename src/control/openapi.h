// OpenAPI 3.0 / 3.1 ⇄ Api: turning a service's OpenAPI document into a managed API, and describing
// a managed API as an OpenAPI document that clients of the gateway can use. Pure: no I/O.
// The mapping rules (context, upstream, security, x-tollgate extensions, refusals) are documented
// in docs/openapi.md; this header states the contracts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/model.h"
#include "core/status.h"

namespace tollgate::control {

// Values that win over what the document says; empty = take it from the document.
struct ImportOptions {
  std::string name;
  std::string version;
  std::string context;
  std::string upstream;
  // For operations whose `security` has no alternative Tollgate can check (HTTP basic, API keys
  // in cookies, mutualTLS, two credentials at once): this auth instead of refusing the document.
  std::optional<AuthType> fallback_auth;
};

// Parses `document` (YAML or JSON text) as OpenAPI 3.0.x or 3.1.x and builds an Api draft:
// name/version/description from `info`, context and upstream from `servers[0]` (or options or
// `x-tollgate`), one Resource per path × operation with its auth and scopes from `security`,
// Tollgate settings from `x-tollgate` / `x-tollgate-*`. The draft has passed ValidateApi; whether
// its plans exist and its context is free is the Service's business.
// Errors are kInvalid with a stable code and `field` = a JSON pointer into the document, e.g.
// {code "unsupported_security_scheme", field "/paths/~1pets/get/security/0"}. Codes:
// invalid_document, unsupported_openapi_version, missing_field, invalid_field, invalid_server_url,
// missing_upstream, no_operations, invalid_path, conflicting_operations, unknown_security_scheme,
// unsupported_security_scheme, conflicting_api_key_schemes, unsupported_ref, invalid_extension
// (and the codes of ValidateApi, whose `field` is then an Api field such as "name").
Result<Api> ImportOpenApi(std::string_view document, const ImportOptions& options = {});

struct ExportOptions {
  // Base URL of the gateway clients call, e.g. "https://api.example.com"; the server URL is this
  // plus the API's context. Empty: the server URL is the context alone (a relative URL).
  std::string gateway_url;
  // Where clients get OAuth2 tokens (client-credentials grant).
  std::string token_url = "/oauth2/token";
};

// An OpenAPI 3.0.3 JSON document describing `api` as the gateway exposes it: info, servers,
// one operation per resource (operationId, path parameters, its security, 401/403/429 problem
// responses), securitySchemes (apiKey in the API's header or query parameter; oauth2
// client-credentials with the union of scopes) and `x-tollgate` extensions holding every Tollgate
// setting, so that ImportOpenApi(ExportOpenApi(api)) gives back the same Api (ids, lifecycle and
// timestamps aside). When `original_document` (the imported OpenAPI text) is given and parses,
// its operations keep their parameters, bodies, responses and components, and its `openapi`
// version is kept; otherwise the document is built from the Api alone.
std::string ExportOpenApi(const Api& api, std::string_view original_document = {},
                          const ExportOptions& options = {});

// The same document as YAML (block style), for `?format=yaml`. `json` must be valid JSON;
// otherwise the text is returned unchanged.
std::string JsonToYaml(std::string_view json);

}  // namespace tollgate::control
