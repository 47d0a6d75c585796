// HTTP authz adapter: nginx auth_request, Traefik forwardAuth and Envoy HTTP ext_authz requests
// → AccessRequest; Decision → each gateway's expected answer.
#include "adapters/http/authz_handler.h"

#include "crypto/certificate.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/access.h"
#include "enforce/response.h"
#include "http/router.h"

namespace tollgate::adapters::http {
namespace {

using tollgate::http::FieldView;
using tollgate::http::NameEquals;
using tollgate::http::Request;
using tollgate::http::RequestHead;
using tollgate::http::Response;
using tollgate::http::ResponseSink;

constexpr std::string_view kTollgatePrefix = "x-tollgate-";

bool HasTollgatePrefix(std::string_view name) {
  return name.size() >= kTollgatePrefix.size() &&
         NameEquals(name.substr(0, kTollgatePrefix.size()), kTollgatePrefix);
}

// The original request's headers are the authz request's own headers (all three gateways
// forward them).
class HeadLookup final : public HeaderLookup {
 public:
  explicit HeadLookup(const RequestHead& head) : head_(head) {}
  std::optional<std::string_view> Get(std::string_view lower_name) const override {
    return head_.Get(lower_name);
  }

 private:
  const RequestHead& head_;
};

std::string_view FieldOr(const RequestHead& request, std::string_view name,
                         std::string_view fallback) {
  return request.Get(name).value_or(fallback);
}

void Problem(ResponseSink& sink, unsigned status, std::string_view code, std::string_view detail) {
  const Response problem = tollgate::http::Problem(status, code, detail);
  sink.Status(status);
  sink.Header("Content-Type", enforce::kProblemContentType);
  sink.Body(problem.body());
}

void Incomplete(ResponseSink& sink, std::string_view missing) {
  Problem(sink, 500, "authz_request_incomplete",
          std::string(missing) +
              " is missing: the gateway is not configured to pass the original request");
}

// The backend JWT's header: the decision's, else the conventional one.
std::string_view BackendJwtHeader(const Decision& decision) {
  return decision.backend_jwt_header.empty() ? std::string_view("x-jwt-assertion")
                                             : decision.backend_jwt_header;
}

void AddUpstreamHeaders(const Decision& decision, ResponseSink& sink) {
  for (const enforce::HeaderPair& header : enforce::UpstreamHeadersFor(decision)) {
    sink.Header(header.name, header.value);
  }
  if (!decision.backend_jwt.empty()) sink.Header(BackendJwtHeader(decision), decision.backend_jwt);
}

// RateLimit*, Retry-After, Deprecation, Sunset and the explain header: for the client.
void AddClientHeaders(const Decision& decision, bool explain, ResponseSink& sink) {
  if (decision.limit.present) {
    for (const auto& header : enforce::LimitHeadersFor(decision)) {
      sink.Header(header.name, header.value);
    }
  }
  if (decision.deprecated_at != 0 || decision.sunset_at != 0) {
    for (const auto& header : enforce::LifecycleHeadersFor(decision)) {
      sink.Header(header.name, header.value);
    }
  }
  if (explain) sink.Header(enforce::kExplainHeader, enforce::ExplainValue(decision));
}

void AddChallenge(const Decision& decision, ResponseSink& sink) {
  if (decision.http_status() != 401 && decision.code != DecisionCode::kInsufficientScope) return;
  const std::string challenge = enforce::WwwAuthenticate(decision);
  if (!challenge.empty()) sink.Header("WWW-Authenticate", challenge);
}

// The client's address as the gateway reports it: X-Real-IP (nginx), else the last entry of
// X-Forwarded-For (the one the gateway itself appended), else empty.
std::string_view ClientAddress(const RequestHead& request) {
  if (auto real = request.Get("x-real-ip"); real && !real->empty()) return *real;
  if (auto xff = request.Get("x-forwarded-for"); xff && !xff->empty()) {
    std::string_view last = xff->substr(xff->rfind(',') + 1);
    while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
    while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
    return last;
  }
  return {};
}

}  // namespace

// The value of `lower_key` in the last element of an x-forwarded-client-cert header (Envoy's
// format: elements separated by ',', pairs by ';', values optionally double-quoted). The last
// element is the one the nearest proxy added about its own client. Empty when absent.
std::string_view XfccValue(std::string_view xfcc, std::string_view lower_key) {
  // Find the start of the last element, honouring quotes.
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i < xfcc.size(); ++i) {
    if (xfcc[i] == '\\' && quoted) {
      ++i;
    } else if (xfcc[i] == '"') {
      quoted = !quoted;
    } else if (xfcc[i] == ',' && !quoted) {
      start = i + 1;
    }
  }
  std::string_view element = xfcc.substr(start);
  while (!element.empty()) {
    size_t end = 0;
    quoted = false;
    for (; end < element.size(); ++end) {
      if (element[end] == '\\' && quoted) {
        ++end;
      } else if (element[end] == '"') {
        quoted = !quoted;
      } else if (element[end] == ';' && !quoted) {
        break;
      }
    }
    std::string_view pair = element.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && NameEquals(pair.substr(0, eq), lower_key)) {
      std::string_view value = pair.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
    element.remove_prefix(std::min(element.size(), end + 1));
  }
  return {};
}

std::string_view XfccUri(std::string_view xfcc) { return XfccValue(xfcc, "uri"); }

namespace {

// `certificate_principal` owns what access.principal views when it comes from a certificate.
AccessRequest AccessFor(const RequestHead& request, const HeadLookup& headers,
                        std::string& certificate_principal) {
  AccessRequest access;
  access.headers = &headers;
  access.client_address = ClientAddress(request);
  if (auto xfcc = request.Get("x-forwarded-client-cert")) {
    access.principal = XfccUri(*xfcc);
    // Without URI=, the certificate itself (Cert=, URL-encoded PEM; Envoy's
    // set_current_client_cert_details.cert) names the identity: its first URI SAN.
    if (access.principal.empty()) {
      if (const std::string_view cert = XfccValue(*xfcc, "cert"); !cert.empty()) {
        certificate_principal = crypto::FirstUriSanOfPem(cert);
        access.principal = certificate_principal;
      }
    }
  }
  return access;
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

// The client-facing denial every convention but nginx's subrequest uses.
void ProblemAnswer(const Decision& decision, bool explain, ResponseSink& sink) {
  sink.Status(static_cast<unsigned>(decision.http_status()));
  sink.Header("Content-Type", enforce::kProblemContentType);
  sink.Header("x-tollgate-code", CodeName(decision.code));
  AddChallenge(decision, sink);
  AddClientHeaders(decision, explain, sink);
  sink.Body(enforce::ProblemBody(decision));
}

// /_tollgate/denied: the client's answer after an nginx auth_request denial.
void RenderDenied(const RequestHead& request, ResponseSink& sink) {
  const std::optional<DecisionCode> code = CodeFromName(FieldOr(request, "x-tollgate-code", {}));
  if (!code) return Problem(sink, 403, "forbidden", "Access to this resource is denied.");
  Decision decision;
  decision.code = *code;
  unsigned status = static_cast<unsigned>(decision.http_status());
  if (const auto given = request.Get("x-tollgate-status")) {
    const std::optional<unsigned> parsed = ParseErrorStatus(*given);
    if (!parsed) {
      return Problem(sink, 500, "authz_denied_status_invalid",
                     "X-Tollgate-Status must be a 4xx or 5xx status");
    }
    status = *parsed;
  }
  sink.Status(status);
  sink.Header("Content-Type", enforce::kProblemContentType);
  sink.Header("x-tollgate-code", CodeName(decision.code));
  if (status == 401) {
    // The subrequest's challenge names the real credential header; rendering it here can not.
    const auto passed = request.Get("x-tollgate-www-authenticate");
    if (passed && !passed->empty()) {
      sink.Header("WWW-Authenticate", *passed);
    } else {
      AddChallenge(decision, sink);
    }
  }
  if (const auto retry_after = request.Get("x-tollgate-retry-after");
      retry_after && !retry_after->empty()) {
    sink.Header("Retry-After", *retry_after);
  }
  sink.Body(enforce::ProblemBody(decision));
}

// Writes into a Beast response (the general-purpose server's and the tests' shape).
class BeastSink final : public ResponseSink {
 public:
  explicit BeastSink(Response& response) : response_(response) {}
  void Status(unsigned status) override { response_.result(status); }
  void Header(std::string_view name, std::string_view value) override {
    response_.insert(name, value);
  }
  void Body(std::string_view body) override { response_.body().assign(body); }

 private:
  Response& response_;
};

void LogDenial(const Decision& decision, const AccessRequest& access) {
  const std::string line = enforce::DenialLogLine(decision, access);
  std::fprintf(stderr, "[authz] debug: %s\n", line.c_str());
}

}  // namespace

AuthzHandler::AuthzHandler(const enforce::Enforcer& enforcer, AuthzOptions options)
    : enforcer_(&enforcer), options_(std::move(options)) {}

void AuthzHandler::operator()(const RequestHead& request, ResponseSink& sink) const {
  const std::string_view path = request.target.substr(0, request.target.find('?'));
  if (path == "/_tollgate/nginx") return Nginx(request, sink);
  if (path == "/_tollgate/traefik") return Traefik(request, sink);
  if (path == "/_tollgate/denied") return RenderDenied(request, sink);
  if (path == "/_tollgate/healthz") {
    sink.Status(200);
    sink.Header("Content-Type", "text/plain");
    sink.Body("ok");
    return;
  }
  Envoy(request, sink);
}

Response AuthzHandler::operator()(const Request& request,
                                  const tollgate::http::RequestContext& context) const {
  std::vector<FieldView> fields;
  fields.reserve(16);
  for (const auto& field : request) {
    fields.push_back({{field.name_string().data(), field.name_string().size()},
                      {field.value().data(), field.value().size()}});
  }
  RequestHead head;
  head.method = {request.method_string().data(), request.method_string().size()};
  head.target = {request.target().data(), request.target().size()};
  head.version = request.version();
  head.fields = fields.data();
  head.field_count = fields.size();
  head.remote_address = context.remote_address;
  Response response;
  response.result(200);
  response.version(request.version());
  BeastSink sink(response);
  (*this)(head, sink);
  response.prepare_payload();
  return response;
}

void AuthzHandler::Nginx(const RequestHead& request, ResponseSink& sink) const {
  const std::optional<std::string_view> uri = request.Get("x-original-uri");
  if (!uri) return Incomplete(sink, "X-Original-URI");
  const HeadLookup headers(request);
  std::string certificate_principal;
  AccessRequest access = AccessFor(request, headers, certificate_principal);
  access.method = FieldOr(request, "x-original-method", request.method);
  access.host = FieldOr(request, "x-original-host", FieldOr(request, "host", {}));
  access.path = *uri;
  enforcer_->Check(access, [&](const Decision& decision) {
    if (decision.allowed()) {
      sink.Status(200);
      AddUpstreamHeaders(decision, sink);
      AddClientHeaders(decision, options_.explain, sink);
      if (!decision.credential_query.empty()) {
        sink.Header("x-tollgate-uri",
                    enforce::WithoutQueryParameter(*uri, decision.credential_query));
      }
      return;
    }
    if (options_.log_denials) LogDenial(decision, access);
    const int status = decision.http_status();
    sink.Status(status == 401 ? 401 : 403);
    char digits[8];
    const auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
    sink.Header("x-tollgate-status", std::string_view(digits, static_cast<size_t>(end - digits)));
    sink.Header("x-tollgate-code", CodeName(decision.code));
    AddChallenge(decision, sink);
    AddClientHeaders(decision, options_.explain, sink);
  });
}

void AuthzHandler::Traefik(const RequestHead& request, ResponseSink& sink) const {
  const std::optional<std::string_view> uri = request.Get("x-forwarded-uri");
  if (!uri) return Incomplete(sink, "X-Forwarded-Uri");
  const HeadLookup headers(request);
  std::string certificate_principal;
  AccessRequest access = AccessFor(request, headers, certificate_principal);
  access.method = FieldOr(request, "x-forwarded-method", request.method);
  access.host = FieldOr(request, "x-forwarded-host", FieldOr(request, "host", {}));
  access.path = *uri;
  enforcer_->Check(access, [&](const Decision& decision) {
    if (decision.allowed()) {
      sink.Status(200);
      AddUpstreamHeaders(decision, sink);
      AddClientHeaders(decision, options_.explain, sink);
      return;
    }
    if (options_.log_denials) LogDenial(decision, access);
    ProblemAnswer(decision, options_.explain, sink);
  });
}

void AuthzHandler::Envoy(const RequestHead& request, ResponseSink& sink) const {
  std::string_view path = request.target;
  // Envoy sends path_prefix + original path; the prefix only counts at a segment boundary.
  const std::string_view prefix = options_.envoy_path_prefix;
  if (!prefix.empty() && path.substr(0, prefix.size()) == prefix &&
      (path.size() == prefix.size() || path[prefix.size()] == '/' || path[prefix.size()] == '?')) {
    path.remove_prefix(prefix.size());
    if (path.empty()) path = "/";
  }
  const HeadLookup headers(request);
  std::string certificate_principal;
  AccessRequest access = AccessFor(request, headers, certificate_principal);
  access.method = request.method;
  access.host = FieldOr(request, "host", {});
  access.path = path;
  enforcer_->Check(access, [&](const Decision& decision) {
    if (!decision.allowed()) {
      if (options_.log_denials) LogDenial(decision, access);
      return ProblemAnswer(decision, options_.explain, sink);
    }
    sink.Status(200);
    AddUpstreamHeaders(decision, sink);
    AddClientHeaders(decision, options_.explain, sink);
    const enforce::UpstreamHeaders upstream = enforce::UpstreamHeadersFor(decision);
    // Envoy's HTTP service has no headers_to_remove field; this header is its equivalent.
    std::string remove(decision.credential_header);
    for (const FieldView& field : request) {
      if (!HasTollgatePrefix(field.name)) continue;
      bool overwritten = false;
      for (const enforce::HeaderPair& header : upstream) {
        overwritten = overwritten || NameEquals(field.name, header.name);
      }
      if (overwritten) continue;
      if (!remove.empty()) remove += ", ";
      remove += field.name;
    }
    if (!remove.empty()) sink.Header("x-envoy-auth-headers-to-remove", remove);
  });
}

}  // namespace tollgate::adapters::http
