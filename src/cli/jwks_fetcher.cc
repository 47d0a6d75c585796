// Synchronous HTTP(S) GET with Boost.Beast for the JWKS refresher.
#include "cli/jwks_fetcher.h"

#include <openssl/ssl.h>

#include <optional>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace tollgate::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Error Unavailable(std::string message) {
  return Error{ErrorKind::kUnavailable, "jwks_fetch_failed", std::move(message), {}};
}

using asio::use_awaitable;

template <class Stream>
asio::awaitable<std::string> Exchange(Stream& stream, std::string host, std::string target,
                                      size_t max_body) {
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "tollgate-jwks");
  req.set(http::field::accept, "application/json");
  co_await http::async_write(stream, req, use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body);
  co_await http::async_read(stream, buffer, parser, use_awaitable);
  if (parser.get().result() != http::status::ok) {
    throw std::runtime_error("JWKS endpoint answered " + std::to_string(parser.get().result_int()));
  }
  co_return parser.get().body();
}

// The whole GET as one coroutine; every step is bounded by the stream's expiry (Beast closes
// the socket when it passes), and the caller bounds the run as a whole too.
asio::awaitable<std::string> Get(bool tls, std::string host, std::string port, std::string target,
                                 std::chrono::milliseconds timeout, size_t max_body) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(host, port, use_awaitable);
  const std::string host_header = host + ((tls && port == "443") || (!tls && port == "80") ? "" : ":" + port);
  if (!tls) {
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, use_awaitable);
    std::string body = co_await Exchange(stream, host_header, target, max_body);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    co_return body;
  }
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(executor, ctx);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) {
    throw std::runtime_error("cannot set SNI");
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(host));
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, use_awaitable);
  co_await stream.async_handshake(asio::ssl::stream_base::client, use_awaitable);
  std::string body = co_await Exchange(stream, host_header, target, max_body);
  co_return body;  // no TLS close_notify: the connection is dropped, the body is complete
}

}  // namespace

Result<std::string> HttpJwksFetcher::Fetch(const std::string& uri) {
  auto parsed = boost::urls::parse_uri(uri);
  if (!parsed) return Unavailable("not a URL: " + uri);
  const std::string scheme(parsed->scheme());
  const bool tls = scheme == "https";
  if (!tls && scheme != "http") return Unavailable("unsupported scheme: " + scheme);
  const std::string host(parsed->host());
  const std::string port = parsed->has_port() ? std::string(parsed->port()) : (tls ? "443" : "80");
  std::string target(parsed->encoded_target());
  if (target.empty()) target = "/";
  asio::io_context io;
  std::optional<Result<std::string>> outcome;
  asio::co_spawn(io, Get(tls, host, port, target, options_.timeout, options_.max_body),
                 [&](std::exception_ptr error, std::string body) {
                   if (!error) {
                     outcome.emplace(std::move(body));
                     return;
                   }
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     outcome.emplace(Unavailable("cannot fetch " + uri + ": " + e.what()));
                   }
                 });
  io.run_for(options_.timeout + std::chrono::seconds(1));  // resolve is not covered by expiry
  if (!outcome) return Unavailable("cannot fetch " + uri + ": timed out");
  return std::move(*outcome);
}

}  // namespace tollgate::cli
