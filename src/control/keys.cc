// The service's API key issuing: keys with an expiry and optional restrictions (client
// addresses, referrers, APIs). The key itself is returned once; only its hash is stored.
#include <algorithm>
#include <utility>

#include "control/audit.h"
#include "control/service.h"
#include "control/validation.h"
#include "crypto/crypto.h"

namespace tollgate::control {
namespace {

constexpr size_t kKeyRandomChars = 40;  // base62: ≈ 238 bits
constexpr size_t kKeyPrefixShown = 8;   // "tg_" + 5 characters, to recognise a key
constexpr int64_t kPageSize = 500;      // the store's largest page

}  // namespace

Result<IssuedKey> Service::IssueApiKey(const Principal& who, std::string_view application_id,
                                       ApiKeyRequest request) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  const int64_t now = clock_.NowSeconds();
  if (request.expires_at && *request.expires_at <= now) {
    return Invalid("expiresAt", "expiresAt must be in the future");
  }
  if (request.name.size() > 100) return Invalid("name", "name is at most 100 characters");
  ApiKey record;
  record.allowed_ips = std::move(request.allowed_ips);
  record.allowed_referrers = std::move(request.allowed_referrers);
  record.api_ids = std::move(request.api_ids);
  if (auto s = ValidateKeyRestrictions(record); !s.ok()) return s.error();
  if (!record.api_ids.empty()) {
    // A key may only be narrowed to APIs its application is subscribed to.
    std::vector<std::string> subscribed;
    for (store::PageRequest page{0, kPageSize};; page.offset += page.limit) {
      auto subs = store_.ListSubscriptions(app->id, page);
      if (!subs.ok()) return subs.error();
      for (const Subscription& sub : subs->items) subscribed.push_back(sub.api_id);
      if (page.offset + page.limit >= subs->total) break;
    }
    for (size_t i = 0; i < record.api_ids.size(); ++i) {
      if (std::find(subscribed.begin(), subscribed.end(), record.api_ids[i]) == subscribed.end()) {
        return Invalid("apiIds[" + std::to_string(i) + "]",
                       "the application is not subscribed to API " + record.api_ids[i],
                       "api_not_subscribed");
      }
    }
  }
  IssuedKey out;
  out.key = std::string(kApiKeyPrefix) + crypto::RandomToken(kKeyRandomChars);
  record.id = crypto::RandomUuid();
  record.application_id = app->id;
  record.name = request.name.empty() ? "default" : std::move(request.name);
  record.prefix = out.key.substr(0, kKeyPrefixShown);
  record.hash = crypto::Sha256Hex(out.key);
  record.created_at = now;
  record.expires_at = request.expires_at;
  auto audit = OpenAudit(clock_, who.user, "key.create", "key", record.id, "", Summary(record));
  auto stored = Changed(store_.CreateApiKey(record));
  if (!stored.ok()) return stored.error();
  out.record = std::move(stored.value());
  return out;
}

}  // namespace tollgate::control
