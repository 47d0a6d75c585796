// A lean HTTP/1.1 server for one hot endpoint (the enforcer's authz listener): keep-alive,
// pipelining, bounded heads and bodies, graceful stop — and per request no allocation, no strand,
// no timer and no Beast message container. See http/server.h for the general-purpose server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "http/lean.h"

namespace tollgate::http {

struct LeanServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: pick a free port (see LeanServer::port())
  // I/O threads; each runs its own event loop and owns the connections it was given (accepted
  // sockets are dealt round-robin), so a connection never changes thread and needs no strand.
  int threads = 1;
  size_t max_header_bytes = 64 * 1024;  // a larger head gets 431 (nginx forwards cookies, JWTs)
  size_t max_fields = 128;              // more header fields get 431
  size_t max_body_bytes = 64 * 1024;    // a larger body gets 413 (the body is read, not used)
  // Open connections at most; one more is accepted and closed at once (the gateway sees a reset
  // and retries on another connection or enforcer), so memory stays bounded under a flood.
  size_t max_connections = 10'000;
  // A connection with no complete request for this long is closed (checked once a second).
  std::chrono::seconds idle_timeout{120};
  std::string name = "authz";  // for log lines
};

// Lifecycle: construct → Start() → Stop() (also by the destructor). Requests on one connection are
// answered in order; pipelined requests that arrive together are answered with one write.
// "Expect: 100-continue" is not answered (gateways' authz calls carry no body to wait for).
class LeanServer {
 public:
  LeanServer(LeanServerOptions options, LeanHandler handler);
  ~LeanServer();  // calls Stop()
  LeanServer(const LeanServer&) = delete;
  LeanServer& operator=(const LeanServer&) = delete;

  // Binds, listens and starts the threads. Error kUnavailable "listen_failed" when the address
  // cannot be bound; kInternal "already_started" on a second call.
  Status Start();
  uint16_t port() const;  // the bound port after Start()

  // Stops accepting; closes idle connections at once; connections with a request being answered
  // or partly received get until `grace` to finish, then are closed; joins the threads.
  // Idempotent; not from a handler.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tollgate::http
