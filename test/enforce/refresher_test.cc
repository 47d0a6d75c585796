// The refresher installs new snapshots when told, when the revision moves, and keeps the last
// good one when loading fails.
#include "enforce/refresher.h"

#include <atomic>
#include <gtest/gtest.h>

#include "crypto/crypto.h"
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

// With a change loader, a patchable change is applied without loading the whole store; anything
// else, and a failing change loader, fall back to what a refresher without one does.
TEST(SnapshotRefresher, PatchesWhatTheChangeLoaderAllowsAndRebuildsTheRest) {
  SnapshotHolder holder;
  FakeSource src;
  std::atomic<bool> patchable{true};
  std::atomic<bool> changes_fail{false};
  SnapshotRefresher r(
      holder, [&] { return src.Load(); }, [&] { return Result<int64_t>(src.revision.load()); },
      std::chrono::hours(1), [&](int64_t since) -> Result<SnapshotChanges> {
        if (changes_fail) return Error{ErrorKind::kUnavailable, "store_busy", "down", {}};
        SnapshotChanges c;
        c.since = since;
        c.revision = src.revision;
        c.patchable = patchable;
        c.key_hashes = {crypto::Sha256Hex(testing::kGoodKey)};  // deleted: no row
        return c;
      });
  ASSERT_TRUE(r.Refresh().ok());
  ASSERT_EQ(src.loads, 1) << "the first snapshot is always built";
  const auto digest = crypto::Sha256(testing::kGoodKey);
  const std::string_view good(reinterpret_cast<const char*>(digest.data()), digest.size());
  ASSERT_NE(holder.Get()->FindKey(good), nullptr);

  src.revision = 2;
  ASSERT_TRUE(r.Refresh().ok());
  EXPECT_EQ(holder.Get()->revision(), 2);
  EXPECT_EQ(holder.Get()->FindKey(good), nullptr) << "the deletion is enforced";
  EXPECT_EQ(src.loads, 1) << "without reading the whole store";
  EXPECT_EQ(r.patches(), 1u);
  EXPECT_EQ(r.builds(), 2u);

  ASSERT_TRUE(r.Refresh().ok());
  EXPECT_EQ(r.builds(), 2u) << "nothing changed: nothing installed";

  src.revision = 3;
  patchable = false;
  ASSERT_TRUE(r.Refresh().ok());
  EXPECT_EQ(src.loads, 2) << "an unpatchable change rebuilds";
  EXPECT_EQ(holder.Get()->revision(), 3);
  EXPECT_NE(holder.Get()->FindKey(good), nullptr) << "the rebuilt snapshot is the source's";

  src.revision = 4;
  changes_fail = true;
  EXPECT_FALSE(r.Refresh().ok());
  EXPECT_EQ(holder.Get()->revision(), 3) << "the last good snapshot keeps serving";
}

}  // namespace
}  // namespace tollgate::enforce
