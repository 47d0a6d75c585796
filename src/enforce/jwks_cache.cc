// External issuers' key sets: the cache and its refresher.
#include "enforce/jwks_cache.h"

#include <boost/json.hpp>

namespace tollgate::enforce {

JwksCache::Entry JwksCache::Get(std::string_view issuer_id) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(std::string(issuer_id));
  return it == entries_.end() ? Entry{} : it->second;
}

void JwksCache::Put(const std::string& issuer_id, std::shared_ptr<const jwt::KeySet> keys,
                    int64_t now_ms) {
  std::unique_lock lock(mu_);
  Entry& e = entries_[issuer_id];
  e.keys = std::move(keys);
  e.fetched_at_ms = now_ms;
  e.generation = next_generation_++;
}

void JwksCache::RequestRefresh(std::string_view issuer_id) const {
  std::function<void()> wake;
  {
    std::lock_guard lock(requests_mu_);
    if (!requests_.emplace(issuer_id).second) return;  // already asked
    wake = wake_;
  }
  if (wake) wake();
}

std::vector<std::string> JwksCache::TakeRequests() {
  std::lock_guard lock(requests_mu_);
  std::vector<std::string> out(requests_.begin(), requests_.end());
  requests_.clear();
  return out;
}

void JwksCache::SetWakeup(std::function<void()> wake) {
  std::lock_guard lock(requests_mu_);
  wake_ = std::move(wake);
}

JwksRefresher::JwksRefresher(JwksCache& cache, JwksFetcher& fetcher, const Clock& clock,
                             IssuersFn issuers, Options options)
    : cache_(cache), fetcher_(fetcher), clock_(clock), issuers_(std::move(issuers)),
      options_(options) {}

JwksRefresher::~JwksRefresher() { Stop(); }

namespace {

// The "jwks_uri" of an OpenID / RFC 8414 metadata document.
std::string JwksUriOf(std::string_view metadata) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(metadata, ec);
  if (ec || !v.is_object()) return {};
  const auto* uri = v.as_object().if_contains("jwks_uri");
  return uri != nullptr && uri->is_string() ? std::string(uri->as_string()) : std::string();
}

}  // namespace

bool JwksRefresher::Fetch(const CompiledIssuer& issuer, int64_t now_ms) {
  last_attempt_ms_[issuer.id] = now_ms;
  std::string uri = issuer.jwks_uri;
  if (uri.empty() && !issuer.discovery_url.empty()) {
    auto metadata = fetcher_.Fetch(issuer.discovery_url);
    if (!metadata.ok()) return false;
    uri = JwksUriOf(*metadata);
  }
  if (uri.empty()) return false;
  auto body = fetcher_.Fetch(uri);
  if (!body.ok()) return false;  // keep the last good keys through an outage
  auto keys = jwt::KeySet::FromJwks(*body);
  if (!keys.ok() || keys->empty()) return false;
  cache_.Put(issuer.id, std::make_shared<const jwt::KeySet>(std::move(keys.value())), now_ms);
  return true;
}

int JwksRefresher::RunOnce() {
  const int64_t now_ms = clock_.NowMillis();
  for (std::string& id : cache_.TakeRequests()) pending_.insert(std::move(id));
  int fetched = 0;
  for (const CompiledIssuer& issuer : issuers_()) {
    const auto last = last_attempt_ms_.find(issuer.id);
    const bool may_fetch =
        last == last_attempt_ms_.end() || now_ms - last->second >= options_.min_refetch.count();
    if (!may_fetch) continue;
    const JwksCache::Entry entry = cache_.Get(issuer.id);
    const bool stale =
        entry.keys == nullptr || now_ms - entry.fetched_at_ms >= options_.interval.count();
    const bool asked = pending_.erase(issuer.id) > 0;
    if ((stale || asked) && Fetch(issuer, now_ms)) ++fetched;
  }
  return fetched;
}

void JwksRefresher::Start() {
  cache_.SetWakeup([this] {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_one();
  });
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      woken_ = false;
      lock.unlock();
      RunOnce();
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || woken_; });
    }
  });
}

void JwksRefresher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  cache_.SetWakeup(nullptr);
}

}  // namespace tollgate::enforce
