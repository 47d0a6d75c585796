// REST routes of mesh identities: GET/POST /api/v1/applications/{id}/mesh-identities,
// DELETE /api/v1/applications/{id}/mesh-identities/{identityId}.
#include <boost/json.hpp>

#include "adapters/rest/management_api.h"
#include "adapters/rest/replies.h"

namespace tollgate::adapters::rest {
namespace {

namespace json = boost::json;
namespace beast_http = boost::beast::http;

json::object ToJson(const MeshIdentity& m) {
  return json::object{{"id", m.id},
                      {"applicationId", m.application_id},
                      {"principal", m.principal},
                      {"createdAt", m.created_at}};
}

}  // namespace

void ManagementApi::AddMeshRoutes() {
  using P = const control::Principal&;
  using R = const tollgate::http::Request&;
  using A = const tollgate::http::PathParams&;
  using beast_http::verb;
  Route(verb::get, "/api/v1/applications/{id}/mesh-identities", [this](P who, R req, A params) {
    auto list = service_.ListMeshIdentities(who, params.Get("id"));
    if (!list.ok()) return ErrorResponse(req, list.error());
    json::array items;
    for (const MeshIdentity& m : *list) items.push_back(ToJson(m));
    const auto total = static_cast<int64_t>(items.size());
    return JsonResponse(req, 200, json::object{{"items", std::move(items)}, {"total", total}});
  });
  Route(verb::post, "/api/v1/applications/{id}/mesh-identities", [this](P who, R req, A params) {
    boost::system::error_code ec;
    const json::value body = json::parse(req.body(), ec);
    if (ec || !body.is_object()) {
      return ErrorResponse(req, Invalid("", "the body must be a JSON object", "invalid_body"));
    }
    const json::value* principal = body.as_object().if_contains("principal");
    if (principal == nullptr || !principal->is_string()) {
      return ErrorResponse(req, Invalid("principal", "principal is required (a SPIFFE ID)"));
    }
    auto created = service_.CreateMeshIdentity(who, params.Get("id"),
                                               std::string(principal->as_string()));
    if (!created.ok()) return ErrorResponse(req, created.error());
    return JsonResponse(req, 201, ToJson(*created));
  });
  Route(verb::delete_, "/api/v1/applications/{id}/mesh-identities/{identityId}",
        [this](P who, R req, A params) {
          auto deleted =
              service_.DeleteMeshIdentity(who, params.Get("id"), params.Get("identityId"));
          if (!deleted.ok()) return ErrorResponse(req, deleted.error());
          return tollgate::http::Response{beast_http::status::no_content, req.version()};
        });
}

}  // namespace tollgate::adapters::rest
