// Blocking HTTP client of the CLI on Boost.Beast.
#include "cli/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace tollgate::cli {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

HttpClient::HttpClient(std::string base_url, std::string user, std::string password) {
  std::string_view url = base_url;
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.rfind("http://", 0) != 0) {
    error_ = "the server is an http:// URL, e.g. http://127.0.0.1:8080 (got \"" + base_url + "\")";
    return;
  }
  std::string_view authority = url.substr(7);
  if (authority.empty() || authority.find('/') != std::string_view::npos) {
    error_ = "the server is http://host[:port] without a path (got \"" + base_url + "\")";
    return;
  }
  const size_t colon = authority.rfind(':');
  host_ = std::string(authority.substr(0, colon));
  port_ = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  authorization_ = "Basic " + Base64(user + ":" + password);
}

Status HttpClient::Check() const {
  if (!error_.empty()) return Invalid("server", error_, "invalid_server");
  return Ok();
}

Result<HttpAnswer> HttpClient::Send(std::string_view method, std::string_view target,
                                    std::string_view body, std::string_view content_type) const {
  if (auto s = Check(); !s.ok()) return s.error();
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(resolver.resolve(host_, port_));
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), std::string(target), 11};
    req.set(bhttp::field::host, host_);
    req.set(bhttp::field::authorization, authorization_);
    req.set(bhttp::field::user_agent, "tollgate-cli");
    if (!body.empty()) {
      req.set(bhttp::field::content_type, content_type);
      req.body() = std::string(body);
    }
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    bhttp::read(stream, buffer, parser);
    auto& res = parser.get();
    HttpAnswer answer{res.result_int(), std::string(res[bhttp::field::content_type]),
                      std::move(res.body())};
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return answer;
  } catch (const std::exception& e) {
    return Error{ErrorKind::kUnavailable,
                 "server_unreachable",
                 "cannot reach " + host_ + ":" + port_ + ": " + e.what(),
                 {}};
  }
}

}  // namespace tollgate::cli
