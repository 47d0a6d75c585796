// Text names of the domain enums: the spelling used in JSON, the store and logs.
#include "core/model.h"

#include <array>
#include <utility>

namespace tollgate {
namespace {

template <class E, size_t N>
std::optional<E> Lookup(const std::array<std::pair<E, std::string_view>, N>& names,
                        std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <class E, size_t N>
std::string_view Name(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "UNKNOWN";
}

constexpr std::array<std::pair<Lifecycle, std::string_view>, 5> kLifecycles{{
    {Lifecycle::kCreated, "CREATED"},
    {Lifecycle::kPublished, "PUBLISHED"},
    {Lifecycle::kDeprecated, "DEPRECATED"},
    {Lifecycle::kRetired, "RETIRED"},
    {Lifecycle::kBlocked, "BLOCKED"},
}};
constexpr std::array<std::pair<AuthType, std::string_view>, 5> kAuthTypes{{
    {AuthType::kApiKey, "apiKey"},
    {AuthType::kOAuth2, "oauth2"},
    {AuthType::kApiKeyOrOAuth2, "apiKeyOrOAuth2"},
    {AuthType::kMesh, "mesh"},
    {AuthType::kNone, "none"},
}};
constexpr std::array<std::pair<SubscriptionStatus, std::string_view>, 3> kSubscriptionStatuses{{
    {SubscriptionStatus::kActive, "ACTIVE"},
    {SubscriptionStatus::kBlocked, "BLOCKED"},
    {SubscriptionStatus::kPending, "PENDING"},
}};
constexpr std::array<std::pair<Role, std::string_view>, 3> kRoles{{
    {Role::kAdmin, "admin"},
    {Role::kPublisher, "publisher"},
    {Role::kSubscriber, "subscriber"},
}};

constexpr std::array<std::pair<Period, std::string_view>, 4> kPeriods{{
    {Period::kSecond, "second"},
    {Period::kMinute, "minute"},
    {Period::kHour, "hour"},
    {Period::kDay, "day"},
}};
constexpr std::array<std::pair<QuotaAnchor, std::string_view>, 2> kAnchors{{
    {QuotaAnchor::kCalendar, "calendar"},
    {QuotaAnchor::kSubscription, "subscription"},
}};

}  // namespace

std::string_view ToString(Period period) { return Name(kPeriods, period); }
std::optional<Period> ParsePeriod(std::string_view text) { return Lookup(kPeriods, text); }
int64_t PeriodSeconds(Period period) {
  switch (period) {
    case Period::kSecond: return 1;
    case Period::kMinute: return 60;
    case Period::kHour: return 3600;
    case Period::kDay: return 86400;
  }
  return 1;
}
std::string_view ToString(QuotaAnchor anchor) { return Name(kAnchors, anchor); }
std::optional<QuotaAnchor> ParseQuotaAnchor(std::string_view text) { return Lookup(kAnchors, text); }

std::string_view ToString(Lifecycle state) { return Name(kLifecycles, state); }
std::optional<Lifecycle> ParseLifecycle(std::string_view text) { return Lookup(kLifecycles, text); }
std::string_view ToString(AuthType auth) { return Name(kAuthTypes, auth); }
std::optional<AuthType> ParseAuthType(std::string_view text) { return Lookup(kAuthTypes, text); }
std::string_view ToString(SubscriptionStatus status) {
  return Name(kSubscriptionStatuses, status);
}
std::optional<SubscriptionStatus> ParseSubscriptionStatus(std::string_view text) {
  return Lookup(kSubscriptionStatuses, text);
}
std::string_view ToString(Role role) { return Name(kRoles, role); }
std::optional<Role> ParseRole(std::string_view text) { return Lookup(kRoles, text); }

}  // namespace tollgate
