// LeanServer: one event loop per thread, connections pinned to a loop, requests parsed in place
// with Beast's basic_parser (no field containers), answers written into a reused buffer.
#include "http/lean_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace tollgate::http {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using ErrorCode = boost::system::error_code;

// Collects a request head as views into the parsed buffer; discards the body.
class HeadParser final : public bhttp::basic_parser<true> {
 public:
  HeadParser(FieldView* fields, size_t max_fields) : fields_(fields), max_fields_(max_fields) {}

  std::string_view method;
  std::string_view target;
  unsigned version = 11;
  size_t field_count = 0;

 private:
  static std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

  void on_request_impl(bhttp::verb, boost::beast::string_view method_str,
                       boost::beast::string_view target_str, int http_version,
                       ErrorCode&) override {
    method = View(method_str);
    target = View(target_str);
    version = http_version == 10 ? 10 : 11;
  }
  void on_response_impl(int, boost::beast::string_view, int, ErrorCode&) override {}
  void on_field_impl(bhttp::field, boost::beast::string_view name, boost::beast::string_view value,
                     ErrorCode& ec) override {
    if (field_count == max_fields_) {
      ec = bhttp::error::header_limit;
      return;
    }
    fields_[field_count++] = {View(name), View(value)};
  }
  void on_header_impl(ErrorCode&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, ErrorCode&) override {}
  size_t on_body_impl(boost::beast::string_view body, ErrorCode&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, ErrorCode&) override {}
  size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, ErrorCode&) override {
    return body.size();
  }
  void on_finish_impl(ErrorCode&) override {}

  FieldView* fields_;
  size_t max_fields_;
};

// (std::string_view::find_first_of would call memchr once per character.)
bool HasCrLf(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n') return true;
  }
  return false;
}

// Writes one answer into the connection's output buffer. Headers are written as they come; the
// framing (Content-Length, Connection) and the body are added by Finish().
class BufferSink final : public ResponseSink {
 public:
  explicit BufferSink(std::string& out) : out_(out), start_(out.size()) {}

  void Status(unsigned status) override {
    out_.resize(start_);
    status_ = status;
    out_ += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    char digits[8];
    const auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
    out_.append(digits, end);
    out_ += ' ';
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    out_.append(reason.data(), reason.size());
    out_ += "\r\n";
  }
  void Header(std::string_view name, std::string_view value) override {
    if (status_ == 0) Status(200);
    if (HasCrLf(name) || HasCrLf(value)) return;
    out_ += name;
    out_ += ": ";
    out_ += value;
    out_ += "\r\n";
  }
  void Body(std::string_view body) override {
    if (status_ == 0) Status(200);
    body_.assign(body.data(), body.size());
  }

  void SetVersion(unsigned version) { version_ = version; }
  // Completes the answer; `head`: HEAD request (length but no body).
  void Finish(bool keep_alive, bool head) {
    if (status_ == 0) Status(200);
    const bool no_content = status_ < 200 || status_ == 204 || status_ == 304;
    if (!no_content) {
      out_ += "Content-Length: ";
      char digits[24];
      const auto end = std::to_chars(digits, digits + sizeof digits, body_.size()).ptr;
      out_.append(digits, end);
      out_ += "\r\n";
    }
    if (!keep_alive) {
      out_ += "Connection: close\r\n";
    } else if (version_ == 10) {
      out_ += "Connection: keep-alive\r\n";
    }
    out_ += "\r\n";
    if (!no_content && !head) out_ += body_;
  }
  // Discards what the handler wrote (after an exception).
  void Reset() {
    out_.resize(start_);
    status_ = 0;
    body_.clear();
  }

 private:
  std::string& out_;
  const size_t start_;
  unsigned status_ = 0;
  unsigned version_ = 11;
  std::string body_;  // usually empty: authz answers carry no body on allow
};

struct Loop;

struct Shared {
  const LeanServerOptions options;
  const LeanHandler handler;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable drained;
  size_t live = 0;  // connections admitted and not yet destroyed, guarded by mu

  // Counts an accepted connection in; false when max_connections are open already.
  bool Admit() {
    std::lock_guard lock(mu);
    if (live >= options.max_connections) return false;
    ++live;
    return true;
  }
  void Release() {
    std::lock_guard lock(mu);
    if (--live == 0) drained.notify_all();
  }
};

class Connection;

// One event loop and the connections pinned to it. Everything here runs on the loop's thread.
struct Loop {
  explicit Loop(Shared& s) : shared(s), ioc(1), sweep(ioc) {}
  Shared& shared;
  std::unordered_set<Connection*> connections;  // destroyed after ioc (declared before it)
  net::io_context ioc;
  net::steady_timer sweep;
  uint64_t tick = 0;     // seconds since start, advanced by the sweep
  bool closing = false;  // set by Stop(): the sweep does not re-arm
  std::thread thread;

  void Sweep();
  void CloseAll(bool only_idle);
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Loop& loop, tcp::socket socket) : loop_(loop), socket_(std::move(socket)) {
    ErrorCode ec;
    socket_.set_option(tcp::no_delay(true), ec);
    const tcp::endpoint peer = socket_.remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string();
    in_.resize(kInitialBuffer);
    fields_.resize(loop_.shared.options.max_fields);
    last_tick_ = loop_.tick;
    loop_.connections.insert(this);  // counted in `live` by Shared::Admit() when accepted
  }
  ~Connection() {
    loop_.connections.erase(this);
    loop_.shared.Release();
  }

  void Start() { Read(); }

  // Idle: not writing and no partly received request.
  bool Idle() const { return !writing_ && begin_ == end_; }
  uint64_t last_tick() const { return last_tick_; }
  void Close() {
    ErrorCode ec;
    socket_.close(ec);
  }

 private:
  static constexpr size_t kInitialBuffer = 16 * 1024;

  size_t MaxBuffer() const {
    return loop_.shared.options.max_header_bytes + loop_.shared.options.max_body_bytes;
  }

  void Read() {
    if (begin_ > 0) {  // keep the unparsed rest at the front
      std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == in_.size()) {
      if (in_.size() >= MaxBuffer()) {
        return Fail(431, "headers_too_large", "the request is too large");
      }
      in_.resize(std::min(MaxBuffer(), in_.size() * 2));
    }
    socket_.async_read_some(
        net::buffer(in_.data() + end_, in_.size() - end_),
        [self = shared_from_this()](ErrorCode ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(ErrorCode ec, size_t n) {
    if (ec) return Close();
    end_ += n;
    last_tick_ = loop_.tick;
    Process();
  }

  // Answers every complete request in the buffer, then writes all answers at once.
  void Process() {
    bool close = false;
    while (begin_ < end_ && !close) {
      HeadParser parser(fields_.data(), fields_.size());
      parser.eager(true);
      parser.header_limit(static_cast<std::uint32_t>(loop_.shared.options.max_header_bytes));
      parser.body_limit(loop_.shared.options.max_body_bytes);
      size_t used = 0;
      ErrorCode ec;
      while (!parser.is_done()) {
        const size_t n =
            parser.put(net::const_buffer(in_.data() + begin_ + used, end_ - begin_ - used), ec);
        used += n;
        if (ec || n == 0) break;
      }
      if (ec == bhttp::error::need_more || (!ec && !parser.is_done())) break;  // read more
      if (ec == bhttp::error::header_limit) {
        return Fail(431, "headers_too_large", "the request header is too large");
      }
      if (ec == bhttp::error::body_limit) {
        return Fail(413, "body_too_large", "the request body is too large");
      }
      if (ec) return Fail(400, "bad_request", "malformed HTTP request");
      RequestHead head;
      head.method = parser.method;
      head.target = parser.target;
      head.version = parser.version;
      head.fields = fields_.data();
      head.field_count = parser.field_count;
      head.remote_address = remote_;
      const bool keep_alive =
          parser.keep_alive() && !loop_.shared.stopping.load(std::memory_order_relaxed);
      Answer(head, keep_alive);
      begin_ += used;
      close = !keep_alive;
    }
    if (begin_ == end_) begin_ = end_ = 0;
    if (out_.empty()) return close ? Shutdown() : Read();
    Write(close);
  }

  void Answer(const RequestHead& head, bool keep_alive) {
    BufferSink sink(out_);
    sink.SetVersion(head.version);
    try {
      loop_.shared.handler(head, sink);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "[%s] handler failed: %s\n", loop_.shared.options.name.c_str(),
                   e.what());
      Internal(sink);
    } catch (...) {
      std::fprintf(stderr, "[%s] handler failed\n", loop_.shared.options.name.c_str());
      Internal(sink);
    }
    sink.Finish(keep_alive, head.method == "HEAD");
  }

  static void Internal(BufferSink& sink) {
    sink.Reset();
    sink.Status(500);
    sink.Header("Content-Type", "application/problem+json");
    sink.Body(
        R"({"type":"urn:tollgate:problem:internal","title":"Internal Server Error","status":500,)"
        R"("code":"internal","detail":"the server failed to handle the request"})");
  }

  // An error answer that ends the connection.
  void Fail(unsigned status, std::string_view code, std::string_view detail) {
    BufferSink sink(out_);
    sink.Status(status);
    sink.Header("Content-Type", "application/problem+json");
    const auto title = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    std::string body = R"({"type":"urn:tollgate:problem:)";
    body += code;
    body += R"(","title":")";
    body.append(title.data(), title.size());
    body += R"(","status":)";
    body += std::to_string(status);
    body += R"(,"code":")";
    body += code;
    body += R"(","detail":")";
    body += detail;
    body += "\"}";
    sink.Body(body);
    sink.Finish(/*keep_alive=*/false, /*head=*/false);
    begin_ = end_ = 0;
    Write(/*close=*/true);
  }

  void Write(bool close) {
    writing_ = true;
    net::async_write(
        socket_, net::buffer(out_),
        [self = shared_from_this(), close](ErrorCode ec, size_t) { self->OnWrite(ec, close); });
  }

  void OnWrite(ErrorCode ec, bool close) {
    writing_ = false;
    out_.clear();
    if (ec) return Close();
    // A stopping server closes at once: the answer is out, and lingering would hold Stop() up.
    if (loop_.shared.stopping.load(std::memory_order_relaxed)) return Close();
    if (close) return Shutdown();
    // Requests that arrived while writing are already in the buffer only if complete; read on.
    Read();
  }

  // Ends the connection after the last answer: half-close and drop what the client still sends
  // briefly, so the client reads the answer rather than a reset.
  void Shutdown() {
    ErrorCode ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    begin_ = end_ = 0;
    socket_.async_read_some(net::buffer(in_.data(), in_.size()),
                            [self = shared_from_this()](ErrorCode ec, size_t) {
                              if (ec) return self->Close();
                              self->Shutdown();
                            });
  }

  Loop& loop_;
  tcp::socket socket_;
  std::string remote_;
  std::vector<char> in_;
  size_t begin_ = 0;  // start of the first unanswered request
  size_t end_ = 0;    // end of received data
  std::vector<FieldView> fields_;
  std::string out_;
  bool writing_ = false;
  uint64_t last_tick_ = 0;
};

void Loop::Sweep() {
  sweep.expires_after(std::chrono::seconds(1));
  sweep.async_wait([this](ErrorCode ec) {
    if (ec || closing) return;
    ++tick;
    const uint64_t timeout = static_cast<uint64_t>(shared.options.idle_timeout.count());
    std::vector<Connection*> stale;
    for (Connection* c : connections) {
      // A connection shut down after its last answer counts as idle too.
      if (tick - c->last_tick() > timeout) stale.push_back(c);
    }
    for (Connection* c : stale) c->Close();
    Sweep();
  });
}

void Loop::CloseAll(bool only_idle) {
  for (Connection* c : connections) {
    if (!only_idle || c->Idle()) c->Close();
  }
}

}  // namespace

struct LeanServer::Impl {
  Impl(LeanServerOptions options, LeanHandler handler)
      : shared{std::move(options), std::move(handler)} {
    const int n = std::max(1, shared.options.threads);
    for (int i = 0; i < n; ++i) loops.push_back(std::make_unique<Loop>(shared));
  }

  void Accept() {
    Loop& target = *loops[next++ % loops.size()];
    acceptor->async_accept(target.ioc, [this, &target](ErrorCode ec, tcp::socket socket) {
      if (!acceptor->is_open()) return;
      if (!ec) {
        if (!shared.Admit()) {
          ErrorCode ignored;
          socket.close(ignored);
          return Accept();
        }
        // The socket belongs to `target`'s loop; start it there.
        net::post(target.ioc, [&target, socket = std::move(socket)]() mutable {
          if (target.shared.stopping.load()) return target.shared.Release();
          std::make_shared<Connection>(target, std::move(socket))->Start();
        });
        return Accept();
      }
      std::fprintf(stderr, "[%s] accept failed: %s\n", shared.options.name.c_str(),
                   ec.message().c_str());
      backoff->expires_after(std::chrono::milliseconds(50));
      backoff->async_wait([this](ErrorCode) {
        if (acceptor->is_open()) Accept();
      });
    });
  }

  Shared shared;
  std::vector<std::unique_ptr<Loop>> loops;
  std::optional<tcp::acceptor> acceptor;  // on loops[0]
  std::optional<net::steady_timer> backoff;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  size_t next = 0;  // accept round-robin, on loops[0]'s thread
  uint16_t port = 0;
  std::mutex control_mu;
  bool started = false;
  bool stopped = false;
};

LeanServer::LeanServer(LeanServerOptions options, LeanHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

LeanServer::~LeanServer() { Stop(); }

Status LeanServer::Start() {
  Impl& s = *impl_;
  std::lock_guard lock(s.control_mu);
  if (s.started || s.stopped) {
    return Error{ErrorKind::kInternal, "already_started", "a server can be started only once", {}};
  }
  const LeanServerOptions& options = s.shared.options;
  const std::string where = options.address + ":" + std::to_string(options.port);
  auto failed = [&](const char* step, const ErrorCode& ec) -> Status {
    return Error{ErrorKind::kUnavailable,
                 "listen_failed",
                 options.name + ": cannot listen on " + where + " (" + step + "): " + ec.message(),
                 {}};
  };
  ErrorCode ec;
  const net::ip::address address = net::ip::make_address(options.address, ec);
  if (ec) return failed("invalid address", ec);
  const tcp::endpoint endpoint(address, options.port);
  s.acceptor.emplace(s.loops[0]->ioc);
  s.backoff.emplace(s.loops[0]->ioc);
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
  s.Accept();
  for (auto& loop : s.loops) {
    s.work.push_back(net::make_work_guard(loop->ioc));
    Loop* l = loop.get();
    net::post(l->ioc, [l] { l->Sweep(); });
    l->thread = std::thread([l] {
      for (;;) {
        try {
          l->ioc.run();
          return;
        } catch (const std::exception& e) {  // a bug in a completion handler; keep serving
          std::fprintf(stderr, "[%s] I/O thread: %s\n", l->shared.options.name.c_str(), e.what());
        }
      }
    });
  }
  return Ok();
}

uint16_t LeanServer::port() const { return impl_->port; }

void LeanServer::Stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  std::lock_guard lock(s.control_mu);
  if (s.stopped) return;
  s.stopped = true;
  if (!s.started) return;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  s.shared.stopping = true;
  net::post(s.loops[0]->ioc, [&s] {
    ErrorCode ec;
    s.acceptor->close(ec);
    s.backoff->cancel();
  });
  // Idle connections go now; busy ones end after their answer (OnWrite sees `stopping`).
  for (auto& loop : s.loops) {
    Loop* l = loop.get();
    net::post(l->ioc, [l] { l->CloseAll(/*only_idle=*/true); });
  }
  {
    std::unique_lock state_lock(s.shared.mu);
    s.shared.drained.wait_until(state_lock, deadline, [&] { return s.shared.live == 0; });
  }
  for (auto& loop : s.loops) {
    Loop* l = loop.get();
    net::post(l->ioc, [l] {
      l->CloseAll(/*only_idle=*/false);
      l->closing = true;
      l->sweep.cancel();
    });
  }
  s.work.clear();
  for (auto& loop : s.loops) loop->thread.join();
}

}  // namespace tollgate::http
