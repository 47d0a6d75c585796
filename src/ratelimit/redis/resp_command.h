// One Redis command written straight in RESP (the wire format: "*argc", then "$len" + bytes per
// argument), for the sync thread's batched lease call whose many small numeric arguments would
// otherwise each be formatted into a std::string and copied again by hiredis. Sync thread only.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tollgate::ratelimit::redis_internal {

class RespCommand {
 public:
  // Starts a command of exactly `argc` arguments (the caller must then add that many); keeps the
  // buffer's capacity from earlier commands.
  void Begin(size_t argc) {
    buf_.clear();
    buf_.push_back('*');
    Digits(static_cast<int64_t>(argc));
  }
  void Arg(std::string_view s) {
    buf_.push_back('$');
    Digits(static_cast<int64_t>(s.size()));
    buf_.append(s);
    buf_.append("\r\n");
  }
  void Arg(int64_t v) {
    char text[24];
    const auto end = std::to_chars(text, text + sizeof text, v).ptr;
    Arg(std::string_view(text, static_cast<size_t>(end - text)));
  }
  // Shortest text that reads back as the same double (Lua's tonumber reads it exactly).
  void Arg(double v) {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, v).ptr;
    Arg(std::string_view(text, static_cast<size_t>(end - text)));
  }
  std::string_view data() const { return buf_; }

 private:
  void Digits(int64_t v) {  // v, then CRLF
    char text[24];
    const auto end = std::to_chars(text, text + sizeof text, v).ptr;
    buf_.append(text, static_cast<size_t>(end - text));
    buf_.append("\r\n");
  }

  std::string buf_;
};

}  // namespace tollgate::ratelimit::redis_internal
