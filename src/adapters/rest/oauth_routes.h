// REST routes of the OAuth2 key manager and of external identity providers:
// - the authorization server's protocol endpoints (RFC 6749 token, RFC 7517 JWKS, RFC 8414
//   metadata, RFC 7662 introspection, RFC 7009 revocation): OAuth-style errors
//   {"error","error_description"}, client authentication instead of user authentication;
// - the management routes (OAuth clients, issuers, external clients, signing keys): JSON with
//   camelCase fields, problem+json errors, Basic user authentication like every /api/v1 route.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <functional>
#include <string>

#include "control/service.h"
#include "http/router.h"
#include "http/server.h"

namespace tollgate::adapters::rest {

using AuthedHandler = std::function<tollgate::http::Response(
    const control::Principal&, const tollgate::http::Request&, const tollgate::http::PathParams&)>;
// Registers a route whose caller must authenticate as a Tollgate user (ManagementApi::Route).
using AuthedRoute = std::function<void(boost::beast::http::verb, std::string, AuthedHandler)>;

// Adds every route to `router` (protocol endpoints) and through `route` (management routes).
// The protocol endpoints answer 503 "temporarily_unavailable" while `service` has no key manager.
// `service` must outlive the router.
void AddOAuthRoutes(tollgate::http::Router& router, const AuthedRoute& route,
                    control::Service& service);
// Only the protocol endpoints (oauth_endpoints.cc); AddOAuthRoutes calls it.
void AddOAuthProtocolRoutes(tollgate::http::Router& router, control::Service& service);

}  // namespace tollgate::adapters::rest
