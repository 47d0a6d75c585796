// Routes of the key manager (OAuth2 protocol endpoints) and of OAuth clients, issuers, external
// clients and signing keys under /api/v1.
#include "adapters/rest/oauth_routes.h"

#include <map>
#include <utility>

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>

#include "adapters/rest/json_mapping.h"
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

constexpr const char* kJwksCacheControl = "public, max-age=300";

// --- Shapes.

json::object ToJson(const OAuthClient& c) {  // never carries the secret or its hash
  return {{"id", c.id},
          {"clientId", c.client_id},
          {"applicationId", c.application_id},
          {"name", c.name},
          {"createdAt", FormatTime(c.created_at)}};
}

json::object ToJson(const Issuer& i) {
  return {{"id", i.id},
          {"name", i.name},
          {"issuer", i.issuer},
          {"jwksUri", i.jwks_uri},
          {"discoveryUrl", i.discovery_url},
          {"audience", i.audience},
          {"clientClaim", i.client_claim},
          {"createdAt", FormatTime(i.created_at)}};
}

json::object ToJson(const ExternalClient& e) {
  return {{"id", e.id},
          {"applicationId", e.application_id},
          {"issuerId", e.issuer_id},
          {"clientId", e.client_id},
          {"createdAt", FormatTime(e.created_at)}};
}

json::object ToJson(const SigningKey& k) {  // public parts only
  json::object o{{"kid", k.kid},
                 {"alg", k.alg},
                 {"createdAt", FormatTime(k.created_at)},
                 {"retiredAt", nullptr},
                 {"expiresAt", nullptr},
                 {"active", !k.retired_at.has_value()}};
  if (k.retired_at) o["retiredAt"] = FormatTime(*k.retired_at);
  if (k.expires_at) o["expiresAt"] = FormatTime(*k.expires_at);
  boost::system::error_code ec;
  json::value jwk = json::parse(k.public_jwk, ec);
  o["publicJwk"] = ec ? json::value(nullptr) : std::move(jwk);
  return o;
}

json::object IssuedClientJson(const control::IssuedClient& issued) {
  json::object o = ToJson(issued.record);
  o["clientSecret"] = issued.secret;  // shown this once; only its hash is stored
  return o;
}

// --- Replies of the management routes (problem+json errors).

unsigned StatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid: return 400;
    case ErrorKind::kUnauthenticated: return 401;
    case ErrorKind::kForbidden: return 403;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

Response ErrorResponse(const Request& req, const Error& e) {
  return tollgate::http::Problem(StatusFor(e.kind), e.code, e.message, e.field, req.version());
}

Response JsonResponse(const Request& req, unsigned status, const json::value& body,
                      const char* cache_control = "no-store") {
  Response res{static_cast<beast_http::status>(status), req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.set(beast_http::field::cache_control, cache_control);
  res.body() = json::serialize(body);
  res.content_length(res.body().size());
  return res;
}

template <class T>
Response Reply(const Request& req, const Result<T>& result, unsigned status = 200) {
  if (!result.ok()) return ErrorResponse(req, result.error());
  return JsonResponse(req, status, ToJson(*result));
}

Response Reply(const Request& req, const Status& status) {
  if (!status.ok()) return ErrorResponse(req, status.error());
  return Response{beast_http::status::no_content, req.version()};
}

template <class T>
Response ReplyList(const Request& req, const Result<std::vector<T>>& result) {
  if (!result.ok()) return ErrorResponse(req, result.error());
  json::array items;
  for (const T& item : *result) items.push_back(ToJson(item));
  const auto total = static_cast<int64_t>(items.size());
  return JsonResponse(req, 200, json::object{{"items", std::move(items)}, {"total", total}});
}

Result<json::object> ParseJsonBody(const Request& req) {
  if (req.body().empty()) return json::object();
  boost::system::error_code ec;
  json::value v = json::parse(req.body(), ec);
  if (ec) {
    return Error{ErrorKind::kInvalid, "invalid_json", "the body is not valid JSON: " + ec.message(), {}};
  }
  if (!v.is_object()) return Invalid("", "the body must be a JSON object", "invalid_body");
  return std::move(v.get_object());
}

// ?offset=&limit= like every list route; bad numbers are errors naming the parameter.
Result<store::PageRequest> PageFrom(const Request& req) {
  store::PageRequest page;
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return page;
  for (auto param : url->params()) {
    int64_t* target = param.key == "offset" ? &page.offset : param.key == "limit" ? &page.limit : nullptr;
    if (target == nullptr) continue;
    try {
      size_t used = 0;
      *target = std::stoll(std::string(param.value), &used);
      if (used != param.value.size() || *target < 0) throw std::invalid_argument("");
    } catch (const std::exception&) {
      return Invalid(std::string(param.key), std::string(param.key) + " must be a non-negative integer",
                     "invalid_query");
    }
  }
  if (page.limit < 1 || page.limit > 500) return Invalid("limit", "limit is between 1 and 500", "invalid_query");
  return page;
}

Result<Issuer> IssuerFromJson(const json::object& o) {
  Issuer issuer;
  for (auto [name, target] : {std::pair{"name", &issuer.name}, {"issuer", &issuer.issuer},
                              {"jwksUri", &issuer.jwks_uri}, {"discoveryUrl", &issuer.discovery_url},
                              {"audience", &issuer.audience}, {"clientClaim", &issuer.client_claim}}) {
    auto value = StringField(o, name);
    if (!value.ok()) return value.error();
    *target = std::move(value.value());
  }
  return issuer;
}

// --- The protocol endpoints: OAuth errors (RFC 6749 §5.2), form bodies.

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
  Response res = JsonResponse(req, status, json::object{{"error", code}, {"error_description", e.message}});
  res.set(beast_http::field::pragma, "no-cache");
  if (status == 401) res.set(beast_http::field::www_authenticate, "Basic realm=\"tollgate\", charset=\"UTF-8\"");
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
    if (value.size() <= kBasic.size() || !boost::beast::iequals(value.substr(0, kBasic.size()), kBasic)) {
      return Error{ErrorKind::kUnauthenticated, "invalid_client", "use HTTP Basic client authentication", {}};
    }
    if (in_body) return InvalidRequest("use one client authentication method, not two");
    auto decoded = crypto::Base64Decode(value.substr(kBasic.size()));
    const size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return Error{ErrorKind::kUnauthenticated, "invalid_client", "malformed Basic credentials", {}};
    }
    auto id = boost::urls::make_pct_string_view(std::string_view(*decoded).substr(0, colon));
    auto secret = boost::urls::make_pct_string_view(std::string_view(*decoded).substr(colon + 1));
    if (!id || !secret) {
      return Error{ErrorKind::kUnauthenticated, "invalid_client", "malformed Basic credentials", {}};
    }
    out.client_id = FormDecode(*id);
    out.client_secret = FormDecode(*secret);
    const std::string body_id = FormGet(form, "client_id");
    if (!body_id.empty() && body_id != out.client_id) return InvalidRequest("client_id differs from the Basic credentials");
    return out;
  }
  out.client_id = FormGet(form, "client_id");
  out.client_secret = FormGet(form, "client_secret");
  if (out.client_id.empty()) {
    return Error{ErrorKind::kUnauthenticated, "invalid_client", "client authentication is required", {}};
  }
  return out;
}

std::string BaseUrl(const control::KeyManager& km) {
  std::string base = km.options().issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

Error NoKeyManager() {
  return Error{ErrorKind::kUnavailable, "temporarily_unavailable", "the key manager is not running here", {}};
}

json::array ToArray(const std::vector<std::string>& items) {
  json::array out;
  for (const std::string& s : items) out.emplace_back(s);
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

Response Token(control::Service& service, const Request& req) {
  control::KeyManager* km = service.key_manager();
  if (km == nullptr) return OAuthErrorResponse(req, NoKeyManager());
  auto form = ParseForm(req);
  if (!form.ok()) return OAuthErrorResponse(req, form.error());
  auto client = ClientFrom(req, *form);
  if (!client.ok()) return OAuthErrorResponse(req, client.error());
  control::TokenRequest request;
  request.grant_type = FormGet(*form, "grant_type");
  request.client = std::move(client.value());
  if (auto it = form->find("scope"); it != form->end()) request.scope = it->second;
  request.audience = FormGet(*form, "audience");
  if (request.audience.empty()) request.audience = FormGet(*form, "resource");
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
  control::KeyManager* km = service.key_manager();
  if (km == nullptr) return OAuthErrorResponse(req, NoKeyManager());
  auto form = ParseForm(req);
  if (!form.ok()) return OAuthErrorResponse(req, form.error());
  auto client = ClientFrom(req, *form);
  if (!client.ok()) return OAuthErrorResponse(req, client.error());
  const std::string token = FormGet(*form, "token");
  if (token.empty()) return OAuthErrorResponse(req, InvalidRequest("token is required"));
  auto answer = km->Introspect(*client, token);
  if (!answer.ok()) return OAuthErrorResponse(req, answer.error());
  if (!answer->active) return JsonResponse(req, 200, json::object{{"active", false}});
  json::object body{{"active", true},
                    {"client_id", answer->client_id},
                    {"sub", answer->sub},
                    {"iss", answer->iss},
                    {"exp", answer->exp},
                    {"iat", answer->iat},
                    {"nbf", answer->nbf},
                    {"jti", answer->jti},
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
  control::KeyManager* km = service.key_manager();
  if (km == nullptr) return OAuthErrorResponse(req, NoKeyManager());
  auto form = ParseForm(req);
  if (!form.ok()) return OAuthErrorResponse(req, form.error());
  auto client = ClientFrom(req, *form);
  if (!client.ok()) return OAuthErrorResponse(req, client.error());
  const std::string token = FormGet(*form, "token");
  if (token.empty()) return OAuthErrorResponse(req, InvalidRequest("token is required"));
  if (auto s = km->Revoke(*client, token); !s.ok()) return OAuthErrorResponse(req, s.error());
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
  res.set(beast_http::field::cache_control, kJwksCacheControl);
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
  return JsonResponse(req, 200, body, kJwksCacheControl);
}

}  // namespace

void AddOAuthRoutes(tollgate::http::Router& router, const AuthedRoute& route,
                    control::Service& service) {
  using R = const Request&;
  using C = const RequestContext&;
  using A = const PathParams&;
  using P = const control::Principal&;
  control::Service* s = &service;

  router.Add(verb::post, "/oauth2/token", [s](R req, C, A) { return Token(*s, req); });
  router.Add(verb::post, "/oauth2/introspect", [s](R req, C, A) { return Introspect(*s, req); });
  router.Add(verb::post, "/oauth2/revoke", [s](R req, C, A) { return Revoke(*s, req); });
  router.Add(verb::get, "/oauth2/jwks", [s](R req, C, A) { return Jwks(*s, req); });
  router.Add(verb::get, "/.well-known/oauth-authorization-server",
             [s](R req, C, A) { return Metadata(*s, req); });

  // OAuth clients of an application.
  route(verb::get, "/api/v1/applications/{id}/oauth-clients", [s](P who, R req, A params) {
    return ReplyList(req, s->ListOAuthClients(who, params.Get("id")));
  });
  route(verb::post, "/api/v1/applications/{id}/oauth-clients", [s](P who, R req, A params) {
    auto body = ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto name = StringField(*body, "name");
    if (!name.ok()) return ErrorResponse(req, name.error());
    auto issued = s->CreateOAuthClient(who, params.Get("id"), std::move(name.value()));
    if (!issued.ok()) return ErrorResponse(req, issued.error());
    return JsonResponse(req, 201, IssuedClientJson(*issued));
  });
  route(verb::delete_, "/api/v1/applications/{id}/oauth-clients/{clientId}", [s](P who, R req, A params) {
    return Reply(req, s->DeleteOAuthClient(who, params.Get("id"), params.Get("clientId")));
  });
  route(verb::post, "/api/v1/applications/{id}/oauth-clients/{clientId}/secret", [s](P who, R req, A params) {
    auto issued = s->RegenerateOAuthClientSecret(who, params.Get("id"), params.Get("clientId"));
    if (!issued.ok()) return ErrorResponse(req, issued.error());
    return JsonResponse(req, 200, IssuedClientJson(*issued));
  });

  // External clients of an application.
  route(verb::get, "/api/v1/applications/{id}/external-clients", [s](P who, R req, A params) {
    return ReplyList(req, s->ListExternalClients(who, params.Get("id")));
  });
  route(verb::post, "/api/v1/applications/{id}/external-clients", [s](P who, R req, A params) {
    auto body = ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto issuer_id = StringField(*body, "issuerId");
    if (!issuer_id.ok()) return ErrorResponse(req, issuer_id.error());
    auto client_id = StringField(*body, "clientId");
    if (!client_id.ok()) return ErrorResponse(req, client_id.error());
    return Reply(req, s->CreateExternalClient(who, params.Get("id"), std::move(issuer_id.value()),
                                              std::move(client_id.value())),
                 201);
  });
  route(verb::delete_, "/api/v1/applications/{id}/external-clients/{extId}", [s](P who, R req, A params) {
    return Reply(req, s->DeleteExternalClient(who, params.Get("id"), params.Get("extId")));
  });

  // Issuers (admin).
  route(verb::get, "/api/v1/issuers", [s](P who, R req, A) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    auto result = s->ListIssuers(who, *page);
    if (!result.ok()) return ErrorResponse(req, result.error());
    json::array items;
    for (const Issuer& i : result->items) items.push_back(ToJson(i));
    return JsonResponse(req, 200, json::object{{"items", std::move(items)}, {"total", result->total},
                                               {"offset", page->offset}, {"limit", page->limit}});
  });
  route(verb::post, "/api/v1/issuers", [s](P who, R req, A) {
    auto body = ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = IssuerFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return Reply(req, s->CreateIssuer(who, std::move(draft.value())), 201);
  });
  route(verb::get, "/api/v1/issuers/{id}",
        [s](P who, R req, A params) { return Reply(req, s->GetIssuer(who, params.Get("id"))); });
  route(verb::put, "/api/v1/issuers/{id}", [s](P who, R req, A params) {
    auto body = ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = IssuerFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return Reply(req, s->UpdateIssuer(who, params.Get("id"), std::move(draft.value())));
  });
  route(verb::delete_, "/api/v1/issuers/{id}",
        [s](P who, R req, A params) { return Reply(req, s->DeleteIssuer(who, params.Get("id"))); });

  // Signing keys (admin).
  route(verb::get, "/api/v1/signing-keys",
        [s](P who, R req, A) { return ReplyList(req, s->ListSigningKeys(who)); });
  route(verb::post, "/api/v1/signing-keys/rotate",
        [s](P who, R req, A) { return Reply(req, s->RotateSigningKey(who), 201); });
}

}  // namespace tollgate::adapters::rest
