// Routes of the management REST API.
#include "adapters/rest/management_api.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "adapters/rest/attempt_limiter.h"
#include "adapters/rest/authn.h"
#include "adapters/rest/json_mapping.h"
#include "adapters/rest/management_doc.h"
#include "adapters/rest/replies.h"
#include "adapters/rest/oauth_routes.h"
#include "crypto/crypto.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;
namespace beast_http = boost::beast::http;
using beast_http::verb;

namespace {

template <class T>
tollgate::http::Response Reply(const tollgate::http::Request& req, const Result<T>& result, unsigned status = 200) {
  if (!result.ok()) return ErrorResponse(req, result.error());
  return JsonResponse(req, status, ToJson(*result));
}

tollgate::http::Response Reply(const tollgate::http::Request& req, const Status& status) {
  return status.ok() ? NoContent(req) : ErrorResponse(req, status.error());
}

template <class T>
tollgate::http::Response ReplyPage(const tollgate::http::Request& req, const Result<store::Page<T>>& result,
                         const store::PageRequest& page) {
  if (!result.ok()) return ErrorResponse(req, result.error());
  json::array items;
  for (const T& item : result->items) items.push_back(ToJson(item));
  return JsonResponse(req, 200,
                      json::object{{"items", std::move(items)},
                                   {"total", result->total},
                                   {"offset", page.offset},
                                   {"limit", page.limit}});
}

}  // namespace

ManagementApi::ManagementApi(control::Service& service, std::function<bool()> ready,
                             control::UsageSource* usage, ManagementOptions options)
    : service_(service),
      ready_(std::move(ready)),
      usage_(usage),
      options_(options),
      signup_limiter_(std::make_unique<AttemptLimiter>(options.signup_attempts,
                                                       options.signup_window_seconds)) {
  router_.Add(verb::get, "/healthz", [](const tollgate::http::Request& req, const tollgate::http::RequestContext&,
                                        const tollgate::http::PathParams&) {
    return JsonResponse(req, 200, json::object{{"status", "ok"}});
  });
  router_.Add(verb::get, "/readyz", [this](const tollgate::http::Request& req, const tollgate::http::RequestContext&,
                                           const tollgate::http::PathParams&) {
    const bool ok = !ready_ || ready_();
    return JsonResponse(req, ok ? 200 : 503, json::object{{"status", ok ? "ready" : "starting"}});
  });
  router_.Add(verb::get, "/api/v1/openapi.json",
              [](const tollgate::http::Request& req, const tollgate::http::RequestContext&,
                 const tollgate::http::PathParams&) {
                tollgate::http::Response res{beast_http::status::ok, req.version()};
                res.set(beast_http::field::content_type, "application/json");
                res.set(beast_http::field::cache_control, "public, max-age=300");
                res.body() = ManagementOpenApiJson();
                return res;
              });
  Route(verb::get, "/api/v1/me",
        [](const control::Principal& who, const tollgate::http::Request& req, const tollgate::http::PathParams&) {
          return JsonResponse(req, 200, json::object{{"name", who.user}, {"role", ToString(who.role)}});
        });
  AddApiRoutes();
  AddApplicationRoutes();
  AddPlanRoutes();
  AddAccountRoutes();
  AddSessionRoutes();
  AddOAuthRoutes(router_, [this](verb m, std::string p, AuthedHandler h) { Route(m, std::move(p), std::move(h)); },
                 service_);
  AddPublisherRoutes();
  AddCatalogRoutes();
  AddMeshRoutes();  // mesh_routes.cc
  AddOpenApiRoutes();
}

ManagementApi::~ManagementApi() = default;

tollgate::http::Response ManagementApi::operator()(const tollgate::http::Request& request,
                                         const tollgate::http::RequestContext& context) const {
  return router_.Dispatch(request, context);
}

void ManagementApi::Route(verb method, std::string pattern, AuthedHandler handler) {
  router_.Add(method, std::move(pattern),
              [this, handler = std::move(handler)](const tollgate::http::Request& req, const tollgate::http::RequestContext&,
                                                   const tollgate::http::PathParams& params) {
                auto caller = AuthenticateRequest(service_.accounts(), req);
                if (!caller.ok()) {
                  tollgate::http::Response res = ErrorResponse(req, caller.error());
                  if (caller.error().kind == ErrorKind::kUnauthenticated) {
                    res.set(beast_http::field::www_authenticate,
                            caller.error().code == "invalid_token"
                                ? "Bearer realm=\"tollgate\", error=\"invalid_token\""
                                : "Basic realm=\"tollgate\", charset=\"UTF-8\"");
                  }
                  return res;
                }
                return handler(caller->who, req, params);
              });
}

void ManagementApi::PublicRoute(verb method, std::string pattern,
                                tollgate::http::RouteHandler handler) {
  router_.Add(method, std::move(pattern), std::move(handler));
}

void ManagementApi::AddApiRoutes() {
  using P = const control::Principal&;
  using R = const tollgate::http::Request&;
  using A = const tollgate::http::PathParams&;
  Route(verb::get, "/api/v1/apis", [this](P who, R req, A) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    return ReplyPage(req, service_.ListApis(who, *page), *page);
  });
  Route(verb::post, "/api/v1/apis", [this](P who, R req, A) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = ApiFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return Reply(req, service_.CreateApi(who, std::move(draft.value())), 201);
  });
  Route(verb::get, "/api/v1/apis/{id}",
        [this](P who, R req, A params) { return Reply(req, service_.GetApi(who, params.Get("id"))); });
  Route(verb::put, "/api/v1/apis/{id}", [this](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = ApiFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return Reply(req, service_.UpdateApi(who, params.Get("id"), std::move(draft.value())));
  });
  Route(verb::delete_, "/api/v1/apis/{id}",
        [this](P who, R req, A params) { return Reply(req, service_.DeleteApi(who, params.Get("id"))); });
  Route(verb::post, "/api/v1/apis/{id}/lifecycle", [this](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto action = StringField(body->get_object(), "action");
    if (!action.ok()) return ErrorResponse(req, action.error());
    if (action->empty()) {
      return ErrorResponse(req, Invalid("action", "action is required: publish, deprecate, retire, block or unblock"));
    }
    control::LifecycleOptions options;
    auto deprecated_at = TimeField(body->get_object(), "deprecatedAt");
    if (!deprecated_at.ok()) return ErrorResponse(req, deprecated_at.error());
    auto sunset_at = TimeField(body->get_object(), "sunsetAt");
    if (!sunset_at.ok()) return ErrorResponse(req, sunset_at.error());
    options.deprecated_at = *deprecated_at;
    options.sunset_at = *sunset_at;
    return Reply(req, service_.ChangeLifecycle(who, params.Get("id"), *action, options));
  });
  Route(verb::get, "/api/v1/apis/{id}/lifecycle", [this](P who, R req, A params) {
    auto events = service_.LifecycleHistory(who, params.Get("id"));
    if (!events.ok()) return ErrorResponse(req, events.error());
    json::array items;
    for (const LifecycleEvent& e : *events) items.push_back(ToJson(e));
    return JsonResponse(req, 200, json::object{{"items", std::move(items)}});
  });
}

void ManagementApi::AddApplicationRoutes() {
  using P = const control::Principal&;
  using R = const tollgate::http::Request&;
  using A = const tollgate::http::PathParams&;
  Route(verb::get, "/api/v1/applications", [this](P who, R req, A) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    return ReplyPage(req, service_.ListApplications(who, *page), *page);
  });
  Route(verb::post, "/api/v1/applications", [this](P who, R req, A) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = ApplicationFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return Reply(req, service_.CreateApplication(who, std::move(draft.value())), 201);
  });
  Route(verb::get, "/api/v1/applications/{id}", [this](P who, R req, A params) {
    return Reply(req, service_.GetApplication(who, params.Get("id")));
  });
  Route(verb::put, "/api/v1/applications/{id}", [this](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = ApplicationFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return Reply(req, service_.UpdateApplication(who, params.Get("id"), std::move(draft.value())));
  });
  Route(verb::delete_, "/api/v1/applications/{id}", [this](P who, R req, A params) {
    return Reply(req, service_.DeleteApplication(who, params.Get("id")));
  });

  Route(verb::get, "/api/v1/applications/{id}/subscriptions", [this](P who, R req, A params) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    return ReplyPage(req, service_.ListSubscriptions(who, params.Get("id"), *page), *page);
  });
  Route(verb::post, "/api/v1/applications/{id}/subscriptions", [this](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto api_id = StringField(body->get_object(), "apiId");
    if (!api_id.ok()) return ErrorResponse(req, api_id.error());
    auto plan = StringField(body->get_object(), "plan");
    if (!plan.ok()) return ErrorResponse(req, plan.error());
    return Reply(req, service_.Subscribe(who, params.Get("id"), *api_id, std::move(plan.value())), 201);
  });
  Route(verb::delete_, "/api/v1/applications/{id}/subscriptions/{subId}", [this](P who, R req, A params) {
    return Reply(req, service_.Unsubscribe(who, params.Get("id"), params.Get("subId")));
  });
  Route(verb::get, "/api/v1/applications/{id}/subscriptions/{subId}/usage", [this](P who, R req, A params) {
    return Reply(req, service_.SubscriptionUsageOf(who, params.Get("id"), params.Get("subId"), usage_));
  });

  Route(verb::get, "/api/v1/applications/{id}/api-keys", [this](P who, R req, A params) {
    auto keys = service_.ListApiKeys(who, params.Get("id"));
    if (!keys.ok()) return ErrorResponse(req, keys.error());
    json::array items;
    for (const ApiKey& k : *keys) items.push_back(ToJson(k));
    const auto total = static_cast<int64_t>(items.size());
    return JsonResponse(req, 200, json::object{{"items", std::move(items)}, {"total", total}});
  });
  Route(verb::post, "/api/v1/applications/{id}/api-keys", [this](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto name = StringField(body->get_object(), "name");
    if (!name.ok()) return ErrorResponse(req, name.error());
    auto expires = TimeField(body->get_object(), "expiresAt");
    if (!expires.ok()) return ErrorResponse(req, expires.error());
    control::ApiKeyRequest request{std::move(name.value()), *expires, {}, {}, {}};
    for (auto [field, target] : {std::pair{"allowedIps", &request.allowed_ips},
                                 std::pair{"allowedReferrers", &request.allowed_referrers},
                                 std::pair{"apiIds", &request.api_ids}}) {
      auto items = StringArray(body->get_object(), field);
      if (!items.ok()) return ErrorResponse(req, items.error());
      *target = std::move(items.value());
    }
    auto issued = service_.IssueApiKey(who, params.Get("id"), std::move(request));
    if (!issued.ok()) return ErrorResponse(req, issued.error());
    json::object o = ToJson(issued->record);
    o["key"] = issued->key;  // shown this once; only its hash is stored
    return JsonResponse(req, 201, o);
  });
  Route(verb::delete_, "/api/v1/applications/{id}/api-keys/{keyId}", [this](P who, R req, A params) {
    return Reply(req, service_.DeleteApiKey(who, params.Get("id"), params.Get("keyId")));
  });
}

// Plans: every authenticated user reads; admins write (the service checks).
void ManagementApi::AddPlanRoutes() {
  using P = const control::Principal&;
  using R = const tollgate::http::Request&;
  using A = const tollgate::http::PathParams&;
  Route(verb::get, "/api/v1/plans", [this](P who, R req, A) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    return ReplyPage(req, service_.ListPlans(who, *page), *page);
  });
  Route(verb::post, "/api/v1/plans", [this](P who, R req, A) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = PlanFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return Reply(req, service_.CreatePlan(who, std::move(draft.value())), 201);
  });
  Route(verb::get, "/api/v1/plans/{id}",
        [this](P who, R req, A params) { return Reply(req, service_.GetPlan(who, params.Get("id"))); });
  Route(verb::put, "/api/v1/plans/{id}", [this](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = PlanFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return Reply(req, service_.UpdatePlan(who, params.Get("id"), std::move(draft.value())));
  });
  Route(verb::delete_, "/api/v1/plans/{id}",
        [this](P who, R req, A params) { return Reply(req, service_.DeletePlan(who, params.Get("id"))); });
}

}  // namespace tollgate::adapters::rest
