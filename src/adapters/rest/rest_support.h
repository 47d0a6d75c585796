// Internal to the REST adapter: the answer and request helpers that route files share (JSON and
// problem+json answers, body and paging parsing). Same behaviour as management_api.cc's own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/status.h"
#include "http/router.h"
#include "http/server.h"
#include "store/store.h"

namespace tollgate::adapters::rest::detail {

unsigned StatusFor(ErrorKind kind);
tollgate::http::Response ErrorResponse(const tollgate::http::Request& req, const Error& e);
tollgate::http::Response JsonResponse(const tollgate::http::Request& req, unsigned status,
                                      const boost::json::value& body);
// 204 on success, the problem otherwise.
tollgate::http::Response Reply(const tollgate::http::Request& req, const Status& status);
// The body as a JSON object; an empty body is {}.
Result<boost::json::value> ParseBody(const tollgate::http::Request& req);
// ?offset=&limit= (defaults 0 and 50; limit 1..500).
Result<store::PageRequest> PageFrom(const tollgate::http::Request& req);
// The decoded value of query parameter `name`; nullopt when absent.
std::optional<std::string> QueryParam(const tollgate::http::Request& req, std::string_view name);

// {"items": [...], "total", "offset", "limit"} with each item mapped by `to_json`.
template <class T, class F>
tollgate::http::Response ReplyPage(const tollgate::http::Request& req,
                                   const Result<store::Page<T>>& result,
                                   const store::PageRequest& page, F to_json) {
  if (!result.ok()) return ErrorResponse(req, result.error());
  boost::json::array items;
  for (const T& item : result->items) items.push_back(to_json(item));
  return JsonResponse(req, 200,
                      boost::json::object{{"items", std::move(items)},
                                          {"total", result->total},
                                          {"offset", page.offset},
                                          {"limit", page.limit}});
}

}  // namespace tollgate::adapters::rest::detail
