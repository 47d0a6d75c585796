// Compiles SnapshotData into the lookup structures the decider reads.
#include "enforce/snapshot.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "crypto/crypto.h"
#include "enforce/limit_keys.h"

namespace tollgate::enforce {
namespace {

// Lower- or upper-case hex of 32 bytes; false when it is not.
bool HexDecode32(std::string_view hex, Digest& out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

bool TakesPart(Lifecycle state) { return state != Lifecycle::kCreated; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Host without port, compared case-insensitively with a lower-case virtual host.
bool HostEquals(std::string_view host, std::string_view lower_vhost) {
  if (!host.empty() && host.front() == '[') {  // [v6]:port
    const size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host.size() != lower_vhost.size()) return false;
  for (size_t i = 0; i < host.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(host[i])) != lower_vhost[i]) return false;
  }
  return true;
}

uint64_t SubscriptionKey(uint32_t application, uint32_t api) {
  return (static_cast<uint64_t>(application) << 32) | api;
}

CompiledRate MakeRate(const RateLimit& rate, std::string name, uint64_t key) {
  return {rate, std::move(name), key, ratelimit::CompileRate(rate)};
}

CompiledPlanLimits PlanLimits(const Plan* plan, uint64_t rate_key, uint64_t quota_key) {
  CompiledPlanLimits out;
  if (plan == nullptr) return out;
  if (plan->rate) out.rate = MakeRate(*plan->rate, plan->name, rate_key);
  if (plan->quota) out.quota = CompiledQuota{*plan->quota, plan->name, quota_key};
  return out;
}

// "ip", "ip/24", "header:x-user", "query:tenant", "claim:sub"; nullopt for anything else.
std::optional<CompiledKeyedLimit> CompileKeyed(const Api& api, size_t index, const KeyedLimit& k) {
  CompiledKeyedLimit c;
  std::string_view key = k.key;
  if (key == "ip" || key.rfind("ip/", 0) == 0) {
    c.source = CompiledKeyedLimit::Source::kIp;
    if (key.size() > 3) {
      const int bits = std::atoi(std::string(key.substr(3)).c_str());
      if (bits < 1 || bits > 128) return std::nullopt;
      c.prefix_bits = bits;
    }
  } else {
    const size_t colon = key.find(':');
    if (colon == std::string_view::npos || colon + 1 == key.size()) return std::nullopt;
    const std::string_view kind = key.substr(0, colon);
    if (kind == "header") {
      c.source = CompiledKeyedLimit::Source::kHeader;
      c.name = Lower(key.substr(colon + 1));
    } else if (kind == "query") {
      c.source = CompiledKeyedLimit::Source::kQuery;
      c.name = std::string(key.substr(colon + 1));
    } else if (kind == "claim") {
      c.source = CompiledKeyedLimit::Source::kClaim;
      c.name = std::string(key.substr(colon + 1));
    } else {
      return std::nullopt;
    }
  }
  c.rate = MakeRate(k.rate, k.key,
                        LimitKey("api", api.id, "keyed:" + std::to_string(index) + ":" + k.key));
  return c;
}

// "10.0.0.0/8", "2001:db8::/32" or a bare address; nullopt when it does not parse.
std::optional<CompiledCidr> ParseCidr(std::string_view text) {
  CompiledCidr c;
  std::string address(text.substr(0, text.find('/')));
  int bits = -1;
  if (const size_t slash = text.find('/'); slash != std::string_view::npos) {
    const std::string n(text.substr(slash + 1));
    if (n.empty() || n.size() > 3 || !std::all_of(n.begin(), n.end(), ::isdigit)) return std::nullopt;
    bits = std::atoi(n.c_str());
  }
  if (inet_pton(AF_INET, address.c_str(), c.bytes.data()) == 1) {
    c.length = 4;
  } else if (inet_pton(AF_INET6, address.c_str(), c.bytes.data()) == 1) {
    c.length = 16;
  } else {
    return std::nullopt;
  }
  if (bits > c.length * 8) return std::nullopt;
  c.bits = static_cast<uint8_t>(bits < 0 ? c.length * 8 : bits);
  return c;
}

const Plan* PlanNamed(const StringMap<Plan>& plans, std::string_view name) {
  if (name.empty()) return nullptr;
  auto it = plans.find(name);
  return it == plans.end() ? nullptr : &it->second;
}

CompiledApplication CompileApplication(const Application& app, uint32_t index,
                                       const StringMap<Plan>& plans) {
  return {index,
          app.id,
          app.name,
          app.owner,
          StableHash(app.id),
          PlanLimits(PlanNamed(plans, app.plan), ApplicationRateKey(app.id),
                     ApplicationQuotaKey(app.id)),
          app.blocked};
}

CompiledSubscription CompileSubscription(const Subscription& sub, const StringMap<Plan>& plans) {
  return {sub.plan, sub.status, sub.created_at,
          PlanLimits(PlanNamed(plans, sub.plan), SubscriptionRateKey(sub.id),
                     SubscriptionQuotaKey(sub.id))};
}

// The restrictions of `key`, or nullopt when it has none. `api_index` maps API ids to indexes.
std::optional<CompiledKeyRestriction> KeyRestriction(const ApiKey& key,
                                                     const StringMap<uint32_t>& api_index) {
  if (key.allowed_ips.empty() && key.allowed_referrers.empty() && key.api_ids.empty()) {
    return std::nullopt;
  }
  CompiledKeyRestriction r;
  for (const std::string& ip : key.allowed_ips) {
    // A range that does not parse allows nothing rather than everything.
    if (auto cidr = ParseCidr(ip)) r.ips.push_back(*cidr);
    else r.ips.push_back(CompiledCidr{{}, 0, 0});
  }
  r.referrers = key.allowed_referrers;
  r.limit_apis = !key.api_ids.empty();
  for (const std::string& id : key.api_ids) {
    if (auto it = api_index.find(id); it != api_index.end()) r.apis.push_back(it->second);
  }
  return r;
}

}  // namespace

std::shared_ptr<const Snapshot> Snapshot::Empty() {
  static const std::shared_ptr<const Snapshot> empty = [] {
    auto s = std::make_shared<Snapshot>();
    s->t_ = std::make_shared<const Tables>();
    return s;
  }();
  return empty;
}

std::shared_ptr<const Snapshot> Snapshot::Build(const SnapshotData& data, int64_t now) {
  auto s = std::make_shared<Snapshot>();
  auto t = std::make_shared<Tables>();
  s->revision_ = data.revision;
  t->from_store = true;
  for (const Plan& p : data.plans) t->plans.emplace(p.name, p);

  StringMap<uint32_t>& api_index = t->api_by_id;
  for (const Api& api : data.apis) {
    if (!TakesPart(api.lifecycle)) continue;
    CompiledApi c;
    c.index = static_cast<uint32_t>(t->apis.size());
    c.id = api.id;
    c.name = api.name;
    c.version = api.version;
    c.context = api.context;
    c.virtual_host = Lower(api.virtual_host);
    c.lifecycle = api.lifecycle;
    if (api.api_key_header.empty()) {
      c.key_headers = {"apikey", "x-api-key"};
      c.key_query = "apikey";
    } else if (api.api_key_header.rfind("query:", 0) == 0 && api.api_key_header.size() > 6) {
      c.key_query = api.api_key_header.substr(6);
    } else {
      c.key_headers = {Lower(api.api_key_header)};
    }
    c.audience = api.audience;
    c.backend_jwt_header = Lower(api.backend_jwt_header);
    if (api.lifecycle == Lifecycle::kDeprecated) {
      c.deprecated_at = api.deprecated_at.value_or(api.updated_at);
      c.sunset_at = api.sunset_at.value_or(0);
    }
    c.default_version = api.is_default_version;
    if (api.backend_rate) {
      c.backend_rate = MakeRate(*api.backend_rate, "api", ApiBackendKey(api.id));
    }
    for (size_t i = 0; i < api.keyed_limits.size(); ++i) {
      if (auto k = CompileKeyed(api, i, api.keyed_limits[i])) c.keyed_limits.push_back(std::move(*k));
    }
    c.fail_open = api.fail_open;
    for (const Resource& r : api.resources) {
      auto path = PathTemplate::Parse(r.path);
      if (!path.ok()) continue;
      const std::string res = api.id + ":" + r.method + " " + r.path;
      std::string scope_text;
      for (const std::string& scope : r.scopes) {
        if (!scope_text.empty()) scope_text += ' ';
        scope_text += scope;
      }
      c.resources.push_back({r.method, std::move(path.value()), r.auth, r.scopes,
                             std::move(scope_text),
                             PlanLimits(PlanNamed(t->plans, r.plan),
                                        LimitKey("res", res, "rate"),
                                        LimitKey("res", res, "quota"))});
    }
    std::stable_sort(c.resources.begin(), c.resources.end(),
                     [](const CompiledResource& a, const CompiledResource& b) {
                       return a.path.specificity() < b.path.specificity();
                     });
    api_index.emplace(c.id, c.index);
    t->apis.push_back(std::move(c));
  }
  for (const CompiledApi& c : t->apis) {
    auto& list = t->by_context[c.context];
    list.push_back(c.index);
  }
  // Default versions also answer at their context without the version segment ("/petstore").
  for (const CompiledApi& c : t->apis) {
    if (!c.default_version) continue;
    const size_t slash = c.context.rfind('/');
    if (slash == std::string::npos || slash == 0) continue;  // "/v1": nothing left to route by
    t->by_context[c.context.substr(0, slash)].push_back(c.index | kAliasBit);
  }
  // Real contexts before aliases; host-specific APIs before host-less ones.
  for (auto& [context, list] : t->by_context) {
    std::stable_sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
      auto rank = [&](uint32_t i) {
        return ((i & kAliasBit) ? 2 : 0) + (t->apis[i & ~kAliasBit].virtual_host.empty() ? 1 : 0);
      };
      return rank(a) < rank(b);
    });
  }

  StringMap<uint32_t>& app_index = t->application_by_id;
  for (const Application& app : data.applications) {
    const auto index = static_cast<uint32_t>(t->applications.size());
    t->applications.push_back(CompileApplication(app, index, t->plans));
    app_index.emplace(app.id, index);
  }

  t->keys.reserve(data.api_keys.size());
  for (const ApiKey& key : data.api_keys) {
    auto app = app_index.find(key.application_id);
    Digest digest;
    if (app == app_index.end() || !HexDecode32(key.hash, digest)) continue;
    CompiledKey compiled{app->second, kNoRestriction, key.expires_at.value_or(0)};
    if (auto r = KeyRestriction(key, api_index)) {
      compiled.restriction = static_cast<uint32_t>(t->key_restrictions.size());
      t->key_restrictions.push_back(std::move(*r));
    }
    t->keys.emplace(digest, compiled);
  }

  for (const MeshIdentity& m : data.mesh_identities) {
    if (auto app = app_index.find(m.application_id); app != app_index.end()) {
      t->mesh.emplace(m.principal, app->second);
    }
  }
  for (const OAuthClient& c : data.oauth_clients) {
    if (auto app = app_index.find(c.application_id); app != app_index.end()) {
      t->oauth_clients.emplace(c.client_id, app->second);
    }
  }
  StringMap<uint32_t> issuer_by_id;
  for (const Issuer& i : data.issuers) {
    const auto index = static_cast<uint32_t>(t->issuers.size());
    t->issuers.push_back({index, i.id, i.issuer, i.jwks_uri, i.discovery_url, i.audience,
                           i.client_claim.empty() ? "client_id" : i.client_claim});
    t->issuer_by_iss.emplace(i.issuer, index);
    issuer_by_id.emplace(i.id, index);
  }
  t->external_clients.resize(t->issuers.size());
  for (const ExternalClient& c : data.external_clients) {
    auto app = app_index.find(c.application_id);
    auto issuer = issuer_by_id.find(c.issuer_id);
    if (app == app_index.end() || issuer == issuer_by_id.end()) continue;
    t->external_clients[issuer->second].emplace(c.client_id, app->second);
  }
  for (const RevokedToken& token : data.revoked_tokens) {
    if (now == 0 || token.expires_at == 0 || token.expires_at > now) t->revoked.insert(token.jti);
  }
  for (const SigningKey& k : data.signing_keys) {
    if (now != 0 && k.expires_at && *k.expires_at <= now) continue;
    t->signing_keys.push_back({k.kid, k.public_jwk, k.created_at, k.expires_at.value_or(0)});
  }
  std::stable_sort(t->signing_keys.begin(), t->signing_keys.end(),
                   [](const CompiledSigningKey& a, const CompiledSigningKey& b) {
                     return a.created_at > b.created_at;
                   });

  for (const Subscription& sub : data.subscriptions) {
    auto app = app_index.find(sub.application_id);
    auto api = api_index.find(sub.api_id);
    if (app == app_index.end() || api == api_index.end()) continue;
    t->subscriptions.emplace(SubscriptionKey(app->second, api->second),
                             CompileSubscription(sub, t->plans));
  }
  s->key_count_ = t->keys.size();
  s->t_ = std::move(t);
  return s;
}

const CompiledApi* Snapshot::MatchApi(std::string_view host, std::string_view path,
                                      std::string_view* rest) const {
  path = PathOfTarget(path);
  if (path.empty() || path.front() != '/' || t_->by_context.empty()) return nullptr;
  // Candidate contexts are the path's prefixes that end at a segment boundary, longest first.
  size_t end = path.size();
  if (end > 1 && path.back() == '/') --end;
  while (end > 0) {
    auto it = t_->by_context.find(path.substr(0, end));
    if (it != t_->by_context.end()) {
      for (uint32_t i : it->second) {
        const CompiledApi& api = t_->apis[i & ~kAliasBit];
        if (api.virtual_host.empty() || HostEquals(host, api.virtual_host)) {
          *rest = end < path.size() ? path.substr(end) : std::string_view("/");
          return &api;
        }
      }
    }
    end = path.rfind('/', end - 1);
    if (end == std::string_view::npos) break;
  }
  return nullptr;
}

const CompiledApi* Snapshot::MatchHintedApi(std::string_view id, std::string_view path,
                                             std::string_view* rest) const {
  const CompiledApi* api = FindApi(id);
  if (api == nullptr) return nullptr;
  path = PathOfTarget(path);
  const std::string_view context = api->context;
  if (path.substr(0, context.size()) == context &&
      (path.size() == context.size() || path[context.size()] == '/')) {
    path = path.substr(context.size());
  }
  *rest = path.empty() ? std::string_view("/") : path;
  return api;
}

std::optional<uint32_t> Snapshot::FindMeshApplication(std::string_view principal) const {
  if (!overlay_.mesh.empty()) {
    if (auto it = overlay_.mesh.find(principal); it != overlay_.mesh.end()) return it->second;
  }
  auto it = t_->mesh.find(principal);
  return it == t_->mesh.end() ? std::nullopt : std::optional<uint32_t>(it->second);
}

std::optional<uint32_t> Snapshot::FindOAuthClientApplication(std::string_view client_id) const {
  if (!overlay_.oauth_clients.empty()) {
    auto it = overlay_.oauth_clients.find(client_id);
    if (it != overlay_.oauth_clients.end()) return it->second;
  }
  auto it = t_->oauth_clients.find(client_id);
  return it == t_->oauth_clients.end() ? std::nullopt : std::optional<uint32_t>(it->second);
}

std::optional<uint32_t> Snapshot::FindExternalClientApplication(uint32_t issuer,
                                                                std::string_view client_id) const {
  if (issuer >= t_->external_clients.size()) return std::nullopt;
  const auto& clients = t_->external_clients[issuer];
  auto it = clients.find(client_id);
  return it == clients.end() ? std::nullopt : std::optional<uint32_t>(it->second);
}

const CompiledIssuer* Snapshot::FindIssuerByIss(std::string_view iss) const {
  auto it = t_->issuer_by_iss.find(iss);
  return it == t_->issuer_by_iss.end() ? nullptr : &t_->issuers[it->second];
}

bool Snapshot::IsRevoked(std::string_view jti) const {
  if (jti.empty()) return false;
  if (!overlay_.revoked.empty()) {
    if (auto it = overlay_.revoked.find(jti); it != overlay_.revoked.end()) return it->second;
  }
  return t_->revoked.contains(jti);
}

const CompiledResource* Snapshot::MatchResource(const CompiledApi& api, std::string_view method,
                                                std::string_view rest) const {
  for (const CompiledResource& r : api.resources) {
    const bool method_ok = r.method == "*" || r.method == method ||
                           (method == "HEAD" && r.method == "GET");
    if (method_ok && r.path.Matches(rest)) return &r;
  }
  return nullptr;
}

const CompiledKey* Snapshot::FindKey(std::string_view digest) const {
  if (digest.size() != 32) return nullptr;
  Digest d;
  std::memcpy(d.data(), digest.data(), d.size());
  return FindDigest(d);
}

const CompiledKey* Snapshot::FindDigest(const Digest& d) const {
  if (!overlay_.keys.empty()) {
    if (auto it = overlay_.keys.find(d); it != overlay_.keys.end()) {
      return it->second ? &*it->second : nullptr;
    }
  }
  auto it = t_->keys.find(d);
  return it == t_->keys.end() ? nullptr : &it->second;
}

const CompiledApi* Snapshot::FindApi(std::string_view id) const {
  auto it = t_->api_by_id.find(id);
  return it == t_->api_by_id.end() ? nullptr : &t_->apis[it->second];
}

std::optional<uint32_t> Snapshot::ApplicationIndex(std::string_view id) const {
  if (!overlay_.added_application_ids.empty()) {
    auto it = overlay_.added_application_ids.find(id);
    if (it != overlay_.added_application_ids.end()) return it->second;
  }
  if (!overlay_.removed_applications.empty() && overlay_.removed_applications.contains(id)) {
    return std::nullopt;
  }
  auto it = t_->application_by_id.find(id);
  return it == t_->application_by_id.end() ? std::nullopt : std::optional<uint32_t>(it->second);
}

const CompiledApplication* Snapshot::FindApplication(std::string_view id) const {
  auto index = ApplicationIndex(id);
  return index ? &application(*index) : nullptr;
}

const CompiledSubscription* Snapshot::FindSubscription(uint32_t application, uint32_t api) const {
  const uint64_t key = SubscriptionKey(application, api);
  if (!overlay_.subscriptions.empty()) {
    if (auto it = overlay_.subscriptions.find(key); it != overlay_.subscriptions.end()) {
      return it->second ? &*it->second : nullptr;
    }
  }
  auto it = t_->subscriptions.find(key);
  return it == t_->subscriptions.end() ? nullptr : &it->second;
}

size_t Snapshot::patch_size() const { return overlay_.size(); }

std::shared_ptr<const Snapshot> Snapshot::Patch(const SnapshotChanges& changes) const {
  if (!t_->from_store || !changes.patchable || changes.since != revision_) return nullptr;
  auto s = std::make_shared<Snapshot>();
  s->revision_ = changes.revision;
  s->key_count_ = key_count_;
  s->t_ = t_;
  s->overlay_ = overlay_;
  Overlay& o = s->overlay_;
  const uint32_t base_applications = static_cast<uint32_t>(t_->applications.size());

  // Applications first: the keys and subscriptions below may name new ones.
  StringMap<const Application*> app_rows;
  for (const Application& a : changes.applications) app_rows.emplace(a.id, &a);
  for (const std::string& id : changes.application_ids) {
    const auto index = s->ApplicationIndex(id);
    auto row = app_rows.find(id);
    if (row == app_rows.end()) {
      // Deleted. Its keys, subscriptions, clients and identities went with it (logged as their
      // own changes), so nothing reaches its index any more; only its id must stop resolving.
      if (!index) continue;
      if (*index >= base_applications) {
        o.added_application_ids.erase(id);
      } else {
        o.removed_applications.insert_or_assign(id, true);
      }
      continue;
    }
    if (!index) {
      const auto added = static_cast<uint32_t>(s->application_count());
      o.added_applications.push_back(CompileApplication(*row->second, added, t_->plans));
      o.added_application_ids.emplace(id, added);
    } else if (*index >= base_applications) {
      o.added_applications[*index - base_applications] =
          CompileApplication(*row->second, *index, t_->plans);
    } else {
      o.changed_applications.insert_or_assign(
          *index, CompileApplication(*row->second, *index, t_->plans));
    }
  }

  StringMap<const ApiKey*> key_rows;
  for (const ApiKey& k : changes.api_keys) key_rows.emplace(k.hash, &k);
  for (const std::string& hash : changes.key_hashes) {
    Digest digest;
    if (!HexDecode32(hash, digest)) continue;  // never compiled (see Build)
    const bool existed = s->FindDigest(digest) != nullptr;
    std::optional<CompiledKey> compiled;
    if (auto row = key_rows.find(hash); row != key_rows.end()) {
      const ApiKey& key = *row->second;
      if (auto app = s->ApplicationIndex(key.application_id)) {
        compiled = CompiledKey{*app, kNoRestriction, key.expires_at.value_or(0)};
        if (auto r = KeyRestriction(key, t_->api_by_id)) {
          compiled->restriction =
              static_cast<uint32_t>(t_->key_restrictions.size() + o.key_restrictions.size());
          o.key_restrictions.push_back(std::move(*r));
        }
      }
    }
    s->key_count_ += (compiled ? 1 : 0);
    s->key_count_ -= (existed ? 1 : 0);
    o.keys.insert_or_assign(digest, std::move(compiled));
  }

  std::map<std::pair<std::string_view, std::string_view>, const Subscription*> sub_rows;
  for (const Subscription& sub : changes.subscriptions) {
    sub_rows.emplace(std::pair<std::string_view, std::string_view>(sub.application_id, sub.api_id),
                     &sub);
  }
  for (const auto& [application_id, api_id] : changes.subscription_pairs) {
    const auto app = s->ApplicationIndex(application_id);
    const auto api = t_->api_by_id.find(api_id);
    if (!app || api == t_->api_by_id.end()) continue;  // not indexed (see Build)
    std::optional<CompiledSubscription> compiled;
    auto row = sub_rows.find({application_id, api_id});
    if (row != sub_rows.end()) compiled = CompileSubscription(*row->second, t_->plans);
    o.subscriptions.insert_or_assign(SubscriptionKey(*app, api->second), std::move(compiled));
  }

  // Credentials other than keys, by the name the decider looks them up by: each touched name
  // maps to the application its current row names, or to nothing when the row is gone.
  auto credentials = [&](const std::vector<std::string>& touched, const auto& rows, auto name_of,
                         StringMap<std::optional<uint32_t>>& overlay) {
    StringMap<const std::string*> application_of;
    for (const auto& row : rows) application_of.emplace(name_of(row), &row.application_id);
    for (const std::string& name : touched) {
      auto it = application_of.find(name);
      overlay.insert_or_assign(
          name, it == application_of.end() ? std::nullopt : s->ApplicationIndex(*it->second));
    }
  };
  credentials(changes.mesh_principals, changes.mesh_identities,
              [](const MeshIdentity& m) -> const std::string& { return m.principal; }, o.mesh);
  credentials(changes.oauth_client_ids, changes.oauth_clients,
              [](const OAuthClient& c) -> const std::string& { return c.client_id; },
              o.oauth_clients);

  StringMap<bool> revoked_rows;
  for (const RevokedToken& token : changes.revoked_tokens) revoked_rows.emplace(token.jti, true);
  for (const std::string& jti : changes.revoked_jtis) {
    o.revoked.insert_or_assign(jti, revoked_rows.contains(jti));
  }

  if (o.size() > kMaxPatchEntries) return nullptr;
  return s;
}

}  // namespace tollgate::enforce
