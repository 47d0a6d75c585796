// Users and their authentication: validation, last-admin rules, password checks with a safe
// cache, personal access tokens, portal sessions, and the audit log's reading side.
#include "control/accounts.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "control/audit.h"
#include "crypto/crypto.h"

namespace tollgate::control {
namespace {

constexpr size_t kMaxPasswordLength = 1024;  // bounds argon2's work on hostile input
constexpr size_t kTokenRandomChars = 40;     // base62: ≈ 238 bits
constexpr size_t kTokenPrefixShown = 9;      // "tgp_" + 5 characters
constexpr size_t kSessionBytes = 32;
constexpr int64_t kCacheMillis = 5 * 60 * 1000;
constexpr size_t kCacheMaxEntries = 4096;

Error Forbidden(std::string code, std::string message) {
  return Error{ErrorKind::kForbidden, std::move(code), std::move(message), {}};
}
Error Unauthenticated(std::string code, std::string message) {
  return Error{ErrorKind::kUnauthenticated, std::move(code), std::move(message), {}};
}
Error InvalidLogin() { return Unauthenticated("invalid_login", "unknown user or wrong password"); }

Status RequireAdmin(const Principal& who, const char* what) {
  if (who.role == Role::kAdmin) return Ok();
  return Forbidden("forbidden", std::string("only admins ") + what);
}

store::PageRequest Clamp(store::PageRequest page) {
  page.offset = std::max<int64_t>(page.offset, 0);
  page.limit = std::clamp<int64_t>(page.limit, 1, 500);
  return page;
}

// RFC 4648 §5 without padding: what a cookie value may hold without quoting.
std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<uint8_t>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

Status ValidateName(std::string_view name) {
  if (name.size() < 2 || name.size() > 64) {
    return Invalid("name", "name is 2 to 64 characters", "invalid_user_name");
  }
  if (!std::isalnum(static_cast<unsigned char>(name.front()))) {
    return Invalid("name", "name starts with a letter or a digit", "invalid_user_name");
  }
  for (const char c : name) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) {
      return Invalid("name", "name may hold letters, digits and . _ - @ only", "invalid_user_name");
    }
  }
  return Ok();
}

Status ValidateEmail(std::string_view email) {
  if (email.empty()) return Ok();
  const size_t at = email.find('@');
  const bool ok = email.size() <= 254 && at != std::string_view::npos && at > 0 &&
                  at + 1 < email.size() && email.find('@', at + 1) == std::string_view::npos &&
                  std::none_of(email.begin(), email.end(), [](char c) {
                    return std::isspace(static_cast<unsigned char>(c)) || c < 0x20;
                  });
  if (!ok) return Invalid("email", "email is not an address (name@domain)", "invalid_email");
  return Ok();
}

Status ValidatePassword(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Invalid("password", "password is at least 12 characters", "password_too_short");
  }
  if (password.size() > kMaxPasswordLength) {
    return Invalid("password", "password is at most 1024 characters", "password_too_long");
  }
  return Ok();
}

// argon2 against a fixed hash: spends the time of a real check when there is nothing to check.
void SpendPasswordCheck(std::string_view password) {
  static const std::string dummy = crypto::HashPassword("tollgate-dummy-password").value();
  crypto::VerifyPassword(dummy, password);
}

}  // namespace

Accounts::Accounts(store::Store& store, const Clock& clock)
    : store_(store), clock_(clock), cache_secret_(crypto::RandomBytes(32)) {}

// ---------------------------------------------------------------------------------------------
// Users

Result<User> Accounts::Insert(std::string_view actor, std::string_view action, UserDraft draft) {
  if (auto s = ValidateName(draft.name); !s.ok()) return s.error();
  if (auto s = ValidateEmail(draft.email.value_or("")); !s.ok()) return s.error();
  if (auto s = ValidatePassword(draft.password); !s.ok()) return s.error();
  auto hash = crypto::HashPassword(draft.password);
  if (!hash.ok()) return hash.error();
  User user{crypto::RandomUuid(), std::move(draft.name), draft.role.value_or(Role::kSubscriber),
            std::move(hash.value()), clock_.NowSeconds()};
  user.email = draft.email.value_or("");
  user.disabled = draft.disabled.value_or(false);
  auto audit = OpenAudit(clock_, actor.empty() ? std::string_view(user.name) : actor, action,
                         "user", user.id, "", Summary(user));
  return store_.CreateUser(user);
}

Result<User> Accounts::CreateUser(const Principal& who, UserDraft draft) {
  if (auto s = RequireAdmin(who, "manage users"); !s.ok()) return s.error();
  return Insert(who.user, "user.create", std::move(draft));
}

Result<User> Accounts::SignUp(UserDraft draft) {
  if (!signup_enabled_) {
    return Forbidden("signup_disabled", "self-signup is disabled; ask an admin for an account");
  }
  draft.role = Role::kSubscriber;
  draft.disabled = false;
  return Insert({}, "user.signup", std::move(draft));
}

Result<User> Accounts::GetUser(const Principal& who, std::string_view id) {
  if (auto s = RequireAdmin(who, "manage users"); !s.ok()) return s.error();
  return store_.GetUser(id);
}

Result<store::Page<User>> Accounts::ListUsers(const Principal& who, store::PageRequest page) {
  if (auto s = RequireAdmin(who, "manage users"); !s.ok()) return s.error();
  return store_.ListUsers(Clamp(page));
}

Result<User> Accounts::UpdateUser(const Principal& who, std::string_view id, UserDraft draft) {
  if (auto s = RequireAdmin(who, "manage users"); !s.ok()) return s.error();
  auto current = store_.GetUser(id);
  if (!current.ok()) return current.error();
  if (!draft.name.empty() && draft.name != current->name) {
    return Invalid("name", "a user's name cannot change", "user_name_immutable");
  }
  if (auto s = ValidateEmail(draft.email.value_or("")); !s.ok()) return s.error();
  User next = *current;
  if (draft.email) next.email = std::move(*draft.email);
  if (draft.role) next.role = *draft.role;
  if (draft.disabled) next.disabled = *draft.disabled;
  const bool password_changed = !draft.password.empty();
  if (password_changed) {
    if (auto s = ValidatePassword(draft.password); !s.ok()) return s.error();
    auto hash = crypto::HashPassword(draft.password);
    if (!hash.ok()) return hash.error();
    next.password_hash = std::move(hash.value());
  }
  std::string after = Summary(next);
  if (password_changed) after.insert(after.size() - 1, ",\"passwordChanged\":true");
  auto audit = OpenAudit(clock_, who.user, "user.update", "user", next.id, Summary(*current),
                         std::move(after));
  return store_.UpdateUser(next);
}

Status Accounts::DeleteUser(const Principal& who, std::string_view id) {
  if (auto s = RequireAdmin(who, "manage users"); !s.ok()) return s;
  auto current = store_.GetUser(id);
  if (!current.ok()) return current.error();
  auto audit =
      OpenAudit(clock_, who.user, "user.delete", "user", current->id, Summary(*current), "");
  return store_.DeleteUser(id);
}

// ---------------------------------------------------------------------------------------------
// Authentication

std::string Accounts::CacheKey(std::string_view name, std::string_view password) const {
  std::string material = cache_secret_;
  material.append(name).push_back('\0');
  material.append(password);
  return crypto::Sha256Hex(material);
}

Result<User> Accounts::CheckPassword(std::string_view name, std::string_view password) {
  auto user = store_.GetUserByName(name);
  if (!user.ok() && user.error().kind != ErrorKind::kNotFound) return user.error();
  if (!user.ok() || password.size() > kMaxPasswordLength) {
    SpendPasswordCheck(password.substr(0, kMaxPasswordLength));
    return InvalidLogin();
  }
  const std::string key = CacheKey(name, password);
  const int64_t now_ms = clock_.NowMillis();
  bool cached = false;
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      cached = it->second.expires_ms > now_ms &&
               crypto::ConstantTimeEquals(it->second.password_hash, user->password_hash);
      if (!cached) cache_.erase(it);
    }
  }
  if (!cached) {
    if (!crypto::VerifyPassword(user->password_hash, password)) return InvalidLogin();
    std::lock_guard lock(cache_mu_);
    if (cache_.size() >= kCacheMaxEntries) cache_.clear();
    cache_[key] = CachedLogin{user->password_hash, now_ms + kCacheMillis};
  }
  if (user->disabled) return InvalidLogin();
  return user;
}

Result<Principal> Accounts::AuthenticatePassword(std::string_view user, std::string_view password) {
  auto found = CheckPassword(user, password);
  if (!found.ok()) return found.error();
  return Principal{found->name, found->role};
}

Result<Principal> Accounts::AuthenticateToken(std::string_view token) {
  const Error invalid = Unauthenticated("invalid_token", "unknown, expired or revoked token");
  if (token.substr(0, kAccessTokenPrefix.size()) != kAccessTokenPrefix) return invalid;
  auto record = store_.GetAccessTokenByHash(crypto::Sha256Hex(token));
  if (!record.ok()) return record.error().kind == ErrorKind::kNotFound ? invalid : record.error();
  if (record->expires_at && *record->expires_at <= clock_.NowSeconds()) return invalid;
  auto user = store_.GetUserByName(record->user);
  if (!user.ok()) return user.error().kind == ErrorKind::kNotFound ? invalid : user.error();
  if (user->disabled) return invalid;
  return Principal{user->name, user->role};
}

Result<SessionPrincipal> Accounts::AuthenticateSession(std::string_view cookie_value) {
  const Error invalid = Unauthenticated("session_invalid", "the session has expired; log in again");
  if (cookie_value.empty()) return invalid;
  auto session = store_.GetSession(crypto::Sha256Hex(cookie_value));
  if (!session.ok())
    return session.error().kind == ErrorKind::kNotFound ? invalid : session.error();
  if (session->expires_at <= clock_.NowSeconds()) return invalid;
  auto user = store_.GetUserByName(session->user);
  if (!user.ok()) return user.error().kind == ErrorKind::kNotFound ? invalid : user.error();
  if (user->disabled) return invalid;
  return SessionPrincipal{Principal{user->name, user->role}, session->csrf_token, session->hash};
}

// ---------------------------------------------------------------------------------------------
// Sessions

Result<NewSession> Accounts::Login(std::string_view name, std::string_view password) {
  auto user = CheckPassword(name, password);
  if (!user.ok()) return user.error();
  const int64_t now = clock_.NowSeconds();
  NewSession out{Base64Url(crypto::RandomBytes(kSessionBytes)),
                 Base64Url(crypto::RandomBytes(kSessionBytes)), user->name, user->role,
                 now + kSessionSeconds};
  const Session session{crypto::Sha256Hex(out.cookie_value), user->name, out.csrf_token, now,
                        out.expires_at};
  // The session's id in the log: a non-secret fragment of the hash of the cookie.
  auto audit =
      OpenAudit(clock_, user->name, "session.login", "session", session.hash.substr(0, 16), "",
                JsonSummary().Add("user", user->name).Add("expiresAt", out.expires_at).str());
  if (auto s = store_.CreateSession(session, now); !s.ok()) return s.error();
  return out;
}

Status Accounts::Logout(const Principal& who, std::string_view cookie_value) {
  if (cookie_value.empty()) return Ok();
  const std::string hash = crypto::Sha256Hex(cookie_value);
  auto session = store_.GetSession(hash);
  if (!session.ok()) return session.error().kind == ErrorKind::kNotFound ? Ok() : session.error();
  if (session->user != who.user) return Ok();  // someone else's cookie: leave it alone
  auto audit = OpenAudit(clock_, who.user, "session.logout", "session", hash.substr(0, 16),
                         JsonSummary().Add("user", who.user).str(), "");
  auto deleted = store_.DeleteSession(hash);
  if (!deleted.ok() && deleted.error().kind == ErrorKind::kNotFound) return Ok();
  return deleted;
}

// ---------------------------------------------------------------------------------------------
// Personal access tokens

Result<IssuedAccessToken> Accounts::CreateToken(const Principal& who, std::string name,
                                          std::optional<int64_t> expires_at) {
  const int64_t now = clock_.NowSeconds();
  if (expires_at && *expires_at <= now) {
    return Invalid("expiresAt", "expiresAt must be in the future");
  }
  if (name.size() > 100) return Invalid("name", "name is at most 100 characters");
  IssuedAccessToken out;
  out.token = std::string(kAccessTokenPrefix) + crypto::RandomToken(kTokenRandomChars);
  out.record = AccessToken{crypto::RandomUuid(),
                           who.user,
                           name.empty() ? "default" : std::move(name),
                           out.token.substr(0, kTokenPrefixShown),
                           crypto::Sha256Hex(out.token),
                           now,
                           expires_at};
  auto audit =
      OpenAudit(clock_, who.user, "token.create", "token", out.record.id, "", Summary(out.record));
  auto stored = store_.CreateAccessToken(out.record);
  if (!stored.ok()) return stored.error();
  return out;
}

Result<std::vector<AccessToken>> Accounts::ListTokens(const Principal& who) {
  return store_.ListAccessTokens(who.user);
}

Status Accounts::RevokeToken(const Principal& who, std::string_view id) {
  auto audit = OpenAudit(clock_, who.user, "token.revoke", "token", id,
                         JsonSummary().Add("user", who.user).str(), "");
  return store_.DeleteAccessToken(who.user, id);
}

// ---------------------------------------------------------------------------------------------
// Audit

Result<store::Page<AuditEntry>> Accounts::ListAudit(const Principal& who,
                                                    const store::Store::AuditQuery& query,
                                                    store::PageRequest page) {
  if (auto s = RequireAdmin(who, "read the audit log"); !s.ok()) return s.error();
  return store_.ListAudit(query, Clamp(page));
}

}  // namespace tollgate::control
