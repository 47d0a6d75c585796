// Names, titles and HTTP statuses of decision codes: part of the product's contract.
#include "core/access.h"

namespace tollgate {
namespace {

struct CodeInfo {
  std::string_view name;
  std::string_view title;
  int status;
};

constexpr CodeInfo Info(DecisionCode code) {
  switch (code) {
    case DecisionCode::kAllow:
      return {"allow", "Allowed", 200};
    case DecisionCode::kApiNotFound:
      return {"api_not_found", "No API is published at this address", 404};
    case DecisionCode::kResourceNotFound:
      return {"resource_not_found", "The API has no resource for this method and path", 404};
    case DecisionCode::kMissingCredential:
      return {"missing_credential", "This resource requires a credential (API key, bearer token or mesh identity)", 401};
    case DecisionCode::kInvalidCredential:
      return {"invalid_credential", "The credential is not valid", 401};
    case DecisionCode::kExpiredCredential:
      return {"expired_credential", "The credential has expired", 401};
    case DecisionCode::kNotSubscribed:
      return {"not_subscribed", "The application is not subscribed to this API", 403};
    case DecisionCode::kSubscriptionBlocked:
      return {"subscription_blocked", "The application's subscription to this API is blocked",
              403};
    case DecisionCode::kApiRetired:
      return {"api_retired", "This API has been retired", 410};
    case DecisionCode::kApiBlocked:
      return {"api_blocked", "This API is temporarily blocked by its publisher", 503};
    case DecisionCode::kRateLimited:
      return {"rate_limited", "Too many requests: a rate limit is exhausted", 429};
    case DecisionCode::kQuotaExceeded:
      return {"quota_exceeded", "The quota for this period is used up", 429};
    case DecisionCode::kInsufficientScope:
      return {"insufficient_scope", "The token lacks a scope this resource requires", 403};
    case DecisionCode::kApplicationBlocked:
      return {"application_blocked", "The application is blocked", 403};
    case DecisionCode::kCredentialRestricted:
      return {"credential_restricted", "The credential may not be used for this request", 403};
    case DecisionCode::kSubscriptionPending:
      return {"subscription_pending", "The subscription is waiting for approval", 403};
    case DecisionCode::kInternalError:
      return {"internal_error", "The request could not be checked; try again later", 503};
  }
  return {"internal", "Internal error", 500};
}

// Every code, for parsing names back; a new code is added here and to Info().
constexpr DecisionCode kAllCodes[] = {
    DecisionCode::kAllow,           DecisionCode::kApiNotFound,
    DecisionCode::kResourceNotFound, DecisionCode::kMissingCredential,
    DecisionCode::kInvalidCredential, DecisionCode::kExpiredCredential,
    DecisionCode::kNotSubscribed,   DecisionCode::kSubscriptionBlocked,
    DecisionCode::kApiRetired,      DecisionCode::kApiBlocked,
    DecisionCode::kRateLimited,     DecisionCode::kQuotaExceeded,
    DecisionCode::kInsufficientScope, DecisionCode::kApplicationBlocked,
    DecisionCode::kCredentialRestricted, DecisionCode::kSubscriptionPending,
    DecisionCode::kInternalError,
};

}  // namespace

std::optional<DecisionCode> ParseDecisionCode(std::string_view name) {
  for (DecisionCode code : kAllCodes) {
    if (Info(code).name == name) return code;
  }
  return std::nullopt;
}

std::string_view CodeName(DecisionCode code) { return Info(code).name; }
std::string_view Title(DecisionCode code) { return Info(code).title; }
int HttpStatus(DecisionCode code) { return Info(code).status; }

}  // namespace tollgate
