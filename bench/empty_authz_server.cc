// The gRPC baseline for bench/grpc_authz.sh: an Authorization/Check service that answers OK with
// an empty CheckResponse, built with the same gRPC library, callback API and server settings
// (adapters::envoy::ApplyServerSettings, health service) as Tollgate's GrpcServer.
//
//   empty_authz_server [PORT [arena|plain]] — prints "listening on PORT" and serves until
//   SIGINT/SIGTERM. `arena` (the default) allocates the messages on pooled protobuf arenas (as
//   Tollgate's ExtAuthzService parses on a per-thread arena); `plain` uses gRPC's default
//   allocation.
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <google/protobuf/arena.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/message_allocator.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>
#include <string>

#include "adapters/envoy/grpc_server.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"

namespace {

namespace auth = ::envoy::service::auth::v3;

// One call's messages on an arena whose first block lives inside the holder, so a typical call
// allocates nothing; holders are pooled and reset on release.
class ArenaPool;

class ArenaHolder final : public grpc::MessageHolder<auth::CheckRequest, auth::CheckResponse> {
 public:
  explicit ArenaHolder(ArenaPool& pool) : pool_(pool), arena_(Options(block_)) {}
  void Prepare() {
    set_request(google::protobuf::Arena::CreateMessage<auth::CheckRequest>(&arena_));
    set_response(google::protobuf::Arena::CreateMessage<auth::CheckResponse>(&arena_));
  }
  void Release() override;

 private:
  static google::protobuf::ArenaOptions Options(char* block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = kBlockBytes;
    return options;
  }
  static constexpr size_t kBlockBytes = 16 * 1024;

  ArenaPool& pool_;
  alignas(16) char block_[kBlockBytes];
  google::protobuf::Arena arena_;
  friend class ArenaPool;
};

class ArenaPool final : public grpc::MessageAllocator<auth::CheckRequest, auth::CheckResponse> {
 public:
  ~ArenaPool() override {
    for (ArenaHolder* holder : free_) delete holder;
  }
  grpc::MessageHolder<auth::CheckRequest, auth::CheckResponse>* AllocateMessages() override {
    ArenaHolder* holder = nullptr;
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        holder = free_.back();
        free_.pop_back();
      }
    }
    if (holder == nullptr) holder = new ArenaHolder(*this);
    holder->Prepare();
    return holder;
  }
  void Put(ArenaHolder* holder) {
    holder->arena_.Reset();
    {
      std::lock_guard lock(mu_);
      if (free_.size() < kMaxPooled) {
        free_.push_back(holder);
        return;
      }
    }
    delete holder;
  }

 private:
  static constexpr size_t kMaxPooled = 4096;
  std::mutex mu_;
  std::vector<ArenaHolder*> free_;  // guarded by mu_
};

void ArenaHolder::Release() { pool_.Put(this); }

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
  ArenaPool allocator;
  if (arena) service.SetMessageAllocatorFor_Check(&allocator);
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
