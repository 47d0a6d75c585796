// Users, their authentication (password, personal access token, portal session) and the audit
// log's reading side. Owned by the Service (Service::accounts()); thread-safe.
//
// Authentication cost: tokens and sessions are one SHA-256 and one indexed lookup (plus the user
// row, to refuse disabled users at once). Passwords are argon2id (~30 ms): a successful check is
// cached for 5 minutes under a keyed SHA-256 of "user:password" (a per-process random key, so
// the cache never holds anything an offline guesser could use faster than argon2). A cache hit
// still reads the user row and is honoured only while the stored password hash is the one that
// was verified and the user is not disabled, so password changes, role changes and disabling act
// at once, across processes too.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "control/service.h"
#include "core/clock.h"
#include "core/model.h"
#include "core/status.h"
#include "store/store.h"

namespace tollgate::control {

// Prefix of personal access tokens ("tgp_" + 40 base62 characters).
inline constexpr std::string_view kAccessTokenPrefix = "tgp_";
// Passwords set through the API (not the bootstrap admin's) are at least this long.
inline constexpr size_t kMinPasswordLength = 12;
// Portal sessions last this long from login (fixed, not sliding: no write per request).
inline constexpr int64_t kSessionSeconds = 8 * 3600;

// A new user, or the changes to one. `password` is plain text only on its way to argon2.
struct UserDraft {
  std::string name;
  std::optional<std::string> email;  // update: nullopt keeps it, "" clears it
  std::optional<Role> role;          // create: default subscriber; update: nullopt keeps it
  std::string password;              // create: required; update: empty keeps it
  std::optional<bool> disabled;
};

// A fresh login: the cookie value and CSRF token are shown only in the login answer.
struct NewSession {
  std::string cookie_value;  // base64url of 32 random bytes; only its SHA-256 is stored
  std::string csrf_token;
  std::string user;
  Role role = Role::kSubscriber;
  int64_t expires_at = 0;
};

// A request authenticated by its session cookie.
struct SessionPrincipal {
  Principal who;
  std::string csrf_token;  // the request must echo it in X-CSRF-Token on unsafe methods
  std::string hash;        // the session's key in the store
};

struct IssuedAccessToken {
  AccessToken record;
  std::string token;  // shown once
};

class Accounts {
 public:
  // `store` and `clock` must outlive this.
  Accounts(store::Store& store, const Clock& clock);

  // Self-signup (POST /api/v1/signup) creates subscribers only when enabled; off by default.
  void SetSignupEnabled(bool enabled) { signup_enabled_ = enabled; }
  bool signup_enabled() const { return signup_enabled_; }

  // --- Users: admins only (kForbidden otherwise). Validation errors name the JSON field:
  // name (2-64 of [A-Za-z0-9._@-], starting with a letter or digit), email, role, password
  // (12-1024 characters). A user's name never changes ("name", "user_name_immutable").
  // Conflicts: "user_name_taken", "last_admin", "user_has_applications".
  Result<User> CreateUser(const Principal& who, UserDraft draft);
  Result<User> GetUser(const Principal& who, std::string_view id);
  Result<store::Page<User>> ListUsers(const Principal& who, store::PageRequest page);
  Result<User> UpdateUser(const Principal& who, std::string_view id, UserDraft draft);
  Status DeleteUser(const Principal& who, std::string_view id);
  // Anyone, when signup is enabled (else kForbidden "signup_disabled"): a subscriber.
  Result<User> SignUp(UserDraft draft);

  // --- Authentication. Unknown user, wrong password and disabled user give the same
  // kUnauthenticated "invalid_login"; argon2 runs in every case (no timing difference).
  Result<Principal> AuthenticatePassword(std::string_view user, std::string_view password);
  // "Bearer tgp_…": kUnauthenticated "invalid_token" when unknown, expired or the user disabled.
  Result<Principal> AuthenticateToken(std::string_view token);
  // The session cookie's value: kUnauthenticated "session_invalid" when unknown, expired or the
  // user disabled.
  Result<SessionPrincipal> AuthenticateSession(std::string_view cookie_value);

  // --- Sessions. Login checks the password like AuthenticatePassword and stores the session.
  Result<NewSession> Login(std::string_view user, std::string_view password);
  // Deletes the session of this cookie (if it is `who`'s). Unknown sessions are not an error.
  Status Logout(const Principal& who, std::string_view cookie_value);

  // --- Personal access tokens of the acting user. Name ≤ 100 characters (default "default");
  // expires_at, when given, in the future.
  Result<IssuedAccessToken> CreateToken(const Principal& who, std::string name,
                                  std::optional<int64_t> expires_at);
  Result<std::vector<AccessToken>> ListTokens(const Principal& who);
  Status RevokeToken(const Principal& who, std::string_view id);

  // --- The audit log: admins only, newest first.
  Result<store::Page<AuditEntry>> ListAudit(const Principal& who,
                                            const store::Store::AuditQuery& query,
                                            store::PageRequest page);

 private:
  // The user named `name` if `password` is theirs and they are not disabled.
  Result<User> CheckPassword(std::string_view name, std::string_view password);
  std::string CacheKey(std::string_view name, std::string_view password) const;
  Result<User> Insert(std::string_view actor, std::string_view action, UserDraft draft);

  store::Store& store_;
  const Clock& clock_;
  std::atomic<bool> signup_enabled_{false};
  const std::string cache_secret_;  // random per process

  struct CachedLogin {
    std::string password_hash;  // the stored hash the password verified against
    int64_t expires_ms = 0;
  };
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedLogin> cache_;  // guarded by cache_mu_
};

}  // namespace tollgate::control
