// Audit scopes and summaries of the management plane's changes.
#include "control/audit.h"

#include <cstdio>
#include <utility>

namespace tollgate::control {
namespace {

void AppendEscaped(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

}  // namespace

store::AuditScope OpenAudit(const Clock& clock, std::string_view actor, std::string_view action,
                            std::string_view target_type, std::string_view target_id,
                            std::string before, std::string after) {
  AuditEntry entry;
  entry.at = clock.NowSeconds();
  entry.actor = std::string(actor);
  entry.action = std::string(action);
  entry.target_type = std::string(target_type);
  entry.target_id = std::string(target_id);
  entry.before = std::move(before);
  entry.after = std::move(after);
  return store::AuditScope(std::move(entry));
}

void JsonSummary::Key(std::string_view key) {
  if (text_.size() > 1) text_ += ',';
  AppendEscaped(text_, key);
  text_ += ':';
}

JsonSummary& JsonSummary::Add(std::string_view key, std::string_view value) {
  Key(key);
  AppendEscaped(text_, value);
  return *this;
}

JsonSummary& JsonSummary::Add(std::string_view key, int64_t value) {
  Key(key);
  text_ += std::to_string(value);
  return *this;
}

JsonSummary& JsonSummary::Add(std::string_view key, bool value) {
  Key(key);
  text_ += value ? "true" : "false";
  return *this;
}

std::string Summary(const Api& api) {
  return JsonSummary()
      .Add("name", api.name)
      .Add("version", api.version)
      .Add("context", api.context)
      .Add("upstream", api.upstream)
      .Add("lifecycle", ToString(api.lifecycle))
      .Add("plans", Join(api.plans))
      .Add("resources", static_cast<int64_t>(api.resources.size()))
      .str();
}

std::string Summary(const Plan& plan) {
  JsonSummary s;
  s.Add("name", plan.name);
  if (plan.rate) {
    s.Add("rate",
          std::to_string(plan.rate->requests) + "/" + std::string(ToString(plan.rate->per)));
  }
  if (plan.quota) s.Add("quota", std::to_string(plan.quota->requests) + "/month");
  return s.str();
}

std::string Summary(const Application& app) {
  return JsonSummary()
      .Add("name", app.name)
      .Add("owner", app.owner)
      .Add("plan", app.plan)
      .Add("blocked", app.blocked)
      .str();
}

std::string Summary(const Subscription& sub) {
  return JsonSummary()
      .Add("applicationId", sub.application_id)
      .Add("apiId", sub.api_id)
      .Add("plan", sub.plan)
      .Add("status", ToString(sub.status))
      .str();
}

std::string Summary(const ApiKey& key) {
  JsonSummary s;
  s.Add("applicationId", key.application_id).Add("name", key.name).Add("prefix", key.prefix);
  if (key.expires_at) s.Add("expiresAt", *key.expires_at);
  return s.str();
}

std::string Summary(const User& user) {
  return JsonSummary()
      .Add("name", user.name)
      .Add("email", user.email)
      .Add("role", ToString(user.role))
      .Add("disabled", user.disabled)
      .str();
}

std::string Summary(const AccessToken& token) {
  JsonSummary s;
  s.Add("user", token.user).Add("name", token.name).Add("prefix", token.prefix);
  if (token.expires_at) s.Add("expiresAt", *token.expires_at);
  return s.str();
}

}  // namespace tollgate::control
