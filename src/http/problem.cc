// Problem(): RFC 9457 problem+json responses, the one error shape of every Tollgate HTTP answer.
#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "http/router.h"

namespace tollgate::http {

namespace bhttp = boost::beast::http;

Response Problem(unsigned status, std::string_view code, std::string_view detail,
                 std::string_view field, unsigned version) {
  std::string_view title = bhttp::obsolete_reason(bhttp::int_to_status(status));
  if (bhttp::int_to_status(status) == bhttp::status::unknown) title = "Error";

  std::string type = "urn:tollgate:problem:";
  type += code;
  boost::json::object body;
  body.reserve(6);
  body.emplace("type", type);
  body.emplace("title", title);
  body.emplace("status", status);
  body.emplace("code", code);
  body.emplace("detail", detail);
  if (!field.empty()) body.emplace("field", field);

  Response response;
  response.version(version);
  response.result(status);
  response.set(bhttp::field::content_type, "application/problem+json");
  response.body() = boost::json::serialize(body);
  response.content_length(response.body().size());
  return response;
}

}  // namespace tollgate::http
