// JSON mapping of the management plane's portal resources: the API's catalog fields, the
// catalog's public view, documents.
#include <boost/json.hpp>

#include "adapters/rest/json_mapping.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;

Result<std::optional<bool>> BoolField(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return std::optional<bool>();
  if (!v->is_bool()) return Invalid(std::string(name), std::string(name) + " must be true or false");
  return std::optional<bool>(v->get_bool());
}

void AddApiPortalFields(const Api& api, json::object& o) {
  o["tags"] = ToArray(api.tags);
  o["isDefaultVersion"] = api.is_default_version;
  if (api.deprecated_at) o["deprecatedAt"] = FormatTime(*api.deprecated_at);
  if (api.sunset_at) o["sunsetAt"] = FormatTime(*api.sunset_at);
  if (!api.audience.empty()) o["audience"] = api.audience;
}

json::object ToCatalogJson(const Api& api) {
  json::array resources;
  for (const Resource& r : api.resources) {
    resources.push_back(json::object{{"method", r.method},
                                     {"path", r.path},
                                     {"auth", ToString(r.auth)},
                                     {"scopes", ToArray(r.scopes)}});
  }
  json::object o{{"id", api.id},
                 {"name", api.name},
                 {"version", api.version},
                 {"description", api.description},
                 {"context", api.context},
                 {"resources", std::move(resources)},
                 {"plans", ToArray(api.plans)},
                 {"lifecycle", ToString(api.lifecycle)},
                 {"updatedAt", FormatTime(api.updated_at)}};
  if (!api.virtual_host.empty()) o["virtualHost"] = api.virtual_host;
  if (!api.api_key_header.empty()) o["apiKeyHeader"] = api.api_key_header;
  AddApiPortalFields(api, o);
  return o;
}

json::object ToJson(const ApiDocument& doc) {
  return {{"id", doc.id},
          {"apiId", doc.api_id},
          {"name", doc.name},
          {"type", doc.type},
          {"content", doc.content},
          {"createdAt", FormatTime(doc.created_at)},
          {"updatedAt", FormatTime(doc.updated_at)}};
}

json::object ToJson(const control::CatalogEntry& entry) {
  json::array plans;
  for (const Plan& plan : entry.plans) plans.push_back(ToJson(plan));
  json::array documents;
  for (const ApiDocument& doc : entry.documents) {
    json::object d{{"id", doc.id}, {"name", doc.name}, {"type", doc.type}};
    // A link is short and is the document; markdown is fetched from the document's own URL.
    if (doc.type == "url") d["url"] = doc.content;
    d["href"] = "/api/v1/apis/" + doc.api_id + "/documents/" + doc.id;
    documents.push_back(std::move(d));
  }
  return {{"api", ToCatalogJson(entry.api)},
          {"plans", std::move(plans)},
          {"documents", std::move(documents)},
          {"openapi", entry.openapi_path}};
}

Result<ApiDocument> DocumentFromJson(const json::value& body) {
  if (!body.is_object()) return Invalid("", "the body must be a JSON object", "invalid_body");
  const json::object& o = body.get_object();
  ApiDocument doc;
  for (auto [name, target] : {std::pair{"name", &doc.name}, std::pair{"type", &doc.type},
                              std::pair{"content", &doc.content}}) {
    auto v = StringField(o, name);
    if (!v.ok()) return v.error();
    *target = std::move(v.value());
  }
  return doc;
}

}  // namespace tollgate::adapters::rest
