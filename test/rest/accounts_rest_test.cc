// The accounts REST surface as a portal and a script see it: login cookie and CSRF token,
// personal access tokens, disabled users, the last admin, self-signup on and off, the audit log.
#include <gtest/gtest.h>

#include "rest/rest_harness.h"

namespace tollgate::adapters::rest {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)
using beast_http::verb;

constexpr const char* kAdminPassword = "admin-password-1";
constexpr const char* kPassword = "correct horse battery";

class AccountsRestTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void Start(ManagementOptions options) {
    rest_.reset();
    rest_ = std::make_unique<RestHarness>(dir_.path() / "t.db", options);
    ASSERT_TRUE(rest_->service().EnsureAdmin(std::string(kAdminPassword)).ok());
  }
  std::map<std::string, std::string> Admin() {
    return {{"Authorization", BasicAuth("admin", kAdminPassword)}};
  }
  Answer CreateUser(const std::string& name, const std::string& role) {
    return rest_->Call(verb::post, "/api/v1/users", Admin(),
                       json::serialize(json::object{{"name", name},
                                                    {"email", name + "@example.com"},
                                                    {"role", role},
                                                    {"password", kPassword}}));
  }
  // Logs in; returns the cookie value and the CSRF token.
  std::pair<std::string, std::string> Login(const std::string& name) {
    Answer a = rest_->Call(verb::post, "/api/v1/session", {},
                           json::serialize(json::object{{"name", name}, {"password", kPassword}}));
    EXPECT_EQ(a.status, 200u) << a.raw.body();
    const std::string cookie(a.raw[beast_http::field::set_cookie]);
    const size_t eq = cookie.find('='), semi = cookie.find(';');
    return {cookie.substr(eq + 1, semi - eq - 1), std::string(a.body.at("csrfToken").as_string())};
  }

  TempDir dir_;
  std::unique_ptr<RestHarness> rest_;
};

TEST_F(AccountsRestTest, LoginSetsAHardenedCookieAndUnsafeMethodsNeedTheCsrfToken) {
  ASSERT_EQ(CreateUser("dave", "subscriber").status, 201u);
  Answer login = rest_->Call(verb::post, "/api/v1/session", {},
                             R"({"name":"dave","password":"correct horse battery"})");
  ASSERT_EQ(login.status, 200u) << login.raw.body();
  const std::string cookie(login.raw[beast_http::field::set_cookie]);
  EXPECT_EQ(cookie.rfind("tollgate_session=", 0), 0u) << cookie;
  for (const char* attr : {"; HttpOnly", "; SameSite=Strict", "; Path=/", "; Max-Age=28800"}) {
    EXPECT_NE(cookie.find(attr), std::string::npos) << attr << " in " << cookie;
  }
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "only with --secure-cookies";
  EXPECT_EQ(login.body.at("user").as_string(), "dave");
  const std::string value = cookie.substr(17, cookie.find(';') - 17);
  EXPECT_EQ(value.size(), 43u) << "base64url of 32 bytes";
  const std::string csrf(login.body.at("csrfToken").as_string());

  const std::map<std::string, std::string> with_cookie{
      {"Cookie", "a=b; tollgate_session=" + value}};
  EXPECT_EQ(rest_->Call(verb::get, "/api/v1/me", with_cookie).status, 200u) << "safe: no token";
  EXPECT_EQ(rest_->Call(verb::get, "/api/v1/session", with_cookie).body.at("csrfToken").as_string(),
            csrf);

  const std::string app = R"({"name":"shop"})";
  Answer without = rest_->Call(verb::post, "/api/v1/applications", with_cookie, app);
  EXPECT_EQ(without.status, 403u);
  EXPECT_EQ(without.Code(), "csrf_token_invalid");
  auto wrong = with_cookie;
  wrong["X-CSRF-Token"] = csrf.substr(0, csrf.size() - 1) + (csrf.back() == 'A' ? "B" : "A");
  EXPECT_EQ(rest_->Call(verb::post, "/api/v1/applications", wrong, app).Code(),
            "csrf_token_invalid");
  auto right = with_cookie;
  right["X-CSRF-Token"] = csrf;
  EXPECT_EQ(rest_->Call(verb::post, "/api/v1/applications", right, app).status, 201u);

  // Logout needs the token too, deletes the session and expires the cookie.
  EXPECT_EQ(rest_->Call(verb::delete_, "/api/v1/session", with_cookie).status, 403u);
  Answer out = rest_->Call(verb::delete_, "/api/v1/session", right);
  EXPECT_EQ(out.status, 204u);
  EXPECT_NE(std::string(out.raw[beast_http::field::set_cookie]).find("Max-Age=0"),
            std::string::npos);
  EXPECT_EQ(rest_->Call(verb::get, "/api/v1/me", with_cookie).status, 401u);
}

TEST_F(AccountsRestTest, SecureCookiesFlagAddsSecureAndLoginFailuresLookAlike) {
  Start(ManagementOptions{.secure_cookies = true});
  ASSERT_EQ(CreateUser("dave", "subscriber").status, 201u);
  Answer login = rest_->Call(verb::post, "/api/v1/session", {},
                             R"({"name":"dave","password":"correct horse battery"})");
  EXPECT_NE(std::string(login.raw[beast_http::field::set_cookie]).find("; Secure"),
            std::string::npos);
  Answer unknown = rest_->Call(verb::post, "/api/v1/session", {},
                               R"({"name":"nobody","password":"correct horse battery"})");
  Answer wrong = rest_->Call(verb::post, "/api/v1/session", {},
                             R"({"name":"dave","password":"wrong password!!"})");
  EXPECT_EQ(unknown.status, 401u);
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(unknown.raw.body(), wrong.raw.body());
  EXPECT_TRUE(wrong.raw[beast_http::field::set_cookie].empty());
}

TEST_F(AccountsRestTest, APersonalAccessTokenIsShownOnceAndAuthenticatesAsBearer) {
  ASSERT_EQ(CreateUser("dave", "publisher").status, 201u);
  const auto dave =
      std::map<std::string, std::string>{{"Authorization", BasicAuth("dave", kPassword)}};
  Answer created = rest_->Call(verb::post, "/api/v1/me/tokens", dave, R"({"name":"ci"})");
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  const std::string token(created.body.at("token").as_string());
  EXPECT_EQ(token.rfind("tgp_", 0), 0u);
  const std::string id(created.body.at("id").as_string());

  Answer listed = rest_->Call(verb::get, "/api/v1/me/tokens", dave);
  ASSERT_EQ(listed.status, 200u);
  EXPECT_EQ(listed.raw.body().find(token), std::string::npos) << "never shown again";
  EXPECT_EQ(listed.body.at("total").as_int64(), 1);

  const std::map<std::string, std::string> bearer{{"Authorization", "Bearer " + token}};
  Answer me = rest_->Call(verb::get, "/api/v1/me", bearer);
  ASSERT_EQ(me.status, 200u);
  EXPECT_EQ(me.body.at("name").as_string(), "dave");
  EXPECT_EQ(me.body.at("role").as_string(), "publisher");
  // A token needs no CSRF token: a cross-site page cannot send it.
  EXPECT_EQ(rest_->Call(verb::post, "/api/v1/apis", bearer, "{}").status, 400u);

  ASSERT_EQ(rest_->Call(verb::delete_, "/api/v1/me/tokens/" + id, dave).status, 204u);
  Answer revoked = rest_->Call(verb::get, "/api/v1/me", bearer);
  EXPECT_EQ(revoked.status, 401u);
  EXPECT_EQ(revoked.Code(), "invalid_token");
  EXPECT_NE(std::string(revoked.raw[beast_http::field::www_authenticate]).find("Bearer"),
            std::string::npos);
}

TEST_F(AccountsRestTest, ADisabledUserIsRefusedWhateverTheCredential) {
  Answer dave = CreateUser("dave", "subscriber");
  ASSERT_EQ(dave.status, 201u);
  const auto basic =
      std::map<std::string, std::string>{{"Authorization", BasicAuth("dave", kPassword)}};
  const std::string token(
      rest_->Call(verb::post, "/api/v1/me/tokens", basic, "{}").body.at("token").as_string());
  const auto [cookie, csrf] = Login("dave");
  const std::string id(dave.body.at("id").as_string());
  Answer put = rest_->Call(verb::put, "/api/v1/users/" + id, Admin(), R"({"disabled":true})");
  ASSERT_EQ(put.status, 200u) << put.raw.body();
  EXPECT_TRUE(put.body.at("disabled").as_bool());
  EXPECT_EQ(put.body.at("email").as_string(), "dave@example.com") << "absent fields are kept";
  EXPECT_EQ(rest_->Call(verb::get, "/api/v1/me", basic).status, 401u);
  EXPECT_EQ(rest_->Call(verb::get, "/api/v1/me", {{"Authorization", "Bearer " + token}}).status,
            401u);
  EXPECT_EQ(rest_->Call(verb::get, "/api/v1/me", {{"Cookie", "tollgate_session=" + cookie}}).status,
            401u);
  EXPECT_EQ(rest_
                ->Call(verb::post, "/api/v1/session", {},
                       R"({"name":"dave","password":"correct horse battery"})")
                .status,
            401u);
}

TEST_F(AccountsRestTest, UsersAreAdminOnlyAndTheLastAdminStays) {
  Answer dave = CreateUser("dave", "subscriber");
  ASSERT_EQ(dave.status, 201u);
  EXPECT_FALSE(dave.body.as_object().contains("password"));
  EXPECT_EQ(dave.raw.body().find("argon2"), std::string::npos);
  EXPECT_EQ(CreateUser("dave", "subscriber").status, 409u);
  Answer short_password =
      rest_->Call(verb::post, "/api/v1/users", Admin(), R"({"name":"eve","password":"short"})");
  EXPECT_EQ(short_password.status, 400u);
  EXPECT_EQ(short_password.body.at("field").as_string(), "password");
  EXPECT_EQ(
      rest_->Call(verb::get, "/api/v1/users", {{"Authorization", BasicAuth("dave", kPassword)}})
          .status,
      403u);

  Answer users = rest_->Call(verb::get, "/api/v1/users", Admin());
  ASSERT_EQ(users.status, 200u);
  std::string admin_id;
  for (const auto& u : users.body.at("items").as_array()) {
    if (u.at("name").as_string() == "admin") admin_id = std::string(u.at("id").as_string());
  }
  Answer demote =
      rest_->Call(verb::put, "/api/v1/users/" + admin_id, Admin(), R"({"role":"publisher"})");
  EXPECT_EQ(demote.status, 409u);
  EXPECT_EQ(demote.Code(), "last_admin");
  Answer remove = rest_->Call(verb::delete_, "/api/v1/users/" + admin_id, Admin());
  EXPECT_EQ(remove.Code(), "last_admin");
  EXPECT_EQ(rest_
                ->Call(verb::delete_,
                       "/api/v1/users/" + std::string(dave.body.at("id").as_string()), Admin())
                .status,
            204u);
}

TEST_F(AccountsRestTest, SignupIsOffByDefaultAndCreatesOnlySubscribersWhenOn) {
  const std::string body = R"({"name":"newbie","password":"correct horse battery","role":"admin"})";
  Answer off = rest_->Call(verb::post, "/api/v1/signup", {}, body);
  EXPECT_EQ(off.status, 403u);
  EXPECT_EQ(off.Code(), "signup_disabled");
  rest_->accounts().SetSignupEnabled(true);
  Answer on = rest_->Call(verb::post, "/api/v1/signup", {}, body);
  ASSERT_EQ(on.status, 201u) << on.raw.body();
  EXPECT_EQ(on.body.at("role").as_string(), "subscriber");
  Login("newbie");
}

TEST_F(AccountsRestTest, SignupAttemptsAreLimitedPerAddress) {
  Start(ManagementOptions{.signup_attempts = 2, .signup_window_seconds = 600});
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(rest_->Call(verb::post, "/api/v1/signup", {}, "{}", "10.0.0.1").status, 403u);
  }
  Answer limited = rest_->Call(verb::post, "/api/v1/signup", {}, "{}", "10.0.0.1");
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.raw[beast_http::field::retry_after], "600");
  EXPECT_EQ(rest_->Call(verb::post, "/api/v1/signup", {}, "{}", "10.0.0.2").status, 403u);
}

TEST_F(AccountsRestTest, TheAuditLogShowsChangesNewestFirstWithFilters) {
  ASSERT_EQ(CreateUser("dave", "publisher").status, 201u);
  const auto dave =
      std::map<std::string, std::string>{{"Authorization", BasicAuth("dave", kPassword)}};
  Answer api =
      rest_->Call(verb::post, "/api/v1/apis", dave,
                  R"({"name":"Pets","version":"v1","context":"/pets/v1",)"
                  R"("upstream":"http://pets:8080","resources":[{"method":"GET","path":"/x"}]})");
  ASSERT_EQ(api.status, 201u) << api.raw.body();
  const std::string api_id(api.body.at("id").as_string());
  Login("dave");

  EXPECT_EQ(rest_->Call(verb::get, "/api/v1/audit", dave).status, 403u);
  Answer all = rest_->Call(verb::get, "/api/v1/audit", Admin());
  ASSERT_EQ(all.status, 200u) << all.raw.body();
  const auto& items = all.body.at("items").as_array();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].at("action").as_string(), "session.login");
  EXPECT_EQ(items[1].at("action").as_string(), "api.create");
  EXPECT_EQ(items[1].at("actor").as_string(), "dave");
  EXPECT_EQ(items[1].at("targetId").as_string(), api_id);
  EXPECT_EQ(items[1].at("after").at("name").as_string(), "Pets");
  EXPECT_EQ(items[2].at("action").as_string(), "user.create");
  EXPECT_EQ(items[3].at("actor").as_string(), "system") << "the bootstrap admin";

  Answer filtered = rest_->Call(
      verb::get, "/api/v1/audit?targetType=api&targetId=" + api_id + "&limit=1", Admin());
  ASSERT_EQ(filtered.status, 200u);
  EXPECT_EQ(filtered.body.at("total").as_int64(), 1);
  Answer future = rest_->Call(verb::get, "/api/v1/audit?from=2040-01-01T00:00:00Z", Admin());
  EXPECT_EQ(future.body.at("total").as_int64(), 0);
  EXPECT_EQ(rest_->Call(verb::get, "/api/v1/audit?from=yesterday", Admin()).status, 400u);
}

}  // namespace
}  // namespace tollgate::adapters::rest
