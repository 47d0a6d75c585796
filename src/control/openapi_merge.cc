// Export with the original document: the generated document (what the gateway enforces) keeps
// the imported operations' descriptions, parameters, bodies, responses and components.
#include <boost/json.hpp>
#include <map>

#include "control/openapi_common.h"

namespace tollgate::control::openapi {
namespace json = boost::json;
namespace {

// Original path items by the route they map to (first one wins, like the importer).
std::map<std::string, const json::object*> ItemsByRoute(const json::value& root) {
  std::map<std::string, const json::object*> out;
  const json::value* paths = root.get_object().if_contains("paths");
  if (paths == nullptr || !paths->is_object()) return out;
  for (const auto& kv : paths->get_object()) {
    if (!kv.value().is_object()) continue;
    auto route = RoutePath(std::string(kv.key()), "");
    if (!route.ok()) continue;
    auto item = ResolveRef(root, kv.value().get_object(), "");
    if (item.ok()) out.emplace(*route, *item);
  }
  return out;
}

void MergeOperation(const json::object& original, json::object& op) {
  json::object merged = original;
  merged.erase("security");
  merged.erase("servers");
  if (!merged.contains("operationId")) merged["operationId"] = op["operationId"];
  json::object responses;
  if (const json::value* r = original.if_contains("responses"); r != nullptr && r->is_object()) {
    responses = r->get_object();
  }
  for (const auto& kv : op["responses"].get_object()) {
    if (kv.key() != "default" && !responses.contains(kv.key())) responses[kv.key()] = kv.value();
  }
  if (responses.empty()) responses["default"] = op["responses"].get_object()["default"];
  merged["responses"] = std::move(responses);
  // Path parameters must match the route's; the original's other parameters stay.
  if (!merged.contains("parameters") && op.contains("parameters"))
    merged["parameters"] = op["parameters"];
  for (const auto& kv : op) {
    if (kv.key() == "security" || kv.key().starts_with("x-tollgate")) merged[kv.key()] = kv.value();
  }
  op = std::move(merged);
}

}  // namespace

void MergeOriginal(const json::object& original, json::object& doc) {
  const json::value root(original);
  if (const json::value* v = original.if_contains("openapi"); v != nullptr && v->is_string()) {
    doc["openapi"] = *v;
  }
  if (const json::value* info = original.if_contains("info");
      info != nullptr && info->is_object()) {
    json::object merged = info->get_object();
    for (const auto& kv : doc["info"].get_object()) merged[kv.key()] = kv.value();
    if (!doc["info"].get_object().contains("description")) merged.erase("description");
    doc["info"] = std::move(merged);
  }
  for (const char* key : {"externalDocs", "webhooks", "jsonSchemaDialect"}) {
    if (const json::value* v = original.if_contains(key)) doc[key] = *v;
  }
  // Components: the original's, with ours (Tollgate* names, our security schemes) on top.
  if (const json::value* c = original.if_contains("components"); c != nullptr && c->is_object()) {
    json::object merged = c->get_object();
    merged.erase("securitySchemes");
    for (const auto& section : doc["components"].get_object()) {
      if (section.key() == "securitySchemes" || !merged.contains(section.key()) ||
          !merged[section.key()].is_object()) {
        merged[section.key()] = section.value();
        continue;
      }
      for (const auto& kv : section.value().get_object())
        merged[section.key()].get_object()[kv.key()] = kv.value();
    }
    doc["components"] = std::move(merged);
  }
  const auto items = ItemsByRoute(root);
  for (auto& path_kv : doc["paths"].get_object()) {
    auto it = items.find(std::string(path_kv.key()));
    if (it == items.end()) continue;
    json::object& item = path_kv.value().get_object();
    for (const char* key : {"summary", "description", "parameters"}) {
      if (const json::value* v = it->second->if_contains(key)) item[key] = *v;
    }
    for (auto& op_kv : item) {
      if (!op_kv.value().is_object()) continue;
      const json::value* original_op = it->second->if_contains(op_kv.key());
      if (original_op != nullptr && original_op->is_object()) {
        MergeOperation(original_op->get_object(), op_kv.value().get_object());
      }
    }
  }
}

}  // namespace tollgate::control::openapi
