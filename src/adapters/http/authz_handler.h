// The enforcer's HTTP authorization endpoint (default port 9192), one convention per gateway:
// nginx auth_request, Traefik forwardAuth and Envoy's HTTP ext_authz. Each translates its request
// into one AccessRequest and the Decision back; no decision logic lives here.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "enforce/enforcer.h"
#include "http/lean.h"
#include "http/server.h"

namespace tollgate::adapters::http {

// Routes by the request target's path (query ignored):
//
// /_tollgate/nginx   — nginx `auth_request`. The original request is X-Original-Method (else the
//                      request's own method), X-Original-URI (required) and X-Original-Host (else
//                      Host); the original headers are the request's headers. Allow: 200, empty
//                      body, x-tollgate-* headers and the backend JWT (copied with
//                      auth_request_set), Deprecation / Sunset / RateLimit* for the client and,
//                      when the key came in a query parameter, x-tollgate-uri: the original URI
//                      without it (the config proxies to that URI). Deny: nginx accepts only
//                      2xx/401/403 from a subrequest, so 401 (with WWW-Authenticate) for 401
//                      codes and 403 for everything else, empty body, plus
//                      x-tollgate-status: <true status> and x-tollgate-code: <code name>.
// /_tollgate/denied  — the target of nginx's `error_page 401 403 = @tollgate_denied`: renders the
//                      client answer from request headers X-Tollgate-Status (the true status; 4xx
//                      or 5xx, absent = the code's own status, anything else → 500) and
//                      X-Tollgate-Code (unknown or absent → generic 403), with the problem+json
//                      body, WWW-Authenticate for 401 (X-Tollgate-WWW-Authenticate when passed,
//                      else rendered) and Retry-After from X-Tollgate-Retry-After.
// /_tollgate/traefik — Traefik `forwardAuth`: X-Forwarded-Method, X-Forwarded-Host,
//                      X-Forwarded-Uri (required). Allow: 200, empty, x-tollgate-* headers
//                      (listed in authResponseHeaders). Deny: the true status with the
//                      problem+json body, which Traefik returns to the client.
// /_tollgate/healthz — 200 "ok".
// anything else      — Envoy HTTP ext_authz (`http_service`): the request's method, target
//                      (after `envoy_path_prefix`) and Host are the original's. Allow: 200 with
//                      x-tollgate-* headers (allowed_upstream_headers) and
//                      x-envoy-auth-headers-to-remove naming the credential header and any
//                      client-sent x-tollgate-* header. Deny: the true status, problem+json body,
//                      x-tollgate-code, WWW-Authenticate for 401.
//
// Every convention: the client address is X-Real-IP, else the last X-Forwarded-For entry; the
// principal is the URI of the last x-forwarded-client-cert element, or when it has none, the first
// URI SAN of that element's Cert (the URL-encoded PEM; trust either only from a gateway that
// sanitizes the header, as Envoy does by default). With `explain`, every answer also carries
// x-tollgate-decision: <code>; reason="…".
//
// A missing required original-URI header is a gateway misconfiguration: 500 problem+json with
// code "authz_request_incomplete" (nginx logs it and answers 500).
//
// Copyable; thread-safe; the Enforcer must outlive it.
struct AuthzOptions {
  // The `path_prefix` configured in Envoy's http_service, stripped from the target before
  // deciding (e.g. "/_tollgate/envoy"); empty = none. With an empty prefix an API whose context
  // starts with /_tollgate/ would collide with the endpoints above: use a prefix.
  std::string envoy_path_prefix;
  bool explain = false;      // add x-tollgate-decision to every answer (serve --explain)
  bool log_denials = false;  // one stderr line per denied decision (serve --debug)
};

class AuthzHandler {
 public:
  explicit AuthzHandler(const enforce::Enforcer& enforcer, AuthzOptions options = {});
  AuthzHandler(const enforce::Enforcer& enforcer, std::string envoy_path_prefix)
      : AuthzHandler(enforcer, AuthzOptions{std::move(envoy_path_prefix)}) {}

  // The lean path (http/lean_server.h): no allocation beyond the answer's own values.
  void operator()(const tollgate::http::RequestHead& request,
                  tollgate::http::ResponseSink& sink) const;

  // The same on Beast messages (for http::Server and tests); sets Content-Length.
  tollgate::http::Response operator()(const tollgate::http::Request& request,
                                      const tollgate::http::RequestContext& context) const;

 private:
  void Nginx(const tollgate::http::RequestHead& request, tollgate::http::ResponseSink& sink) const;
  void Traefik(const tollgate::http::RequestHead& request,
               tollgate::http::ResponseSink& sink) const;
  void Envoy(const tollgate::http::RequestHead& request, tollgate::http::ResponseSink& sink) const;

  const enforce::Enforcer* enforcer_;
  AuthzOptions options_;
};

// The value of `lower_key` ("uri", "cert", "hash", …) in the last element of an
// x-forwarded-client-cert header (Envoy's format), or empty; XfccUri(x) = XfccValue(x, "uri").
// Exposed for tests.
std::string_view XfccValue(std::string_view xfcc, std::string_view lower_key);
std::string_view XfccUri(std::string_view xfcc);

}  // namespace tollgate::adapters::http
