// The control tests' fixture: a Service over a real SQLite store in a temporary directory, with
// plans Gold and Silver, a fake clock and a counter of change notifications.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "control/service.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::control {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tollgate-control-" + crypto::RandomToken(10));
    std::filesystem::create_directories(dir_);
    auto s = store::SqliteStore::Open((dir_ / "t.db").string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
    // Draft() offers Gold and Silver; the store and the service check that plans exist.
    for (const char* name : {"Gold", "Silver"}) {
      Plan plan{.id = std::string("plan-") + name, .name = name};
      plan.rate = RateLimit{100, Period::kMinute, 99};
      ASSERT_TRUE(store_->CreatePlan(plan).ok());
    }
    service_ = std::make_unique<Service>(*store_, clock_, [this] { ++changes_; });
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  Api Draft(std::string name = "Petstore", std::string context = "/petstore/v1") {
    Api a;
    a.name = std::move(name);
    a.version = "v1";
    a.context = std::move(context);
    a.upstream = "http://petstore:8080";
    a.resources = {{"GET", "/pets", AuthType::kApiKey, {}, {}}};
    a.plans = {"Gold", "Silver"};
    return a;
  }
  Api Published() {
    auto api = service_->CreateApi(admin_, Draft());
    EXPECT_TRUE(api.ok());
    auto p = service_->ChangeLifecycle(admin_, api->id, "publish");
    EXPECT_TRUE(p.ok());
    return p.value();
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Service> service_;
  std::atomic<int> changes_{0};
  Principal admin_{"admin", Role::kAdmin};
  Principal alice_{"alice", Role::kSubscriber};
  Principal bob_{"bob", Role::kSubscriber};
  Principal carol_{"carol", Role::kPublisher};
};

}  // namespace tollgate::control
