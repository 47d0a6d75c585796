// Security of OpenAPI documents mapped to what Tollgate checks (see docs/openapi.md, Security).
#include "control/openapi_security.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "control/openapi_common.h"

namespace tollgate::control::openapi {
namespace json = boost::json;
namespace {

Error Problem(std::string code, std::string pointer, std::string message) {
  return Error{ErrorKind::kInvalid, std::move(code), std::move(message), std::move(pointer)};
}

const json::value* Get(const json::object& o, std::string_view key) { return o.if_contains(key); }

std::optional<std::string> Text(const json::value* v) {
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

Result<SecuritySchemes> SecuritySchemes::Read(const json::value& doc) {
  SecuritySchemes out;
  const json::object& root_ = doc.get_object();
  const json::value* components = Get(root_, "components");
  if (components == nullptr || !components->is_object()) return out;
  const json::value* schemes = components->get_object().if_contains("securitySchemes");
  if (schemes == nullptr || !schemes->is_object()) return out;
  for (const auto& kv : schemes->get_object()) {
    const std::string at = Pointer("/components/securitySchemes", kv.key());
    if (!kv.value().is_object())
      return Problem("invalid_field", at, "a security scheme is an object");
    auto item = ResolveRef(doc, kv.value().get_object(), at);
    if (!item.ok()) return item.error();
    const json::object& s = **item;
    const std::string type = Text(Get(s, "type")).value_or("");
    Scheme scheme;
    if (type == "apiKey") {
      const std::string in = Text(Get(s, "in")).value_or("");
      std::string name = Text(Get(s, "name")).value_or("");
      if (in == "header") {
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        scheme = {Scheme::kApiKey, "header:" + name, {}};
      } else if (in == "query") {
        scheme = {Scheme::kApiKey, "query:" + name, {}};
      } else {
        scheme.what = "an API key in a " + (in.empty() ? std::string("missing location") : in);
      }
      if (scheme.kind == Scheme::kApiKey && name.empty()) {
        return Problem("missing_field", at + "/name", "an apiKey scheme needs a name");
      }
    } else if (type == "oauth2" || type == "openIdConnect") {
      scheme.kind = Scheme::kOAuth2;
    } else if (type == "http") {
      std::string http = Text(Get(s, "scheme")).value_or("");
      std::transform(http.begin(), http.end(), http.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (http == "bearer") {
        scheme.kind = Scheme::kOAuth2;
      } else {
        scheme.what = "HTTP " + (http.empty() ? std::string("authentication") : http);
      }
    } else {
      scheme.what = type.empty() ? std::string("a scheme without type") : type;
    }
    out.schemes_.emplace(kv.key(), std::move(scheme));
  }
  return out;
}

// Alternatives are OR'ed, the schemes within one alternative AND'ed. Tollgate checks one
// credential per request, so an alternative is usable when all its schemes are of one kind.
Result<OpSecurity> SecuritySchemes::Map(const json::value& security, const std::string& at) const {
  if (!security.is_array())
    return Problem("invalid_field", at, "security is a list of requirements");
  const json::array& alternatives = security.get_array();
  OpSecurity out;
  if (alternatives.empty()) {
    out.auth = AuthType::kNone;
    return out;
  }
  bool api_key = false, oauth2 = false, anonymous = false;
  std::optional<std::vector<std::string>> scopes;
  std::string refusal;
  size_t refused_at = 0;
  for (size_t i = 0; i < alternatives.size(); ++i) {
    const std::string alt_at = at + "/" + std::to_string(i);
    if (!alternatives[i].is_object())
      return Problem("invalid_field", alt_at, "a security requirement is an object");
    const json::object& alt = alternatives[i].get_object();
    if (alt.empty()) anonymous = true;
    std::set<Scheme::Kind> kinds;
    std::set<std::string> locations;
    std::vector<std::string> alt_scopes;
    std::string why;
    for (const auto& kv : alt) {
      auto it = schemes_.find(std::string_view(kv.key()));
      if (it == schemes_.end()) {
        return Problem(
            "unknown_security_scheme", Pointer(alt_at, kv.key()),
            "security scheme " + std::string(kv.key()) + " is not in components.securitySchemes");
      }
      kinds.insert(it->second.kind);
      if (it->second.kind == Scheme::kUnsupported) why = it->second.what;
      if (it->second.kind == Scheme::kApiKey) locations.insert(it->second.location);
      if (kv.value().is_array()) {
        for (const json::value& s : kv.value().get_array()) {
          if (auto text = Text(&s)) alt_scopes.push_back(*text);
        }
      }
    }
    if (alt.empty()) continue;
    if (!why.empty() || kinds.size() > 1 || locations.size() > 1) {
      if (refusal.empty()) {
        refused_at = i;
        refusal = !why.empty()
                      ? why + " is not a credential Tollgate checks"
                      : "a requirement of two credentials at once is not something Tollgate checks";
      }
      continue;
    }
    if (*kinds.begin() == Scheme::kApiKey) {
      api_key = true;
      out.key_locations.push_back(*locations.begin());
    } else {
      oauth2 = true;
      if (!scopes) {
        std::sort(alt_scopes.begin(), alt_scopes.end());
        alt_scopes.erase(std::unique(alt_scopes.begin(), alt_scopes.end()), alt_scopes.end());
        scopes = std::move(alt_scopes);
      }
    }
  }
  if (anonymous) {
    out.auth = AuthType::kNone;
    out.key_locations.clear();
    return out;
  }
  if (!api_key && !oauth2) {
    return Problem("unsupported_security_scheme", at + "/" + std::to_string(refused_at),
                   refusal +
                       "; Tollgate checks API keys (header or query) and OAuth2/OpenID Connect "
                       "bearer tokens. Set x-tollgate-auth on the operation to choose.");
  }
  out.auth = api_key && oauth2 ? AuthType::kApiKeyOrOAuth2
             : api_key         ? AuthType::kApiKey
                               : AuthType::kOAuth2;
  if (scopes) out.scopes = std::move(*scopes);
  return out;
}

}  // namespace tollgate::control::openapi
