// Management routes of OAuth clients, issuers, external clients and signing keys under /api/v1;
// the protocol endpoints are in oauth_endpoints.cc.
#include "adapters/rest/oauth_routes.h"

#include "adapters/rest/replies.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <utility>

#include "adapters/rest/json_mapping.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;
namespace beast_http = boost::beast::http;
using beast_http::verb;
using tollgate::http::PathParams;
using tollgate::http::Request;
using tollgate::http::Response;

namespace {

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
  json::object o{
      {"kid", k.kid},         {"alg", k.alg},         {"createdAt", FormatTime(k.created_at)},
      {"retiredAt", nullptr}, {"expiresAt", nullptr}, {"active", !k.retired_at.has_value()}};
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

Response JsonReply(const Request& req, unsigned status, const json::value& body,
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
  return JsonReply(req, status, ToJson(*result));
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
  return JsonReply(req, 200, json::object{{"items", std::move(items)}, {"total", total}});
}

Result<json::object> ParseJsonBody(const Request& req) {
  if (req.body().empty()) return json::object();
  boost::system::error_code ec;
  json::value v = json::parse(req.body(), ec);
  if (ec) {
    return Error{
        ErrorKind::kInvalid, "invalid_json", "the body is not valid JSON: " + ec.message(), {}};
  }
  if (!v.is_object()) return Invalid("", "the body must be a JSON object", "invalid_body");
  return std::move(v.get_object());
}

Result<Issuer> IssuerFromJson(const json::object& o) {
  Issuer issuer;
  for (auto [name, target] : {std::pair{"name", &issuer.name},
                              {"issuer", &issuer.issuer},
                              {"jwksUri", &issuer.jwks_uri},
                              {"discoveryUrl", &issuer.discovery_url},
                              {"audience", &issuer.audience},
                              {"clientClaim", &issuer.client_claim}}) {
    auto value = StringField(o, name);
    if (!value.ok()) return value.error();
    *target = std::move(value.value());
  }
  return issuer;
}

}  // namespace

void AddOAuthRoutes(tollgate::http::Router& router, const AuthedRoute& route,
                    control::Service& service) {
  using R = const Request&;
  using A = const PathParams&;
  using P = const control::Principal&;
  control::Service* s = &service;

  AddOAuthProtocolRoutes(router, service);

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
    return JsonReply(req, 201, IssuedClientJson(*issued));
  });
  route(verb::delete_, "/api/v1/applications/{id}/oauth-clients/{clientId}",
        [s](P who, R req, A params) {
          return Reply(req, s->DeleteOAuthClient(who, params.Get("id"), params.Get("clientId")));
        });
  route(verb::post, "/api/v1/applications/{id}/oauth-clients/{clientId}/secret",
        [s](P who, R req, A params) {
          auto issued =
              s->RegenerateOAuthClientSecret(who, params.Get("id"), params.Get("clientId"));
          if (!issued.ok()) return ErrorResponse(req, issued.error());
          return JsonReply(req, 200, IssuedClientJson(*issued));
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
    return Reply(req,
                 s->CreateExternalClient(who, params.Get("id"), std::move(issuer_id.value()),
                                         std::move(client_id.value())),
                 201);
  });
  route(verb::delete_, "/api/v1/applications/{id}/external-clients/{extId}",
        [s](P who, R req, A params) {
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
    return JsonReply(req, 200,
                        json::object{{"items", std::move(items)},
                                     {"total", result->total},
                                     {"offset", page->offset},
                                     {"limit", page->limit}});
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
