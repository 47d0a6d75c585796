// http::Server on Boost.Beast: one io_context run by N threads, a strand per connection, one
// request at a time per connection (so pipelined requests are answered in order), graceful stop.
#include "http/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/router.h"  // Problem()

namespace tollgate::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using ErrorCode = boost::system::error_code;

// nginx auth_request forwards every client header (cookies, JWTs): allow more than Beast's 8 KiB.
constexpr uint32_t kHeaderLimit = 64 * 1024;
// After a final response with "Connection: close" we read and discard what the client still sends
// for at most this long, so that closing with unread input does not reset the connection before
// the client has read the response (e.g. a 413 while the client is still sending the body).
constexpr std::chrono::seconds kLingerTime{2};

class Connection;

// What connections share with the server. Outlives every connection (declared before the
// io_context in Server::Impl, so pending handlers are destroyed first).
struct ServerState {
  const ServerOptions options;
  const Handler handler;
  std::atomic<bool> stopping{false};  // set once, under mu
  std::mutex mu;
  std::condition_variable drained;  // notified when `connections` becomes empty
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;  // guarded by mu
};

// One accepted socket. Every member function runs on the connection's strand, so no locking.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerState& state, tcp::socket socket) : state_(state), stream_(std::move(socket)) {
    ErrorCode ec;
    tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string();  // once per connection, not per request
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  ~Connection() {
    std::lock_guard lock(state_.mu);
    state_.connections.erase(this);
    if (state_.connections.empty()) state_.drained.notify_all();
  }

  // Registers with the server and starts reading; once the server stops, drops the socket.
  void Start() {
    {
      std::lock_guard lock(state_.mu);
      if (state_.stopping) return;
      state_.connections.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Connection::ReadHeader, shared_from_this()));
  }

  // Posted by Stop(): closes the socket when the connection waits for a new request (or always),
  // which ends every pending operation.
  static void PostClose(std::shared_ptr<Connection> self, bool only_idle) {
    auto executor = self->stream_.get_executor();
    net::post(executor, [self = std::move(self), only_idle] {
      if (!only_idle || self->IsIdle()) self->stream_.close();
    });
  }

 private:
  enum class Phase { kWaiting, kReading, kBusy, kLinger };

  bool IsIdle() const {
    return phase_ == Phase::kLinger ||
           (phase_ == Phase::kWaiting && !parser_->got_some() && buffer_.size() == 0);
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(state_.options.max_body_bytes);
    phase_ = Phase::kWaiting;
    stream_.expires_after(state_.options.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Connection::OnHeader, shared_from_this()));
  }

  void OnHeader(ErrorCode ec, size_t) {
    if (ec) return OnReadError(ec);
    phase_ = Phase::kReading;
    if (parser_->is_done()) return Handle();
    const Request& request = parser_->get();
    if (request.version() >= 11 && beast::iequals(request[bhttp::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](ErrorCode ec, size_t) {
                         if (!ec) self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(state_.options.idle_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Connection::OnBody, shared_from_this()));
  }

  void OnBody(ErrorCode ec, size_t) {
    if (ec) return OnReadError(ec);
    Handle();
  }

  void OnReadError(ErrorCode ec) {
    if (ec == bhttp::error::body_limit) {
      return SendError(
          413, "body_too_large",
          "the request body exceeds " + std::to_string(state_.options.max_body_bytes) + " bytes");
    }
    if (ec == bhttp::error::header_limit) {
      return SendError(431, "headers_too_large", "the request header exceeds 64 KiB");
    }
    if (ec.category() == ErrorCode(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return SendError(400, "bad_request", "malformed HTTP request");
    }
    // Peer closed, reset, idle timeout or Stop(): nothing to answer; the socket closes with us.
    if (ec == bhttp::error::end_of_stream)
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  void SendError(unsigned status, std::string_view code, std::string detail) {
    unsigned version = parser_->get().version() == 10 ? 10 : 11;
    Write(Problem(status, code, detail, {}, version), /*head=*/false, /*keep_alive=*/false,
          version);
  }

  void Handle() {
    phase_ = Phase::kBusy;
    const Request& request = parser_->get();
    Response response;
    try {
      response = state_.handler(request, RequestContext{remote_});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "[%s] handler failed: %s\n", state_.options.name.c_str(), e.what());
      response = Problem(500, "internal", "the server failed to handle the request");
    } catch (...) {
      std::fprintf(stderr, "[%s] handler failed: unknown exception\n", state_.options.name.c_str());
      response = Problem(500, "internal", "the server failed to handle the request");
    }
    bool handler_closes = bhttp::token_list(response[bhttp::field::connection]).exists("close");
    Write(std::move(response), request.method() == bhttp::verb::head,
          request.keep_alive() && !handler_closes, request.version());
  }

  // Completes the framing (version, Connection, Content-Length) and writes the response; for HEAD
  // only the header, whose Content-Length is that of the body a GET would get.
  void Write(Response&& response, bool head, bool keep_alive, unsigned version) {
    phase_ = Phase::kBusy;
    response_ = std::move(response);
    response_.version(version);
    keep_alive = keep_alive && !state_.stopping.load(std::memory_order_relaxed);
    response_.keep_alive(keep_alive);
    close_after_write_ = !keep_alive;
    response_.erase(bhttp::field::transfer_encoding);
    unsigned status = response_.result_int();
    if (status < 200 || status == 204 || status == 304) {
      response_.body().clear();  // these never carry content (RFC 9110 §6.4.1)
      response_.erase(bhttp::field::content_length);
    } else {
      response_.content_length(response_.body().size());
    }
    serializer_.emplace(response_);
    stream_.expires_after(state_.options.idle_timeout);
    auto done = beast::bind_front_handler(&Connection::OnWrite, shared_from_this());
    if (head) {
      bhttp::async_write_header(stream_, *serializer_, std::move(done));
    } else {
      bhttp::async_write(stream_, *serializer_, std::move(done));
    }
  }

  void OnWrite(ErrorCode ec, size_t) {
    serializer_.reset();
    if (ec) return;
    // A stopping server closes at once: this client's request is answered, and lingering would
    // hold Stop() up for a peer that keeps the connection open.
    if (state_.stopping.load(std::memory_order_relaxed)) return stream_.close();
    if (close_after_write_) return Linger();
    ReadHeader();
  }

  void Linger() {
    phase_ = Phase::kLinger;
    ErrorCode ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(std::min<std::chrono::seconds>(kLingerTime, state_.options.idle_timeout));
    Drain();
  }

  void Drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](ErrorCode ec, size_t) {
                              if (!ec) self->Drain();
                            });
  }

  ServerState& state_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;  // reused across the connection's requests
  std::string remote_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Response response_;
  std::optional<bhttp::response_serializer<bhttp::string_body>> serializer_;
  Phase phase_ = Phase::kWaiting;
  bool close_after_write_ = false;
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, Handler handler)
      : state{std::move(options), std::move(handler)}, ioc(std::max(1, state.options.threads)) {}

  void Accept() {
    acceptor->async_accept(net::make_strand(ioc), [this](ErrorCode ec, tcp::socket socket) {
      if (!acceptor->is_open()) return;
      if (!ec) {
        std::make_shared<Connection>(state, std::move(socket))->Start();
        return Accept();
      }
      // Out of descriptors or similar: back off briefly instead of spinning.
      std::fprintf(stderr, "[%s] accept failed: %s\n", state.options.name.c_str(),
                   ec.message().c_str());
      backoff->expires_after(std::chrono::milliseconds(50));
      backoff->async_wait([this](ErrorCode) {
        if (acceptor->is_open()) Accept();
      });
    });
  }

  void CloseConnections(bool only_idle) {
    std::vector<std::shared_ptr<Connection>> live;
    {
      std::lock_guard lock(state.mu);
      for (auto& [ptr, weak] : state.connections) {
        if (auto connection = weak.lock()) live.push_back(std::move(connection));
      }
    }
    for (auto& connection : live) Connection::PostClose(std::move(connection), only_idle);
  }

  ServerState state;
  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;     // on its own strand; closed by Stop()
  std::optional<net::steady_timer> backoff;  // same strand as the acceptor
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex control_mu;  // serializes Start() and Stop()
  bool started = false;   // guarded by control_mu
  bool stopped = false;   // guarded by control_mu
};

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  Impl& s = *impl_;
  std::lock_guard lock(s.control_mu);
  if (s.started || s.stopped) {
    return Error{ErrorKind::kInternal, "already_started", "a Server can be started only once", {}};
  }
  const ServerOptions& options = s.state.options;
  std::string where = options.address + ":" + std::to_string(options.port);
  auto failed = [&](const char* step, const ErrorCode& ec) -> Status {
    return Error{ErrorKind::kUnavailable,
                 "listen_failed",
                 options.name + ": cannot listen on " + where + " (" + step + "): " + ec.message(),
                 {}};
  };
  ErrorCode ec;
  net::ip::address address = net::ip::make_address(options.address, ec);
  if (ec) return failed("invalid address", ec);
  tcp::endpoint endpoint(address, options.port);
  auto strand = net::make_strand(s.ioc);
  s.acceptor.emplace(strand);
  s.backoff.emplace(strand);
  if (s.acceptor->open(endpoint.protocol(), ec); ec) return failed("socket", ec);
  if (s.acceptor->set_option(net::socket_base::reuse_address(true), ec); ec) {
    return failed("SO_REUSEADDR", ec);
  }
  if (s.acceptor->bind(endpoint, ec); ec) return failed("bind", ec);
  if (s.acceptor->listen(net::socket_base::max_listen_connections, ec); ec) {
    return failed("listen", ec);
  }
  s.port = s.acceptor->local_endpoint(ec).port();
  s.started = true;
  s.work.emplace(s.ioc.get_executor());
  s.Accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    s.threads.emplace_back([&s] {
      for (;;) {
        try {
          s.ioc.run();
          return;
        } catch (const std::exception& e) {  // a bug in a completion handler; keep serving
          std::fprintf(stderr, "[%s] I/O thread: %s\n", s.state.options.name.c_str(), e.what());
        }
      }
    });
  }
  return Ok();
}

uint16_t Server::port() const { return impl_->port; }

void Server::Stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  std::lock_guard lock(s.control_mu);
  if (s.stopped) return;
  s.stopped = true;
  if (!s.started) return;
  auto deadline = std::chrono::steady_clock::now() + grace;
  {
    // Under mu so that a connection either registered before (and is closed below) or sees it.
    std::lock_guard state_lock(s.state.mu);
    s.state.stopping = true;
  }
  net::post(s.acceptor->get_executor(), [&s] {
    ErrorCode ec;
    s.acceptor->close(ec);
    s.backoff->cancel();
  });
  // Idle connections go now; busy ones close after their response (OnWrite sees `stopping`).
  s.CloseConnections(/*only_idle=*/true);
  {
    std::unique_lock state_lock(s.state.mu);
    s.state.drained.wait_until(state_lock, deadline, [&] { return s.state.connections.empty(); });
  }
  s.CloseConnections(/*only_idle=*/false);
  s.work.reset();
  for (std::thread& thread : s.threads) thread.join();
  s.threads.clear();
}

}  // namespace tollgate::http
