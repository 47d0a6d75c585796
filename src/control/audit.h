// Audit helpers of the management plane: opening the AuditScope around a change, and the
// before/after summaries (small JSON objects, never a secret: no password hash, key or token).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/model.h"
#include "store/audit_scope.h"

namespace tollgate::control {

// The scope to hold around the one store write that makes this change (store/audit_scope.h):
//   auto audit = OpenAudit(clock_, who.user, "api.create", "api", api.id, "", Summary(api));
//   return store_.CreateApi(api);
// Action names are "<target type>.<verb>": api.create|update|delete|lifecycle, plan.*,
// application.*, subscription.create|delete, key.create|revoke, user.create|update|delete|signup,
// session.login|logout, token.create|revoke.
store::AuditScope OpenAudit(const Clock& clock, std::string_view actor, std::string_view action,
                            std::string_view target_type, std::string_view target_id,
                            std::string before, std::string after);

// Summaries: the fields people look for in an audit trail.
std::string Summary(const Api& api);
std::string Summary(const Plan& plan);
std::string Summary(const Application& app);
std::string Summary(const Subscription& sub);
std::string Summary(const ApiKey& key);         // id, name, prefix, expiry: never the hash
std::string Summary(const User& user);          // name, email, role, disabled: never the hash
std::string Summary(const AccessToken& token);  // name, prefix, expiry: never the hash

// A tiny JSON object writer for summaries (strings escaped per RFC 8259).
class JsonSummary {
 public:
  JsonSummary& Add(std::string_view key, std::string_view value);
  JsonSummary& Add(std::string_view key, const char* value) {
    return Add(key, std::string_view(value));
  }
  JsonSummary& Add(std::string_view key, int64_t value);
  JsonSummary& Add(std::string_view key, bool value);
  std::string str() const { return text_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string text_ = "{";
};

}  // namespace tollgate::control
