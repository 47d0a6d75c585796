// Authentication of management REST requests: Basic, personal access tokens, session cookies.
#include "adapters/rest/authn.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include "crypto/crypto.h"

namespace tollgate::adapters::rest {
namespace beast_http = boost::beast::http;

namespace {

Error Missing() {
  return Error{ErrorKind::kUnauthenticated,
               "authentication_required",
               "send HTTP Basic credentials, a personal access token (Bearer tgp_…) or log in",
               {}};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() > prefix.size() &&
         boost::beast::iequals(text.substr(0, prefix.size()), prefix);
}

}  // namespace

bool IsUnsafeMethod(beast_http::verb method) {
  switch (method) {
    case beast_http::verb::get:
    case beast_http::verb::head:
    case beast_http::verb::options:
    case beast_http::verb::trace:
      return false;
    default:
      return true;
  }
}

std::string CookieValue(const tollgate::http::Request& req, std::string_view name) {
  for (auto it = req.find(beast_http::field::cookie);
       it != req.end() && it->name() == beast_http::field::cookie; ++it) {
    std::string_view rest = it->value();
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view pair = Trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const size_t eq = pair.find('=');
      if (eq == std::string_view::npos || Trim(pair.substr(0, eq)) != name) continue;
      std::string_view value = Trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
  }
  return {};
}

Result<Caller> AuthenticateRequest(control::Accounts& accounts,
                                   const tollgate::http::Request& req) {
  if (auto header = req.find(beast_http::field::authorization); header != req.end()) {
    const std::string_view value = header->value();
    if (StartsWithNoCase(value, "Bearer ")) {
      auto who = accounts.AuthenticateToken(Trim(value.substr(7)));
      if (!who.ok()) return who.error();
      return Caller{*who, CredentialKind::kAccessToken};
    }
    if (!StartsWithNoCase(value, "Basic ")) return Missing();
    auto decoded = crypto::Base64Decode(Trim(value.substr(6)));
    if (!decoded) return Missing();
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) return Missing();
    auto who = accounts.AuthenticatePassword(std::string_view(*decoded).substr(0, colon),
                                             std::string_view(*decoded).substr(colon + 1));
    if (!who.ok()) return who.error();
    return Caller{*who, CredentialKind::kBasic};
  }
  const std::string cookie = CookieValue(req, kSessionCookie);
  if (cookie.empty()) return Missing();
  auto session = accounts.AuthenticateSession(cookie);
  if (!session.ok()) return session.error();
  if (IsUnsafeMethod(req.method())) {
    auto sent = req.find(kCsrfHeader);
    const std::string_view token =
        sent == req.end() ? std::string_view() : std::string_view(sent->value());
    if (token.empty() || !crypto::ConstantTimeEquals(token, session->csrf_token)) {
      return Error{ErrorKind::kForbidden,
                   "csrf_token_invalid",
                   "send the session's CSRF token in X-CSRF-Token (from the login answer or "
                   "GET /api/v1/session)",
                   {}};
    }
  }
  return Caller{session->who, CredentialKind::kSession};
}

}  // namespace tollgate::adapters::rest
