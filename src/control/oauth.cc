// The service's OAuth2 rules: applications' OAuth clients, signing-key administration, external
// issuers and the external client ids bound to applications.
#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <utility>

#include "control/key_manager.h"
#include "control/audit.h"
#include "control/service.h"
#include "crypto/crypto.h"

namespace tollgate::control {
namespace {

constexpr size_t kClientIdChars = 24;
constexpr size_t kSecretChars = 40;  // base62: ≈ 238 bits
constexpr size_t kMaxName = 100;
constexpr size_t kMaxText = 2048;

Error Forbidden(std::string message) {
  return Error{ErrorKind::kForbidden, "forbidden", std::move(message), {}};
}

Status RequireAdminRole(const Principal& who, std::string_view what) {
  if (who.role == Role::kAdmin) return Ok();
  return Forbidden("only admins manage " + std::string(what));
}

Error NoKeyManager() {
  return Error{ErrorKind::kUnavailable,
               "key_manager_unavailable",
               "this process does not run the key manager",
               {}};
}

std::string Trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// An absolute http(s) URL with a host; empty passes when `required` is false.
Status CheckUrl(const std::string& value, const char* field, bool required) {
  if (value.empty()) {
    return required ? Invalid(field, std::string(field) + " is required") : Ok();
  }
  auto url = boost::urls::parse_absolute_uri(value);
  const bool ok = url && (url->scheme() == "http" || url->scheme() == "https") &&
                  url->has_authority() && !url->host().empty() && !url->has_fragment() &&
                  value.size() <= kMaxText;
  if (!ok)
    return Invalid(field, std::string(field) + " must be an http:// or https:// URL",
                   "invalid_url");
  return Ok();
}

Status ValidateIssuer(Issuer& issuer) {
  issuer.name = Trimmed(issuer.name);
  issuer.issuer = Trimmed(issuer.issuer);
  issuer.jwks_uri = Trimmed(issuer.jwks_uri);
  issuer.discovery_url = Trimmed(issuer.discovery_url);
  issuer.audience = Trimmed(issuer.audience);
  issuer.client_claim = Trimmed(issuer.client_claim);
  if (issuer.name.empty()) return Invalid("name", "name is required");
  if (issuer.name.size() > kMaxName) return Invalid("name", "name is at most 100 characters");
  if (auto s = CheckUrl(issuer.issuer, "issuer", true); !s.ok()) return s;
  if (issuer.jwks_uri.empty() && issuer.discovery_url.empty()) {
    return Invalid("jwksUri", "jwksUri or discoveryUrl is required");
  }
  if (auto s = CheckUrl(issuer.jwks_uri, "jwksUri", false); !s.ok()) return s;
  if (auto s = CheckUrl(issuer.discovery_url, "discoveryUrl", false); !s.ok()) return s;
  if (issuer.audience.size() > kMaxText) return Invalid("audience", "audience is too long");
  if (issuer.client_claim.empty()) issuer.client_claim = "client_id";
  const bool claim_ok =
      issuer.client_claim.size() <= kMaxName &&
      std::all_of(issuer.client_claim.begin(), issuer.client_claim.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
               c == ':' || c == '/';
      });
  if (!claim_ok) return Invalid("clientClaim", "clientClaim is a claim name, e.g. \"azp\"");
  return Ok();
}

store::PageRequest ClampPage(store::PageRequest page) {
  page.offset = std::max<int64_t>(page.offset, 0);
  page.limit = std::clamp<int64_t>(page.limit, 1, 500);
  return page;
}

std::string NewSecret() {
  return std::string(kOAuthSecretPrefix) + crypto::RandomToken(kSecretChars);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// OAuth clients

Result<IssuedClient> Service::CreateOAuthClient(const Principal& who,
                                                std::string_view application_id, std::string name) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  name = Trimmed(name);
  if (name.size() > kMaxName) return Invalid("name", "name is at most 100 characters");
  IssuedClient out;
  out.secret = NewSecret();
  out.record = OAuthClient{crypto::RandomUuid(),
                           app->id,
                           std::string(kOAuthClientIdPrefix) + crypto::RandomToken(kClientIdChars),
                           crypto::Sha256Hex(out.secret),
                           name.empty() ? "default" : std::move(name),
                           clock_.NowSeconds()};
  auto audit = OpenAudit(clock_, who.user, "oauth_client.create", "oauth_client", out.record.client_id, "",
                         JsonSummary().Add("applicationId", out.record.application_id).Add("name", out.record.name).str());
  auto stored = Changed(store_.CreateOAuthClient(out.record));
  if (!stored.ok()) return stored.error();
  out.record = std::move(stored.value());
  return out;
}

Result<std::vector<OAuthClient>> Service::ListOAuthClients(const Principal& who,
                                                           std::string_view application_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  return store_.ListOAuthClients(application_id);
}

Status Service::DeleteOAuthClient(const Principal& who, std::string_view application_id,
                                  std::string_view client_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  auto audit = OpenAudit(clock_, who.user, "oauth_client.delete", "oauth_client", client_id,
                         JsonSummary().Add("applicationId", application_id).str(), "");
  return Changed(store_.DeleteOAuthClient(application_id, client_id));
}

Result<IssuedClient> Service::RegenerateOAuthClientSecret(const Principal& who,
                                                          std::string_view application_id,
                                                          std::string_view client_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  IssuedClient out;
  out.secret = NewSecret();
  auto audit = OpenAudit(clock_, who.user, "oauth_client.secret", "oauth_client", client_id, "",
                         JsonSummary().Add("applicationId", application_id).str());
  auto stored = Changed(
      store_.SetOAuthClientSecret(application_id, client_id, crypto::Sha256Hex(out.secret)));
  if (!stored.ok()) return stored.error();
  out.record = std::move(stored.value());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Signing keys

Result<SigningKey> Service::RotateSigningKey(const Principal& who) {
  if (auto s = RequireAdminRole(who, "signing keys"); !s.ok()) return s.error();
  if (key_manager_ == nullptr) return NoKeyManager();
  auto audit = OpenAudit(clock_, who.user, "signing_key.rotate", "signing_key", "", "", "");
  return key_manager_->RotateSigningKey();  // notifies on its own
}

Result<std::vector<SigningKey>> Service::ListSigningKeys(const Principal& who) {
  if (auto s = RequireAdminRole(who, "signing keys"); !s.ok()) return s.error();
  if (key_manager_ == nullptr) return NoKeyManager();
  return key_manager_->PublishedKeys();
}

// ---------------------------------------------------------------------------------------------
// Issuers

Result<Issuer> Service::CreateIssuer(const Principal& who, Issuer draft) {
  if (auto s = RequireAdminRole(who, "issuers"); !s.ok()) return s.error();
  if (auto s = ValidateIssuer(draft); !s.ok()) return s.error();
  draft.id = crypto::RandomUuid();
  draft.created_at = clock_.NowSeconds();
  auto audit = OpenAudit(clock_, who.user, "issuer.create", "issuer", draft.id, "",
                         JsonSummary().Add("issuer", draft.issuer).Add("jwksUri", draft.jwks_uri).str());
  return Changed(store_.CreateIssuer(draft));
}

Result<Issuer> Service::GetIssuer(const Principal& who, std::string_view id) {
  if (auto s = RequireAdminRole(who, "issuers"); !s.ok()) return s.error();
  return store_.GetIssuer(id);
}

Result<store::Page<Issuer>> Service::ListIssuers(const Principal& who, store::PageRequest page) {
  if (auto s = RequireAdminRole(who, "issuers"); !s.ok()) return s.error();
  return store_.ListIssuers(ClampPage(page));
}

Result<Issuer> Service::UpdateIssuer(const Principal& who, std::string_view id, Issuer draft) {
  if (auto s = RequireAdminRole(who, "issuers"); !s.ok()) return s.error();
  if (auto s = ValidateIssuer(draft); !s.ok()) return s.error();
  draft.id = std::string(id);
  auto audit = OpenAudit(clock_, who.user, "issuer.update", "issuer", draft.id, "",
                         JsonSummary().Add("issuer", draft.issuer).Add("jwksUri", draft.jwks_uri).str());
  return Changed(store_.UpdateIssuer(draft));
}

Status Service::DeleteIssuer(const Principal& who, std::string_view id) {
  if (auto s = RequireAdminRole(who, "issuers"); !s.ok()) return s;
  auto audit = OpenAudit(clock_, who.user, "issuer.delete", "issuer", id, "", "");
  return Changed(store_.DeleteIssuer(id));
}

// ---------------------------------------------------------------------------------------------
// External clients

Result<ExternalClient> Service::CreateExternalClient(const Principal& who,
                                                     std::string_view application_id,
                                                     std::string issuer_id, std::string client_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  issuer_id = Trimmed(issuer_id);
  client_id = Trimmed(client_id);
  if (issuer_id.empty()) return Invalid("issuerId", "issuerId is required");
  if (client_id.empty()) return Invalid("clientId", "clientId is required");
  if (client_id.size() > kMaxText) return Invalid("clientId", "clientId is too long");
  ExternalClient ext{crypto::RandomUuid(), app->id, std::move(issuer_id), std::move(client_id),
                     clock_.NowSeconds()};
  auto audit = OpenAudit(clock_, who.user, "external_client.create", "external_client", ext.id, "",
                         JsonSummary().Add("applicationId", ext.application_id).Add("clientId", ext.client_id).str());
  auto stored = Changed(store_.CreateExternalClient(ext));
  if (!stored.ok() && stored.error().code == "issuer_not_found") {
    return Invalid("issuerId", "no issuer with this id", "issuer_not_found");
  }
  return stored;
}

Result<std::vector<ExternalClient>> Service::ListExternalClients(const Principal& who,
                                                                 std::string_view application_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  return store_.ListExternalClients(application_id);
}

Status Service::DeleteExternalClient(const Principal& who, std::string_view application_id,
                                     std::string_view id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  auto audit = OpenAudit(clock_, who.user, "external_client.delete", "external_client", id,
                         JsonSummary().Add("applicationId", application_id).str(), "");
  return Changed(store_.DeleteExternalClient(application_id, id));
}

}  // namespace tollgate::control
