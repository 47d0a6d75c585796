// The enforcer's gRPC listener: ext_authz + grpc.health.v1 (+ services added by the wiring).
#include "adapters/envoy/grpc_server.h"

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <absl/synchronization/mutex.h>
#include <grpc/grpc.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

namespace tollgate::adapters::envoy {
namespace {

constexpr int kMaxConcurrentStreams = 1024;
constexpr const char* kAuthorizationService = "envoy.service.auth.v3.Authorization";

// "host:port" for gRPC's URI syntax: IPv6 literals need brackets.
std::string ListenUri(const std::string& address, uint16_t port) {
  const bool ipv6 =
      !address.empty() && address.find(':') != std::string::npos && address.front() != '[';
  return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

}  // namespace

void ApplyServerSettings(grpc::ServerBuilder& builder) {
  // gRPC turns SO_REUSEPORT on by default on Linux, so two enforcers could silently split one
  // port; a taken port must be a start-up error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Bounded work per proxy connection: Envoy opens few HTTP/2 connections and multiplexes its
  // checks; more concurrent streams than this wait in the proxy, not in our memory.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams);
  // Debian's Abseil is built without NDEBUG, so each absl::Mutex gRPC takes would also update a
  // process-wide deadlock-detection graph (absl GraphCycles: 1.4–2 % of a loaded server's CPU).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

struct GrpcServer::Impl {
  Impl(const enforce::Enforcer& enforcer, ExtAuthzOptions options) : ext_authz(enforcer, options) {}

  ExtAuthzService ext_authz;
  std::mutex mu;  // guards everything below
  std::vector<grpc::Service*> extra_services;
  std::unique_ptr<grpc::Server> server;
  uint16_t port = 0;
  bool started = false;
};

GrpcServer::GrpcServer(const enforce::Enforcer& enforcer, ExtAuthzOptions options)
    : impl_(std::make_unique<Impl>(enforcer, options)) {}

GrpcServer::~GrpcServer() { Stop(); }

void GrpcServer::AddService(grpc::Service* service) {
  std::lock_guard lock(impl_->mu);
  impl_->extra_services.push_back(service);
}

Status GrpcServer::Start(const std::string& address, uint16_t port) {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) {
    return Error{ErrorKind::kConflict, "already_started", "the gRPC server was already started"};
  }
  // A process-wide switch read by every ServerBuilder created afterwards; not thread-safe by
  // itself, hence once.
  static std::once_flag health_once;
  std::call_once(health_once, [] { grpc::EnableDefaultHealthCheckService(true); });

  grpc::ServerBuilder builder;
  int selected_port = 0;
  const std::string uri = ListenUri(address, port);
  builder.AddListeningPort(uri, grpc::InsecureServerCredentials(), &selected_port);
  ApplyServerSettings(builder);
  builder.RegisterService(&impl_->ext_authz);
  for (grpc::Service* service : impl_->extra_services) builder.RegisterService(service);

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    if (server != nullptr) server->Shutdown();
    return Error{ErrorKind::kUnavailable, "listen_failed", "cannot listen for gRPC on " + uri};
  }
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus(kAuthorizationService, true);
  }
  impl_->server = std::move(server);
  impl_->port = static_cast<uint16_t>(selected_port);
  impl_->started = true;
  return Ok();
}

uint16_t GrpcServer::port() const {
  std::lock_guard lock(impl_->mu);
  return impl_->port;
}

void GrpcServer::Stop(std::chrono::milliseconds grace) {
  std::unique_ptr<grpc::Server> server;
  {
    std::lock_guard lock(impl_->mu);
    server = std::move(impl_->server);
  }
  if (server == nullptr) return;
  // Health first, so that probes see NOT_SERVING while in-flight calls drain.
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->Shutdown();
  }
  server->Shutdown(std::chrono::system_clock::now() + grace);
  server->Wait();
}

}  // namespace tollgate::adapters::envoy
