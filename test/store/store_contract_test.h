// The Store contract suite's seam: each backend provides a StoreBackend and instantiates the suite:
//   INSTANTIATE_TEST_SUITE_P(Name, StoreContractTest, ::testing::Values(StoreBackendFactory{…}));
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "store/store.h"
#include "store/store_test_data.h"

namespace tollgate::store {

// One empty store of some backend, for one test (the fixture then adds plan Gold).
class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  // A new, independent connection to this store (as another process would open it). Every
  // connection sees the same data; it outlives the connection (restart). nullptr on failure.
  virtual std::unique_ptr<Store> Connect() = 0;
};

struct StoreBackendFactory {
  std::string name;  // test-name suffix, e.g. "Sqlite"
  std::function<std::unique_ptr<StoreBackend>()> make;
};

inline std::ostream& operator<<(std::ostream& out, const StoreBackendFactory& f) {
  return out << f.name;
}

class StoreContractTest : public ::testing::TestWithParam<StoreBackendFactory> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    ASSERT_NE(backend_, nullptr);
    store_ = backend_->Connect();
    ASSERT_NE(store_, nullptr);
    // The test data's APIs and subscriptions name plan Gold; the store checks plan references.
    auto gold = store_->CreatePlan(testdata::MakePlan("Gold"));
    ASSERT_TRUE(gold.ok()) << gold.error().message;
  }

  Store& store() { return *store_; }
  // Closes the connection and opens a new one on the same data, as a restarted process would.
  void Restart() {
    store_.reset();
    store_ = backend_->Connect();
    ASSERT_NE(store_, nullptr);
  }
  StoreBackend& backend() { return *backend_; }

 private:
  std::unique_ptr<StoreBackend> backend_;
  std::unique_ptr<Store> store_;
};

}  // namespace tollgate::store
