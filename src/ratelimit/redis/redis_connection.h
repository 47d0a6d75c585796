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
#include "ratelimit/redis/cluster_slots.h"

struct redisContext;

namespace tollgate::ratelimit {

// One reply, reduced to what the store's commands answer: an integer, a string/status, an
// error, nil, or a flat array of integers (the lease scripts) or strings (key names).
struct RedisReply {
  enum class Type : uint8_t { kInteger, kString, kError, kNil, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string text;             // kString, kError
  std::vector<int64_t> values;  // kArray (non-integer elements read as 0)
  // kArray with string elements: one entry per element ("" for the others); empty otherwise,
  // so that the lease scripts' integer arrays cost nothing more.
  std::vector<std::string> texts;
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

  // CLUSTER SLOTS, at once (nothing else may be pending): the slot ranges and their masters;
  // std::nullopt when the server runs without cluster support (it answers "ERR This instance has
  // cluster support disabled"). A master announced without an address (an empty or "?" host)
  // is read as this connection's host. Errors: transport, or any other error reply.
  Result<std::optional<std::vector<redis_internal::SlotRange>>> ClusterSlots();
  // CLUSTER INFO, at once: Ok when the node reports cluster_state:ok, else an error naming the
  // node and its state (a restarted master refuses keys with CLUSTERDOWN for ~2 s).
  Status ClusterStateOk();
  // "host:port" this connection was opened to, for messages.
  const std::string& address() const { return address_; }

  // Sends what was appended and reads one reply per command into `replies` (cleared first).
  // On a transport failure or timeout returns the error; `replies` then holds the replies that
  // did arrive (a prefix). Replies that are Redis errors (e.g. NOSCRIPT) are not failures here.
  Status Exchange(std::vector<RedisReply>& replies);

 private:
  RedisConnection(redisContext* context, std::string host, int port)
      : context_(context), host_(std::move(host)), address_(host_ + ":" + std::to_string(port)) {}
  Status Command(std::span<const std::string_view> args, RedisReply& reply);

  redisContext* context_;
  std::string host_;
  std::string address_;
  size_t pending_ = 0;
  std::string shas_[kScriptCount];
};

}  // namespace tollgate::ratelimit
