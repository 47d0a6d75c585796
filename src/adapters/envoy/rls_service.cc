// Envoy RLS v3 adapter: RateLimitRequest → enforce::Descriptor questions → RateLimitResponse.
#include "adapters/envoy/rls_service.h"

#include <grpcpp/support/status.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "enforce/descriptors.h"
#include "enforce/response.h"

namespace tollgate::adapters::envoy {
namespace {

namespace rls = ::envoy::service::ratelimit::v3;
using ProtoDescriptor = ::envoy::extensions::common::ratelimit::v3::RateLimitDescriptor;
using ProtoLimit = rls::RateLimitResponse::RateLimit;
using enforce::DescriptorUnit;

// Descriptors with up to this many entries are translated on the stack (Envoy's route actions
// rarely produce more than a handful).
constexpr size_t kInlineEntries = 16;

DescriptorUnit UnitOf(::envoy::type::v3::RateLimitUnit unit) {
  switch (unit) {
    case ::envoy::type::v3::SECOND:
      return DescriptorUnit::kSecond;
    case ::envoy::type::v3::MINUTE:
      return DescriptorUnit::kMinute;
    case ::envoy::type::v3::HOUR:
      return DescriptorUnit::kHour;
    case ::envoy::type::v3::DAY:
      return DescriptorUnit::kDay;
    case ::envoy::type::v3::MONTH:
      return DescriptorUnit::kMonth;
    default:
      return DescriptorUnit::kUnsupported;  // UNKNOWN, YEAR, values of newer Envoys
  }
}

ProtoLimit::Unit ProtoUnit(DescriptorUnit unit) {
  switch (unit) {
    case DescriptorUnit::kSecond:
      return ProtoLimit::SECOND;
    case DescriptorUnit::kMinute:
      return ProtoLimit::MINUTE;
    case DescriptorUnit::kHour:
      return ProtoLimit::HOUR;
    case DescriptorUnit::kDay:
      return ProtoLimit::DAY;
    case DescriptorUnit::kMonth:
      return ProtoLimit::MONTH;
    case DescriptorUnit::kUnsupported:
      break;
  }
  return ProtoLimit::UNKNOWN;
}

uint32_t ClampU32(int64_t v) {
  return static_cast<uint32_t>(std::clamp<int64_t>(v, 0, std::numeric_limits<uint32_t>::max()));
}

// Answers one proto descriptor; `entries` is scratch space of at least its entry count.
enforce::DescriptorStatus AnswerOne(const enforce::Snapshot& snapshot,
                                    ratelimit::CounterStore* counters, std::string_view domain,
                                    const ProtoDescriptor& d,
                                    std::span<enforce::DescriptorEntry> entries, int64_t cost,
                                    int64_t now_ms) {
  for (int i = 0; i < d.entries_size(); ++i) {
    entries[static_cast<size_t>(i)] = {d.entries(i).key(), d.entries(i).value()};
  }
  enforce::Descriptor question;
  question.entries = entries.first(static_cast<size_t>(d.entries_size()));
  if (d.has_limit()) {
    question.has_limit = true;
    question.requests_per_unit = d.limit().requests_per_unit();
    question.unit = UnitOf(d.limit().unit());
  }
  return enforce::AnswerDescriptor(snapshot, counters, domain, question, cost, now_ms);
}

void FillStatus(const enforce::DescriptorStatus& s, rls::RateLimitResponse::DescriptorStatus* out) {
  out->set_code(s.over_limit ? rls::RateLimitResponse::OVER_LIMIT : rls::RateLimitResponse::OK);
  if (!s.limit.present) return;
  ProtoLimit* limit = out->mutable_current_limit();
  limit->set_name(s.limit.policy.data(), s.limit.policy.size());
  limit->set_requests_per_unit(ClampU32(s.limit.limit));
  limit->set_unit(ProtoUnit(s.unit));
  out->set_limit_remaining(ClampU32(s.limit.remaining));
  out->mutable_duration_until_reset()->set_seconds(s.over_limit ? s.limit.retry_after_seconds
                                                                : s.limit.reset_seconds);
}

}  // namespace

grpc::ServerUnaryReactor* RateLimitService::ShouldRateLimit(grpc::CallbackServerContext* context,
                                                            const rls::RateLimitRequest* request,
                                                            rls::RateLimitResponse* response) {
  Answer(*request, response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);  // OVER_LIMIT travels in the response, not the RPC status
  return reactor;
}

void RateLimitService::Answer(const rls::RateLimitRequest& request,
                              rls::RateLimitResponse* response) const {
  const int64_t cost = request.hits_addend() == 0 ? 1 : request.hits_addend();
  std::array<enforce::DescriptorEntry, kInlineEntries> inline_entries;
  std::vector<enforce::DescriptorEntry> spill;  // only for unusually long descriptors
  response->mutable_statuses()->Reserve(request.descriptors_size());

  enforcer_.WithSnapshot(
      [&](const enforce::Snapshot& snapshot, ratelimit::CounterStore* counters, int64_t now_ms) {
        enforce::DescriptorStatus first_over;  // the one whose headers the client gets
        for (const ProtoDescriptor& d : request.descriptors()) {
          std::span<enforce::DescriptorEntry> scratch(inline_entries);
          if (static_cast<size_t>(d.entries_size()) > inline_entries.size()) {
            spill.resize(static_cast<size_t>(d.entries_size()));
            scratch = spill;
          }
          const enforce::DescriptorStatus s =
              AnswerOne(snapshot, counters, request.domain(), d, scratch, cost, now_ms);
          FillStatus(s, response->add_statuses());
          if (s.over_limit && !first_over.over_limit) first_over = s;
        }
        if (!first_over.over_limit) {
          response->set_overall_code(rls::RateLimitResponse::OK);
          return;
        }
        response->set_overall_code(rls::RateLimitResponse::OVER_LIMIT);
        // Built while the snapshot is held: the policy name views it.
        for (const auto& h : enforce::LimitHeadersFor(enforce::DecisionFor(first_over))) {
          auto* header = response->add_response_headers_to_add();
          header->set_key(h.name.data(), h.name.size());
          header->set_value(h.value);
        }
      });
}

}  // namespace tollgate::adapters::envoy
