// JSON and problem+json answers, bodies and page parameters of the management REST API.
#include "adapters/rest/replies.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <stdexcept>

namespace tollgate::adapters::rest {
namespace json = boost::json;
namespace beast_http = boost::beast::http;

unsigned StatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid:
      return 400;
    case ErrorKind::kUnauthenticated:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

tollgate::http::Response ErrorResponse(const tollgate::http::Request& req, const Error& e) {
  return tollgate::http::Problem(StatusFor(e.kind), e.code, e.message, e.field, req.version());
}

tollgate::http::Response JsonResponse(const tollgate::http::Request& req, unsigned status,
                                      const json::value& body) {
  tollgate::http::Response res{static_cast<beast_http::status>(status), req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.set(beast_http::field::cache_control, "no-store");
  res.body() = json::serialize(body);
  return res;
}

tollgate::http::Response NoContent(const tollgate::http::Request& req) {
  return tollgate::http::Response{beast_http::status::no_content, req.version()};
}

Result<json::value> ParseBody(const tollgate::http::Request& req) {
  if (req.body().empty()) return json::value(json::object());
  boost::system::error_code ec;
  json::value v = json::parse(req.body(), ec);
  if (ec)
    return Error{
        ErrorKind::kInvalid, "invalid_json", "the body is not valid JSON: " + ec.message(), {}};
  if (!v.is_object()) return Invalid("", "the body must be a JSON object", "invalid_body");
  return v;
}

Result<store::PageRequest> PageFrom(const tollgate::http::Request& req) {
  store::PageRequest page;
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return page;
  for (auto param : url->params()) {
    int64_t* target = param.key == "offset"  ? &page.offset
                      : param.key == "limit" ? &page.limit
                                             : nullptr;
    if (target == nullptr) continue;
    try {
      size_t used = 0;
      *target = std::stoll(std::string(param.value), &used);
      if (used != param.value.size() || *target < 0) throw std::invalid_argument("");
    } catch (const std::exception&) {
      return Invalid(std::string(param.key),
                     std::string(param.key) + " must be a non-negative integer", "invalid_query");
    }
  }
  if (page.limit < 1 || page.limit > 500) {
    return Invalid("limit", "limit is between 1 and 500", "invalid_query");
  }
  return page;
}

std::optional<std::string> FindQueryParam(const tollgate::http::Request& req,
                                          std::string_view name) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return std::nullopt;
  for (auto param : url->params()) {
    if (param.key == name) return std::string(param.value);
  }
  return std::nullopt;
}

std::string QueryParam(const tollgate::http::Request& req, std::string_view name) {
  return FindQueryParam(req, name).value_or(std::string());
}

}  // namespace tollgate::adapters::rest
