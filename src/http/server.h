// A small HTTP/1.1 server on Boost.Beast: keep-alive, pipelining-safe, bounded bodies, graceful
// stop. It knows nothing of Tollgate: it hands each request to one synchronous Handler.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tollgate::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Facts about the connection a request came on.
struct RequestContext {
  std::string_view remote_address;  // peer IP, e.g. "127.0.0.1"
};

// Called on one of the server's I/O threads, concurrently for different connections; must be
// thread-safe. May block briefly (e.g. a store write); never for long. The server fills in
// Content-Length, keep-alive and the HTTP version; the handler sets status, headers and body.
using Handler = std::function<Response(const Request&, const RequestContext&)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: pick a free port (see Server::port())
  int threads = 2;
  size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  std::chrono::seconds idle_timeout{60};
  std::string name = "http";  // for log lines
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // calls Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the I/O threads. Error (kUnavailable, code "listen_failed") when the
  // address cannot be bound. A Server starts at most once (later calls: code "already_started").
  Status Start();
  // The bound port (after Start()).
  uint16_t port() const;
  // Stops accepting, lets requests being handled finish (waits up to `grace`), closes idle
  // connections and joins the threads. Idempotent. A handler still running after `grace` cannot
  // be interrupted: its connection closes as soon as it returns, and Stop() joins after it. Must
  // not be called from a handler (it joins the thread it would run on).
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tollgate::http
