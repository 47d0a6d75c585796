// The accounts rules: admin-managed users, the last admin, self-signup, logins, sessions and
// personal access tokens (expiry, revocation, disabled users), and the audit trail every change
// through the Service leaves — in the same transaction, without secrets.
#include "control/accounts.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "control/service_fixture.h"

namespace tollgate::control {
namespace {

class AccountsTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    ASSERT_TRUE(service_->EnsureAdmin(std::string("admin-password")).ok());
    auto admin = accounts().AuthenticatePassword("admin", "admin-password");
    ASSERT_TRUE(admin.ok());
    root_ = *admin;
  }
  Accounts& accounts() { return service_->accounts(); }

  User MakeUser(const std::string& name, Role role, const std::string& password = kPassword) {
    UserDraft draft{name, name + "@example.com", role, password, std::nullopt};
    auto user = accounts().CreateUser(root_, draft);
    EXPECT_TRUE(user.ok()) << user.error().message;
    return user.ok() ? user.value() : User{};
  }
  std::vector<std::string> Actions() {
    auto log = accounts().ListAudit(root_, {}, {0, 500});
    EXPECT_TRUE(log.ok());
    std::vector<std::string> out;
    for (const AuditEntry& e : log->items) out.push_back(e.action);
    std::reverse(out.begin(), out.end());  // oldest first
    return out;
  }

  static constexpr const char* kPassword = "correct horse battery";
  Principal root_;
};

TEST_F(AccountsTest, OnlyAdminsManageUsersAndPasswordsNeverComeBack) {
  User dave = MakeUser("dave", Role::kPublisher);
  EXPECT_EQ(dave.role, Role::kPublisher);
  EXPECT_EQ(dave.email, "dave@example.com");
  EXPECT_EQ(dave.password_hash.rfind("$argon2id$", 0), 0u) << "stored as argon2id only";
  for (const Principal& who : {alice_, carol_}) {
    EXPECT_EQ(accounts().CreateUser(who, {"eve", "", Role::kAdmin, kPassword, {}}).error().kind,
              ErrorKind::kForbidden);
    EXPECT_EQ(accounts().ListUsers(who, {}).error().kind, ErrorKind::kForbidden);
    EXPECT_EQ(accounts().DeleteUser(who, dave.id).error().kind, ErrorKind::kForbidden);
    EXPECT_EQ(accounts().ListAudit(who, {}, {}).error().kind, ErrorKind::kForbidden);
  }
  EXPECT_EQ(accounts().ListUsers(root_, {})->total, 2);
}

TEST_F(AccountsTest, NamesPasswordsAndEmailsAreValidated) {
  auto short_password = accounts().CreateUser(root_, {"eve", "", {}, "eleven-char", {}});
  EXPECT_EQ(short_password.error().code, "password_too_short");
  EXPECT_EQ(short_password.error().field, "password");
  EXPECT_EQ(accounts().CreateUser(root_, {"-eve", "", {}, kPassword, {}}).error().field, "name");
  EXPECT_EQ(accounts().CreateUser(root_, {"e ve", "", {}, kPassword, {}}).error().field, "name");
  EXPECT_EQ(accounts().CreateUser(root_, {"eve", "not-an-email", {}, kPassword, {}}).error().field,
            "email");
  MakeUser("eve", Role::kSubscriber);
  EXPECT_EQ(accounts().CreateUser(root_, {"eve", "", {}, kPassword, {}}).error().code,
            "user_name_taken");
  User eve;
  auto users = accounts().ListUsers(root_, {});
  ASSERT_TRUE(users.ok());
  for (const User& u : users->items) {
    if (u.name == "eve") eve = u;
  }
  EXPECT_EQ(accounts().UpdateUser(root_, eve.id, {"steve", "", {}, "", {}}).error().code,
            "user_name_immutable");
}

TEST_F(AccountsTest, TheLastAdminCannotBeDeletedDemotedOrDisabled) {
  auto me = accounts().ListUsers(root_, {})->items.front();
  EXPECT_EQ(accounts().DeleteUser(root_, me.id).error().code, "last_admin");
  EXPECT_EQ(accounts().UpdateUser(root_, me.id, {"", "", Role::kPublisher, "", {}}).error().code,
            "last_admin");
  EXPECT_EQ(accounts().UpdateUser(root_, me.id, {"", "", {}, "", true}).error().code, "last_admin");
  MakeUser("second", Role::kAdmin);
  EXPECT_TRUE(accounts().UpdateUser(root_, me.id, {"", "", Role::kPublisher, "", {}}).ok());
}

TEST_F(AccountsTest, SignupCreatesSubscribersOnlyWhenEnabled) {
  EXPECT_EQ(accounts().SignUp({"newbie", "", Role::kAdmin, kPassword, {}}).error().code,
            "signup_disabled");
  accounts().SetSignupEnabled(true);
  auto newbie = accounts().SignUp({"newbie", "n@example.com", Role::kAdmin, kPassword, true});
  ASSERT_TRUE(newbie.ok()) << newbie.error().message;
  EXPECT_EQ(newbie->role, Role::kSubscriber) << "signup never grants a role";
  EXPECT_FALSE(newbie->disabled);
  EXPECT_TRUE(accounts().AuthenticatePassword("newbie", kPassword).ok());
  auto log = accounts().ListAudit(root_, {}, {0, 1});
  EXPECT_EQ(log->items.at(0).action, "user.signup");
  EXPECT_EQ(log->items.at(0).actor, "newbie");
}

TEST_F(AccountsTest, UnknownUserWrongPasswordAndDisabledUserGetTheSameAnswer) {
  User dave = MakeUser("dave", Role::kSubscriber);
  const auto unknown = accounts().AuthenticatePassword("nobody", kPassword);
  const auto wrong = accounts().AuthenticatePassword("dave", "wrong password!");
  ASSERT_TRUE(accounts().UpdateUser(root_, dave.id, {"", "", {}, "", true}).ok());
  const auto disabled = accounts().AuthenticatePassword("dave", kPassword);
  for (const auto* r : {&unknown, &wrong, &disabled}) {
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->error().kind, ErrorKind::kUnauthenticated);
    EXPECT_EQ(r->error().code, "invalid_login");
  }
}

TEST_F(AccountsTest, SessionsLastEightHoursAndEndAtLogout) {
  MakeUser("dave", Role::kPublisher);
  auto session = accounts().Login("dave", kPassword);
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_GE(session->cookie_value.size(), 43u);
  EXPECT_FALSE(session->csrf_token.empty());
  auto who = accounts().AuthenticateSession(session->cookie_value);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->who.user, "dave");
  EXPECT_EQ(who->who.role, Role::kPublisher);
  EXPECT_EQ(who->csrf_token, session->csrf_token);
  EXPECT_EQ(accounts().AuthenticateSession("forged").error().code, "session_invalid");

  clock_.Advance(kSessionSeconds - 1);
  EXPECT_TRUE(accounts().AuthenticateSession(session->cookie_value).ok());
  clock_.Advance(1);
  EXPECT_EQ(accounts().AuthenticateSession(session->cookie_value).error().code, "session_invalid");

  auto again = accounts().Login("dave", kPassword);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(accounts().Logout(who->who, again->cookie_value).ok());
  EXPECT_FALSE(accounts().AuthenticateSession(again->cookie_value).ok());
  EXPECT_FALSE(accounts().Login("dave", "wrong password!").ok());
}

TEST_F(AccountsTest, TokensAuthenticateUntilExpiryOrRevocationAndStoreOnlyAHash) {
  MakeUser("dave", Role::kSubscriber);
  const Principal dave{"dave", Role::kSubscriber};
  auto forever = accounts().CreateToken(dave, "ci", std::nullopt);
  ASSERT_TRUE(forever.ok());
  EXPECT_EQ(forever->token.rfind("tgp_", 0), 0u);
  EXPECT_EQ(forever->token.size(), 44u);
  EXPECT_EQ(forever->record.hash, crypto::Sha256Hex(forever->token));
  EXPECT_EQ(forever->token.find(forever->record.prefix), 0u);
  auto hour = accounts().CreateToken(dave, "short", clock_.NowSeconds() + 3600);
  ASSERT_TRUE(hour.ok());
  EXPECT_EQ(accounts().CreateToken(dave, "past", clock_.NowSeconds()).error().field, "expiresAt");

  EXPECT_EQ(accounts().AuthenticateToken(forever->token)->user, "dave");
  EXPECT_TRUE(accounts().AuthenticateToken(hour->token).ok());
  clock_.Advance(3600);
  EXPECT_EQ(accounts().AuthenticateToken(hour->token).error().code, "invalid_token");
  EXPECT_EQ(accounts().AuthenticateToken("tgp_forged").error().code, "invalid_token");
  EXPECT_EQ(accounts().ListTokens(dave)->size(), 2u);

  // Someone else cannot revoke it; the owner can.
  EXPECT_EQ(accounts().RevokeToken(alice_, forever->record.id).error().kind, ErrorKind::kNotFound);
  ASSERT_TRUE(accounts().RevokeToken(dave, forever->record.id).ok());
  EXPECT_FALSE(accounts().AuthenticateToken(forever->token).ok());
}

TEST_F(AccountsTest, ADisabledUserCannotAuthenticateByAnyMeans) {
  User dave = MakeUser("dave", Role::kPublisher);
  const Principal p{"dave", Role::kPublisher};
  auto token = accounts().CreateToken(p, "ci", std::nullopt);
  auto session = accounts().Login("dave", kPassword);
  ASSERT_TRUE(token.ok() && session.ok());
  ASSERT_TRUE(accounts().AuthenticatePassword("dave", kPassword).ok());  // now cached
  ASSERT_TRUE(accounts().UpdateUser(root_, dave.id, {"", "", {}, "", true}).ok());
  EXPECT_FALSE(accounts().AuthenticatePassword("dave", kPassword).ok());
  EXPECT_FALSE(accounts().AuthenticateToken(token->token).ok());
  EXPECT_FALSE(accounts().AuthenticateSession(session->cookie_value).ok());
  EXPECT_FALSE(accounts().Login("dave", kPassword).ok());
  ASSERT_TRUE(accounts().UpdateUser(root_, dave.id, {"", "", {}, "", false}).ok());
  EXPECT_TRUE(accounts().AuthenticateToken(token->token).ok());
}

TEST_F(AccountsTest, APasswordChangeEndsTheCachedLoginAndRoleChangesActAtOnce) {
  User dave = MakeUser("dave", Role::kSubscriber);
  ASSERT_TRUE(accounts().AuthenticatePassword("dave", kPassword).ok());
  ASSERT_TRUE(accounts()
                  .UpdateUser(root_, dave.id, {"", "", Role::kPublisher, "a new long password", {}})
                  .ok());
  EXPECT_FALSE(accounts().AuthenticatePassword("dave", kPassword).ok());
  auto now = accounts().AuthenticatePassword("dave", "a new long password");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->role, Role::kPublisher);
  auto log = accounts().ListAudit(root_, {}, {0, 1});
  EXPECT_EQ(log->items.at(0).action, "user.update");
  EXPECT_NE(log->items.at(0).after.find("\"passwordChanged\":true"), std::string::npos);
  EXPECT_EQ(log->items.at(0).after.find("argon2"), std::string::npos);
}

TEST_F(AccountsTest, EveryChangeThroughTheServiceIsAuditedInOrder) {
  auto api = service_->CreateApi(carol_, Draft());
  ASSERT_TRUE(api.ok());
  ASSERT_TRUE(service_->UpdateApi(carol_, api->id, Draft()).ok());
  ASSERT_TRUE(service_->ChangeLifecycle(carol_, api->id, "publish").ok());
  Plan bronze{.name = "Bronze"};
  auto plan = service_->CreatePlan(admin_, bronze);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_TRUE(service_->DeletePlan(admin_, plan->id).ok());
  auto app = service_->CreateApplication(alice_, Application{.name = "shop"});
  ASSERT_TRUE(app.ok());
  ASSERT_TRUE(service_->UpdateApplication(alice_, app->id, Application{.name = "shop2"}).ok());
  auto sub = service_->Subscribe(alice_, app->id, api->id, "Gold");
  ASSERT_TRUE(sub.ok());
  auto key = service_->CreateApiKey(alice_, app->id, "ci", std::nullopt);
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(service_->DeleteApiKey(alice_, app->id, key->record.id).ok());
  ASSERT_TRUE(service_->Unsubscribe(alice_, app->id, sub->id).ok());
  ASSERT_TRUE(service_->DeleteApplication(alice_, app->id).ok());
  ASSERT_TRUE(service_->DeleteApi(carol_, api->id).ok());

  EXPECT_EQ(Actions(), (std::vector<std::string>{
                           "user.create", "api.create", "api.update", "api.lifecycle",
                           "plan.create", "plan.delete", "application.create", "application.update",
                           "subscription.create", "key.create", "key.revoke", "subscription.delete",
                           "application.delete", "api.delete"}));
  store::Store::AuditQuery q;
  q.target_type = "key";
  auto key_log = accounts().ListAudit(root_, q, {0, 10});
  ASSERT_EQ(key_log->total, 2);
  const AuditEntry& created = key_log->items[1];
  EXPECT_EQ(created.actor, "alice");
  EXPECT_EQ(created.target_id, key->record.id);
  EXPECT_EQ(created.at, clock_.NowSeconds());
  EXPECT_NE(created.after.find(key->record.prefix), std::string::npos);
  EXPECT_EQ(created.after.find(key->key), std::string::npos) << "never the key";
  EXPECT_EQ(created.after.find(key->record.hash), std::string::npos) << "never its hash";

  q = {};
  q.action = "api.lifecycle";
  auto lifecycle = accounts().ListAudit(root_, q, {0, 10});
  EXPECT_EQ(lifecycle->items.at(0).before, "{\"lifecycle\":\"CREATED\"}");
  EXPECT_NE(lifecycle->items.at(0).after.find("PUBLISHED"), std::string::npos);
}

TEST_F(AccountsTest, ARefusedChangeLeavesNoAuditEntry) {
  const size_t before = Actions().size();
  auto api = service_->CreateApi(carol_, Draft());
  ASSERT_TRUE(api.ok());
  EXPECT_FALSE(service_->CreateApi(carol_, Draft()).ok());               // name taken
  EXPECT_FALSE(service_->CreateApi(alice_, Draft("Other", "/o")).ok());  // forbidden
  EXPECT_FALSE(service_->ChangeLifecycle(carol_, api->id, "deprecate").ok());
  EXPECT_FALSE(service_->DeletePlan(admin_, "plan-Gold").ok());  // in use
  EXPECT_EQ(Actions().size(), before + 1);
}

}  // namespace
}  // namespace tollgate::control
