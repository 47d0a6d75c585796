// The parts of an answer that every adapter sends the same way.
#include "enforce/response.h"

#include <boost/json.hpp>

namespace tollgate::enforce {

UpstreamHeaders UpstreamHeadersFor(const Decision& d) {
  UpstreamHeaders out;
  auto add = [&out](std::string_view name, std::string_view value) {
    if (!value.empty()) out.items[out.size++] = {name, value};
  };
  add("x-tollgate-api", d.api_id);
  add("x-tollgate-api-name", d.api_name);
  add("x-tollgate-api-version", d.api_version);
  add("x-tollgate-application", d.application_id);
  add("x-tollgate-application-name", d.application_name);
  add("x-tollgate-subscriber", d.subscriber);
  add("x-tollgate-plan", d.plan);
  return out;
}

std::string ProblemBody(const Decision& d) {
  const std::string_view code = CodeName(d.code);
  boost::json::object body;
  body["type"] = std::string("urn:tollgate:problem:") + std::string(code);
  body["title"] = Title(d.code);
  body["status"] = d.http_status();
  body["code"] = code;
  std::string detail(Title(d.code));
  if (d.code == DecisionCode::kMissingCredential && !d.credential_header.empty()) {
    detail += "; send it in the '" + std::string(d.credential_header) + "' header";
  }
  if (!d.api_name.empty()) {
    detail += " (API " + std::string(d.api_name) + " " + std::string(d.api_version) + ")";
  }
  body["detail"] = detail;
  return boost::json::serialize(body);
}

std::string WwwAuthenticate(const Decision& d) {
  if (d.http_status() != 401) return {};
  std::string value = "ApiKey realm=\"tollgate\"";
  if (!d.credential_header.empty()) {
    value += ", header=\"" + std::string(d.credential_header) + "\"";
  }
  if (d.code != DecisionCode::kMissingCredential) {
    value += ", error=\"" + std::string(CodeName(d.code)) + "\"";
  }
  return value;
}

}  // namespace tollgate::enforce
