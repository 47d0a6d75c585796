// A small blocking HTTP/1.1 client (Boost.Beast) for the CLI's calls to the management REST API.
// One connection per request; http:// only.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace tollgate::cli {

struct HttpAnswer {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  // `base_url`: "http://host:port" (a trailing '/' is ignored). Basic auth with user/password.
  HttpClient(std::string base_url, std::string user, std::string password);

  // Checks the base URL. kInvalid "invalid_server" when it is not http://host[:port].
  Status Check() const;

  // Sends `method` `target` (a path with query) with `body` of `content_type` (none when empty).
  // Connection errors: kUnavailable "server_unreachable". Any HTTP status is an answer.
  Result<HttpAnswer> Send(std::string_view method, std::string_view target,
                          std::string_view body = {},
                          std::string_view content_type = "application/json") const;

 private:
  std::string host_;
  std::string port_;
  std::string authorization_;
  std::string error_;  // why the base URL is unusable, "" when fine
};

}  // namespace tollgate::cli
