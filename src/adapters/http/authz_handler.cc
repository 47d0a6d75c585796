// HTTP authz adapter: nginx auth_request, Traefik forwardAuth and Envoy HTTP ext_authz requests
// → AccessRequest; Decision → each gateway's expected answer.
#include "adapters/http/authz_handler.h"

#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/fields.hpp>

#include "core/access.h"
#include "enforce/response.h"
#include "http/router.h"

namespace tollgate::adapters::http {
namespace {

namespace beast_http = boost::beast::http;
using tollgate::http::Request;
using tollgate::http::Response;

constexpr std::string_view kTollgatePrefix = "x-tollgate-";

std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool HasTollgatePrefix(std::string_view name) {
  return name.size() >= kTollgatePrefix.size() &&
         EqualsIgnoreCase(name.substr(0, kTollgatePrefix.size()), kTollgatePrefix);
}

// The original request's headers are the authz request's own headers (all three gateways
// forward them). Beast compares field names case-insensitively and without allocating.
class FieldsLookup final : public HeaderLookup {
 public:
  explicit FieldsLookup(const beast_http::fields& fields) : fields_(fields) {}
  std::optional<std::string_view> Get(std::string_view lower_name) const override {
    const auto it = fields_.find(lower_name);
    if (it == fields_.end()) return std::nullopt;
    return View(it->value());
  }

 private:
  const beast_http::fields& fields_;
};

std::optional<std::string_view> Field(const Request& request, std::string_view name) {
  const auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return View(it->value());
}

std::string_view FieldOr(const Request& request, std::string_view name, std::string_view fallback) {
  return Field(request, name).value_or(fallback);
}

Response Make(unsigned status, const Request& request) {
  Response response;
  response.result(status);
  response.version(request.version());
  return response;
}

// Empty body with an explicit Content-Length: 0 — nginx reuses the auth connection only then.
Response Finish(Response response) {
  response.prepare_payload();
  return response;
}

Response Incomplete(const Request& request, std::string_view missing) {
  return tollgate::http::Problem(500, "authz_request_incomplete",
                                 std::string(missing) +
                                     " is missing: the gateway is not configured to pass the "
                                     "original request",
                                 {}, request.version());
}

void AddUpstreamHeaders(const Decision& decision, Response& response) {
  for (const enforce::HeaderPair& header : enforce::UpstreamHeadersFor(decision)) {
    response.set(header.name, header.value);
  }
}

void AddLimitHeaders(const Decision& decision, Response& response) {
  for (const auto& header : enforce::LimitHeadersFor(decision)) response.set(header.name, header.value);
}

// The client's address as the gateway reports it: X-Real-IP (nginx), else the last entry of
// X-Forwarded-For (the one the gateway itself appended), else empty.
std::string_view ClientAddress(const Request& request) {
  if (auto real = Field(request, "x-real-ip"); real && !real->empty()) return *real;
  if (auto xff = Field(request, "x-forwarded-for"); xff && !xff->empty()) {
    std::string_view last = xff->substr(xff->rfind(',') + 1);
    while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
    while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
    return last;
  }
  return {};
}

void AddChallenge(const Decision& decision, Response& response) {
  if (decision.http_status() != 401) return;
  const std::string challenge = enforce::WwwAuthenticate(decision);
  if (!challenge.empty()) response.set(beast_http::field::www_authenticate, challenge);
}

// The client-facing denial every convention but nginx's subrequest uses.
Response ProblemAnswer(const Decision& decision, unsigned status, const Request& request) {
  Response response = Make(status, request);
  response.set(beast_http::field::content_type, enforce::kProblemContentType);
  response.set("x-tollgate-code", CodeName(decision.code));
  AddChallenge(decision, response);
  AddLimitHeaders(decision, response);
  response.body() = enforce::ProblemBody(decision);
  return Finish(std::move(response));
}

// Allow for Traefik and nginx: 200, empty, the upstream headers for the gateway to copy (and the
// RateLimit headers, which nginx can copy to the client's answer).
Response AllowAnswer(const Decision& decision, const Request& request) {
  Response response = Make(200, request);
  AddUpstreamHeaders(decision, response);
  AddLimitHeaders(decision, response);
  return Finish(std::move(response));
}

std::optional<DecisionCode> CodeFromName(std::string_view name) {
  auto code = ParseDecisionCode(name);
  if (code == DecisionCode::kAllow) return std::nullopt;  // nothing to render for an allow
  return code;
}

// 400–599 or nothing.
std::optional<unsigned> ParseErrorStatus(std::string_view text) {
  unsigned status = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (status < 400 || status > 599) return std::nullopt;
  return status;
}

// /_tollgate/denied: the client's answer after an nginx auth_request denial.
Response RenderDenied(const Request& request) {
  const std::optional<DecisionCode> code = CodeFromName(FieldOr(request, "x-tollgate-code", {}));
  if (!code) {
    return tollgate::http::Problem(403, "forbidden", "Access to this resource is denied.", {},
                                   request.version());
  }
  Decision decision;
  decision.code = *code;
  unsigned status = static_cast<unsigned>(decision.http_status());
  if (const auto given = Field(request, "x-tollgate-status")) {
    const std::optional<unsigned> parsed = ParseErrorStatus(*given);
    if (!parsed) {
      return tollgate::http::Problem(500, "authz_denied_status_invalid",
                                     "X-Tollgate-Status must be a 4xx or 5xx status", {},
                                     request.version());
    }
    status = *parsed;
  }
  Response response = Make(status, request);
  response.set(beast_http::field::content_type, enforce::kProblemContentType);
  response.set("x-tollgate-code", CodeName(decision.code));
  if (status == 401) {
    // The subrequest's challenge names the real credential header; rendering it here can not.
    const auto passed = Field(request, "x-tollgate-www-authenticate");
    if (passed && !passed->empty()) {
      response.set(beast_http::field::www_authenticate, *passed);
    } else {
      AddChallenge(decision, response);
    }
  }
  if (const auto retry_after = Field(request, "x-tollgate-retry-after");
      retry_after && !retry_after->empty()) {
    response.set(beast_http::field::retry_after, *retry_after);
  }
  response.body() = enforce::ProblemBody(decision);
  return Finish(std::move(response));
}

}  // namespace

AuthzHandler::AuthzHandler(const enforce::Enforcer& enforcer, std::string envoy_path_prefix)
    : enforcer_(&enforcer), envoy_path_prefix_(std::move(envoy_path_prefix)) {}

Response AuthzHandler::operator()(const Request& request,
                                  const tollgate::http::RequestContext& /*context*/) const {
  const std::string_view target = View(request.target());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/_tollgate/nginx") return Nginx(request);
  if (path == "/_tollgate/traefik") return Traefik(request);
  if (path == "/_tollgate/denied") return RenderDenied(request);
  if (path == "/_tollgate/healthz") {
    Response response = Make(200, request);
    response.set(beast_http::field::content_type, "text/plain");
    response.body() = "ok";
    return Finish(std::move(response));
  }
  return Envoy(request);
}

Response AuthzHandler::Nginx(const Request& request) const {
  const std::optional<std::string_view> uri = Field(request, "x-original-uri");
  if (!uri) return Incomplete(request, "X-Original-URI");
  const FieldsLookup headers(request);
  AccessRequest access;
  access.method = FieldOr(request, "x-original-method", View(request.method_string()));
  access.host = FieldOr(request, "x-original-host", FieldOr(request, "host", {}));
  access.path = *uri;
  access.headers = &headers;
  access.client_address = ClientAddress(request);
  return enforcer_->Check(access, [&](const Decision& decision) {
    if (decision.allowed()) return AllowAnswer(decision, request);
    const int status = decision.http_status();
    Response response = Make(status == 401 ? 401 : 403, request);
    response.set("x-tollgate-status", std::to_string(status));
    response.set("x-tollgate-code", CodeName(decision.code));
    AddChallenge(decision, response);
    AddLimitHeaders(decision, response);
    return Finish(std::move(response));
  });
}

Response AuthzHandler::Traefik(const Request& request) const {
  const std::optional<std::string_view> uri = Field(request, "x-forwarded-uri");
  if (!uri) return Incomplete(request, "X-Forwarded-Uri");
  const FieldsLookup headers(request);
  AccessRequest access;
  access.method = FieldOr(request, "x-forwarded-method", View(request.method_string()));
  access.host = FieldOr(request, "x-forwarded-host", FieldOr(request, "host", {}));
  access.path = *uri;
  access.headers = &headers;
  access.client_address = ClientAddress(request);
  return enforcer_->Check(access, [&](const Decision& decision) {
    if (decision.allowed()) return AllowAnswer(decision, request);
    return ProblemAnswer(decision, static_cast<unsigned>(decision.http_status()), request);
  });
}

Response AuthzHandler::Envoy(const Request& request) const {
  std::string_view path = View(request.target());
  // Envoy sends path_prefix + original path; the prefix only counts at a segment boundary.
  const std::string_view prefix = envoy_path_prefix_;
  if (!prefix.empty() && path.substr(0, prefix.size()) == prefix &&
      (path.size() == prefix.size() || path[prefix.size()] == '/' || path[prefix.size()] == '?')) {
    path.remove_prefix(prefix.size());
    if (path.empty()) path = "/";
  }
  const FieldsLookup headers(request);
  AccessRequest access;
  access.method = View(request.method_string());
  access.host = FieldOr(request, "host", {});
  access.path = path;
  access.headers = &headers;
  access.client_address = ClientAddress(request);
  return enforcer_->Check(access, [&](const Decision& decision) {
    if (!decision.allowed()) {
      return ProblemAnswer(decision, static_cast<unsigned>(decision.http_status()), request);
    }
    Response response = Make(200, request);
    AddLimitHeaders(decision, response);
    const enforce::UpstreamHeaders upstream = enforce::UpstreamHeadersFor(decision);
    for (const enforce::HeaderPair& header : upstream) response.set(header.name, header.value);
    // Envoy's HTTP service has no headers_to_remove field; this header is its equivalent.
    std::string remove(decision.credential_header);
    for (const auto& field : request) {
      const std::string_view name = View(field.name_string());
      if (!HasTollgatePrefix(name)) continue;
      bool overwritten = false;
      for (const enforce::HeaderPair& header : upstream) {
        overwritten = overwritten || EqualsIgnoreCase(name, header.name);
      }
      if (overwritten) continue;
      if (!remove.empty()) remove += ", ";
      remove += name;
    }
    if (!remove.empty()) response.set("x-envoy-auth-headers-to-remove", remove);
    return Finish(std::move(response));
  });
}

}  // namespace tollgate::adapters::http
