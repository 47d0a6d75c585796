// A gRPC load generator for envoy.service.auth.v3.Authorization/Check (callback client API): many
// calls in flight over a few channels (one HTTP/2 connection each), a fixed duration, a latency
// histogram. Closed loop by default (each finished call starts the next; callback API); with --rate,
// open loop: calls are started on a fixed schedule by one thread that also polls their completion
// queue, and latency counts from the scheduled instant, so a slow server cannot hide its queueing
// (no coordinated omission).
//
//   grpc_load --target 127.0.0.1:9191 [--channels 2] [--inflight 64] [--seconds 5] [--warmup 1]
//             [--rate 0] [--open-engine cq|callback] [--key tg_…] [--host api.example.com]
//             [--path /petstore/v1/pets] [--dump-request FILE]
//
// --dump-request FILE writes the CheckRequest as one gRPC message (1-byte flag 0, 4-byte big-endian
// length, the serialized message) to FILE and exits without calling anything: the body for a
// plain HTTP/2 client such as h2load (bench/grpc_h2load.sh).
//
// Prints one line: calls, calls/s, ok/denied/error counts, p50/p90/p99/p99.9 in microseconds, and
// the generator's own CPU (client_cpu_pct of one core over the run; above ~70 % its own queueing
// shows in the latencies, so they say more about the client than the server).
// The CheckRequest looks like Envoy's: about 1 KB of headers, the key in `apikey`.
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/resource.h>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "envoy/service/auth/v3/external_auth.grpc.pb.h"

namespace {

namespace auth = ::envoy::service::auth::v3;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string target = "127.0.0.1:9191";
  int channels = 2;
  int inflight = 64;
  double seconds = 5;
  double warmup = 1;
  double rate = 0;  // calls/s; 0 = closed loop
  std::string open_engine = "cq";  // open loop: "cq" (one thread, completion queue) or "callback"
  std::string key = "tg_bench";
  std::string host = "api.example.com";
  std::string path = "/petstore/v1/pets";
  std::string dump_request;  // file to write the gRPC-framed request to, then exit
};

// Latencies in whole microseconds up to 1 s, one bucket each; more goes to the last.
class Histogram {
 public:
  static constexpr size_t kBuckets = 1'000'001;
  Histogram() : counts_(kBuckets) {}
  void Record(Clock::duration latency) {
    const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
    counts_[static_cast<size_t>(std::clamp<int64_t>(us, 0, kBuckets - 1))].fetch_add(
        1, std::memory_order_relaxed);
  }
  // The smallest latency (µs) at or below which `q` of the calls finished.
  int64_t Quantile(double q) const {
    uint64_t total = 0;
    for (const auto& c : counts_) total += c.load();
    if (total == 0) return -1;
    const auto want = static_cast<uint64_t>(q * static_cast<double>(total));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i].load();
      if (seen > want || seen == total) return static_cast<int64_t>(i);
    }
    return kBuckets - 1;
  }

 private:
  std::vector<std::atomic<uint64_t>> counts_;
};

auth::CheckRequest MakeRequest(const Options& o) {
  auth::CheckRequest request;
  auto* attributes = request.mutable_attributes();
  auto* source = attributes->mutable_source()->mutable_address()->mutable_socket_address();
  source->set_address("10.0.0.7");
  source->set_port_value(51000);
  auto* destination =
      attributes->mutable_destination()->mutable_address()->mutable_socket_address();
  destination->set_address("10.0.0.1");
  destination->set_port_value(8080);
  auto* http = attributes->mutable_request()->mutable_http();
  http->set_id("4f1c2a9e-6a1d-4d53-9f0e-1b2c3d4e5f60");
  http->set_method("GET");
  http->set_host(o.host);
  http->set_path(o.path);
  http->set_scheme("https");
  http->set_protocol("HTTP/1.1");
  auto& headers = *http->mutable_headers();
  headers[":authority"] = o.host;
  headers[":method"] = "GET";
  headers[":path"] = o.path;
  headers[":scheme"] = "https";
  headers["apikey"] = o.key;
  headers["user-agent"] =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
      "Safari/537.36";
  headers["accept"] = "application/json, text/plain, */*";
  headers["accept-encoding"] = "gzip, deflate, br";
  headers["accept-language"] = "en-GB,en;q=0.9,de;q=0.8";
  headers["x-request-id"] = "4f1c2a9e-6a1d-4d53-9f0e-1b2c3d4e5f60";
  headers["x-forwarded-for"] = "203.0.113.7, 10.0.0.7";
  headers["x-forwarded-proto"] = "https";
  headers["x-envoy-external-address"] = "203.0.113.7";
  headers["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  headers["cookie"] = "session=" + std::string(400, 'c') + "; theme=dark; consent=1";
  return request;
}

class Load {
 public:
  explicit Load(const Options& o) : o_(o), request_(MakeRequest(o)) {
    for (int i = 0; i < o.channels; ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per channel
      args.SetInt("tollgate.bench.channel", i);
      stubs_.push_back(auth::Authorization::NewStub(
          grpc::CreateCustomChannel(o.target, grpc::InsecureChannelCredentials(), args)));
    }
  }

  void Run() {
    const auto start = Clock::now();
    const double cpu_start = CpuSeconds();
    measure_from_ = start + to_duration(o_.warmup);
    end_ = measure_from_ + to_duration(o_.seconds);
    if (o_.rate <= 0) {
      for (int i = 0; i < o_.inflight; ++i) Issue(static_cast<size_t>(i), Clock::now());
    } else if (o_.open_engine == "callback") {
      const auto interval = to_duration(1.0 / o_.rate);
      size_t n = 0;
      for (auto at = start; at < end_; at += interval, ++n) {
        std::this_thread::sleep_until(at);
        if (outstanding_.load() >= o_.inflight) {
          skipped_.fetch_add(at >= measure_from_ ? 1 : 0);
          continue;
        }
        Issue(n, at);
      }
    } else {
      RunOpenLoop(start);
    }
    if (o_.rate <= 0) std::this_thread::sleep_until(end_);
    stop_.store(true);
    std::unique_lock lock(mu_);
    done_.wait(lock, [&] { return outstanding_.load() == 0; });
    client_cpu_share_ =
        (CpuSeconds() - cpu_start) / std::chrono::duration<double>(Clock::now() - start).count();
  }

  void Report() const {
    const uint64_t calls = ok_ + denied_ + errors_;
    std::printf(
        "calls=%llu rps=%.0f ok=%llu denied=%llu errors=%llu skipped=%llu p50_us=%lld p90_us=%lld "
        "p99_us=%lld p999_us=%lld client_cpu_pct=%.0f\n",
        static_cast<unsigned long long>(calls), static_cast<double>(calls) / o_.seconds,
        static_cast<unsigned long long>(ok_.load()),
        static_cast<unsigned long long>(denied_.load()),
        static_cast<unsigned long long>(errors_.load()),
        static_cast<unsigned long long>(skipped_.load()),
        static_cast<long long>(histogram_.Quantile(0.50)),
        static_cast<long long>(histogram_.Quantile(0.90)),
        static_cast<long long>(histogram_.Quantile(0.99)),
        static_cast<long long>(histogram_.Quantile(0.999)), client_cpu_share_ * 100);
  }

 private:
  static double CpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }

  static Clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  struct Call {
    grpc::ClientContext context;
    auth::CheckResponse response;
    Clock::time_point scheduled;
    size_t slot = 0;
  };

  // Open loop on one thread and one completion queue: the thread that schedules the calls also
  // polls their transport and completions (AsyncNext until the next call is due), so a call costs
  // no hand-off between threads — the callback API's per-call wake-ups made the generator, not the
  // server, set the latency at a few thousand calls per second.
  struct QueuedCall {
    grpc::ClientContext context;
    auth::CheckResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<auth::CheckResponse>> reader;
    Clock::time_point scheduled;
  };

  void RunOpenLoop(Clock::time_point start) {
    grpc::CompletionQueue cq;
    const auto interval = to_duration(1.0 / o_.rate);
    auto due = start;
    size_t n = 0;
    int outstanding = 0;
    for (;;) {
      const auto now = Clock::now();
      while (due <= now && due < end_) {  // issue every call that is due
        if (outstanding >= o_.inflight) {
          skipped_.fetch_add(due >= measure_from_ ? 1 : 0);
        } else {
          auto* call = new QueuedCall;
          call->scheduled = due;
          call->reader = stubs_[n % stubs_.size()]->PrepareAsyncCheck(&call->context, request_, &cq);
          call->reader->StartCall();
          call->reader->Finish(&call->response, &call->status, call);
          ++outstanding;
        }
        due += interval;
        ++n;
      }
      if (due >= end_ && outstanding == 0) break;
      void* tag = nullptr;
      bool ok = false;
      const auto wake = due < end_ ? due : Clock::now() + std::chrono::milliseconds(100);
      // gRPC takes system_clock deadlines.
      const auto event = cq.AsyncNext(
          &tag, &ok, std::chrono::system_clock::now() + (wake - Clock::now()));
      if (event == grpc::CompletionQueue::GOT_EVENT) {
        auto* call = static_cast<QueuedCall*>(tag);
        Record(call->scheduled, ok ? call->status : grpc::Status(grpc::StatusCode::UNKNOWN, ""),
               call->response);
        delete call;
        --outstanding;
      }
    }
    cq.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq.Next(&tag, &ok)) {
    }
  }

  // Counts one finished call (measured only when it was scheduled inside the window).
  void Record(Clock::time_point scheduled, const grpc::Status& status,
              const auth::CheckResponse& response) {
    const auto now = Clock::now();
    if (scheduled < measure_from_ || now > end_) return;
    histogram_.Record(now - scheduled);
    if (!status.ok()) {
      errors_.fetch_add(1, std::memory_order_relaxed);
    } else if (response.status().code() == 0) {
      ok_.fetch_add(1, std::memory_order_relaxed);
    } else {
      denied_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void Issue(size_t slot, Clock::time_point scheduled) {
    outstanding_.fetch_add(1);
    auto* call = new Call;
    call->scheduled = scheduled;
    call->slot = slot;
    auth::Authorization::Stub& stub = *stubs_[slot % stubs_.size()];
    stub.async()->Check(&call->context, &request_, &call->response,
                        [this, call](grpc::Status status) { Done(call, status); });
  }

  void Done(Call* call, const grpc::Status& status) {
    Record(call->scheduled, status, call->response);
    const size_t slot = call->slot;
    delete call;
    if (o_.rate <= 0 && !stop_.load()) Issue(slot, Clock::now());
    if (outstanding_.fetch_sub(1) == 1 && stop_.load()) {
      std::lock_guard lock(mu_);
      done_.notify_all();
    }
  }

  const Options o_;
  const auth::CheckRequest request_;
  std::vector<std::unique_ptr<auth::Authorization::Stub>> stubs_;
  Clock::time_point measure_from_, end_;
  double client_cpu_share_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> outstanding_{0};
  std::atomic<uint64_t> ok_{0}, denied_{0}, errors_{0}, skipped_{0};
  Histogram histogram_;
  std::mutex mu_;
  std::condition_variable done_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--target")
      o.target = value;
    else if (flag == "--channels")
      o.channels = std::max(1, std::atoi(value));
    else if (flag == "--inflight")
      o.inflight = std::max(1, std::atoi(value));
    else if (flag == "--seconds")
      o.seconds = std::atof(value);
    else if (flag == "--warmup")
      o.warmup = std::atof(value);
    else if (flag == "--rate")
      o.rate = std::atof(value);
    else if (flag == "--open-engine")
      o.open_engine = value;
    else if (flag == "--key")
      o.key = value;
    else if (flag == "--host")
      o.host = value;
    else if (flag == "--path")
      o.path = value;
    else if (flag == "--dump-request")
      o.dump_request = value;
    else {
      std::fprintf(stderr, "unknown flag %s (see the comment at the top of grpc_load.cc)\n",
                   flag.c_str());
      return 2;
    }
  }
  if (!o.dump_request.empty()) {
    const std::string message = MakeRequest(o).SerializeAsString();
    const auto size = static_cast<uint32_t>(message.size());
    const char prefix[5] = {0, static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                            static_cast<char>(size >> 8), static_cast<char>(size)};
    std::FILE* out = std::fopen(o.dump_request.c_str(), "wb");
    if (out == nullptr || std::fwrite(prefix, 1, 5, out) != 5 ||
        std::fwrite(message.data(), 1, message.size(), out) != message.size() ||
        std::fclose(out) != 0) {
      std::fprintf(stderr, "cannot write %s\n", o.dump_request.c_str());
      return 1;
    }
    return 0;
  }
  Load load(o);
  load.Run();
  load.Report();
  return 0;
}
