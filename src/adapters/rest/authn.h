// Who is calling the management REST API: HTTP Basic, a personal access token ("Authorization:
// Bearer tgp_…") or the portal's session cookie with its CSRF token. Internal to adapters/rest.
#pragma once

#include <string>
#include <string_view>

#include "control/accounts.h"
#include "control/service.h"
#include "core/status.h"
#include "http/server.h"

namespace tollgate::adapters::rest {

inline constexpr std::string_view kSessionCookie = "tollgate_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

enum class CredentialKind { kBasic, kAccessToken, kSession };

struct Caller {
  control::Principal who;
  CredentialKind via = CredentialKind::kBasic;
};

// An explicit Authorization header wins over the cookie. Basic and Bearer need no CSRF token: a
// cross-site page cannot set Authorization (browsers do resend a cached Basic login, which is why
// the portals use sessions, never Basic). A request authenticated by its session cookie must send
// X-CSRF-Token equal to the session's token on every unsafe method (POST, PUT, PATCH, DELETE),
// compared in constant time, else kForbidden "csrf_token_invalid". No credential at all:
// kUnauthenticated "authentication_required".
Result<Caller> AuthenticateRequest(control::Accounts& accounts, const tollgate::http::Request& req);

// The value of cookie `name` in the request's Cookie header(s); "" when absent.
std::string CookieValue(const tollgate::http::Request& req, std::string_view name);

// Whether `method` changes state (anything but GET, HEAD, OPTIONS, TRACE).
bool IsUnsafeMethod(boost::beast::http::verb method);

}  // namespace tollgate::adapters::rest
