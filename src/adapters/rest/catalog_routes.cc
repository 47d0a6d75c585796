// Routes of the developer portal's catalog: search and one API's public view. Every
// authenticated user; only PUBLISHED and DEPRECATED APIs, never their upstream.
#include <boost/json.hpp>

#include "adapters/rest/json_mapping.h"
#include "adapters/rest/management_api.h"
#include "adapters/rest/rest_support.h"

namespace tollgate::adapters::rest {
using boost::beast::http::verb;
using namespace detail;  // NOLINT(google-build-using-namespace): this adapter's own helpers

void ManagementApi::AddCatalogRoutes() {
  using P = const control::Principal&;
  using R = const tollgate::http::Request&;
  using A = const tollgate::http::PathParams&;

  // ?q= (name, description or tag contains it, case-insensitive) &tag= (exact tag) &offset&limit.
  Route(verb::get, "/api/v1/catalog", [this](P who, R req, A) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    store::Store::CatalogQuery query{FindQueryParam(req, "q").value_or(""),
                                     FindQueryParam(req, "tag").value_or("")};
    return ReplyPage(req, service_.SearchCatalog(who, std::move(query), *page), *page,
                     [](const Api& api) { return ToCatalogJson(api); });
  });
  Route(verb::get, "/api/v1/catalog/{apiId}", [this](P who, R req, A params) {
    auto entry = service_.GetCatalogEntry(who, params.Get("apiId"));
    if (!entry.ok()) return ErrorResponse(req, entry.error());
    return JsonResponse(req, 200, ToJson(*entry));
  });
}

}  // namespace tollgate::adapters::rest
