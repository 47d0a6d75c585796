// Stable names of rate-limit counters. Every process derives the same key for the same limit,
// so counters survive restarts and are shared by replicas; the usage endpoint derives them too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/hash.h"

namespace tollgate::enforce {

inline uint64_t LimitKey(std::string_view kind, std::string_view id, std::string_view what) {
  std::string text;
  text.reserve(kind.size() + id.size() + what.size() + 2);
  text.append(kind).append(":").append(id).append(":").append(what);
  return StableHash(text);
}

inline uint64_t SubscriptionRateKey(std::string_view id) { return LimitKey("sub", id, "rate"); }
inline uint64_t SubscriptionQuotaKey(std::string_view id) { return LimitKey("sub", id, "quota"); }
inline uint64_t ApplicationRateKey(std::string_view id) { return LimitKey("app", id, "rate"); }
inline uint64_t ApplicationQuotaKey(std::string_view id) { return LimitKey("app", id, "quota"); }
inline uint64_t ApiBackendKey(std::string_view id) { return LimitKey("api", id, "backend"); }

}  // namespace tollgate::enforce
