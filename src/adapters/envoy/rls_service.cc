// RateLimitRequest → descriptor questions → RateLimitResponse.
#include "adapters/envoy/rls_service.h"

#include <vector>

#include "enforce/descriptors.h"
#include "enforce/response.h"

namespace tollgate::adapters::envoy {
namespace rls = ::envoy::service::ratelimit::v3;
namespace {

enforce::DescriptorOverride::Unit UnitOf(int unit) {
  using U = enforce::DescriptorOverride::Unit;
  switch (unit) {
    case 1: return U::kSecond;
    case 2: return U::kMinute;
    case 3: return U::kHour;
    case 4: return U::kDay;
    case 5: return U::kMonth;
    default: return U::kUnsupported;  // YEAR and unknown units
  }
}

rls::RateLimitResponse::RateLimit::Unit ProtoUnit(int64_t window_seconds) {
  switch (window_seconds) {
    case 1: return rls::RateLimitResponse::RateLimit::SECOND;
    case 60: return rls::RateLimitResponse::RateLimit::MINUTE;
    case 3600: return rls::RateLimitResponse::RateLimit::HOUR;
    case 86400: return rls::RateLimitResponse::RateLimit::DAY;
    default: return rls::RateLimitResponse::RateLimit::MONTH;  // quota windows are months
  }
}

}  // namespace

grpc::ServerUnaryReactor* RateLimitService::ShouldRateLimit(grpc::CallbackServerContext* context,
                                                           const rls::RateLimitRequest* request,
                                                           rls::RateLimitResponse* response) {
  Answer(*request, response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

void RateLimitService::Answer(const rls::RateLimitRequest& request,
                              rls::RateLimitResponse* response) const {
  std::vector<enforce::DescriptorEntry> entries;
  std::vector<std::pair<size_t, size_t>> ranges;  // [begin, end) of each descriptor's entries
  for (const auto& d : request.descriptors()) {
    const size_t begin = entries.size();
    for (const auto& e : d.entries()) entries.push_back({e.key(), e.value()});
    ranges.emplace_back(begin, entries.size());
  }
  std::vector<enforce::DescriptorQuestion> questions;
  for (int i = 0; i < request.descriptors_size(); ++i) {
    const auto& d = request.descriptors(i);
    enforce::DescriptorQuestion q;
    q.entries = std::span(entries.data() + ranges[i].first, ranges[i].second - ranges[i].first);
    if (d.has_limit()) {
      q.limit.unit = UnitOf(d.limit().unit());
      q.limit.requests_per_unit = d.limit().requests_per_unit();
    }
    questions.push_back(q);
  }
  const int64_t cost = request.hits_addend() == 0 ? 1 : request.hits_addend();
  enforcer_.WithSnapshot([&](const enforce::Snapshot& snapshot, ratelimit::CounterStore* counters,
                             int64_t now_ms) {
    const auto answers =
        enforce::AnswerDescriptors(snapshot, counters, request.domain(), questions, cost, now_ms);
    bool over = false;
    const enforce::DescriptorAnswer* headline = nullptr;
    for (const enforce::DescriptorAnswer& a : answers) {
      rls::RateLimitResponse::DescriptorStatus* status = response->add_statuses();
      status->set_code(a.over_limit ? rls::RateLimitResponse::OVER_LIMIT : rls::RateLimitResponse::OK);
      if (!a.limited) continue;
      status->mutable_current_limit()->set_requests_per_unit(
          static_cast<uint32_t>(std::min<int64_t>(a.requests_per_unit, UINT32_MAX)));
      status->mutable_current_limit()->set_unit(ProtoUnit(a.window_seconds));
      status->mutable_current_limit()->set_name(a.policy.data(), a.policy.size());
      status->set_limit_remaining(static_cast<uint32_t>(std::min<int64_t>(a.remaining, UINT32_MAX)));
      status->mutable_duration_until_reset()->set_seconds(a.over_limit ? a.retry_after_seconds
                                                                       : a.reset_seconds);
      if (a.over_limit && !over) headline = &a;
      if (!over && headline == nullptr) headline = &a;
      over = over || a.over_limit;
    }
    response->set_overall_code(over ? rls::RateLimitResponse::OVER_LIMIT : rls::RateLimitResponse::OK);
    if (headline != nullptr) {
      // The same RateLimit headers ext_authz sends, for Envoy to add to the client's response.
      Decision d;
      d.code = over ? DecisionCode::kRateLimited : DecisionCode::kAllow;
      d.limit = LimitInfo{true,
                          headline->policy,
                          headline->requests_per_unit,
                          headline->window_seconds,
                          headline->remaining,
                          headline->reset_seconds,
                          headline->retry_after_seconds};
      for (const auto& h : enforce::LimitHeadersFor(d)) {
        auto* header = response->add_response_headers_to_add();
        header->set_key(std::string(h.name));
        header->set_value(h.value);
      }
    }
  });
}

}  // namespace tollgate::adapters::envoy
