// SqliteStore: users, their personal access tokens and portal sessions. None of these is enforcer
// configuration, so their writes do not bump the revision (InUnversionedWriteTx).
#include <sqlite3.h>

#include <string>
#include <utility>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::store {

using namespace sqlite;  // NOLINT(google-build-using-namespace): this backend's own helpers

namespace {

constexpr const char* kUserColumns = "id, name, role, password_hash, created_at, email, disabled";

Error UserNotFound() { return NotFound("user_not_found", "no such user"); }

Result<User> UserFromRow(const Stmt& st) {
  const std::string role = st.Text(2);
  auto parsed = ParseRole(role);
  if (!parsed) return Internal("corrupt row in users: role = '" + role + "'");
  User user{st.Text(0), st.Text(1), *parsed, st.Text(3), st.Int(4)};
  user.email = st.Text(5);
  user.disabled = st.Int(6) != 0;
  return user;
}

// One user by a unique column ("id" or "name").
Result<User> LoadUserBy(sqlite3* db, const char* column, std::string_view value) {
  Stmt st(db, std::string("SELECT ") + kUserColumns + " FROM users WHERE " + column + " = ?");
  st.Bind(1, value);
  auto row = st.Step();
  if (!row.ok()) return row.error();
  if (!*row) return UserNotFound();
  return UserFromRow(st);
}

// Inside a write transaction: kConflict "last_admin" unless an active admin other than `id`
// exists (the caller is about to demote, disable or delete `id`).
Status RequireOtherActiveAdmin(sqlite3* db, std::string_view id) {
  auto others = QueryInt(
      db, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?", id);
  if (!others.ok()) return others.error();
  if (*others > 0) return Ok();
  return Conflict("last_admin", "this is the last active admin; make another user admin first");
}

bool IsActiveAdmin(const User& user) { return user.role == Role::kAdmin && !user.disabled; }

Result<AccessToken> TokenFromRow(const Stmt& st) {
  AccessToken token{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Int(5)};
  if (!st.IsNull(6)) token.expires_at = st.Int(6);
  return token;
}

constexpr const char* kTokenColumns = "id, user_name, name, prefix, hash, created_at, expires_at";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Users

Result<User> SqliteStore::CreateUser(const User& user) {
  std::lock_guard lock(mu_);
  return InUnversionedWriteTx(db_, [&]() -> Result<User> {
    Stmt st(db_,
            "INSERT INTO users (id, name, role, password_hash, created_at, email, disabled)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)");
    st.Bind(1, user.id).Bind(2, user.name).Bind(3, ToString(user.role));
    st.Bind(4, user.password_hash).Bind(5, user.created_at).Bind(6, user.email);
    st.Bind(7, int64_t{user.disabled ? 1 : 0});
    if (auto s = st.Exec(); !s.ok()) {
      return MapConstraint(
          st, s.error(),
          {{"users.name", Conflict("user_name_taken", "a user with this name exists")}});
    }
    return user;
  });
}

Result<User> SqliteStore::GetUser(std::string_view id) {
  std::lock_guard lock(mu_);
  return LoadUserBy(db_, "id", id);  // one SELECT: its own transaction
}

Result<User> SqliteStore::GetUserByName(std::string_view name) {
  std::lock_guard lock(mu_);
  return LoadUserBy(db_, "name", name);
}

Result<Page<User>> SqliteStore::ListUsers(const PageRequest& page) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<Page<User>> {
    auto total = QueryInt(db_, "SELECT COUNT(*) FROM users");
    if (!total.ok()) return total.error();
    Stmt st(db_, std::string("SELECT ") + kUserColumns +
                     " FROM users ORDER BY created_at, id LIMIT ? OFFSET ?");
    st.Bind(1, page.limit).Bind(2, page.offset);
    Page<User> out{{}, *total};
    while (true) {
      auto row = st.Step();
      if (!row.ok()) return row.error();
      if (!*row) return out;
      auto user = UserFromRow(st);
      if (!user.ok()) return user.error();
      out.items.push_back(std::move(user.value()));
    }
  });
}

Result<User> SqliteStore::UpdateUser(const User& user) {
  std::lock_guard lock(mu_);
  return InUnversionedWriteTx(db_, [&]() -> Result<User> {
    auto current = LoadUserBy(db_, "id", user.id);
    if (!current.ok()) return current.error();
    if (IsActiveAdmin(*current) && !IsActiveAdmin(user)) {
      if (auto s = RequireOtherActiveAdmin(db_, user.id); !s.ok()) return s.error();
    }
    // name and created_at are deliberately not in the SET list.
    Stmt st(db_,
            "UPDATE users SET email = ?, role = ?, password_hash = ?, disabled = ? WHERE id = ?");
    st.Bind(1, user.email).Bind(2, ToString(user.role)).Bind(3, user.password_hash);
    st.Bind(4, int64_t{user.disabled ? 1 : 0}).Bind(5, user.id);
    if (auto s = st.Exec(); !s.ok()) return s.error();
    return LoadUserBy(db_, "id", user.id);
  });
}

Status SqliteStore::DeleteUser(std::string_view id) {
  std::lock_guard lock(mu_);
  return InUnversionedWriteTx(db_, [&]() -> Status {
    auto current = LoadUserBy(db_, "id", id);
    if (!current.ok()) return current.error();
    if (IsActiveAdmin(*current)) {
      if (auto s = RequireOtherActiveAdmin(db_, id); !s.ok()) return s;
    }
    auto apps = QueryInt(db_, "SELECT COUNT(*) FROM applications WHERE owner = ?", current->name);
    if (!apps.ok()) return apps.error();
    if (*apps > 0) {
      return Conflict("user_has_applications",
                      "the user owns applications; delete them first, or disable the user");
    }
    // Tokens and sessions go with it (ON DELETE CASCADE on the name).
    Stmt st(db_, "DELETE FROM users WHERE id = ?");
    st.Bind(1, id);
    return st.Exec();
  });
}

Result<int64_t> SqliteStore::CountUsers() {
  std::lock_guard lock(mu_);
  return QueryInt(db_, "SELECT COUNT(*) FROM users");
}

// ---------------------------------------------------------------------------------------------
// Personal access tokens

Result<AccessToken> SqliteStore::CreateAccessToken(const AccessToken& token) {
  std::lock_guard lock(mu_);
  return InUnversionedWriteTx(db_, [&]() -> Result<AccessToken> {
    Stmt st(db_,
            "INSERT INTO access_tokens (id, user_name, name, prefix, hash, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)");
    st.Bind(1, token.id).Bind(2, token.user).Bind(3, token.name).Bind(4, token.prefix);
    st.Bind(5, token.hash).Bind(6, token.created_at).Bind(7, token.expires_at);
    if (auto s = st.Exec(); !s.ok()) {
      return MapConstraint(
          st, s.error(),
          {{"access_tokens.hash", Conflict("access_token_taken", "this token exists")}},
          UserNotFound());
    }
    return token;
  });
}

Result<std::vector<AccessToken>> SqliteStore::ListAccessTokens(std::string_view user) {
  std::lock_guard lock(mu_);
  Stmt st(db_, std::string("SELECT ") + kTokenColumns +
                   " FROM access_tokens WHERE user_name = ? ORDER BY created_at, id");
  st.Bind(1, user);
  std::vector<AccessToken> out;
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.error();
    if (!*row) return out;
    auto token = TokenFromRow(st);
    if (!token.ok()) return token.error();
    out.push_back(std::move(token.value()));
  }
}

Result<AccessToken> SqliteStore::GetAccessTokenByHash(std::string_view hash) {
  std::lock_guard lock(mu_);
  Stmt st(db_, std::string("SELECT ") + kTokenColumns + " FROM access_tokens WHERE hash = ?");
  st.Bind(1, hash);
  auto row = st.Step();
  if (!row.ok()) return row.error();
  if (!*row) return NotFound("access_token_not_found", "no such access token");
  return TokenFromRow(st);
}

Status SqliteStore::DeleteAccessToken(std::string_view user, std::string_view id) {
  std::lock_guard lock(mu_);
  return InUnversionedWriteTx(db_, [&]() -> Status {
    Stmt st(db_, "DELETE FROM access_tokens WHERE id = ? AND user_name = ?");
    st.Bind(1, id).Bind(2, user);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() == 0) return NotFound("access_token_not_found", "no such access token");
    return Ok();
  });
}

// ---------------------------------------------------------------------------------------------
// Sessions

Status SqliteStore::CreateSession(const Session& session, int64_t now) {
  std::lock_guard lock(mu_);
  return InUnversionedWriteTx(db_, [&]() -> Status {
    Stmt expired(db_, "DELETE FROM sessions WHERE expires_at <= ?");
    expired.Bind(1, now);
    if (auto s = expired.Exec(); !s.ok()) return s;
    Stmt st(db_,
            "INSERT INTO sessions (hash, user_name, csrf_token, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)");
    st.Bind(1, session.hash).Bind(2, session.user).Bind(3, session.csrf_token);
    st.Bind(4, session.created_at).Bind(5, session.expires_at);
    if (auto s = st.Exec(); !s.ok()) {
      // hash is the primary key: SQLite reports it as such, not as a UNIQUE index.
      if (st.extended_code() == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Conflict("session_taken", "this session exists");
      }
      return MapConstraint(st, s.error(), {}, UserNotFound());
    }
    return Ok();
  });
}

Result<Session> SqliteStore::GetSession(std::string_view hash) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT hash, user_name, csrf_token, created_at, expires_at FROM sessions"
          " WHERE hash = ?");
  st.Bind(1, hash);
  auto row = st.Step();
  if (!row.ok()) return row.error();
  if (!*row) return NotFound("session_not_found", "no such session");
  return Session{st.Text(0), st.Text(1), st.Text(2), st.Int(3), st.Int(4)};
}

Status SqliteStore::DeleteSession(std::string_view hash) {
  std::lock_guard lock(mu_);
  return InUnversionedWriteTx(db_, [&]() -> Status {
    Stmt st(db_, "DELETE FROM sessions WHERE hash = ?");
    st.Bind(1, hash);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() == 0) return NotFound("session_not_found", "no such session");
    return Ok();
  });
}

}  // namespace tollgate::store
