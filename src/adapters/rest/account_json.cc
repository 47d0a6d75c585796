// JSON ⇄ users, personal access tokens and audit entries.
#include "adapters/rest/account_json.h"

#include <boost/json.hpp>

#include "adapters/rest/json_mapping.h"

namespace tollgate::adapters::rest {
namespace json = boost::json;

json::object ToJson(const User& user) {
  return json::object{{"id", user.id},
                      {"name", user.name},
                      {"email", user.email},
                      {"role", ToString(user.role)},
                      {"disabled", user.disabled},
                      {"createdAt", FormatTime(user.created_at)}};
}

json::object ToJson(const AccessToken& token) {
  json::object o{{"id", token.id},
                 {"name", token.name},
                 {"prefix", token.prefix},
                 {"createdAt", FormatTime(token.created_at)}};
  o["expiresAt"] = token.expires_at ? json::value(FormatTime(*token.expires_at)) : json::value();
  return o;
}

namespace {

json::value Summary(const std::string& text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(text) : v;
}

}  // namespace

json::object ToJson(const AuditEntry& entry) {
  return json::object{{"seq", entry.seq},
                      {"at", FormatTime(entry.at)},
                      {"actor", entry.actor},
                      {"action", entry.action},
                      {"targetType", entry.target_type},
                      {"targetId", entry.target_id},
                      {"before", Summary(entry.before)},
                      {"after", Summary(entry.after)}};
}

Result<control::UserDraft> UserDraftFromJson(const json::value& body) {
  const json::object& o = body.as_object();
  control::UserDraft draft;
  auto name = StringField(o, "name");
  if (!name.ok()) return name.error();
  draft.name = std::move(name.value());
  if (o.contains("email")) {
    auto email = StringField(o, "email");
    if (!email.ok()) return email.error();
    draft.email = std::move(email.value());
  }
  auto password = StringField(o, "password");
  if (!password.ok()) return password.error();
  draft.password = std::move(password.value());
  auto role = StringField(o, "role");
  if (!role.ok()) return role.error();
  if (!role->empty()) {
    draft.role = ParseRole(*role);
    if (!draft.role)
      return Invalid("role", "role is admin, publisher or subscriber", "invalid_role");
  }
  if (const json::value* disabled = o.if_contains("disabled"); disabled && !disabled->is_null()) {
    if (!disabled->is_bool()) return Invalid("disabled", "disabled is true or false");
    draft.disabled = disabled->as_bool();
  }
  return draft;
}

}  // namespace tollgate::adapters::rest
