// The refresher installs new snapshots when told, when the revision moves, and keeps the last
// good one when loading fails.
#include "enforce/refresher.h"

#include <atomic>
#include <gtest/gtest.h>

#include "enforce/fixtures.h"

namespace tollgate::enforce {
namespace {

using namespace std::chrono_literals;

// Waits (bounded) until `pred` holds; the refresher runs on its own thread.
template <class Pred>
bool Eventually(Pred pred, std::chrono::milliseconds limit = 2000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

struct FakeSource {
  std::atomic<int64_t> revision{1};
  std::atomic<bool> failing{false};
  std::atomic<int> loads{0};
  Result<SnapshotData> Load() {
    ++loads;
    if (failing) return Error{ErrorKind::kUnavailable, "store_busy", "down", {}};
    SnapshotData d = testing::PetstoreData();
    d.revision = revision;
    return d;
  }
};

TEST(SnapshotRefresher, NotifyInstallsANewSnapshotWithoutWaitingForThePoll) {
  SnapshotHolder holder;
  FakeSource src;
  SnapshotRefresher r(holder, [&] { return src.Load(); }, [&] { return Result<int64_t>(src.revision.load()); },
                      std::chrono::hours(1));
  ASSERT_TRUE(r.Refresh().ok());
  r.Start();
  src.revision = 2;
  r.Notify();
  EXPECT_TRUE(Eventually([&] { return holder.Get()->revision() == 2; }, 100ms));
}

TEST(SnapshotRefresher, PollingPicksUpAnotherProcessesCommit) {
  SnapshotHolder holder;
  FakeSource src;
  SnapshotRefresher r(holder, [&] { return src.Load(); }, [&] { return Result<int64_t>(src.revision.load()); },
                      10ms);
  ASSERT_TRUE(r.Refresh().ok());
  r.Start();
  const int loads = src.loads;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(src.loads, loads) << "an unchanged revision must not rebuild";
  src.revision = 5;
  EXPECT_TRUE(Eventually([&] { return holder.Get()->revision() == 5; }));
}

TEST(SnapshotRefresher, FailedLoadKeepsServingTheLastSnapshot) {
  SnapshotHolder holder;
  FakeSource src;
  SnapshotRefresher r(holder, [&] { return src.Load(); }, [&] { return Result<int64_t>(src.revision.load()); },
                      5ms);
  ASSERT_TRUE(r.Refresh().ok());
  r.Start();
  src.failing = true;
  src.revision = 9;
  EXPECT_TRUE(Eventually([&] { return src.loads > 3; }));
  EXPECT_EQ(holder.Get()->revision(), 1);
  src.failing = false;
  EXPECT_TRUE(Eventually([&] { return holder.Get()->revision() == 9; }));
}

}  // namespace
}  // namespace tollgate::enforce

namespace tollgate::enforce {
namespace {

TEST(SnapshotRefresher, NotifyAndWaitReturnsOnceTheWriteIsEnforced) {
  SnapshotHolder holder;
  FakeSource src;
  SnapshotRefresher r(holder, [&] { return src.Load(); },
                      [&] { return Result<int64_t>(src.revision.load()); }, std::chrono::hours(1));
  ASSERT_TRUE(r.Refresh().ok());
  EXPECT_FALSE(r.NotifyAndWait(10ms)) << "not started: nobody builds";
  r.Start();
  for (int64_t rev = 2; rev < 20; ++rev) {
    src.revision = rev;  // the "commit"
    ASSERT_TRUE(r.NotifyAndWait(2000ms));
    EXPECT_EQ(holder.Get()->revision(), rev) << "no waiting for a poll, no stale snapshot";
  }
}

}  // namespace
}  // namespace tollgate::enforce
