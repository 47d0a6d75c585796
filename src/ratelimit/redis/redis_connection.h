// A small synchronous hiredis connection: connect with a timeout, AUTH/SELECT, load the store's
// scripts, and pipelined exchanges (append N commands, one write, N replies). Used only by the
// counter store's sync thread; hiredis types stay in the .cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct redisContext;

namespace tollgate::ratelimit {

// One reply, reduced to what the store's commands answer: an integer, a string/status, an
// error, nil, or an array of integers (the lease scripts).
struct RedisReply {
  enum class Type : uint8_t { kInteger, kString, kError, kNil, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string text;             // kString, kError
  std::vector<int64_t> values;  // kArray (non-integer elements read as 0)
};

// The scripts loaded at connect, addressed by EVALSHA.
enum class Script : uint8_t { kHeartbeat, kLeaseBatch };
inline constexpr size_t kScriptCount = 2;

struct ConnectionOptions {
  std::string host;
  int port = 6379;
  std::optional<std::string> password;
  int db = 0;
  std::chrono::milliseconds connect_timeout{50};
  std::chrono::milliseconds command_timeout{50};  // per socket read/write
};

// Not thread-safe: one owner thread. After any failed exchange the connection is broken
// (hiredis cannot resynchronise a pipeline): drop it and Open() a new one.
class RedisConnection {
 public:
  // Connects, authenticates, selects the db and loads every script. Errors are kUnavailable
  // (code "redis_unavailable") with hiredis' or Redis' message.
  static Result<std::unique_ptr<RedisConnection>> Open(const ConnectionOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Queues one command (argv form, binary safe) for the next Exchange().
  void Append(std::span<const std::string_view> args);
  // Queues EVALSHA of `script` with one key.
  void AppendScript(Script script, std::string_view key, std::span<const std::string_view> args);
  // Queues one command already written in RESP (e.g. by redis_internal::RespCommand).
  void AppendFormatted(std::string_view command);
  // The SHA1 that EVALSHA names `script` by (loaded at Open()).
  std::string_view sha(Script script) const { return shas_[static_cast<size_t>(script)]; }
  size_t pending() const { return pending_; }

  // Sends what was appended and reads one reply per command into `replies` (cleared first).
  // On a transport failure or timeout returns the error; `replies` then holds the replies that
  // did arrive (a prefix). Replies that are Redis errors (e.g. NOSCRIPT) are not failures here.
  Status Exchange(std::vector<RedisReply>& replies);

 private:
  explicit RedisConnection(redisContext* context) : context_(context) {}
  Status Command(std::span<const std::string_view> args, RedisReply& reply);

  redisContext* context_;
  size_t pending_ = 0;
  std::string shas_[kScriptCount];
};

}  // namespace tollgate::ratelimit
