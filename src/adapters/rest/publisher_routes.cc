// Routes of the publisher features: new API versions, API documents, subscription approval and
// blocking, application blocking. The service checks roles.
#include <boost/json.hpp>

#include "adapters/rest/json_mapping.h"
#include "adapters/rest/management_api.h"
#include "adapters/rest/rest_support.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;
using boost::beast::http::verb;
using namespace detail;  // NOLINT(google-build-using-namespace): this adapter's own helpers

namespace {

template <class T>
tollgate::http::Response ReplyWith(const tollgate::http::Request& req, const Result<T>& result,
                                   unsigned status = 200) {
  if (!result.ok()) return ErrorResponse(req, result.error());
  return JsonResponse(req, status, ToJson(*result));
}

auto ToJsonOf() {
  return [](const auto& item) { return ToJson(item); };
}

}  // namespace

void ManagementApi::AddPublisherRoutes() {
  using P = const control::Principal&;
  using R = const tollgate::http::Request&;
  using A = const tollgate::http::PathParams&;

  Route(verb::post, "/api/v1/apis/{id}/versions", [this](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    const json::object& o = body->get_object();
    control::NewVersionRequest request;
    auto version = StringField(o, "version");
    if (!version.ok()) return ErrorResponse(req, version.error());
    auto context = StringField(o, "context");
    if (!context.ok()) return ErrorResponse(req, context.error());
    auto is_default = BoolField(o, "isDefaultVersion");
    if (!is_default.ok()) return ErrorResponse(req, is_default.error());
    request.version = std::move(version.value());
    request.context = std::move(context.value());
    request.is_default_version = is_default->value_or(false);
    return ReplyWith(req, service_.CreateApiVersion(who, params.Get("id"), std::move(request)),
                     201);
  });

  Route(verb::get, "/api/v1/apis/{id}/documents", [this](P who, R req, A params) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    return ReplyPage(req, service_.ListDocuments(who, params.Get("id"), *page), *page, ToJsonOf());
  });
  Route(verb::post, "/api/v1/apis/{id}/documents", [this](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = DocumentFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return ReplyWith(req, service_.CreateDocument(who, params.Get("id"), std::move(draft.value())),
                     201);
  });
  Route(verb::get, "/api/v1/apis/{id}/documents/{docId}", [this](P who, R req, A params) {
    return ReplyWith(req, service_.GetDocument(who, params.Get("id"), params.Get("docId")));
  });
  Route(verb::put, "/api/v1/apis/{id}/documents/{docId}", [this](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = DocumentFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return ReplyWith(req, service_.UpdateDocument(who, params.Get("id"), params.Get("docId"),
                                                  std::move(draft.value())));
  });
  Route(verb::delete_, "/api/v1/apis/{id}/documents/{docId}", [this](P who, R req, A params) {
    return Reply(req, service_.DeleteDocument(who, params.Get("id"), params.Get("docId")));
  });

  Route(verb::get, "/api/v1/subscriptions", [this](P who, R req, A) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    std::optional<SubscriptionStatus> status;
    if (auto text = FindQueryParam(req, "status"); text && !text->empty()) {
      status = ParseSubscriptionStatus(*text);
      if (!status) {
        return ErrorResponse(req, Invalid("status", "status is ACTIVE, BLOCKED or PENDING",
                                          "invalid_query"));
      }
    }
    return ReplyPage(req, service_.FindSubscriptions(who, status, *page), *page, ToJsonOf());
  });
  Route(verb::post, "/api/v1/subscriptions/{id}/approve", [this](P who, R req, A params) {
    return ReplyWith(req, service_.ApproveSubscription(who, params.Get("id")));
  });
  Route(verb::post, "/api/v1/subscriptions/{id}/reject", [this](P who, R req, A params) {
    return Reply(req, service_.RejectSubscription(who, params.Get("id")));
  });
  Route(verb::post, "/api/v1/subscriptions/{id}/block", [this](P who, R req, A params) {
    return ReplyWith(req, service_.BlockSubscription(who, params.Get("id")));
  });
  Route(verb::post, "/api/v1/subscriptions/{id}/unblock", [this](P who, R req, A params) {
    return ReplyWith(req, service_.UnblockSubscription(who, params.Get("id")));
  });

  Route(verb::post, "/api/v1/applications/{id}/block", [this](P who, R req, A params) {
    return ReplyWith(req, service_.SetApplicationBlocked(who, params.Get("id"), true));
  });
  Route(verb::post, "/api/v1/applications/{id}/unblock", [this](P who, R req, A params) {
    return ReplyWith(req, service_.SetApplicationBlocked(who, params.Get("id"), false));
  });
}

}  // namespace tollgate::adapters::rest
