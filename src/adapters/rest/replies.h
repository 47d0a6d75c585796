// Shared by the management REST API's route files: JSON and problem+json answers, request bodies
// and page parameters. Internal to adapters/rest.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "core/status.h"
#include "http/router.h"
#include "http/server.h"
#include "store/store.h"

namespace tollgate::adapters::rest {

unsigned StatusFor(ErrorKind kind);
// problem+json for `e`, its status from e.kind.
tollgate::http::Response ErrorResponse(const tollgate::http::Request& req, const Error& e);
// `body` as application/json, Cache-Control: no-store.
tollgate::http::Response JsonResponse(const tollgate::http::Request& req, unsigned status,
                                      const boost::json::value& body);
tollgate::http::Response NoContent(const tollgate::http::Request& req);
// The body as a JSON object; an empty body is an empty object. kInvalid "invalid_json" /
// "invalid_body" otherwise.
Result<boost::json::value> ParseBody(const tollgate::http::Request& req);
// ?offset=&limit= with defaults 0 and 50; bad numbers are errors naming the parameter.
Result<store::PageRequest> PageFrom(const tollgate::http::Request& req);
// The value of query parameter `name`, decoded; "" when absent.
std::string QueryParam(const tollgate::http::Request& req, std::string_view name);
// The same, telling an absent parameter (nullopt) from an empty one.
std::optional<std::string> FindQueryParam(const tollgate::http::Request& req,
                                          std::string_view name);

// {"items":[ToJson(item)…],"total","offset","limit"}.
template <class T, class ToJsonFn>
tollgate::http::Response ReplyPage(const tollgate::http::Request& req,
                                   const Result<store::Page<T>>& result,
                                   const store::PageRequest& page, ToJsonFn to_json) {
  if (!result.ok()) return ErrorResponse(req, result.error());
  boost::json::array items;
  for (const T& item : result->items) items.push_back(to_json(item));
  return JsonResponse(req, 200,
                      boost::json::object{{"items", std::move(items)},
                                          {"total", result->total},
                                          {"offset", page.offset},
                                          {"limit", page.limit}});
}

}  // namespace tollgate::adapters::rest
