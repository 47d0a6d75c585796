// http::Server against a real Beast client on loopback: framing, keep-alive, pipelining, limits,
// failures and graceful stop, as a client sees them.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

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

Response Text(std::string body, bhttp::status status = bhttp::status::ok) {
  Response response{status, 11};
  response.set(bhttp::field::content_type, "text/plain");
  response.body() = std::move(body);
  return response;
}

// Echoes "<METHOD> <target> <body> from <peer>".
Response Echo(const Request& request, const RequestContext& context) {
  return Text(std::string(request.method_string()) + " " + std::string(request.target()) + " " +
              request.body() + " from " + std::string(context.remote_address));
}

std::unique_ptr<Server> StartServer(Handler handler, ServerOptions options = {}) {
  auto server = std::make_unique<Server>(std::move(options), std::move(handler));
  Status status = server->Start();
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
  EXPECT_NE(server->port(), 0);
  return server;
}

std::string Code(const Response& response) {
  return std::string(boost::json::parse(response.body()).as_object().at("code").as_string());
}

TEST(Server, AnswersGetAndPostWithContentLength) {
  auto server = StartServer(Echo);
  Client client(server->port());
  Response get = client.Send(bhttp::verb::get, "/hello?x=1");
  EXPECT_EQ(get.result(), bhttp::status::ok);
  EXPECT_EQ(get.body(), "GET /hello?x=1  from 127.0.0.1");
  EXPECT_EQ(get[bhttp::field::content_length], std::to_string(get.body().size()));
  EXPECT_EQ(get.count(bhttp::field::server), 0u);

  Response post = client.Send(bhttp::verb::post, "/items", R"({"name":"a"})");
  EXPECT_EQ(post.body(), R"(POST /items {"name":"a"} from 127.0.0.1)");
}

TEST(Server, KeepsOneConnectionAliveForSeveralRequests) {
  std::atomic<int> calls{0};
  auto server = StartServer(
      [&](const Request&, const RequestContext&) { return Text(std::to_string(++calls)); });
  Client client(server->port());
  for (int i = 1; i <= 5; ++i) {
    Response response = client.Send(bhttp::verb::get, "/");
    EXPECT_EQ(response.body(), std::to_string(i));
    EXPECT_TRUE(response.keep_alive());
  }
}

TEST(Server, AnswersPipelinedRequestsInOrder) {
  auto server = StartServer([](const Request& request, const RequestContext&) {
    if (request.target() == "/slow") std::this_thread::sleep_for(20ms);
    return Text(std::string(request.target()));
  });
  Client client(server->port());
  client.SendRaw(
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /third HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "/slow");
  EXPECT_EQ(client.Read().body(), "/second");
  EXPECT_EQ(client.Read().body(), "/third");
}

TEST(Server, AnswersHeadWithLengthButNoBody) {
  auto server = StartServer([](const Request&, const RequestContext&) { return Text("12345"); });
  Client client(server->port());
  client.SendRaw("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);
  bhttp::read(client.socket(), client.buffer(), parser);
  EXPECT_EQ(parser.get()[bhttp::field::content_length], "5");
  // The connection is still in sync: the next response is the next thing on the wire.
  EXPECT_EQ(client.Send(bhttp::verb::get, "/").body(), "12345");
}

TEST(Server, NoContentHasNeitherBodyNorLength) {
  auto server = StartServer([](const Request&, const RequestContext&) {
    return Text("ignored", bhttp::status::no_content);
  });
  Client client(server->port());
  Response response = client.Send(bhttp::verb::delete_, "/x");
  EXPECT_EQ(response.result(), bhttp::status::no_content);
  EXPECT_EQ(response.count(bhttp::field::content_length), 0u);
  EXPECT_EQ(client.Send(bhttp::verb::delete_, "/y").result(), bhttp::status::no_content);
}

TEST(Server, RefusesTooLargeBodyWith413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  auto server = StartServer(Echo, options);
  Client client(server->port());
  Response ok = client.Send(bhttp::verb::post, "/", std::string(1024, 'a'));
  EXPECT_EQ(ok.result(), bhttp::status::ok);
  Response big = client.Send(bhttp::verb::post, "/", std::string(64 * 1024, 'a'));
  EXPECT_EQ(big.result(), bhttp::status::payload_too_large);
  EXPECT_EQ(big[bhttp::field::content_type], "application/problem+json");
  EXPECT_EQ(Code(big), "body_too_large");
  EXPECT_FALSE(big.keep_alive());
  EXPECT_TRUE(client.Closed());
}

TEST(Server, RefusesHugeHeadersWith431) {
  auto server = StartServer(Echo);
  Client client(server->port());
  client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(70 * 1024, 'c') +
                 "\r\n\r\n");
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 431u);
  EXPECT_EQ(Code(response), "headers_too_large");
}

TEST(Server, AnswersContinueBeforeReadingTheBody) {
  auto server = StartServer(Echo);
  Client client(server->port());
  client.SendRaw("PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  bhttp::response_parser<bhttp::empty_body> interim;
  bhttp::read_header(client.socket(), client.buffer(), interim);
  EXPECT_EQ(interim.get().result(), bhttp::status::continue_);
  client.SendRaw("hi");
  EXPECT_EQ(client.Read().body(), "PUT /x hi from 127.0.0.1");
}

TEST(Server, RefusesGarbageWith400AndCloses) {
  auto server = StartServer(Echo);
  Client client(server->port());
  client.SendRaw("THIS IS NOT HTTP\r\n\r\n");
  Response response = client.Read();
  EXPECT_EQ(response.result(), bhttp::status::bad_request);
  EXPECT_EQ(Code(response), "bad_request");
  EXPECT_TRUE(client.Closed());
}

TEST(Server, HandlerExceptionGives500AndTheConnectionStaysUsable) {
  auto server = StartServer([](const Request& request, const RequestContext&) -> Response {
    if (request.target() == "/boom") throw std::runtime_error("boom");
    return Text("fine");
  });
  Client client(server->port());
  Response failed = client.Send(bhttp::verb::get, "/boom");
  EXPECT_EQ(failed.result(), bhttp::status::internal_server_error);
  EXPECT_EQ(Code(failed), "internal");
  EXPECT_EQ(client.Send(bhttp::verb::get, "/").body(), "fine");
}

TEST(Server, HonoursConnectionClose) {
  auto server = StartServer(Echo);
  Client client(server->port());
  client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(client.Read().keep_alive());
  EXPECT_TRUE(client.Closed());
}

TEST(Server, ClosesIdleConnectionsAfterTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = 1s;
  auto server = StartServer(Echo, options);
  Client client(server->port());
  EXPECT_EQ(client.Send(bhttp::verb::get, "/").result(), bhttp::status::ok);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.Closed());  // blocks until the server gives up on the connection
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(Server, StartFailsWithListenFailedWhenThePortIsTaken) {
  auto first = StartServer(Echo);
  ServerOptions options;
  options.port = first->port();
  Server second(options, Echo);
  Status status = second.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(status.error().code, "listen_failed");
  EXPECT_NE(status.error().message.find(std::to_string(first->port())), std::string::npos);
}

TEST(Server, StopReturnsPromptlyDespiteIdleKeepAliveClients) {
  auto server = StartServer(Echo);
  Client idle(server->port());
  EXPECT_EQ(idle.Send(bhttp::verb::get, "/").result(), bhttp::status::ok);
  Client silent(server->port());  // connected, never sent anything
  auto start = std::chrono::steady_clock::now();
  server->Stop(5000ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(idle.Closed());
  EXPECT_TRUE(silent.Closed());
  server->Stop();  // idempotent
}

TEST(Server, StopLetsAnInFlightHandlerFinish) {
  std::promise<void> entered;
  std::atomic<bool> finished{false};
  auto server = StartServer([&](const Request&, const RequestContext&) {
    entered.set_value();
    std::this_thread::sleep_for(150ms);
    finished = true;
    return Text("done");
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

TEST(Server, StopAfterGraceClosesABusyConnectionWhenItsHandlerReturns) {
  std::promise<void> entered;
  auto server = StartServer([&](const Request&, const RequestContext&) {
    entered.set_value();
    std::this_thread::sleep_for(300ms);
    return Text("late");
  });
  std::thread client([port = server->port()] {
    Client c(port);
    boost::system::error_code ec;
    Request request{bhttp::verb::get, "/", 11};
    bhttp::write(c.socket(), request, ec);
    Response response;
    bhttp::read(c.socket(), c.buffer(), response, ec);
  });
  entered.get_future().wait();
  auto start = std::chrono::steady_clock::now();
  server->Stop(50ms);  // cannot interrupt the handler, but closes its connection when it returns
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  client.join();
}

TEST(Server, ServesConcurrentClients) {
  ServerOptions options;
  options.threads = 4;
  auto server = StartServer(Echo, options);
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      Client client(server->port());
      for (int i = 0; i < 50; ++i) {
        std::string target = "/" + std::to_string(t) + "/" + std::to_string(i);
        if (client.Send(bhttp::verb::get, target).body() == "GET " + target + "  from 127.0.0.1") {
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
