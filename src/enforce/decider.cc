// The decision engine. Every gateway protocol ends here; see decider.h for the order of checks.
#include "enforce/decider.h"

#include "crypto/crypto.h"

namespace tollgate::enforce {
namespace {

Decision Deny(Decision d, DecisionCode code) {
  d.code = code;
  return d;
}

}  // namespace

Decision Decide(const Snapshot& snapshot, const AccessRequest& request, int64_t now,
                Match* match) {
  Match unused;
  Match& m = match != nullptr ? *match : unused;
  Decision d;
  std::string_view rest;
  const CompiledApi* api = snapshot.MatchApi(request.host, request.path, &rest);
  if (api == nullptr) return Deny(d, DecisionCode::kApiNotFound);
  m.api = api;
  d.api_id = api->id;
  d.api_name = api->name;
  d.api_version = api->version;

  switch (api->lifecycle) {
    case Lifecycle::kPublished:
    case Lifecycle::kDeprecated:
      break;
    case Lifecycle::kRetired:
      return Deny(d, DecisionCode::kApiRetired);
    case Lifecycle::kBlocked:
      return Deny(d, DecisionCode::kApiBlocked);
    case Lifecycle::kCreated:
      return Deny(Decision{}, DecisionCode::kApiNotFound);
  }

  const CompiledResource* resource = snapshot.MatchResource(*api, request.method, rest);
  if (resource == nullptr) return Deny(d, DecisionCode::kResourceNotFound);
  m.resource = resource;
  if (resource->auth == AuthType::kNone) {
    d.code = DecisionCode::kAllow;
    return d;
  }

  std::optional<std::string_view> key;
  for (const std::string& header : api->key_headers) {
    key = request.headers->Get(header);
    if (key && !key->empty()) {
      d.credential_header = header;
      break;
    }
  }
  if (!key || key->empty()) {
    d.credential_header = api->key_headers.front();
    return Deny(d, DecisionCode::kMissingCredential);
  }
  // Keys are looked up by digest: the table never holds a key, and lookup time says nothing
  // about how close a guess was.
  const auto digest = crypto::Sha256(*key);
  const CompiledKey* found = snapshot.FindKey(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  if (found == nullptr) return Deny(d, DecisionCode::kInvalidCredential);
  if (found->expires_at && *found->expires_at <= now) {
    return Deny(d, DecisionCode::kExpiredCredential);
  }

  const CompiledApplication& app = snapshot.applications()[found->application];
  m.application = &app;
  d.application_id = app.id;
  d.application_name = app.name;
  d.subscriber = app.owner;

  const CompiledSubscription* sub = snapshot.FindSubscription(app.index, api->index);
  if (sub == nullptr) return Deny(d, DecisionCode::kNotSubscribed);
  d.plan = sub->plan;
  m.subscription = sub;
  if (sub->status == SubscriptionStatus::kBlocked) {
    return Deny(d, DecisionCode::kSubscriptionBlocked);
  }
  d.code = DecisionCode::kAllow;
  return d;
}

}  // namespace tollgate::enforce
