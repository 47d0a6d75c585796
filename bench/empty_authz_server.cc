// The gRPC baseline for bench/grpc_authz.sh: an Authorization/Check service that answers OK with
// an empty CheckResponse, built with the same gRPC library, callback API and server settings
// (adapters::envoy::ApplyServerSettings, health service) as Tollgate's GrpcServer.
//
//   empty_authz_server [PORT [arena|plain]] — prints "listening on PORT" and serves until
//   SIGINT/SIGTERM. `arena` (the default, as Tollgate's ExtAuthzService) allocates the messages on
//   pooled protobuf arenas; `plain` uses gRPC's default allocation.
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "adapters/envoy/ext_authz_service.h"
#include "adapters/envoy/grpc_server.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"

namespace {

namespace auth = ::envoy::service::auth::v3;

class EmptyAuthorization final : public auth::Authorization::CallbackService {
 public:
  // EMPTY_AUTHZ_PAD=N: answer with one N-byte upstream header instead of nothing, to tell the
  // cost of a larger response from the cost of deciding.
  size_t pad = 0;

 private:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context, const auth::CheckRequest*,
                                  auth::CheckResponse* response) override {
    response->mutable_status()->set_code(0);
    if (pad > 0) {
      auto* header = response->mutable_ok_response()->add_headers()->mutable_header();
      header->set_key("x-pad");
      header->set_value(std::string(pad, 'p'));
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "0";
  const bool arena = argc <= 2 || std::string(argv[2]) != "plain";
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  grpc::EnableDefaultHealthCheckService(true);
  EmptyAuthorization service;
  if (const char* pad = std::getenv("EMPTY_AUTHZ_PAD"))
    service.pad = std::strtoul(pad, nullptr, 10);
  std::unique_ptr<tollgate::adapters::envoy::CheckMessageAllocator> allocator;
  if (arena) {
    allocator = tollgate::adapters::envoy::NewArenaCheckAllocator();
    service.SetMessageAllocatorFor_Check(allocator.get());
  }
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort("127.0.0.1:" + port, grpc::InsecureServerCredentials(), &selected);
  tollgate::adapters::envoy::ApplyServerSettings(builder);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || selected == 0) {
    std::fprintf(stderr, "cannot listen on 127.0.0.1:%s\n", port.c_str());
    return 1;
  }
  std::printf("listening on %d\n", selected);
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  server->Shutdown();
  server->Wait();
  return 0;
}
