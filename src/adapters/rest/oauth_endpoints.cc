// The key manager's OAuth2 protocol endpoints: token (RFC 6749), JWKS (RFC 7517), metadata
// (RFC 8414), introspection (RFC 7662), revocation (RFC 7009). Form bodies in, OAuth errors out.
#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse_query.hpp>
#include <map>
#include <utility>

#include "adapters/rest/json_mapping.h"
#include "adapters/rest/oauth_routes.h"
#include "control/key_manager.h"
#include "crypto/crypto.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;
namespace beast_http = boost::beast::http;
using beast_http::verb;
using tollgate::http::PathParams;
using tollgate::http::Request;
using tollgate::http::RequestContext;
using tollgate::http::Response;

namespace {

constexpr const char* kPublicCache = "public, max-age=300";

Response JsonResponse(const Request& req, unsigned status, const json::value& body,
                      const char* cache_control = "no-store") {
  Response res{static_cast<beast_http::status>(status), req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.set(beast_http::field::cache_control, cache_control);
  res.body() = json::serialize(body);
  res.content_length(res.body().size());
  return res;
}

Response OAuthErrorResponse(const Request& req, const Error& e) {
  unsigned status = 400;
  std::string code = e.code;
  if (e.kind == ErrorKind::kUnauthenticated) {
    status = 401;
    code = "invalid_client";
  } else if (e.kind == ErrorKind::kUnavailable) {
    status = 503;
    code = "temporarily_unavailable";
  } else if (e.kind != ErrorKind::kInvalid) {
    status = 500;
    code = "server_error";
  }
  Response res =
      JsonResponse(req, status, json::object{{"error", code}, {"error_description", e.message}});
  res.set(beast_http::field::pragma, "no-cache");
  if (status == 401)
    res.set(beast_http::field::www_authenticate, "Basic realm=\"tollgate\", charset=\"UTF-8\"");
  return res;
}

Error InvalidRequest(std::string description) {
  return Error{ErrorKind::kInvalid, "invalid_request", std::move(description), {}};
}

std::string FormDecode(boost::urls::pct_string_view text) {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  return text.decode(opts);
}

using Form = std::map<std::string, std::string, std::less<>>;

// An application/x-www-form-urlencoded body; a parameter may appear once (RFC 6749 §3.2).
Result<Form> ParseForm(const Request& req) {
  auto type = req.find(beast_http::field::content_type);
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  if (type == req.end() || type->value().size() < kForm.size() ||
      !boost::beast::iequals(type->value().substr(0, kForm.size()), kForm)) {
    return InvalidRequest("the body must be application/x-www-form-urlencoded");
  }
  auto params = boost::urls::parse_query(req.body());
  if (!params) return InvalidRequest("the form body is malformed");
  Form form;
  for (auto param : *params) {
    std::string key = FormDecode(param.key);
    if (key.empty()) continue;
    if (!form.emplace(std::move(key), param.has_value ? FormDecode(param.value) : "").second) {
      return InvalidRequest("a parameter appears more than once");
    }
  }
  return form;
}

std::string FormGet(const Form& form, std::string_view name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

// client_secret_basic (Authorization: Basic, form-encoded id and secret, RFC 6749 §2.3.1) or
// client_secret_post (client_id / client_secret in the body); both at once is refused.
Result<control::ClientCredentials> ClientFrom(const Request& req, const Form& form) {
  control::ClientCredentials out;
  const bool in_body = form.count("client_secret") > 0;
  auto header = req.find(beast_http::field::authorization);
  if (header != req.end()) {
    std::string_view value = header->value();
    constexpr std::string_view kBasic = "Basic ";
    if (value.size() <= kBasic.size() ||
        !boost::beast::iequals(value.substr(0, kBasic.size()), kBasic)) {
      return Error{ErrorKind::kUnauthenticated,
                   "invalid_client",
                   "use HTTP Basic client authentication",
                   {}};
    }
    if (in_body) return InvalidRequest("use one client authentication method, not two");
    auto decoded = crypto::Base64Decode(value.substr(kBasic.size()));
    const size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return Error{
          ErrorKind::kUnauthenticated, "invalid_client", "malformed Basic credentials", {}};
    }
    auto id = boost::urls::make_pct_string_view(std::string_view(*decoded).substr(0, colon));
    auto secret = boost::urls::make_pct_string_view(std::string_view(*decoded).substr(colon + 1));
    if (!id || !secret) {
      return Error{
          ErrorKind::kUnauthenticated, "invalid_client", "malformed Basic credentials", {}};
    }
    out.client_id = FormDecode(*id);
    out.client_secret = FormDecode(*secret);
    const std::string body_id = FormGet(form, "client_id");
    if (!body_id.empty() && body_id != out.client_id)
      return InvalidRequest("client_id differs from the Basic credentials");
    return out;
  }
  out.client_id = FormGet(form, "client_id");
  out.client_secret = FormGet(form, "client_secret");
  if (out.client_id.empty()) {
    return Error{
        ErrorKind::kUnauthenticated, "invalid_client", "client authentication is required", {}};
  }
  return out;
}

std::string BaseUrl(const control::KeyManager& km) {
  std::string base = km.options().issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

Error NoKeyManager() {
  return Error{ErrorKind::kUnavailable,
               "temporarily_unavailable",
               "the key manager is not running here",
               {}};
}

// What every client-authenticated endpoint (token, introspect, revoke) starts from.
struct ClientCall {
  control::KeyManager* key_manager = nullptr;
  Form form;
  control::ClientCredentials client;
};
Result<ClientCall> ClientCallFrom(control::Service& service, const Request& req) {
  ClientCall call;
  call.key_manager = service.key_manager();
  if (call.key_manager == nullptr) return NoKeyManager();
  auto form = ParseForm(req);
  if (!form.ok()) return form.error();
  auto client = ClientFrom(req, *form);
  if (!client.ok()) return client.error();
  call.form = std::move(form.value());
  call.client = std::move(client.value());
  return call;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

Response Token(control::Service& service, const Request& req) {
  auto call = ClientCallFrom(service, req);
  if (!call.ok()) return OAuthErrorResponse(req, call.error());
  control::KeyManager* km = call->key_manager;
  const Form& form = call->form;
  control::TokenRequest request;
  request.grant_type = FormGet(form, "grant_type");
  request.client = std::move(call->client);
  if (auto it = form.find("scope"); it != form.end()) request.scope = it->second;
  request.audience = FormGet(form, "audience");
  if (request.audience.empty()) request.audience = FormGet(form, "resource");
  auto issued = km->IssueToken(request);
  if (!issued.ok()) return OAuthErrorResponse(req, issued.error());
  json::object body{{"access_token", issued->access_token},
                    {"token_type", "Bearer"},
                    {"expires_in", issued->expires_in}};
  if (!issued->scopes.empty()) body["scope"] = Join(issued->scopes);
  Response res = JsonResponse(req, 200, body);
  res.set(beast_http::field::pragma, "no-cache");
  return res;
}

Response Introspect(control::Service& service, const Request& req) {
  auto call = ClientCallFrom(service, req);
  if (!call.ok()) return OAuthErrorResponse(req, call.error());
  control::KeyManager* km = call->key_manager;
  const Form& form = call->form;
  const std::string token = FormGet(form, "token");
  if (token.empty()) return OAuthErrorResponse(req, InvalidRequest("token is required"));
  auto answer = km->Introspect(call->client, token);
  if (!answer.ok()) return OAuthErrorResponse(req, answer.error());
  if (!answer->active) return JsonResponse(req, 200, json::object{{"active", false}});
  json::object body{{"active", true},        {"client_id", answer->client_id},
                    {"sub", answer->sub},    {"iss", answer->iss},
                    {"exp", answer->exp},    {"iat", answer->iat},
                    {"nbf", answer->nbf},    {"jti", answer->jti},
                    {"token_type", "Bearer"}};
  if (answer->aud.size() == 1) {
    body["aud"] = answer->aud.front();
  } else if (!answer->aud.empty()) {
    body["aud"] = ToArray(answer->aud);
  }
  if (!answer->scopes.empty()) body["scope"] = Join(answer->scopes);
  return JsonResponse(req, 200, body);
}

Response Revoke(control::Service& service, const Request& req) {
  auto call = ClientCallFrom(service, req);
  if (!call.ok()) return OAuthErrorResponse(req, call.error());
  control::KeyManager* km = call->key_manager;
  const Form& form = call->form;
  const std::string token = FormGet(form, "token");
  if (token.empty()) return OAuthErrorResponse(req, InvalidRequest("token is required"));
  if (auto s = km->Revoke(call->client, token); !s.ok()) return OAuthErrorResponse(req, s.error());
  Response res{beast_http::status::ok, req.version()};
  res.set(beast_http::field::cache_control, "no-store");
  res.content_length(0);
  return res;
}

Response Jwks(control::Service& service, const Request& req) {
  control::KeyManager* km = service.key_manager();
  if (km == nullptr) return OAuthErrorResponse(req, NoKeyManager());
  auto jwks = km->Jwks();
  if (!jwks.ok()) return OAuthErrorResponse(req, jwks.error());
  Response res{beast_http::status::ok, req.version()};
  res.set(beast_http::field::content_type, "application/jwk-set+json");
  res.set(beast_http::field::cache_control, kPublicCache);
  res.body() = std::move(jwks.value());
  res.content_length(res.body().size());
  return res;
}

// RFC 8414 authorization server metadata.
Response Metadata(control::Service& service, const Request& req) {
  control::KeyManager* km = service.key_manager();
  if (km == nullptr) return OAuthErrorResponse(req, NoKeyManager());
  auto scopes = km->SupportedScopes();
  if (!scopes.ok()) return OAuthErrorResponse(req, scopes.error());
  const std::string base = BaseUrl(*km);
  const json::array auth_methods{"client_secret_basic", "client_secret_post"};
  json::object body{{"issuer", km->options().issuer},
                    {"token_endpoint", base + "/oauth2/token"},
                    {"jwks_uri", base + "/oauth2/jwks"},
                    {"introspection_endpoint", base + "/oauth2/introspect"},
                    {"revocation_endpoint", base + "/oauth2/revoke"},
                    {"grant_types_supported", json::array{"client_credentials"}},
                    {"response_types_supported", json::array{}},
                    {"token_endpoint_auth_methods_supported", auth_methods},
                    {"introspection_endpoint_auth_methods_supported", auth_methods},
                    {"revocation_endpoint_auth_methods_supported", auth_methods},
                    {"scopes_supported", ToArray(*scopes)}};
  return JsonResponse(req, 200, body, kPublicCache);
}

}  // namespace

void AddOAuthProtocolRoutes(tollgate::http::Router& router, control::Service& service) {
  using R = const Request&;
  using C = const RequestContext&;
  using A = const PathParams&;
  control::Service* s = &service;
  router.Add(verb::post, "/oauth2/token", [s](R req, C, A) { return Token(*s, req); });
  router.Add(verb::post, "/oauth2/introspect", [s](R req, C, A) { return Introspect(*s, req); });
  router.Add(verb::post, "/oauth2/revoke", [s](R req, C, A) { return Revoke(*s, req); });
  router.Add(verb::get, "/oauth2/jwks", [s](R req, C, A) { return Jwks(*s, req); });
  router.Add(verb::get, "/.well-known/oauth-authorization-server",
             [s](R req, C, A) { return Metadata(*s, req); });
}

}  // namespace tollgate::adapters::rest
