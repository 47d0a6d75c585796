// Builders of valid domain objects for the Store contract suite, and assertion helpers.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/model.h"
#include "core/status.h"

namespace tollgate::store::testdata {

inline Api MakeApi(const std::string& name, int64_t created_at = 1000) {
  Api api;
  api.id = "api-" + name;
  api.name = name;
  api.version = "v1";
  api.description = "the " + name + " API";
  api.context = "/" + name + "/v1";
  api.upstream = "http://" + name + ".default.svc.cluster.local:8080";
  api.resources = {
      Resource{"GET", "/items", AuthType::kApiKey, {}, ""},
      Resource{"POST", "/items/{id}", AuthType::kNone, {"items:write", "items:admin"}, "Gold"},
  };
  api.plans = {"Unlimited", "Gold"};
  api.created_by = "alice";
  api.created_at = created_at;
  api.updated_at = created_at;
  return api;
}

inline Application MakeApp(const std::string& name, const std::string& owner = "bob",
                           int64_t created_at = 2000) {
  return Application{.id = "app-" + owner + "-" + name,
                     .name = name,
                     .description = "app " + name,
                     .owner = owner,
                     .created_at = created_at};
}

// A plan with a rate and a quota. The suite's fixture creates MakePlan("Gold") in every store,
// since MakeApi and MakeSub name it.
inline Plan MakePlan(const std::string& name, int64_t created_at = 500) {
  Plan plan;
  plan.id = "plan-" + name;
  plan.name = name;
  plan.description = "the " + name + " tier";
  plan.rate = RateLimit{100, Period::kMinute, 20};
  plan.quota = Quota{10000, QuotaAnchor::kSubscription, "Europe/Paris"};
  plan.created_at = created_at;
  return plan;
}

inline Subscription MakeSub(const Application& app, const Api& api, int64_t created_at = 3000) {
  return Subscription{"sub-" + app.id + "-" + api.id, app.id,    api.id, "Gold",
                      SubscriptionStatus::kActive,    created_at};
}

inline ApiKey MakeKey(const Application& app, const std::string& name, int64_t created_at = 4000) {
  return ApiKey{"key-" + app.id + "-" + name,
                app.id,
                name,
                "tg_" + name.substr(0, 4),
                std::string(64, name.empty() ? '0' : name[0]) + name,
                created_at,
                std::nullopt};
}

inline User MakeUser(const std::string& name, Role role = Role::kSubscriber) {
  return User{"user-" + name, name, role, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", 5000};
}

// Whether `result` failed with exactly this kind and code.
template <class R>
::testing::AssertionResult FailsWith(const R& result, ErrorKind kind, const std::string& code) {
  if (result.ok()) return ::testing::AssertionFailure() << "succeeded; expected " << code;
  if (result.error().kind != kind || result.error().code != code) {
    return ::testing::AssertionFailure()
           << "failed with kind " << static_cast<int>(result.error().kind) << " code '"
           << result.error().code << "' (" << result.error().message << "); expected " << code;
  }
  return ::testing::AssertionSuccess();
}

template <class R>
::testing::AssertionResult Succeeds(const R& result) {
  if (result.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "failed: " << result.error().code << ": " << result.error().message;
}

inline bool SameResource(const Resource& a, const Resource& b) {
  return a.method == b.method && a.path == b.path && a.auth == b.auth && a.scopes == b.scopes &&
         a.plan == b.plan;
}

inline void ExpectSameRate(const RateLimit& want, const RateLimit& got) {
  EXPECT_EQ(want.requests, got.requests);
  EXPECT_EQ(want.per, got.per);
  EXPECT_EQ(want.burst, got.burst);
}

inline void ExpectSamePlan(const Plan& want, const Plan& got) {
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.name, got.name);
  EXPECT_EQ(want.description, got.description);
  ASSERT_EQ(want.rate.has_value(), got.rate.has_value());
  if (want.rate) ExpectSameRate(*want.rate, *got.rate);
  ASSERT_EQ(want.quota.has_value(), got.quota.has_value());
  if (want.quota) {
    EXPECT_EQ(want.quota->requests, got.quota->requests);
    EXPECT_EQ(want.quota->anchor, got.quota->anchor);
    EXPECT_EQ(want.quota->time_zone, got.quota->time_zone);
  }
  EXPECT_EQ(want.created_at, got.created_at);
}

inline void ExpectSameApi(const Api& want, const Api& got) {
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.name, got.name);
  EXPECT_EQ(want.version, got.version);
  EXPECT_EQ(want.description, got.description);
  EXPECT_EQ(want.context, got.context);
  EXPECT_EQ(want.virtual_host, got.virtual_host);
  EXPECT_EQ(want.upstream, got.upstream);
  EXPECT_EQ(want.api_key_header, got.api_key_header);
  ASSERT_EQ(want.resources.size(), got.resources.size());
  for (size_t i = 0; i < want.resources.size(); ++i) {
    EXPECT_TRUE(SameResource(want.resources[i], got.resources[i])) << "resource " << i;
  }
  EXPECT_EQ(want.plans, got.plans);
  EXPECT_EQ(want.backend_rate.has_value(), got.backend_rate.has_value());
  if (want.backend_rate && got.backend_rate) ExpectSameRate(*want.backend_rate, *got.backend_rate);
  ASSERT_EQ(want.keyed_limits.size(), got.keyed_limits.size());
  for (size_t i = 0; i < want.keyed_limits.size(); ++i) {
    EXPECT_EQ(want.keyed_limits[i].key, got.keyed_limits[i].key) << "keyed limit " << i;
    ExpectSameRate(want.keyed_limits[i].rate, got.keyed_limits[i].rate);
  }
  EXPECT_EQ(want.fail_open, got.fail_open);
  EXPECT_EQ(want.lifecycle, got.lifecycle);
  EXPECT_EQ(want.created_by, got.created_by);
  EXPECT_EQ(want.created_at, got.created_at);
  EXPECT_EQ(want.updated_at, got.updated_at);
}

}  // namespace tollgate::store::testdata
