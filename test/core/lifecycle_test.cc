// The lifecycle state machine: every allowed transition and the refusals users rely on.
#include "core/lifecycle.h"

#include <gtest/gtest.h>

namespace tollgate {
namespace {

TEST(Lifecycle, HappyPathCreatedToRetired) {
  EXPECT_EQ(NextLifecycle(Lifecycle::kCreated, "publish"), Lifecycle::kPublished);
  EXPECT_EQ(NextLifecycle(Lifecycle::kPublished, "deprecate"), Lifecycle::kDeprecated);
  EXPECT_EQ(NextLifecycle(Lifecycle::kDeprecated, "retire"), Lifecycle::kRetired);
}

TEST(Lifecycle, BlockAndUnblock) {
  EXPECT_EQ(NextLifecycle(Lifecycle::kPublished, "block"), Lifecycle::kBlocked);
  EXPECT_EQ(NextLifecycle(Lifecycle::kDeprecated, "block"), Lifecycle::kBlocked);
  EXPECT_EQ(NextLifecycle(Lifecycle::kBlocked, "unblock"), Lifecycle::kPublished);
}

TEST(Lifecycle, IllegalTransitionsAreRefused) {
  EXPECT_EQ(NextLifecycle(Lifecycle::kCreated, "retire"), std::nullopt);
  EXPECT_EQ(NextLifecycle(Lifecycle::kCreated, "deprecate"), std::nullopt);
  EXPECT_EQ(NextLifecycle(Lifecycle::kPublished, "publish"), std::nullopt);
  EXPECT_EQ(NextLifecycle(Lifecycle::kRetired, "publish"), std::nullopt);
  EXPECT_EQ(NextLifecycle(Lifecycle::kRetired, "unblock"), std::nullopt);
  EXPECT_EQ(NextLifecycle(Lifecycle::kCreated, "block"), std::nullopt);
}

TEST(Lifecycle, UnknownActionsAreNotActions) {
  EXPECT_TRUE(IsLifecycleAction("publish"));
  EXPECT_FALSE(IsLifecycleAction("Publish"));
  EXPECT_FALSE(IsLifecycleAction("delete"));
}

TEST(Lifecycle, OnlyPublishedAcceptsNewSubscriptions) {
  EXPECT_TRUE(AcceptsSubscriptions(Lifecycle::kPublished));
  EXPECT_FALSE(AcceptsSubscriptions(Lifecycle::kDeprecated));
  EXPECT_FALSE(AcceptsSubscriptions(Lifecycle::kCreated));
}

}  // namespace
}  // namespace tollgate
