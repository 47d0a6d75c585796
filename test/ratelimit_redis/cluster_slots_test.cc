// Redis Cluster key slots (CRC16/XMODEM of the hash tag, mod 16384) against the specification's
// test vector and values `redis-cli CLUSTER KEYSLOT` answered (Redis 7.0), and the slot map.
#include <gtest/gtest.h>

#include "ratelimit/redis/cluster_slots.h"

namespace tollgate::ratelimit::redis_internal {
namespace {

TEST(ClusterSlotsTest, Crc16IsTheXmodemOfTheSpecification) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);  // the spec's test vector
  EXPECT_EQ(Crc16(""), 0);
  EXPECT_EQ(Crc16("A"), 0x58E5);
}

TEST(ClusterSlotsTest, KeySlotMatchesClusterKeyslot) {
  EXPECT_EQ(KeySlot("123456789"), 12739);
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot(""), 0);
  EXPECT_EQ(KeySlot("tg:replicas"), 6831);
  // The store's keys: a limit's rate bucket and quota counters share its hash tag's slot.
  EXPECT_EQ(KeySlot("tg:{00000000000000ab}:b"), 2250);
  EXPECT_EQ(KeySlot("tg:{00000000000000ab}:q:1764201600"), 2250);
}

TEST(ClusterSlotsTest, OnlyTheFirstNonEmptyHashTagCounts) {
  EXPECT_EQ(KeySlot("{user1000}.following"), 3443);
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), 5061);       // first tag: "bar"
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), 4015);       // tag "{bar"
  EXPECT_EQ(KeySlot("foo{}{bar}"), 8363);          // empty first tag: the whole key
  EXPECT_EQ(KeySlot("foo{}{bar}"), Crc16("foo{}{bar}") % 16384);
  EXPECT_EQ(KeySlot("foo{bar"), Crc16("foo{bar") % 16384);  // no closing brace
}

TEST(ClusterSlotsTest, SlotMapNumbersMastersAndCoversEverySlot) {
  const NodeAddress a{"10.0.0.1", 7000}, b{"10.0.0.2", 7000};
  Result<SlotMap> map = SlotMap::Build({{0, 99, a}, {100, 16383, b}});
  ASSERT_TRUE(map.ok()) << map.error().message;
  ASSERT_EQ(map->masters().size(), 2u);
  EXPECT_EQ(map->masters()[0], a);
  EXPECT_EQ(map->NodeOfSlot(0), 0u);
  EXPECT_EQ(map->NodeOfSlot(99), 0u);
  EXPECT_EQ(map->NodeOfSlot(100), 1u);
  EXPECT_EQ(map->NodeOfSlot(16383), 1u);
  // A master serving several ranges is one node.
  Result<SlotMap> split = SlotMap::Build({{0, 9, a}, {10, 19, b}, {20, 16383, a}});
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->masters().size(), 2u);
  EXPECT_EQ(split->NodeOfSlot(20), 0u);
}

TEST(ClusterSlotsTest, SlotMapRefusesUncoveredOrBadRanges) {
  const NodeAddress a{"10.0.0.1", 7000};
  Result<SlotMap> gap = SlotMap::Build({{0, 99, a}, {200, 16383, a}});
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.error().message.find("100 slots have no master (first: 100)"), std::string::npos)
      << gap.error().message;
  EXPECT_FALSE(SlotMap::Build({{0, 16384, a}}).ok());
  EXPECT_FALSE(SlotMap::Build({}).ok());
}

}  // namespace
}  // namespace tollgate::ratelimit::redis_internal
