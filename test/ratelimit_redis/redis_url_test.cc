// ParseRedisUrl: what `tollgate serve --counters redis://…` accepts, and errors that name the
// problem.
#include <gtest/gtest.h>

#include "ratelimit/redis/redis_options.h"

namespace tollgate::ratelimit {
namespace {

TEST(RedisUrlTest, ReadsHostPortPasswordAndDatabase) {
  Result<RedisOptions> o = ParseRedisUrl("redis://:s%40cret@redis.tollgate.svc:6380/2");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->host, "redis.tollgate.svc");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->password, "s@cret");
  EXPECT_EQ(o->db, 2);
  EXPECT_EQ(o->key_prefix, "tg:");
}

TEST(RedisUrlTest, DefaultsToPort6379AndDatabase0) {
  Result<RedisOptions> o = ParseRedisUrl("redis://10.0.0.7");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->host, "10.0.0.7");
  EXPECT_EQ(o->port, 6379);
  EXPECT_FALSE(o->password.has_value());
  EXPECT_EQ(o->db, 0);
}

void ExpectError(std::string_view url, std::string_view mentions) {
  Result<RedisOptions> o = ParseRedisUrl(url);
  ASSERT_FALSE(o.ok()) << url;
  EXPECT_EQ(o.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(o.error().field, "counters");
  EXPECT_NE(o.error().message.find(mentions), std::string::npos)
      << url << " → " << o.error().message;
}

TEST(RedisUrlTest, ErrorsNameTheProblem) {
  ExpectError("memory", "not a URL");
  ExpectError("http://localhost:6379", "scheme must be redis://");
  ExpectError("rediss://localhost:6379", "TLS");
  ExpectError("redis://:6379", "missing host");
  ExpectError("redis://localhost:0", "port");
  ExpectError("redis://localhost:99999", "port");
  ExpectError("redis://localhost:63x9", "port must be a number 1..65535, not \"63x9\"");
  ExpectError("redis://localhost:6379/zero", "database");
  ExpectError("redis://localhost:6379/1?timeout=5", "query");
  ExpectError("redis://:@localhost", "empty password");
}

}  // namespace
}  // namespace tollgate::ratelimit
