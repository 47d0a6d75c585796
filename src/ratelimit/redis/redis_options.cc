// ParseRedisUrl: `redis://` URLs for `tollgate serve --counters`, parsed with Boost.URL.
#include "ratelimit/redis/redis_options.h"

#include <boost/url/parse.hpp>

#include <charconv>

namespace tollgate::ratelimit {
namespace {

Error Bad(std::string message) { return Invalid("counters", std::move(message), "invalid_redis_url"); }

std::optional<int> ParseInt(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

Result<RedisOptions> ParseRedisUrl(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    return Bad("not a URL: \"" + std::string(text) + "\" (expected redis://[:password@]host:port[/db])");
  }
  const boost::urls::url_view url = *parsed;
  if (url.scheme() == "rediss") return Bad("rediss:// (TLS) is not supported; use redis://");
  if (url.scheme() != "redis") {
    return Bad("scheme must be redis://, not \"" + std::string(url.scheme()) + "://\"");
  }
  RedisOptions options;
  if (url.host().empty()) return Bad("missing host in \"" + std::string(text) + "\"");
  options.host = url.host_address();
  std::string_view path = url.encoded_path();
  if (url.has_port()) {
    // Boost.URL splits "host:63x9" into port "63" and path "x9": the whole tail is the port.
    const std::string port_text =
        std::string(url.port()) + (path.starts_with('/') ? "" : std::string(path));
    const std::optional<int> port = ParseInt(port_text);
    if (!port || *port < 1 || *port > 65535) {
      return Bad("port must be a number 1..65535, not \"" + port_text + "\"");
    }
    options.port = *port;
  }
  if (url.has_password()) {
    std::string password = url.password();
    if (password.empty()) return Bad("empty password after ':' in the user info");
    options.password = std::move(password);
  }
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    const std::optional<int> db = ParseInt(path);
    if (!db || *db < 0 || *db > 65535) {
      return Bad("database must be a number after the last '/', not \"" + std::string(path) + "\"");
    }
    options.db = *db;
  }
  if (url.has_query() || url.has_fragment()) return Bad("query and fragment are not supported");
  return options;
}

}  // namespace tollgate::ratelimit
