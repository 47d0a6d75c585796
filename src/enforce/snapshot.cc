// Compiles SnapshotData into the lookup structures the decider reads.
#include "enforce/snapshot.h"

#include <algorithm>
#include <cctype>

#include "crypto/crypto.h"
#include "enforce/limit_keys.h"

namespace tollgate::enforce {
namespace {

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

CompiledPlanLimits PlanLimits(const Plan* plan, uint64_t rate_key, uint64_t quota_key) {
  CompiledPlanLimits out;
  if (plan == nullptr) return out;
  if (plan->rate) out.rate = CompiledRate{*plan->rate, plan->name, rate_key};
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
  c.rate = CompiledRate{k.rate, k.key,
                        LimitKey("api", api.id, "keyed:" + std::to_string(index) + ":" + k.key)};
  return c;
}

}  // namespace

std::shared_ptr<const Snapshot> Snapshot::Empty() {
  static const std::shared_ptr<const Snapshot> empty = std::make_shared<const Snapshot>();
  return empty;
}

std::shared_ptr<const Snapshot> Snapshot::Build(const SnapshotData& data) {
  auto s = std::make_shared<Snapshot>();
  s->revision_ = data.revision;

  StringMap<const Plan*> plans;
  for (const Plan& p : data.plans) plans.emplace(p.name, &p);
  auto plan_named = [&plans](std::string_view name) -> const Plan* {
    auto it = plans.find(name);
    return it == plans.end() ? nullptr : it->second;
  };

  StringMap<uint32_t>& api_index = s->api_by_id_;
  for (const Api& api : data.apis) {
    if (!TakesPart(api.lifecycle)) continue;
    CompiledApi c;
    c.index = static_cast<uint32_t>(s->apis_.size());
    c.id = api.id;
    c.name = api.name;
    c.version = api.version;
    c.context = api.context;
    c.virtual_host = Lower(api.virtual_host);
    c.lifecycle = api.lifecycle;
    if (api.api_key_header.empty()) {
      c.key_headers = {"apikey", "x-api-key"};
    } else {
      c.key_headers = {Lower(api.api_key_header)};
    }
    if (api.backend_rate) {
      c.backend_rate = CompiledRate{*api.backend_rate, "api", ApiBackendKey(api.id)};
    }
    for (size_t i = 0; i < api.keyed_limits.size(); ++i) {
      if (auto k = CompileKeyed(api, i, api.keyed_limits[i])) c.keyed_limits.push_back(std::move(*k));
    }
    c.fail_open = api.fail_open;
    for (const Resource& r : api.resources) {
      auto path = PathTemplate::Parse(r.path);
      if (!path.ok()) continue;
      const std::string res = api.id + ":" + r.method + " " + r.path;
      c.resources.push_back({r.method, std::move(path.value()), r.auth,
                             PlanLimits(r.plan.empty() ? nullptr : plan_named(r.plan),
                                        LimitKey("res", res, "rate"),
                                        LimitKey("res", res, "quota"))});
    }
    std::stable_sort(c.resources.begin(), c.resources.end(),
                     [](const CompiledResource& a, const CompiledResource& b) {
                       return a.path.specificity() < b.path.specificity();
                     });
    api_index.emplace(c.id, c.index);
    s->apis_.push_back(std::move(c));
  }
  for (const CompiledApi& c : s->apis_) {
    auto& list = s->by_context_[c.context];
    list.push_back(c.index);
  }
  // Host-specific APIs are tried before host-less ones with the same context.
  for (auto& [context, list] : s->by_context_) {
    std::stable_partition(list.begin(), list.end(),
                          [&](uint32_t i) { return !s->apis_[i].virtual_host.empty(); });
  }

  StringMap<uint32_t>& app_index = s->application_by_id_;
  for (const Application& app : data.applications) {
    const auto index = static_cast<uint32_t>(s->applications_.size());
    s->applications_.push_back(
        {index, app.id, app.name, app.owner, StableHash(app.id),
         PlanLimits(app.plan.empty() ? nullptr : plan_named(app.plan), ApplicationRateKey(app.id),
                    ApplicationQuotaKey(app.id))});
    app_index.emplace(app.id, index);
  }

  s->keys_.reserve(data.api_keys.size());
  for (const ApiKey& key : data.api_keys) {
    auto app = app_index.find(key.application_id);
    std::string digest = crypto::HexDecode(key.hash);
    if (app == app_index.end() || digest.size() != 32) continue;
    s->keys_.emplace(std::move(digest), CompiledKey{app->second, key.expires_at});
  }

  for (const Subscription& sub : data.subscriptions) {
    auto app = app_index.find(sub.application_id);
    auto api = api_index.find(sub.api_id);
    if (app == app_index.end() || api == api_index.end()) continue;
    s->subscriptions_.emplace(
        SubscriptionKey(app->second, api->second),
        CompiledSubscription{sub.plan, sub.status, sub.created_at,
                             PlanLimits(plan_named(sub.plan), SubscriptionRateKey(sub.id),
                                        SubscriptionQuotaKey(sub.id))});
  }
  return s;
}

const CompiledApi* Snapshot::MatchApi(std::string_view host, std::string_view path,
                                      std::string_view* rest) const {
  if (const size_t q = path.find_first_of("?#"); q != std::string_view::npos) {
    path = path.substr(0, q);
  }
  if (path.empty() || path.front() != '/' || by_context_.empty()) return nullptr;
  // Candidate contexts are the path's prefixes that end at a segment boundary, longest first.
  size_t end = path.size();
  if (end > 1 && path.back() == '/') --end;
  while (end > 0) {
    auto it = by_context_.find(path.substr(0, end));
    if (it != by_context_.end()) {
      for (uint32_t i : it->second) {
        const CompiledApi& api = apis_[i];
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
  auto it = keys_.find(digest);
  return it == keys_.end() ? nullptr : &it->second;
}

const CompiledApi* Snapshot::FindApi(std::string_view id) const {
  auto it = api_by_id_.find(id);
  return it == api_by_id_.end() ? nullptr : &apis_[it->second];
}

const CompiledApplication* Snapshot::FindApplication(std::string_view id) const {
  auto it = application_by_id_.find(id);
  return it == application_by_id_.end() ? nullptr : &applications_[it->second];
}

const CompiledSubscription* Snapshot::FindSubscription(uint32_t application, uint32_t api) const {
  auto it = subscriptions_.find(SubscriptionKey(application, api));
  return it == subscriptions_.end() ? nullptr : &it->second;
}

}  // namespace tollgate::enforce
