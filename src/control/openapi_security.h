// Internal to control/openapi_*.cc: an OpenAPI document's security schemes and requirements,
// mapped to what Tollgate checks (API keys in a header or query parameter, bearer tokens).
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace tollgate::control::openapi {

// What an operation's `security` asks for, once mapped to what Tollgate enforces.
struct OpSecurity {
  AuthType auth = AuthType::kApiKey;
  std::vector<std::string> scopes;
  std::vector<std::string> key_locations;  // "header:name" / "query:name" of apiKey alternatives
};

struct Scheme {
  enum Kind { kApiKey, kOAuth2, kUnsupported } kind = kUnsupported;
  std::string location;  // for kApiKey
  std::string what;      // for kUnsupported: why, e.g. "HTTP basic"
};

class SecuritySchemes {
 public:
  // components.securitySchemes of `doc` (an object), local "$ref"s followed.
  static Result<SecuritySchemes> Read(const boost::json::value& doc);

  // A `security` requirement list (at pointer `at`). Alternatives are OR'ed, the schemes within
  // one AND'ed; [] or an empty alternative = none. Errors: unknown_security_scheme,
  // unsupported_security_scheme (no alternative Tollgate can check), invalid_field.
  Result<OpSecurity> Map(const boost::json::value& security, const std::string& at) const;

 private:
  std::map<std::string, Scheme, std::less<>> schemes_;
};

}  // namespace tollgate::control::openapi
