// The management REST API (/api/v1/…, /healthz, /readyz): translates HTTP + JSON into calls on
// control::Service and results back into JSON or problem+json. No business rule lives here.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "control/service.h"
#include "control/usage.h"
#include "http/router.h"
#include "http/server.h"

namespace tollgate::adapters::rest {

class AttemptLimiter;  // attempt_limiter.h

struct ManagementOptions {
  // Adds "Secure" to the session cookie: set it whenever the portal is reached over HTTPS.
  bool secure_cookies = false;
  // Self-signup attempts allowed per client address in `signup_window_seconds`; 0 = no limit.
  int signup_attempts = 10;
  int signup_window_seconds = 600;
};

class ManagementApi {
 public:
  // `ready` answers /readyz (e.g. "the snapshot is loaded"); `service` must outlive this.
  // `usage` answers the quota part of GET …/subscriptions/{subId}/usage; nullptr = unknown
  // (the answer then carries "used": null). When given, it must outlive this and be thread-safe.
  ManagementApi(control::Service& service, std::function<bool()> ready,
                control::UsageSource* usage = nullptr, ManagementOptions options = {});
  ~ManagementApi();

  // The tollgate::http::Handler for the management listener. Thread-safe.
  tollgate::http::Response operator()(const tollgate::http::Request& request, const tollgate::http::RequestContext& context) const;

  const tollgate::http::Router& router() const { return router_; }

 private:
  using AuthedHandler = std::function<tollgate::http::Response(
      const control::Principal&, const tollgate::http::Request&, const tollgate::http::PathParams&)>;
  void Route(boost::beast::http::verb method, std::string pattern, AuthedHandler handler);
  void AddApiRoutes();
  void AddApplicationRoutes();
  void AddPlanRoutes();
  // account_routes.cc: users, signup, session, personal access tokens, audit log.
  void AddAccountRoutes();
  void AddSessionRoutes();
  // Routes that need no credential (login, signup): registered as they are.
  void PublicRoute(boost::beast::http::verb method, std::string pattern,
                   tollgate::http::RouteHandler handler);
  void AddPublisherRoutes();  // publisher_routes.cc
  void AddCatalogRoutes();    // catalog_routes.cc
  void AddMeshRoutes();
  void AddOpenApiRoutes();  // openapi_routes.cc

  control::Service& service_;
  std::function<bool()> ready_;
  control::UsageSource* usage_;
  ManagementOptions options_;
  std::unique_ptr<AttemptLimiter> signup_limiter_;
  tollgate::http::Router router_;
};

}  // namespace tollgate::adapters::rest
