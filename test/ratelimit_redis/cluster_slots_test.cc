// Redis Cluster key slots (CRC16/XMODEM of the hash tag, mod 16384) against the specification's
// test vector and values `redis-cli CLUSTER KEYSLOT` answered (Redis 7.0), the slot map, and the
// reading of ASK redirects.
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

// The target of an ASK, as Redis writes it (IPv4, a bare IPv6 address, an unknown endpoint) and
// in the forms other tools print (bracketed IPv6, "@<bus port>").
TEST(ClusterSlotsTest, AskNamesItsSlotAndTargetInEveryEndpointForm) {
  auto target = [](std::string_view text) {
    const std::optional<AskRedirect> ask = ParseAsk(text, "10.0.0.9");
    return ask ? std::to_string(ask->slot) + " " + ask->target.host + " " +
                     std::to_string(ask->target.port)
               : std::string("none");
  };
  EXPECT_EQ(target("ASK 3999 127.0.0.1:6381"), "3999 127.0.0.1 6381");
  EXPECT_EQ(target("ASK 0 redis-2.example:7000"), "0 redis-2.example 7000");
  EXPECT_EQ(target("ASK 16383 ::1:6381"), "16383 ::1 6381");
  EXPECT_EQ(target("ASK 12 [::1]:6381"), "12 ::1 6381");
  EXPECT_EQ(target("ASK 12 [fe80::1%eth0]:7001@17001"), "12 fe80::1%eth0 7001");
  EXPECT_EQ(target("ASK 12 127.0.0.1:6381@16381"), "12 127.0.0.1 6381");
  EXPECT_EQ(target("ASK 12 :6381"), "12 10.0.0.9 6381");  // unknown endpoint: the same host
  EXPECT_EQ(target("ASK 12 ?:6381"), "12 10.0.0.9 6381");
}

// Anything but a well-formed ASK is not followed (the caller treats it as a plain redirect).
TEST(ClusterSlotsTest, AskThatDoesNotParseIsRefused) {
  constexpr std::string_view kNotFollowed[] = {"MOVED 3999 127.0.0.1:6381",
                                               "ASK",
                                               "ASK 3999",
                                               "ASK 3999 ",
                                               "ASK 3999 127.0.0.1",
                                               "ASK 3999 127.0.0.1:",
                                               "ASK 16384 127.0.0.1:6381",
                                               "ASK -1 127.0.0.1:6381",
                                               "ASK +1 127.0.0.1:6381",
                                               "ASK x 127.0.0.1:6381",
                                               "ASK  3999 127.0.0.1:6381",
                                               "ASK 3999 127.0.0.1:0",
                                               "ASK 3999 127.0.0.1:65536",
                                               "ASK 3999 127.0.0.1:6381 ",
                                               "ASK 3999 127.0.0.1:6381 extra",
                                               "ASK 3999 127.0.0.1:63 81",
                                               "ASK 3999 127.0.0.1:6381@",
                                               "ASK 3999 127.0.0.1:6381@x",
                                               "ASK 3999 [::1:6381",
                                               "ASK 3999 ::1]:6381",
                                               "ASK 3999 127.0.0.1:0x10",
                                               "ask 3999 127.0.0.1:6381",
                                               "ASK 003999 127.0.0.1:6381"};
  for (const std::string_view text : kNotFollowed) {
    EXPECT_FALSE(ParseAsk(text, "10.0.0.9").has_value()) << text;
  }
}

}  // namespace
}  // namespace tollgate::ratelimit::redis_internal
