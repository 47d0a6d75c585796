// SqliteStore: the OAuth2 key manager's tables (clients, signing keys, revoked tokens) and the
// external identity providers (issuers, external clients).
#include <sqlite3.h>

#include <string>
#include <utility>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::store {

using namespace sqlite;  // NOLINT(google-build-using-namespace): this backend's own helpers

namespace {

constexpr std::string_view kClientColumns =
    "SELECT id, application_id, client_id, secret_hash, name, created_at FROM oauth_clients ";
constexpr std::string_view kKeyColumns =
    "SELECT kid, alg, private_key, public_jwk, created_at, retired_at, expires_at"
    " FROM signing_keys ";
constexpr std::string_view kIssuerColumns =
    "SELECT id, name, issuer, jwks_uri, discovery_url, audience, client_claim, created_at"
    " FROM issuers ";
constexpr std::string_view kExternalColumns =
    "SELECT id, application_id, issuer_id, client_id, created_at FROM external_clients ";

Error ApplicationNotFound() {
  return NotFound("application_not_found", "no application with this id");
}
Error ClientNotFound() {
  return NotFound("oauth_client_not_found", "no such OAuth client on this application");
}
Error IssuerNotFound() { return NotFound("issuer_not_found", "no issuer with this id"); }

std::optional<int64_t> OptionalInt(const Stmt& st, int column) {
  return st.IsNull(column) ? std::nullopt : std::optional<int64_t>(st.Int(column));
}

OAuthClient ClientFromRow(const Stmt& st) {
  return OAuthClient{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Int(5)};
}
SigningKey KeyFromRow(const Stmt& st) {
  return SigningKey{st.Text(0), st.Text(1),         st.Text(2),        st.Text(3),
                    st.Int(4),  OptionalInt(st, 5), OptionalInt(st, 6)};
}
Issuer IssuerFromRow(const Stmt& st) {
  return Issuer{st.Text(0), st.Text(1), st.Text(2), st.Text(3),
                st.Text(4), st.Text(5), st.Text(6), st.Int(7)};
}
ExternalClient ExternalFromRow(const Stmt& st) {
  return ExternalClient{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Int(4)};
}

// Steps `st` to the end, converting every row with `from_row`.
template <class T, class F>
Result<std::vector<T>> All(Stmt& st, F from_row) {
  std::vector<T> out;
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.error();
    if (!*row) return out;
    out.push_back(from_row(st));
  }
}

// The first row of `st` converted, or `missing`.
template <class T, class F>
Result<T> One(Stmt& st, F from_row, Error missing) {
  auto row = st.Step();
  if (!row.ok()) return row.error();
  if (!*row) return missing;
  return from_row(st);
}

Status RequireRow(sqlite3* db, std::string_view sql, std::string_view id, Error missing) {
  auto exists = RowExists(db, sql, id);
  if (!exists.ok()) return exists.error();
  if (!*exists) return missing;
  return Ok();
}

Status RequireApplication(sqlite3* db, std::string_view id) {
  return RequireRow(db, "SELECT 1 FROM applications WHERE id = ?", id, ApplicationNotFound());
}

Result<SigningKey> NewestActiveKey(sqlite3* db) {
  Stmt st(db, std::string(kKeyColumns) +
                  "WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1");
  return One<SigningKey>(st, KeyFromRow, NotFound("signing_key_not_found", "no active key"));
}

Status InsertKey(sqlite3* db, const SigningKey& key) {
  Stmt st(db,
          "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created_at, retired_at,"
          " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.Bind(1, key.kid).Bind(2, key.alg).Bind(3, key.private_key).Bind(4, key.public_jwk);
  st.Bind(5, key.created_at).Bind(6, key.retired_at).Bind(7, key.expires_at);
  if (auto s = st.Exec(); !s.ok()) {
    return MapConstraint(st, s.error(),
                         {{"signing_keys.kid", Conflict("signing_key_taken", "this kid exists")}});
  }
  return Ok();
}

}  // namespace

namespace sqlite {

Result<std::vector<OAuthClient>> LoadOAuthClientsByClientId(
    sqlite3* db, const std::vector<std::string>& client_ids) {
  Stmt st(db, std::string(kClientColumns) + "WHERE client_id = ?");
  return CollectEach<OAuthClient>(
      st, client_ids.size(), [&](Stmt& s, size_t i) { s.Bind(1, client_ids[i]); },
      [](const Stmt& s) -> Result<OAuthClient> { return ClientFromRow(s); });
}

Status LoadOAuthSnapshot(sqlite3* db, SnapshotData& data) {
  const std::string now = "CAST(strftime('%s', 'now') AS INTEGER)";
  Stmt clients(db, std::string(kClientColumns) + "ORDER BY created_at, id");
  auto c = All<OAuthClient>(clients, ClientFromRow);
  if (!c.ok()) return c.error();
  data.oauth_clients = std::move(c.value());
  Stmt keys(db, std::string(kKeyColumns) + "WHERE expires_at IS NULL OR expires_at > " + now +
                    " ORDER BY retired_at IS NULL DESC, created_at DESC, kid DESC");
  auto k = All<SigningKey>(keys, KeyFromRow);
  if (!k.ok()) return k.error();
  data.signing_keys = std::move(k.value());
  Stmt issuers(db, std::string(kIssuerColumns) + "ORDER BY created_at, id");
  auto i = All<Issuer>(issuers, IssuerFromRow);
  if (!i.ok()) return i.error();
  data.issuers = std::move(i.value());
  Stmt external(db, std::string(kExternalColumns) + "ORDER BY created_at, id");
  auto e = All<ExternalClient>(external, ExternalFromRow);
  if (!e.ok()) return e.error();
  data.external_clients = std::move(e.value());
  Stmt revoked(
      db, "SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > " + now + " ORDER BY jti");
  auto r = All<RevokedToken>(revoked, [](const Stmt& st) {
    return RevokedToken{st.Text(0), st.Int(1)};
  });
  if (!r.ok()) return r.error();
  data.revoked_tokens = std::move(r.value());
  return Ok();
}

}  // namespace sqlite

// ---------------------------------------------------------------------------------------------
// OAuth clients

Result<OAuthClient> SqliteStore::CreateOAuthClient(const OAuthClient& client) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<OAuthClient> {
    Stmt st(db_,
            "INSERT INTO oauth_clients (id, application_id, client_id, secret_hash, name,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)");
    st.Bind(1, client.id).Bind(2, client.application_id).Bind(3, client.client_id);
    st.Bind(4, client.secret_hash).Bind(5, client.name).Bind(6, client.created_at);
    if (auto s = st.Exec(); !s.ok()) {
      // The only reference of oauth_clients is its application.
      return MapConstraint(
          st, s.error(),
          {{"oauth_clients.client_id", Conflict("oauth_client_taken", "this client id exists")},
           {"oauth_clients.id", Conflict("oauth_client_taken", "this id exists")}},
          ApplicationNotFound());
    }
    return client;
  });
}

Result<OAuthClient> SqliteStore::GetOAuthClient(std::string_view client_id) {
  std::lock_guard lock(mu_);
  Stmt st(db_, std::string(kClientColumns) + "WHERE client_id = ?");
  st.Bind(1, client_id);
  return One<OAuthClient>(st, ClientFromRow,
                          NotFound("oauth_client_not_found", "no OAuth client with this id"));
}

Result<std::vector<OAuthClient>> SqliteStore::ListOAuthClients(std::string_view application_id) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<std::vector<OAuthClient>> {
    if (auto s = RequireApplication(db_, application_id); !s.ok()) return s.error();
    Stmt st(db_, std::string(kClientColumns) + "WHERE application_id = ? ORDER BY created_at, id");
    st.Bind(1, application_id);
    return All<OAuthClient>(st, ClientFromRow);
  });
}

Result<OAuthClient> SqliteStore::SetOAuthClientSecret(std::string_view application_id,
                                                      std::string_view client_id,
                                                      std::string_view secret_hash) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<OAuthClient> {
    Stmt st(db_,
            "UPDATE oauth_clients SET secret_hash = ? WHERE client_id = ? AND application_id = ?");
    st.Bind(1, secret_hash).Bind(2, client_id).Bind(3, application_id);
    if (auto s = st.Exec(); !s.ok()) return s.error();
    if (st.Changes() == 0) {
      if (auto s = RequireApplication(db_, application_id); !s.ok()) return s.error();
      return ClientNotFound();
    }
    Stmt read(db_, std::string(kClientColumns) + "WHERE client_id = ?");
    read.Bind(1, client_id);
    return One<OAuthClient>(read, ClientFromRow, ClientNotFound());
  });
}

Status SqliteStore::DeleteOAuthClient(std::string_view application_id, std::string_view client_id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    Stmt st(db_, "DELETE FROM oauth_clients WHERE client_id = ? AND application_id = ?");
    st.Bind(1, client_id).Bind(2, application_id);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() > 0) return Ok();
    if (auto s = RequireApplication(db_, application_id); !s.ok()) return s;
    return ClientNotFound();
  });
}

// ---------------------------------------------------------------------------------------------
// Signing keys and revocations

Result<SigningKey> SqliteStore::AddSigningKey(const SigningKey& key, int64_t retired_expires_at) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<SigningKey> {
    Stmt purge(db_, "DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at < ?");
    purge.Bind(1, key.created_at);
    if (auto s = purge.Exec(); !s.ok()) return s.error();
    Stmt retire(db_,
                "UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE retired_at IS NULL");
    retire.Bind(1, key.created_at).Bind(2, retired_expires_at);
    if (auto s = retire.Exec(); !s.ok()) return s.error();
    if (auto s = InsertKey(db_, key); !s.ok()) return s.error();
    return key;
  });
}

Result<SigningKey> SqliteStore::EnsureSigningKey(const SigningKey& candidate) {
  std::lock_guard lock(mu_);
  // A write transaction even when nothing is written: the check and the insert must not race
  // another process doing the same at first start. A revision bump without change is harmless.
  return InWriteTx(db_, [&]() -> Result<SigningKey> {
    auto active = NewestActiveKey(db_);
    if (active.ok() || active.error().kind != ErrorKind::kNotFound) return active;
    if (auto s = InsertKey(db_, candidate); !s.ok()) return s.error();
    return candidate;
  });
}

Result<std::vector<SigningKey>> SqliteStore::ListSigningKeys() {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          std::string(kKeyColumns) + "ORDER BY retired_at IS NULL DESC, created_at DESC, kid DESC");
  return All<SigningKey>(st, KeyFromRow);
}

Status SqliteStore::RevokeToken(const RevokedToken& token, int64_t now) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    Stmt purge(db_, "DELETE FROM revoked_tokens WHERE expires_at <= ?");
    purge.Bind(1, now);
    if (auto s = purge.Exec(); !s.ok()) return s;
    Stmt st(db_,
            "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti)"
            " DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)");
    st.Bind(1, token.jti).Bind(2, token.expires_at);
    return st.Exec();
  });
}

Result<bool> SqliteStore::IsTokenRevoked(std::string_view jti) {
  std::lock_guard lock(mu_);
  return RowExists(db_, "SELECT 1 FROM revoked_tokens WHERE jti = ?", jti);
}

// ---------------------------------------------------------------------------------------------
// Issuers and external clients

Result<Issuer> SqliteStore::CreateIssuer(const Issuer& issuer) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Issuer> {
    Stmt st(db_,
            "INSERT INTO issuers (id, name, issuer, jwks_uri, discovery_url, audience,"
            " client_claim, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    st.Bind(1, issuer.id).Bind(2, issuer.name).Bind(3, issuer.issuer).Bind(4, issuer.jwks_uri);
    st.Bind(5, issuer.discovery_url).Bind(6, issuer.audience).Bind(7, issuer.client_claim);
    st.Bind(8, issuer.created_at);
    if (auto s = st.Exec(); !s.ok()) {
      return MapConstraint(
          st, s.error(),
          {{"issuers.issuer", Conflict("issuer_taken", "this issuer is registered already")},
           {"issuers.id", Conflict("issuer_taken", "this id exists")}});
    }
    return issuer;
  });
}

Result<Issuer> SqliteStore::GetIssuer(std::string_view id) {
  std::lock_guard lock(mu_);
  Stmt st(db_, std::string(kIssuerColumns) + "WHERE id = ?");
  st.Bind(1, id);
  return One<Issuer>(st, IssuerFromRow, IssuerNotFound());
}

Result<Page<Issuer>> SqliteStore::ListIssuers(const PageRequest& page) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<Page<Issuer>> {
    auto total = QueryInt(db_, "SELECT COUNT(*) FROM issuers");
    if (!total.ok()) return total.error();
    Stmt st(db_, std::string(kIssuerColumns) + "ORDER BY created_at, id LIMIT ? OFFSET ?");
    st.Bind(1, page.limit).Bind(2, page.offset);
    auto items = All<Issuer>(st, IssuerFromRow);
    if (!items.ok()) return items.error();
    return Page<Issuer>{std::move(items.value()), *total};
  });
}

Result<Issuer> SqliteStore::UpdateIssuer(const Issuer& issuer) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Issuer> {
    Stmt st(db_,
            "UPDATE issuers SET name = ?, issuer = ?, jwks_uri = ?, discovery_url = ?,"
            " audience = ?, client_claim = ? WHERE id = ?");
    st.Bind(1, issuer.name).Bind(2, issuer.issuer).Bind(3, issuer.jwks_uri);
    st.Bind(4, issuer.discovery_url).Bind(5, issuer.audience).Bind(6, issuer.client_claim);
    st.Bind(7, issuer.id);
    if (auto s = st.Exec(); !s.ok()) {
      return MapConstraint(
          st, s.error(),
          {{"issuers.issuer", Conflict("issuer_taken", "this issuer is registered already")}});
    }
    if (st.Changes() == 0) return IssuerNotFound();
    Stmt read(db_, std::string(kIssuerColumns) + "WHERE id = ?");
    read.Bind(1, issuer.id);
    return One<Issuer>(read, IssuerFromRow, IssuerNotFound());
  });
}

Status SqliteStore::DeleteIssuer(std::string_view id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    Stmt st(db_, "DELETE FROM issuers WHERE id = ?");  // external clients cascade
    st.Bind(1, id);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() == 0) return IssuerNotFound();
    return Ok();
  });
}

Result<ExternalClient> SqliteStore::CreateExternalClient(const ExternalClient& client) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<ExternalClient> {
    // SQLite's foreign-key error does not say which reference failed: look first, under the
    // write lock taken by BEGIN IMMEDIATE.
    if (auto s = RequireApplication(db_, client.application_id); !s.ok()) return s.error();
    if (auto s = RequireRow(db_, "SELECT 1 FROM issuers WHERE id = ?", client.issuer_id,
                            IssuerNotFound());
        !s.ok()) {
      return s.error();
    }
    Stmt st(db_,
            "INSERT INTO external_clients (id, application_id, issuer_id, client_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)");
    st.Bind(1, client.id).Bind(2, client.application_id).Bind(3, client.issuer_id);
    st.Bind(4, client.client_id).Bind(5, client.created_at);
    if (auto s = st.Exec(); !s.ok()) {
      return MapConstraint(
          st, s.error(),
          {{"external_clients.issuer_id, external_clients.client_id",
            Conflict("external_client_taken", "this client id of this issuer is bound already")},
           {"external_clients.id", Conflict("external_client_taken", "this id exists")}});
    }
    return client;
  });
}

Result<std::vector<ExternalClient>> SqliteStore::ListExternalClients(
    std::string_view application_id) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<std::vector<ExternalClient>> {
    if (auto s = RequireApplication(db_, application_id); !s.ok()) return s.error();
    Stmt st(db_,
            std::string(kExternalColumns) + "WHERE application_id = ? ORDER BY created_at, id");
    st.Bind(1, application_id);
    return All<ExternalClient>(st, ExternalFromRow);
  });
}

Status SqliteStore::DeleteExternalClient(std::string_view application_id, std::string_view id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    Stmt st(db_, "DELETE FROM external_clients WHERE id = ? AND application_id = ?");
    st.Bind(1, id).Bind(2, application_id);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() > 0) return Ok();
    if (auto s = RequireApplication(db_, application_id); !s.ok()) return s;
    return NotFound("external_client_not_found", "no such external client on this application");
  });
}

}  // namespace tollgate::store
