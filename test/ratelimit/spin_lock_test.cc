// SpinLock: mutual exclusion under contention (more threads than cores, so holders get preempted
// and waiters reach the yielding path), and try_lock's contract.
#include "ratelimit/spin_lock.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

namespace tollgate::ratelimit {
namespace {

TEST(SpinLock, ContendedIncrementsAreNeverLost) {
  SpinLock lock;
  // Two words updated non-atomically under the lock: a lost exclusion shows as a lost increment
  // or as the two words disagreeing.
  int64_t a = 0;
  int64_t b = 0;
  bool torn = false;
  constexpr int kThreads = 6;
  constexpr int kPerThread = 200'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        std::lock_guard guard(lock);
        if (a != b) torn = true;
        a = a + 1;
        b = a;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(a, int64_t{kThreads} * kPerThread);
  EXPECT_EQ(b, a);
  EXPECT_FALSE(torn);
}

TEST(SpinLock, TryLockFailsWhileHeldAndSucceedsOnceReleased) {
  SpinLock lock;
  ASSERT_TRUE(lock.try_lock());
  bool other = true;
  std::thread([&] { other = lock.try_lock(); }).join();
  EXPECT_FALSE(other);
  lock.unlock();
  std::thread([&] {
    other = lock.try_lock();
    if (other) lock.unlock();
  }).join();
  EXPECT_TRUE(other);
}

}  // namespace
}  // namespace tollgate::ratelimit
