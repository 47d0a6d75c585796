// What a Check costs Tollgate beyond gRPC itself: parse the serialized CheckRequest (~1 KB of
// headers, as bench/grpc_load.cc sends), translate, decide, build and serialize the CheckResponse —
// against parse + empty answer + serialize (what the empty baseline handler does).
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>

#include <string>

#include "adapters/envoy/ext_authz_service.h"
#include "adapters/petstore_fixture.h"

namespace {

namespace auth = ::envoy::service::auth::v3;
using tollgate::adapters::envoy::ExtAuthzOptions;
using tollgate::adapters::envoy::ExtAuthzService;

std::string SerializedRequest(bool with_key) {
  auth::CheckRequest request;
  auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
  request.mutable_attributes()
      ->mutable_source()
      ->mutable_address()
      ->mutable_socket_address()
      ->set_address("10.0.0.7");
  http->set_method("GET");
  http->set_host(std::string(tollgate::adapters::fixture::kHost));
  http->set_path("/petstore/v1/pets/7");
  auto& headers = *http->mutable_headers();
  headers[":authority"] = std::string(tollgate::adapters::fixture::kHost);
  headers[":method"] = "GET";
  headers[":path"] = "/petstore/v1/pets/7";
  if (with_key) headers["apikey"] = std::string(tollgate::adapters::fixture::kApiKey);
  headers["user-agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0";
  headers["accept"] = "application/json, text/plain, */*";
  headers["accept-language"] = "en-GB,en;q=0.9,de;q=0.8";
  headers["x-request-id"] = "4f1c2a9e-6a1d-4d53-9f0e-1b2c3d4e5f60";
  headers["x-forwarded-for"] = "203.0.113.7, 10.0.0.7";
  headers["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  headers["cookie"] = "session=" + std::string(400, 'c') + "; theme=dark";
  return request.SerializeAsString();
}

// mode 0: empty answer (baseline); 1: Tollgate, typed answer built and serialized; 2: the same
// without dynamic metadata; 3: Tollgate's wire path (what Check() does: cached static parts);
// 4: the wire path without dynamic metadata.
void BM_Check(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const bool arena = state.range(1) != 0;
  tollgate::adapters::fixture::PetstoreWorld world;
  ExtAuthzOptions options;
  options.dynamic_metadata = mode != 2 && mode != 4;
  const ExtAuthzService service(world.enforcer, options);
  const std::string wire = SerializedRequest(true);
  char block[16 * 1024];
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = block;
  arena_options.initial_block_size = sizeof block;
  google::protobuf::Arena pool(arena_options);
  std::string out;
  for (auto _ : state) {
    auth::CheckRequest* request;
    auth::CheckResponse* response;
    auth::CheckRequest heap_request;
    auth::CheckResponse heap_response;
    if (arena) {
      request = google::protobuf::Arena::CreateMessage<auth::CheckRequest>(&pool);
      response = google::protobuf::Arena::CreateMessage<auth::CheckResponse>(&pool);
    } else {
      request = &heap_request;
      response = &heap_response;
    }
    request->ParseFromString(wire);
    if (mode >= 3) {
      service.AnswerWire(*request, &out);
    } else {
      if (mode == 0) {
        response->mutable_status()->set_code(0);
      } else {
        service.Answer(*request, response);
      }
      out.clear();
      response->SerializeToString(&out);
    }
    benchmark::DoNotOptimize(out.data());
    if (arena) pool.Reset();
  }
}
BENCHMARK(BM_Check)->ArgsProduct({{0, 1, 2, 3, 4}, {0, 1}})->ArgNames({"mode", "arena"});

}  // namespace

BENCHMARK_MAIN();
