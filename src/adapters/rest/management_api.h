// The management REST API (/api/v1/…, /healthz, /readyz): translates HTTP + JSON into calls on
// control::Service and results back into JSON or problem+json. No business rule lives here.
#pragma once

#include <functional>
#include <string>

#include "control/service.h"
#include "control/usage.h"
#include "http/router.h"
#include "http/server.h"

namespace tollgate::adapters::rest {

class ManagementApi {
 public:
  // `ready` answers /readyz (e.g. "the snapshot is loaded"); `service` must outlive this.
  // `usage` answers the quota part of GET …/subscriptions/{subId}/usage; nullptr = unknown
  // (the answer then carries "used": null). When given, it must outlive this and be thread-safe.
  ManagementApi(control::Service& service, std::function<bool()> ready,
                control::UsageSource* usage = nullptr);

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
  void AddOpenApiRoutes();  // openapi_routes.cc

  control::Service& service_;
  std::function<bool()> ready_;
  control::UsageSource* usage_;
  tollgate::http::Router router_;
};

}  // namespace tollgate::adapters::rest
