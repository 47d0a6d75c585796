// Store contract, part 4: users (last-admin rule, applications), personal access tokens, portal
// sessions and the audit log written through AuditScope. Written against Store& only.
#include "store/store_contract_test.h"
#include "store/store_test_data.h"

namespace tollgate::store {
namespace {

using namespace testdata;  // NOLINT(google-build-using-namespace)

AccessToken MakeToken(const std::string& user, const std::string& name, int64_t created_at = 6000) {
  return AccessToken{
      "tok-" + user + "-" + name,         user,       name,        "tgp_" + name.substr(0, 5),
      std::string(64, 'a') + user + name, created_at, std::nullopt};
}

Session MakeSession(const std::string& user, const std::string& hash, int64_t expires_at) {
  return Session{hash, user, "csrf-" + hash, 1000, expires_at};
}

AuditEntry MakeEntry(const std::string& actor, const std::string& action, const std::string& id,
                     int64_t at = 7000) {
  return AuditEntry{0, at, actor, action, "api", id, "", "{\"name\":\"x\"}"};
}

TEST_P(StoreContractTest, UserReadsBackByIdAndNameWithEmailAndDisabled) {
  User alice = MakeUser("alice", Role::kPublisher);
  alice.email = "alice@example.com";
  alice.disabled = true;
  ASSERT_TRUE(Succeeds(store().CreateUser(alice)));
  for (const auto& got : {store().GetUser(alice.id), store().GetUserByName("alice")}) {
    ASSERT_TRUE(Succeeds(got));
    EXPECT_EQ(got->id, alice.id);
    EXPECT_EQ(got->name, "alice");
    EXPECT_EQ(got->role, Role::kPublisher);
    EXPECT_EQ(got->email, "alice@example.com");
    EXPECT_TRUE(got->disabled);
    EXPECT_EQ(got->password_hash, alice.password_hash);
    EXPECT_EQ(got->created_at, alice.created_at);
  }
  EXPECT_TRUE(
      FailsWith(store().CreateUser(MakeUser("alice")), ErrorKind::kConflict, "user_name_taken"));
  EXPECT_TRUE(FailsWith(store().GetUser("nope"), ErrorKind::kNotFound, "user_not_found"));
  EXPECT_EQ(*store().CountUsers(), 1);
}

TEST_P(StoreContractTest, UpdateUserKeepsNameAndListPagesInCreationOrder) {
  User a = MakeUser("a1");
  User b = MakeUser("b1");
  b.created_at = 4000;
  ASSERT_TRUE(Succeeds(store().CreateUser(a)));
  ASSERT_TRUE(Succeeds(store().CreateUser(b)));
  User edit = a;
  edit.name = "renamed";
  edit.email = "a@example.com";
  edit.role = Role::kPublisher;
  edit.password_hash = "$argon2id$new";
  auto updated = store().UpdateUser(edit);
  ASSERT_TRUE(Succeeds(updated));
  EXPECT_EQ(updated->name, "a1");
  EXPECT_EQ(updated->role, Role::kPublisher);
  EXPECT_EQ(updated->password_hash, "$argon2id$new");
  auto page = store().ListUsers({0, 1});
  ASSERT_TRUE(Succeeds(page));
  EXPECT_EQ(page->total, 2);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name, "b1");
  EXPECT_TRUE(
      FailsWith(store().UpdateUser(MakeUser("ghost")), ErrorKind::kNotFound, "user_not_found"));
}

TEST_P(StoreContractTest, TheLastActiveAdminCannotBeDemotedDisabledOrDeleted) {
  User root = MakeUser("root", Role::kAdmin);
  ASSERT_TRUE(Succeeds(store().CreateUser(root)));
  User demoted = root;
  demoted.role = Role::kSubscriber;
  EXPECT_TRUE(FailsWith(store().UpdateUser(demoted), ErrorKind::kConflict, "last_admin"));
  User disabled = root;
  disabled.disabled = true;
  EXPECT_TRUE(FailsWith(store().UpdateUser(disabled), ErrorKind::kConflict, "last_admin"));
  EXPECT_TRUE(FailsWith(store().DeleteUser(root.id), ErrorKind::kConflict, "last_admin"));

  // A disabled admin does not count; an active one does.
  User dormant = MakeUser("dormant", Role::kAdmin);
  dormant.disabled = true;
  ASSERT_TRUE(Succeeds(store().CreateUser(dormant)));
  EXPECT_TRUE(FailsWith(store().DeleteUser(root.id), ErrorKind::kConflict, "last_admin"));
  ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("second", Role::kAdmin))));
  EXPECT_TRUE(Succeeds(store().UpdateUser(demoted)));
  EXPECT_EQ(store().GetUser(root.id)->role, Role::kSubscriber);
  EXPECT_TRUE(Succeeds(store().DeleteUser(root.id)));
  EXPECT_TRUE(FailsWith(store().DeleteUser(root.id), ErrorKind::kNotFound, "user_not_found"));
}

TEST_P(StoreContractTest, AUserWhoOwnsApplicationsIsNotDeleted) {
  ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("bob"))));
  Application app = MakeApp("shop", "bob");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  EXPECT_TRUE(
      FailsWith(store().DeleteUser("user-bob"), ErrorKind::kConflict, "user_has_applications"));
  ASSERT_TRUE(Succeeds(store().DeleteApplication(app.id)));
  EXPECT_TRUE(Succeeds(store().DeleteUser("user-bob")));
}

TEST_P(StoreContractTest, AccessTokensAreFoundByHashListedPerUserAndGoWithTheirUser) {
  ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("bob"))));
  ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("carol"))));
  AccessToken ci = MakeToken("bob", "ci");
  ci.expires_at = 9'000'000;
  ASSERT_TRUE(Succeeds(store().CreateAccessToken(ci)));
  ASSERT_TRUE(Succeeds(store().CreateAccessToken(MakeToken("bob", "laptop", 6500))));
  ASSERT_TRUE(Succeeds(store().CreateAccessToken(MakeToken("carol", "ci"))));

  auto found = store().GetAccessTokenByHash(ci.hash);
  ASSERT_TRUE(Succeeds(found));
  EXPECT_EQ(found->id, ci.id);
  EXPECT_EQ(found->user, "bob");
  EXPECT_EQ(found->prefix, ci.prefix);
  EXPECT_EQ(found->expires_at, ci.expires_at);
  EXPECT_TRUE(FailsWith(store().GetAccessTokenByHash("nope"), ErrorKind::kNotFound,
                        "access_token_not_found"));
  AccessToken twin = MakeToken("carol", "twin");
  twin.hash = ci.hash;
  EXPECT_TRUE(
      FailsWith(store().CreateAccessToken(twin), ErrorKind::kConflict, "access_token_taken"));
  EXPECT_TRUE(FailsWith(store().CreateAccessToken(MakeToken("ghost", "x")), ErrorKind::kNotFound,
                        "user_not_found"));

  auto bobs = store().ListAccessTokens("bob");
  ASSERT_TRUE(Succeeds(bobs));
  ASSERT_EQ(bobs->size(), 2u);
  EXPECT_EQ((*bobs)[0].name, "ci");
  EXPECT_EQ((*bobs)[1].name, "laptop");

  // Only the owner's delete removes a token.
  EXPECT_TRUE(FailsWith(store().DeleteAccessToken("carol", ci.id), ErrorKind::kNotFound,
                        "access_token_not_found"));
  EXPECT_TRUE(Succeeds(store().DeleteAccessToken("bob", ci.id)));
  EXPECT_EQ(store().ListAccessTokens("bob")->size(), 1u);

  ASSERT_TRUE(Succeeds(store().DeleteUser("user-carol")));
  EXPECT_TRUE(store().ListAccessTokens("carol")->empty());
}

TEST_P(StoreContractTest, SessionsAreFoundByHashDeletedAndExpiredOnesSweptAtCreate) {
  ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("bob"))));
  ASSERT_TRUE(Succeeds(store().CreateSession(MakeSession("bob", "old", 2000), 1500)));
  ASSERT_TRUE(Succeeds(store().CreateSession(MakeSession("bob", "live", 9000), 1500)));
  auto live = store().GetSession("live");
  ASSERT_TRUE(Succeeds(live));
  EXPECT_EQ(live->user, "bob");
  EXPECT_EQ(live->csrf_token, "csrf-live");
  EXPECT_EQ(live->expires_at, 9000);
  EXPECT_TRUE(FailsWith(store().CreateSession(MakeSession("bob", "live", 9000), 1500),
                        ErrorKind::kConflict, "session_taken"));
  EXPECT_TRUE(FailsWith(store().CreateSession(MakeSession("ghost", "g", 9000), 1500),
                        ErrorKind::kNotFound, "user_not_found"));

  // A later login sweeps sessions that have expired by then.
  ASSERT_TRUE(Succeeds(store().CreateSession(MakeSession("bob", "new", 9000), 2000)));
  EXPECT_TRUE(FailsWith(store().GetSession("old"), ErrorKind::kNotFound, "session_not_found"));
  EXPECT_TRUE(Succeeds(store().DeleteSession("live")));
  EXPECT_TRUE(FailsWith(store().DeleteSession("live"), ErrorKind::kNotFound, "session_not_found"));
  ASSERT_TRUE(Succeeds(store().DeleteUser("user-bob")));
  EXPECT_TRUE(FailsWith(store().GetSession("new"), ErrorKind::kNotFound, "session_not_found"));
}

TEST_P(StoreContractTest, AnOpenAuditScopeIsRecordedOnceWithTheWriteThatCommits) {
  Api api = MakeApi("audited");
  {
    AuditScope scope(MakeEntry("alice", "api.create", api.id));
    ASSERT_TRUE(Succeeds(store().CreateApi(api)));
    EXPECT_TRUE(scope.recorded());
    // A second write inside the same scope records nothing more.
    ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("other"))));
  }
  auto log = store().ListAudit({}, {0, 50});
  ASSERT_TRUE(Succeeds(log));
  ASSERT_EQ(log->total, 1);
  const AuditEntry& e = log->items[0];
  EXPECT_GT(e.seq, 0);
  EXPECT_EQ(e.at, 7000);
  EXPECT_EQ(e.actor, "alice");
  EXPECT_EQ(e.action, "api.create");
  EXPECT_EQ(e.target_type, "api");
  EXPECT_EQ(e.target_id, api.id);
  EXPECT_EQ(e.after, "{\"name\":\"x\"}");
  // Without a scope, writes are not audited.
  ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("third"))));
  EXPECT_EQ(store().ListAudit({}, {0, 50})->total, 1);
}

TEST_P(StoreContractTest, AFailedWriteRecordsNothingAndReadsNeverRecord) {
  Api api = MakeApi("dup");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  {
    AuditScope scope(MakeEntry("alice", "api.create", api.id));
    EXPECT_FALSE(store().CreateApi(api).ok());  // taken
    ASSERT_TRUE(Succeeds(store().GetApi(api.id)));
    ASSERT_TRUE(Succeeds(store().ListApis({0, 10})));
    EXPECT_FALSE(scope.recorded());
  }
  EXPECT_EQ(store().ListAudit({}, {0, 50})->total, 0);
}

TEST_P(StoreContractTest, UnversionedWritesAreAuditedToo) {
  const int64_t before = *store().Revision();
  {
    AuditScope scope(MakeEntry("root", "user.create", "user-bob"));
    ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("bob"))));
  }
  EXPECT_EQ(store().ListAudit({}, {0, 50})->total, 1);
  EXPECT_EQ(*store().Revision(), before) << "users are not enforcer configuration";
}

TEST_P(StoreContractTest, AuditIsNewestFirstFilteredAndPaged) {
  const char* actions[] = {"api.create", "api.update", "plan.create", "api.delete"};
  for (int i = 0; i < 4; ++i) {
    AuditScope scope(MakeEntry(i % 2 == 0 ? "alice" : "bob", actions[i],
                               i == 2 ? "plan-x" : "api-" + std::to_string(i), 1000 + i * 100));
    ASSERT_TRUE(Succeeds(store().CreatePlan(MakePlan("P" + std::to_string(i)))));
  }
  auto all = store().ListAudit({}, {0, 50});
  ASSERT_TRUE(Succeeds(all));
  ASSERT_EQ(all->total, 4);
  EXPECT_EQ(all->items[0].action, "api.delete");
  EXPECT_EQ(all->items[3].action, "api.create");
  EXPECT_GT(all->items[0].seq, all->items[1].seq);

  Store::AuditQuery by_actor;
  by_actor.actor = "alice";
  auto alice = store().ListAudit(by_actor, {0, 50});
  ASSERT_EQ(alice->total, 2);
  EXPECT_EQ(alice->items[0].action, "plan.create");

  Store::AuditQuery by_target;
  by_target.target_type = "api";
  by_target.target_id = "api-1";
  EXPECT_EQ(store().ListAudit(by_target, {0, 50})->items.at(0).action, "api.update");

  Store::AuditQuery by_action;
  by_action.action = "api.delete";
  EXPECT_EQ(store().ListAudit(by_action, {0, 50})->total, 1);

  Store::AuditQuery window;
  window.from = 1100;
  window.to = 1200;
  auto in_window = store().ListAudit(window, {0, 50});
  ASSERT_EQ(in_window->total, 2);
  EXPECT_EQ(in_window->items[0].at, 1200);

  auto second_page = store().ListAudit({}, {1, 2});
  EXPECT_EQ(second_page->total, 4);
  ASSERT_EQ(second_page->items.size(), 2u);
  EXPECT_EQ(second_page->items[0].action, "plan.create");
}

}  // namespace
}  // namespace tollgate::store
