// The allocation-free request/response shapes of the lean HTTP/1.1 path (http/lean_server.h):
// a parsed request head as views into the connection's buffer, and a sink the handler writes its
// answer into. Used by hot endpoints (the authz listener) that must not pay for Beast's
// allocating message containers.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

namespace tollgate::http {

// One header field as received (name in the case the client sent).
struct FieldView {
  std::string_view name;
  std::string_view value;
};

// A request's head. Every view points into the server's read buffer and is valid only during the
// handler call. The body is read (and bounded) by the server but not passed on: the endpoints on
// this path decide on the head alone.
struct RequestHead {
  std::string_view method;  // as sent, e.g. "GET"
  std::string_view target;  // as sent, e.g. "/_tollgate/nginx?x=1"
  unsigned version = 11;    // 10 or 11
  const FieldView* fields = nullptr;
  size_t field_count = 0;
  std::string_view remote_address;  // peer IP

  // The first field named `name` (ASCII case-insensitive), or nullopt. A linear scan: heads are
  // short and bounded (lean_server.h).
  std::optional<std::string_view> Get(std::string_view name) const;
  const FieldView* begin() const { return fields; }
  const FieldView* end() const { return fields + field_count; }
};

// ASCII case-insensitive equality of header names.
bool NameEquals(std::string_view a, std::string_view b);

// Where a handler writes its answer: Status() once first, then Header()s, then at most one Body().
// The server adds Content-Length, Connection and the HTTP version; a handler must not set them.
// Values must not contain CR or LF (the server drops such a header rather than split it).
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void Status(unsigned status) = 0;
  virtual void Header(std::string_view name, std::string_view value) = 0;
  virtual void Body(std::string_view body) = 0;
};

// Called on a server I/O thread, concurrently for different connections; thread-safe, never
// blocks. An exception becomes a 500 problem answer.
using LeanHandler = std::function<void(const RequestHead&, ResponseSink&)>;

}  // namespace tollgate::http
