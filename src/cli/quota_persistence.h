// Saves the in-process quota counters to the store every few seconds and at shutdown, and
// restores them at start, so that restarting a node does not reset monthly quotas.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/status.h"
#include "ratelimit/local_counter_store.h"
#include "store/store.h"

namespace tollgate::cli {

class QuotaPersistence {
 public:
  QuotaPersistence(store::Store& store, ratelimit::LocalCounterStore& counters, const Clock& clock)
      : store_(store), counters_(counters), clock_(clock) {}
  ~QuotaPersistence() { Stop(); }

  Status Load();  // once, before traffic
  Status Save();
  void Start(std::chrono::milliseconds every);
  void Stop();  // joins the thread, then saves once more; idempotent

 private:
  store::Store& store_;
  ratelimit::LocalCounterStore& counters_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace tollgate::cli
