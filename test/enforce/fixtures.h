// Snapshot data that enforcer tests build on: a published Petstore API, one subscribed
// application with a key, and one unsubscribed application with its own key.
#pragma once

#include <string>

#include "core/access.h"
#include "core/model.h"
#include "crypto/crypto.h"

namespace tollgate::testing {

inline constexpr const char* kGoodKey = "tg_good_key_0123456789";
inline constexpr const char* kLonelyKey = "tg_lonely_key_0123456789";

inline Api PetstoreApi() {
  Api api;
  api.id = "api-petstore";
  api.name = "Petstore";
  api.version = "v1";
  api.context = "/petstore/v1";
  api.upstream = "http://petstore:8080";
  api.resources = {{"GET", "/pets", AuthType::kApiKey, {}, {}},
                   {"GET", "/pets/{id}", AuthType::kApiKey, {}, {}},
                   {"GET", "/pets/mine", AuthType::kApiKey, {}, {}},
                   {"POST", "/pets", AuthType::kApiKey, {}, {}},
                   {"GET", "/health", AuthType::kNone, {}, {}},
                   {"GET", "/files/*", AuthType::kApiKey, {}, {}}};
  api.plans = {"Gold"};
  api.lifecycle = Lifecycle::kPublished;
  return api;
}

inline SnapshotData PetstoreData() {
  SnapshotData d;
  d.revision = 7;
  d.apis = {PetstoreApi()};
  d.applications = {Application{.id = "app-1", .name = "Mobile", .owner = "alice"},
                    Application{.id = "app-2", .name = "Lonely", .owner = "bob"}};
  d.subscriptions = {{"sub-1", "app-1", "api-petstore", "Gold", SubscriptionStatus::kActive, 0}};
  d.api_keys = {{"key-1", "app-1", "default", "tg_good", crypto::Sha256Hex(kGoodKey), 0, {}},
                {"key-2", "app-2", "default", "tg_lone", crypto::Sha256Hex(kLonelyKey), 0, {}}};
  return d;
}

// Headers as a small list; lookup is by lower-case name.
class TestHeaders final : public HeaderLookup {
 public:
  TestHeaders(std::initializer_list<std::pair<std::string, std::string>> items) : items_(items) {}
  std::optional<std::string_view> Get(std::string_view name) const override {
    for (const auto& [k, v] : items_) {
      if (k == name) return std::string_view(v);
    }
    return std::nullopt;
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace tollgate::testing
