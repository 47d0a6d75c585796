// Routes of the management REST API.
#include "adapters/rest/management_api.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "adapters/rest/json_mapping.h"
#include "crypto/crypto.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;
namespace beast_http = boost::beast::http;
using beast_http::verb;

namespace {

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

tollgate::http::Response ErrorResponse(const tollgate::http::Request& req, const Error& e) {
  return tollgate::http::Problem(StatusFor(e.kind), e.code, e.message, e.field, req.version());
}

tollgate::http::Response JsonResponse(const tollgate::http::Request& req, unsigned status, const json::value& body) {
  tollgate::http::Response res{static_cast<beast_http::status>(status), req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.set(beast_http::field::cache_control, "no-store");
  res.body() = json::serialize(body);
  return res;
}

tollgate::http::Response NoContent(const tollgate::http::Request& req) {
  return tollgate::http::Response{beast_http::status::no_content, req.version()};
}

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

// Parses the body as JSON; an empty body is an empty object.
Result<json::value> ParseBody(const tollgate::http::Request& req) {
  if (req.body().empty()) return json::value(json::object());
  boost::system::error_code ec;
  json::value v = json::parse(req.body(), ec);
  if (ec) return Error{ErrorKind::kInvalid, "invalid_json", "the body is not valid JSON: " + ec.message(), {}};
  if (!v.is_object()) return Invalid("", "the body must be a JSON object", "invalid_body");
  return v;
}

// ?offset=&limit= with defaults 0 and 50; bad numbers are errors naming the parameter.
Result<store::PageRequest> PageFrom(const tollgate::http::Request& req) {
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
  if (page.limit < 1 || page.limit > 500) {
    return Invalid("limit", "limit is between 1 and 500", "invalid_query");
  }
  return page;
}

// Credentials from "Authorization: Basic base64(user:password)".
Result<control::Principal> Authenticate(control::Service& service, const tollgate::http::Request& req) {
  const Error missing{ErrorKind::kUnauthenticated, "authentication_required",
                      "send HTTP Basic credentials of a Tollgate user", {}};
  auto header = req.find(beast_http::field::authorization);
  if (header == req.end()) return missing;
  std::string_view value = header->value();
  constexpr std::string_view kBasic = "Basic ";
  if (value.size() <= kBasic.size() || !boost::beast::iequals(value.substr(0, kBasic.size()), kBasic)) {
    return missing;
  }
  auto decoded = crypto::Base64Decode(value.substr(kBasic.size()));
  if (!decoded) return missing;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return missing;
  return service.Authenticate(std::string_view(*decoded).substr(0, colon),
                              std::string_view(*decoded).substr(colon + 1));
}

}  // namespace

ManagementApi::ManagementApi(control::Service& service, std::function<bool()> ready,
                             control::UsageSource* usage)
    : service_(service), ready_(std::move(ready)), usage_(usage) {
  router_.Add(verb::get, "/healthz", [](const tollgate::http::Request& req, const tollgate::http::RequestContext&,
                                        const tollgate::http::PathParams&) {
    return JsonResponse(req, 200, json::object{{"status", "ok"}});
  });
  router_.Add(verb::get, "/readyz", [this](const tollgate::http::Request& req, const tollgate::http::RequestContext&,
                                           const tollgate::http::PathParams&) {
    const bool ok = !ready_ || ready_();
    return JsonResponse(req, ok ? 200 : 503, json::object{{"status", ok ? "ready" : "starting"}});
  });
  Route(verb::get, "/api/v1/me",
        [](const control::Principal& who, const tollgate::http::Request& req, const tollgate::http::PathParams&) {
          return JsonResponse(req, 200, json::object{{"name", who.user}, {"role", ToString(who.role)}});
        });
  AddApiRoutes();
  AddApplicationRoutes();
  AddPlanRoutes();
  AddOpenApiRoutes();
}

tollgate::http::Response ManagementApi::operator()(const tollgate::http::Request& request,
                                         const tollgate::http::RequestContext& context) const {
  return router_.Dispatch(request, context);
}

void ManagementApi::Route(verb method, std::string pattern, AuthedHandler handler) {
  router_.Add(method, std::move(pattern),
              [this, handler = std::move(handler)](const tollgate::http::Request& req, const tollgate::http::RequestContext&,
                                                   const tollgate::http::PathParams& params) {
                auto who = Authenticate(service_, req);
                if (!who.ok()) {
                  tollgate::http::Response res = ErrorResponse(req, who.error());
                  res.set(beast_http::field::www_authenticate, "Basic realm=\"tollgate\", charset=\"UTF-8\"");
                  return res;
                }
                return handler(*who, req, params);
              });
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
    return Reply(req, service_.ChangeLifecycle(who, params.Get("id"), *action));
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
    auto issued = service_.CreateApiKey(who, params.Get("id"), std::move(name.value()), *expires);
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
