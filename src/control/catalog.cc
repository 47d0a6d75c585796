// The service's developer-portal catalog: what every authenticated user may discover — PUBLISHED
// and DEPRECATED APIs, their offered plans and their documents.
#include <algorithm>
#include <utility>

#include "control/service.h"

namespace tollgate::control {
namespace {

constexpr size_t kMaxQuery = 200;
constexpr int64_t kPageSize = 500;  // the store's largest page

bool CatalogVisible(Lifecycle state) {
  return state == Lifecycle::kPublished || state == Lifecycle::kDeprecated;
}

}  // namespace

Result<store::Page<Api>> Service::SearchCatalog(const Principal&, store::Store::CatalogQuery query,
                                                store::PageRequest page) {
  if (query.text.size() > kMaxQuery) return Invalid("q", "q is at most 200 characters");
  if (query.tag.size() > kMaxQuery) return Invalid("tag", "tag is at most 200 characters");
  page.offset = std::max<int64_t>(page.offset, 0);
  page.limit = std::clamp<int64_t>(page.limit, 1, kPageSize);
  return store_.ListCatalogApis(query, page);
}

Result<CatalogEntry> Service::GetCatalogEntry(const Principal&, std::string_view api_id) {
  auto api = store_.GetApi(api_id);
  if (!api.ok()) return api.error();
  if (!CatalogVisible(api->lifecycle)) return NotFound("api_not_found", "no API with this id");
  CatalogEntry entry;
  for (const std::string& name : api->plans) {
    auto plan = store_.GetPlanByName(name);
    if (!plan.ok()) return plan.error();
    entry.plans.push_back(std::move(plan.value()));
  }
  for (store::PageRequest page{0, kPageSize};; page.offset += page.limit) {
    auto docs = store_.ListDocuments(api->id, page);
    if (!docs.ok()) return docs.error();
    for (ApiDocument& doc : docs->items) entry.documents.push_back(std::move(doc));
    if (page.offset + page.limit >= docs->total) break;
  }
  entry.openapi_path = "/api/v1/catalog/" + api->id + "/openapi";
  entry.api = std::move(api.value());
  return entry;
}

}  // namespace tollgate::control
