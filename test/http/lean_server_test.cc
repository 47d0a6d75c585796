// http::LeanServer against a real Beast client on loopback: framing, keep-alive, pipelining,
// limits, failures and graceful stop, as a client sees them.
#include "http/lean_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"  // Request, Response for the client side

namespace tollgate::http {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// A blocking HTTP/1.1 client on one connection.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  Response Send(bhttp::verb method, std::string target, std::string body = {}) {
    Request request{method, target, 11};
    request.set(bhttp::field::host, "localhost");
    if (!body.empty()) request.body() = std::move(body);
    request.prepare_payload();
    bhttp::write(socket_, request);
    return Read();
  }
  void SendRaw(const std::string& bytes) { net::write(socket_, net::buffer(bytes)); }
  Response Read() {
    Response response;
    bhttp::read(socket_, buffer_, response);
    return response;
  }
  // True when the server closed the connection (no further response).
  bool Closed() {
    Response response;
    boost::system::error_code ec;
    bhttp::read(socket_, buffer_, response, ec);
    return ec == bhttp::error::end_of_stream || ec == net::error::connection_reset;
  }
  tcp::socket& socket() { return socket_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// Echoes "<METHOD> <target> <x-test header> from <peer>".
void Echo(const RequestHead& request, ResponseSink& sink) {
  sink.Status(200);
  sink.Header("Content-Type", "text/plain");
  sink.Body(std::string(request.method) + " " + std::string(request.target) + " " +
            std::string(request.Get("X-TEST").value_or("-")) + " from " +
            std::string(request.remote_address));
}

std::unique_ptr<LeanServer> StartServer(LeanHandler handler, LeanServerOptions options = {}) {
  auto server = std::make_unique<LeanServer>(std::move(options), std::move(handler));
  Status status = server->Start();
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
  EXPECT_NE(server->port(), 0);
  return server;
}

std::string Code(const Response& response) {
  return std::string(boost::json::parse(response.body()).as_object().at("code").as_string());
}

TEST(LeanServer, AnswersWithContentLengthAndReadsHeadersCaseInsensitively) {
  auto server = StartServer(Echo);
  Client client(server->port());
  client.SendRaw("GET /hello?x=1 HTTP/1.1\r\nHost: x\r\nx-test: yes\r\n\r\n");
  Response get = client.Read();
  EXPECT_EQ(get.result(), bhttp::status::ok);
  EXPECT_EQ(get.body(), "GET /hello?x=1 yes from 127.0.0.1");
  EXPECT_EQ(get[bhttp::field::content_length], std::to_string(get.body().size()));
  EXPECT_TRUE(get.keep_alive());
  Response post = client.Send(bhttp::verb::post, "/items", R"({"name":"a"})");
  EXPECT_EQ(post.body(), "POST /items - from 127.0.0.1");
}

TEST(LeanServer, KeepsOneConnectionAliveForSeveralRequests) {
  std::atomic<int> calls{0};
  auto server = StartServer([&](const RequestHead&, ResponseSink& sink) {
    sink.Status(200);
    sink.Body(std::to_string(++calls));
  });
  Client client(server->port());
  for (int i = 1; i <= 5; ++i) {
    Response response = client.Send(bhttp::verb::get, "/");
    EXPECT_EQ(response.body(), std::to_string(i));
    EXPECT_TRUE(response.keep_alive());
  }
}

TEST(LeanServer, AnswersPipelinedRequestsInOrderAcrossPartialReads) {
  auto server = StartServer([](const RequestHead& request, ResponseSink& sink) {
    sink.Status(200);
    sink.Body(request.target);
  });
  Client client(server->port());
  client.SendRaw(
      "GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /third HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(20ms);
  client.SendRaw(
      "st: x\r\n\r\nGET /fourth HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "/first");
  EXPECT_EQ(client.Read().body(), "/second");
  EXPECT_EQ(client.Read().body(), "/third");
  EXPECT_EQ(client.Read().body(), "/fourth");
}

TEST(LeanServer, AnswersHeadWithLengthButNoBodyAndHttp10KeepAlive) {
  auto server = StartServer(Echo);
  Client client(server->port());
  client.SendRaw("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(true);  // a HEAD answer
  bhttp::read(client.socket(), client.buffer(), parser);
  EXPECT_EQ(parser.get()[bhttp::field::content_length], "24");  // "HEAD /h - from 127.0.0.1"
  EXPECT_TRUE(parser.get().body().empty());
  client.SendRaw("GET /ten HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  Response ten = client.Read();
  EXPECT_EQ(ten.version(), 10u);
  EXPECT_TRUE(ten.keep_alive());
}

TEST(LeanServer, RefusesTooLargeBodyWith413AndHugeHeadersWith431) {
  LeanServerOptions options;
  options.max_body_bytes = 1024;
  auto server = StartServer(Echo, options);
  {
    Client client(server->port());
    EXPECT_EQ(client.Send(bhttp::verb::post, "/", std::string(1024, 'a')).result(),
              bhttp::status::ok);
    Response big = client.Send(bhttp::verb::post, "/", std::string(64 * 1024, 'a'));
    EXPECT_EQ(big.result(), bhttp::status::payload_too_large);
    EXPECT_EQ(Code(big), "body_too_large");
    EXPECT_FALSE(big.keep_alive());
    EXPECT_TRUE(client.Closed());
  }
  Client client(server->port());
  client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(70 * 1024, 'c') +
                 "\r\n\r\n");
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 431u);
  EXPECT_EQ(Code(response), "headers_too_large");
}

TEST(LeanServer, RefusesTooManyFieldsWith431) {
  LeanServerOptions options;
  options.max_fields = 4;
  auto server = StartServer(Echo, options);
  Client client(server->port());
  client.SendRaw("GET / HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 431u);
}

TEST(LeanServer, RefusesGarbageWith400AndCloses) {
  auto server = StartServer(Echo);
  Client client(server->port());
  client.SendRaw("THIS IS NOT HTTP\r\n\r\n");
  Response response = client.Read();
  EXPECT_EQ(response.result(), bhttp::status::bad_request);
  EXPECT_EQ(Code(response), "bad_request");
  EXPECT_TRUE(client.Closed());
}

TEST(LeanServer, HandlerExceptionGives500AndTheConnectionStaysUsable) {
  auto server = StartServer([](const RequestHead& request, ResponseSink& sink) {
    sink.Status(200);
    sink.Header("X-Partial", "1");
    if (request.target == "/boom") throw std::runtime_error("boom");
    sink.Body("fine");
  });
  Client client(server->port());
  Response failed = client.Send(bhttp::verb::get, "/boom");
  EXPECT_EQ(failed.result(), bhttp::status::internal_server_error);
  EXPECT_EQ(failed.count("X-Partial"), 0u);
  EXPECT_EQ(Code(failed), "internal");
  EXPECT_EQ(client.Send(bhttp::verb::get, "/").body(), "fine");
}

TEST(LeanServer, DropsHeaderValuesWithLineBreaks) {
  auto server = StartServer([](const RequestHead&, ResponseSink& sink) {
    sink.Status(200);
    sink.Header("X-Bad", "a\r\nSet-Cookie: evil=1");
    sink.Header("X-Good", "b");
  });
  Client client(server->port());
  Response response = client.Send(bhttp::verb::get, "/");
  EXPECT_EQ(response.count("X-Bad"), 0u);
  EXPECT_EQ(response.count(bhttp::field::set_cookie), 0u);
  EXPECT_EQ(response["X-Good"], "b");
}

TEST(LeanServer, HonoursConnectionClose) {
  auto server = StartServer(Echo);
  Client client(server->port());
  client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(client.Read().keep_alive());
  EXPECT_TRUE(client.Closed());
}

TEST(LeanServer, ClosesIdleConnectionsAfterTheIdleTimeout) {
  LeanServerOptions options;
  options.idle_timeout = 1s;
  auto server = StartServer(Echo, options);
  Client client(server->port());
  EXPECT_EQ(client.Send(bhttp::verb::get, "/").result(), bhttp::status::ok);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.Closed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST(LeanServer, ClosesConnectionsBeyondTheLimitAndAdmitsAgainWhenOneEnds) {
  LeanServerOptions options;
  options.max_connections = 2;
  auto server = StartServer(Echo, options);
  auto first = std::make_unique<Client>(server->port());
  Client second(server->port());
  EXPECT_EQ(first->Send(bhttp::verb::get, "/a").result(), bhttp::status::ok);
  EXPECT_EQ(second.Send(bhttp::verb::get, "/b").result(), bhttp::status::ok);
  Client third(server->port());  // the kernel accepts it; the server closes it at once
  boost::system::error_code ec;
  net::write(third.socket(), net::buffer(std::string("GET /c HTTP/1.1\r\nHost: x\r\n\r\n")), ec);
  EXPECT_TRUE(third.Closed());
  first.reset();  // frees a place
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    Client fourth(server->port());
    net::write(fourth.socket(), net::buffer(std::string("GET /d HTTP/1.1\r\nHost: x\r\n\r\n")), ec);
    Response response;
    bhttp::read(fourth.socket(), fourth.buffer(), response, ec);
    admitted = !ec && response.result() == bhttp::status::ok;
    if (!admitted) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(admitted);
  EXPECT_EQ(second.Send(bhttp::verb::get, "/e").result(), bhttp::status::ok);
}

TEST(LeanServer, StartFailsWithListenFailedWhenThePortIsTaken) {
  auto first = StartServer(Echo);
  LeanServerOptions options;
  options.port = first->port();
  LeanServer second(options, Echo);
  Status status = second.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "listen_failed");
}

TEST(LeanServer, StopReturnsPromptlyDespiteIdleKeepAliveClients) {
  auto server = StartServer(Echo);
  Client idle(server->port());
  EXPECT_EQ(idle.Send(bhttp::verb::get, "/").result(), bhttp::status::ok);
  Client silent(server->port());
  std::this_thread::sleep_for(20ms);  // let the server take the silent connection
  auto start = std::chrono::steady_clock::now();
  server->Stop(5000ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(idle.Closed());
  EXPECT_TRUE(silent.Closed());
  server->Stop();
}

TEST(LeanServer, StopLetsAnInFlightRequestFinish) {
  std::promise<void> entered;
  std::atomic<bool> finished{false};
  auto server = StartServer([&](const RequestHead&, ResponseSink& sink) {
    entered.set_value();
    std::this_thread::sleep_for(150ms);
    finished = true;
    sink.Status(200);
    sink.Body("done");
  });
  auto response = std::async(std::launch::async, [port = server->port()] {
    Client client(port);
    Response r = client.Send(bhttp::verb::get, "/");
    return std::make_pair(r, client.Closed());
  });
  entered.get_future().wait();
  server->Stop(5000ms);
  EXPECT_TRUE(finished);
  auto [answer, closed] = response.get();
  EXPECT_EQ(answer.body(), "done");
  EXPECT_TRUE(closed);
}

TEST(LeanServer, ServesConcurrentClientsOnSeveralLoops) {
  LeanServerOptions options;
  options.threads = 3;
  auto server = StartServer(Echo, options);
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      Client client(server->port());
      for (int i = 0; i < 50; ++i) {
        std::string target = "/" + std::to_string(t) + "/" + std::to_string(i);
        if (client.Send(bhttp::verb::get, target).body() == "GET " + target + " - from 127.0.0.1") {
          ++good;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(good, 8 * 50);
}

}  // namespace
}  // namespace tollgate::http
