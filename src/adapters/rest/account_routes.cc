// Routes of the management plane's accounts: users (admin), self-signup, the portal session
// (cookie + CSRF token), personal access tokens and the audit log. Rules live in
// control::Accounts; this file translates HTTP, cookies and JSON.
#include <boost/json.hpp>
#include <string>

#include "adapters/rest/account_json.h"
#include "adapters/rest/attempt_limiter.h"
#include "adapters/rest/authn.h"
#include "adapters/rest/json_mapping.h"
#include "adapters/rest/management_api.h"
#include "adapters/rest/replies.h"
#include "control/accounts.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;
namespace beast_http = boost::beast::http;
using beast_http::verb;

namespace {

using P = const control::Principal&;
using R = const tollgate::http::Request&;
using A = const tollgate::http::PathParams&;

std::string SessionCookie(std::string_view value, int64_t max_age, bool secure) {
  std::string cookie = std::string(kSessionCookie) + "=" + std::string(value) +
                       "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" + std::to_string(max_age);
  if (secure) cookie += "; Secure";
  return cookie;
}

tollgate::http::Response UserReply(R req, const Result<User>& user, unsigned status = 200) {
  if (!user.ok()) return ErrorResponse(req, user.error());
  return JsonResponse(req, status, ToJson(*user));
}

// The audit filter from ?actor=&action=&targetType=&targetId=&from=&to= (RFC 3339 times).
Result<store::Store::AuditQuery> AuditQueryFrom(R req) {
  store::Store::AuditQuery q;
  q.actor = QueryParam(req, "actor");
  q.action = QueryParam(req, "action");
  q.target_type = QueryParam(req, "targetType");
  q.target_id = QueryParam(req, "targetId");
  for (auto [name, target] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
    const std::string text = QueryParam(req, name);
    if (text.empty()) continue;
    *target = ParseTime(text);
    if (!*target) {
      return Invalid(name, std::string(name) + " must be an RFC 3339 time", "invalid_query");
    }
  }
  return q;
}

}  // namespace

void ManagementApi::AddAccountRoutes() {
  control::Accounts& accounts = service_.accounts();

  Route(verb::get, "/api/v1/users", [&accounts](P who, R req, A) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    return ReplyPage(req, accounts.ListUsers(who, *page), *page,
                     [](const User& u) { return ToJson(u); });
  });
  Route(verb::post, "/api/v1/users", [&accounts](P who, R req, A) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = UserDraftFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return UserReply(req, accounts.CreateUser(who, std::move(draft.value())), 201);
  });
  Route(verb::get, "/api/v1/users/{id}", [&accounts](P who, R req, A params) {
    return UserReply(req, accounts.GetUser(who, params.Get("id")));
  });
  Route(verb::put, "/api/v1/users/{id}", [&accounts](P who, R req, A params) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto draft = UserDraftFromJson(*body);
    if (!draft.ok()) return ErrorResponse(req, draft.error());
    return UserReply(req, accounts.UpdateUser(who, params.Get("id"), std::move(draft.value())));
  });
  Route(verb::delete_, "/api/v1/users/{id}", [&accounts](P who, R req, A params) {
    auto deleted = accounts.DeleteUser(who, params.Get("id"));
    return deleted.ok() ? NoContent(req) : ErrorResponse(req, deleted.error());
  });

  Route(verb::get, "/api/v1/me/tokens", [&accounts](P who, R req, A) {
    auto tokens = accounts.ListTokens(who);
    if (!tokens.ok()) return ErrorResponse(req, tokens.error());
    json::array items;
    for (const AccessToken& t : *tokens) items.push_back(ToJson(t));
    const auto total = static_cast<int64_t>(items.size());
    return JsonResponse(req, 200, json::object{{"items", std::move(items)}, {"total", total}});
  });
  Route(verb::post, "/api/v1/me/tokens", [&accounts](P who, R req, A) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(req, body.error());
    auto name = StringField(body->get_object(), "name");
    if (!name.ok()) return ErrorResponse(req, name.error());
    auto expires = TimeField(body->get_object(), "expiresAt");
    if (!expires.ok()) return ErrorResponse(req, expires.error());
    auto issued = accounts.CreateToken(who, std::move(name.value()), *expires);
    if (!issued.ok()) return ErrorResponse(req, issued.error());
    json::object o = ToJson(issued->record);
    o["token"] = issued->token;  // shown this once; only its hash is stored
    return JsonResponse(req, 201, o);
  });
  Route(verb::delete_, "/api/v1/me/tokens/{id}", [&accounts](P who, R req, A params) {
    auto revoked = accounts.RevokeToken(who, params.Get("id"));
    return revoked.ok() ? NoContent(req) : ErrorResponse(req, revoked.error());
  });

  Route(verb::get, "/api/v1/audit", [&accounts](P who, R req, A) {
    auto page = PageFrom(req);
    if (!page.ok()) return ErrorResponse(req, page.error());
    auto query = AuditQueryFrom(req);
    if (!query.ok()) return ErrorResponse(req, query.error());
    return ReplyPage(req, accounts.ListAudit(who, *query, *page), *page,
                     [](const AuditEntry& e) { return ToJson(e); });
  });
}

void ManagementApi::AddSessionRoutes() {
  control::Accounts& accounts = service_.accounts();

  PublicRoute(
      verb::post, "/api/v1/signup",
      [this, &accounts](R req, const tollgate::http::RequestContext& context, A) {
        if (!signup_limiter_->Allow(context.remote_address)) {
          auto res = tollgate::http::Problem(429, "signup_rate_limited",
                                             "too many signups from this address; try later", {},
                                             req.version());
          res.set(beast_http::field::retry_after, std::to_string(options_.signup_window_seconds));
          return res;
        }
        auto body = ParseBody(req);
        if (!body.ok()) return ErrorResponse(req, body.error());
        auto draft = UserDraftFromJson(*body);
        if (!draft.ok()) return ErrorResponse(req, draft.error());
        return UserReply(req, accounts.SignUp(std::move(draft.value())), 201);
      });

  // Login: {name, password} → the session cookie and, in the body, the CSRF token.
  PublicRoute(verb::post, "/api/v1/session",
              [this, &accounts](R req, const tollgate::http::RequestContext&, A) {
                auto body = ParseBody(req);
                if (!body.ok()) return ErrorResponse(req, body.error());
                auto name = StringField(body->get_object(), "name");
                if (!name.ok()) return ErrorResponse(req, name.error());
                auto password = StringField(body->get_object(), "password");
                if (!password.ok()) return ErrorResponse(req, password.error());
                auto session = accounts.Login(*name, *password);
                if (!session.ok()) return ErrorResponse(req, session.error());
                auto res =
                    JsonResponse(req, 200,
                                 json::object{{"user", session->user},
                                              {"role", ToString(session->role)},
                                              {"csrfToken", session->csrf_token},
                                              {"expiresAt", FormatTime(session->expires_at)}});
                res.set(beast_http::field::set_cookie,
                        SessionCookie(session->cookie_value, control::kSessionSeconds,
                                      options_.secure_cookies));
                return res;
              });

  // The current session (a reloaded portal page gets its CSRF token back here).
  PublicRoute(verb::get, "/api/v1/session",
              [&accounts](R req, const tollgate::http::RequestContext&, A) {
                auto session = accounts.AuthenticateSession(CookieValue(req, kSessionCookie));
                if (!session.ok()) return ErrorResponse(req, session.error());
                return JsonResponse(req, 200,
                                    json::object{{"user", session->who.user},
                                                 {"role", ToString(session->who.role)},
                                                 {"csrfToken", session->csrf_token}});
              });

  // Logout: deletes the session of the cookie (CSRF-checked like every unsafe cookie request)
  // and expires the cookie.
  Route(verb::delete_, "/api/v1/session", [this, &accounts](P who, R req, A) {
    auto out = accounts.Logout(who, CookieValue(req, kSessionCookie));
    if (!out.ok()) return ErrorResponse(req, out.error());
    auto res = NoContent(req);
    res.set(beast_http::field::set_cookie, SessionCookie("", 0, options_.secure_cookies));
    return res;
  });
}

}  // namespace tollgate::adapters::rest
