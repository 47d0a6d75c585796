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

LimitHeaders LimitHeadersFor(const Decision& d) {
  LimitHeaders out;
  if (!d.limit.present) return out;
  // sf-string: printable ASCII with '"' and '\\' escaped; anything else is dropped.
  std::string name = "\"";
  for (char c : d.limit.policy) {
    if (c < 0x20 || c > 0x7e) continue;
    if (c == '"' || c == '\\') name += '\\';
    name += c;
  }
  name += '"';
  out.items[out.size++] = {"RateLimit-Policy", name + ";q=" + std::to_string(d.limit.limit) +
                                                   ";w=" + std::to_string(d.limit.window_seconds)};
  out.items[out.size++] = {"RateLimit", name + ";r=" + std::to_string(d.limit.remaining) +
                                            ";t=" + std::to_string(d.limit.reset_seconds)};
  if (d.http_status() == 429) {
    out.items[out.size++] = {"Retry-After", std::to_string(d.limit.retry_after_seconds)};
  }
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
  if (d.http_status() == 429 && d.limit.present) {
    detail += "; policy '" + std::string(d.limit.policy) + "' allows " +
              std::to_string(d.limit.limit) + " per " + std::to_string(d.limit.window_seconds) +
              " s; retry in " + std::to_string(d.limit.retry_after_seconds) + " s";
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
