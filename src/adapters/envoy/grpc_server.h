// The enforcer's gRPC listener (default port 9191): Envoy ext_authz v3 plus the standard
// grpc.health.v1 service, and room for the other Envoy services (RLS, ALS) on the same port.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/envoy/ext_authz_service.h"
#include "core/status.h"
#include "enforce/enforcer.h"

namespace grpc {
class Service;
class ServerBuilder;
}  // namespace grpc

namespace tollgate::adapters::envoy {

// The server settings GrpcServer uses (port reuse off, polling and thread settings), for
// benchmarks that must run a baseline service under exactly the same setup.
void ApplyServerSettings(grpc::ServerBuilder& builder);

// Owns an ExtAuthzService and the grpc::Server. Lifecycle: construct → AddService()* → Start() →
// Stop() (also done by the destructor). Start/Stop/port are safe to call from any thread.
class GrpcServer {
 public:
  explicit GrpcServer(const enforce::Enforcer& enforcer, ExtAuthzOptions options = {});
  ~GrpcServer();  // calls Stop()
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Registers another service (not owned; must outlive the server). Only before Start().
  void AddService(grpc::Service* service);

  // Binds `address`:`port` (port 0 picks a free one; IPv6 literals with or without brackets) and
  // starts serving with the callback API. Port reuse is off: a port held by another process is an
  // error, not a silent share. Error kUnavailable "listen_failed" when the address cannot be bound;
  // kConflict "already_started" on a second Start().
  Status Start(const std::string& address, uint16_t port);

  // The bound port after a successful Start(); 0 before.
  uint16_t port() const;

  // Marks the health service NOT_SERVING, stops accepting calls, lets calls in flight finish
  // (cancelling what is left after `grace`) and waits for the server to end. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tollgate::adapters::envoy
