// hiredis behind RedisConnection: connection set-up, script loading and pipelined exchanges.
#include "ratelimit/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <array>
#include <vector>

#include "ratelimit/redis/lua_scripts.h"

namespace tollgate::ratelimit {
namespace {

Error Unavailable(std::string message) {
  return Error{ErrorKind::kUnavailable, "redis_unavailable", std::move(message), {}};
}

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

void Convert(const redisReply* r, RedisReply& out) {
  out = RedisReply{};
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kString;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.values.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        out.values.push_back(e->type == REDIS_REPLY_INTEGER ? e->integer : 0);
        if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) {
          out.texts.resize(r->elements);
          out.texts[i].assign(e->str, e->len);
        }
      }
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
}

// In Script's order.
const std::array<const std::string_view*, kScriptCount> kScriptSources = {&kHeartbeatScript,
                                                                          &kLeaseBatchScript};

}  // namespace

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(const ConnectionOptions& o) {
  redisContext* c = redisConnectWithTimeout(o.host.c_str(), o.port, ToTimeval(o.connect_timeout));
  if (c == nullptr) return Unavailable("cannot allocate a redis context");
  if (c->err != 0) {
    std::string message = "redis " + o.host + ":" + std::to_string(o.port) + ": " + c->errstr;
    redisFree(c);
    return Unavailable(std::move(message));
  }
  redisSetTimeout(c, ToTimeval(o.command_timeout));
  std::unique_ptr<RedisConnection> conn(new RedisConnection(c, o.host, o.port));
  RedisReply reply;
  auto expect_ok = [&](std::span<const std::string_view> args, std::string_view what) -> Status {
    if (Status s = conn->Command(args, reply); !s.ok()) return s;
    if (reply.type == RedisReply::Type::kError) {
      return Unavailable("redis " + conn->address() + " " + std::string(what) +
                         " failed: " + reply.text);
    }
    return Ok();
  };
  if (o.password) {
    const std::string_view args[] = {"AUTH", *o.password};
    if (Status s = expect_ok(args, "AUTH"); !s.ok()) return s.error();
  }
  if (o.db != 0) {
    const std::string db = std::to_string(o.db);
    const std::string_view args[] = {"SELECT", db};
    if (Status s = expect_ok(args, "SELECT"); !s.ok()) return s.error();
  }
  for (size_t i = 0; i < kScriptCount; ++i) {
    const std::string_view args[] = {"SCRIPT", "LOAD", *kScriptSources[i]};
    if (Status s = expect_ok(args, "SCRIPT LOAD"); !s.ok()) return s.error();
    conn->shas_[i] = reply.text;
  }
  return conn;
}

RedisConnection::~RedisConnection() { redisFree(context_); }

void RedisConnection::Append(std::span<const std::string_view> args) {
  // Every argument is sent: on the stack up to 16 of them (every command but a test's), else
  // in vectors.
  std::array<const char*, 16> small_argv{};
  std::array<size_t, 16> small_lens{};
  std::vector<const char*> big_argv;
  std::vector<size_t> big_lens;
  const char** argv = small_argv.data();
  size_t* lens = small_lens.data();
  if (args.size() > small_argv.size()) {
    big_argv.resize(args.size());
    big_lens.resize(args.size());
    argv = big_argv.data();
    lens = big_lens.data();
  }
  for (size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  redisAppendCommandArgv(context_, static_cast<int>(args.size()), argv, lens);
  ++pending_;
}

void RedisConnection::AppendFormatted(std::string_view command) {
  redisAppendFormattedCommand(context_, command.data(), command.size());
  ++pending_;
}

void RedisConnection::AppendScript(Script script, std::string_view key,
                                   std::span<const std::string_view> args) {
  std::vector<std::string_view> argv = {"EVALSHA", shas_[static_cast<size_t>(script)], "1", key};
  argv.insert(argv.end(), args.begin(), args.end());
  Append(argv);
}

Status RedisConnection::Exchange(std::vector<RedisReply>& replies) {
  replies.clear();
  const size_t expected = pending_;
  pending_ = 0;
  replies.reserve(expected);
  for (size_t i = 0; i < expected; ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      return Unavailable("redis " + address_ + ": " +
                         (context_->err != 0 ? context_->errstr : "no reply"));
    }
    Convert(static_cast<redisReply*>(raw), replies.emplace_back());
    freeReplyObject(raw);
  }
  return Ok();
}

Result<std::optional<std::vector<redis_internal::SlotRange>>> RedisConnection::ClusterSlots() {
  redisAppendCommand(context_, "CLUSTER SLOTS");
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    return Unavailable("redis " + address_ + ": " +
                       (context_->err != 0 ? context_->errstr : "no reply"));
  }
  // The nested reply is read here, where hiredis' types are known: RedisReply keeps flat arrays.
  std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                     freeReplyObject);
  const redisReply* r = reply.get();
  if (r->type == REDIS_REPLY_ERROR) {
    const std::string_view text(r->str, r->len);
    if (text.find("cluster support disabled") != std::string_view::npos) {
      return std::optional<std::vector<redis_internal::SlotRange>>();
    }
    return Unavailable("redis " + address_ + " CLUSTER SLOTS failed: " + std::string(text));
  }
  auto malformed = [&] {
    return Unavailable("redis " + address_ + ": unexpected CLUSTER SLOTS reply");
  };
  if (r->type != REDIS_REPLY_ARRAY) return malformed();
  std::vector<redis_internal::SlotRange> ranges;
  for (size_t i = 0; i < r->elements; ++i) {
    // [first, last, [host, port, id, …] of the master, then its replicas]
    const redisReply* row = r->element[i];
    if (row->type != REDIS_REPLY_ARRAY || row->elements < 3 ||
        row->element[0]->type != REDIS_REPLY_INTEGER ||
        row->element[1]->type != REDIS_REPLY_INTEGER ||
        row->element[2]->type != REDIS_REPLY_ARRAY || row->element[2]->elements < 2 ||
        row->element[2]->element[1]->type != REDIS_REPLY_INTEGER) {
      return malformed();
    }
    const redisReply* host = row->element[2]->element[0];
    std::string announced = host->type == REDIS_REPLY_STRING ? std::string(host->str, host->len)
                                                             : std::string();
    if (announced.empty() || announced == "?") announced = host_;
    ranges.push_back(redis_internal::SlotRange{
        static_cast<int>(row->element[0]->integer), static_cast<int>(row->element[1]->integer),
        redis_internal::NodeAddress{std::move(announced),
                                    static_cast<int>(row->element[2]->element[1]->integer)}});
  }
  return std::optional(std::move(ranges));
}

Status RedisConnection::ClusterStateOk() {
  const std::string_view args[] = {"CLUSTER", "INFO"};
  RedisReply reply;
  if (Status s = Command(args, reply); !s.ok()) return s;
  if (reply.type != RedisReply::Type::kString) {
    return Unavailable("redis " + address_ + " CLUSTER INFO failed: " + reply.text);
  }
  if (reply.text.find("cluster_state:ok") != std::string::npos) return Ok();
  const size_t at = reply.text.find("cluster_state:");
  const std::string state =
      at == std::string::npos ? "unknown" : reply.text.substr(at + 14, reply.text.find('\r', at) - at - 14);
  return Unavailable("redis " + address_ + ": cluster_state:" + state);
}

Status RedisConnection::Command(std::span<const std::string_view> args, RedisReply& reply) {
  Append(args);
  std::vector<RedisReply> replies;
  if (Status s = Exchange(replies); !s.ok()) return s;
  reply = std::move(replies.front());
  return Ok();
}

}  // namespace tollgate::ratelimit
