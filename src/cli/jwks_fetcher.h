// The HTTP(S) client behind enforce::JwksFetcher: fetches an issuer's JWKS (or OpenID discovery
// document) with Boost.Beast, synchronously, on the JWKS refresher's thread.
#pragma once

#include <chrono>
#include <string>

#include "enforce/jwks_cache.h"

namespace tollgate::cli {

class HttpJwksFetcher final : public enforce::JwksFetcher {
 public:
  struct Options {
    std::chrono::milliseconds timeout{std::chrono::seconds(5)};  // whole exchange, per attempt
    size_t max_body = 1 << 20;                                   // JWKS documents are small
  };
  HttpJwksFetcher() : HttpJwksFetcher(Options{}) {}
  explicit HttpJwksFetcher(Options options) : options_(options) {}

  // GET `uri` ("http://…" or "https://…", certificate and host name verified against the system
  // trust store). Only 200 answers count; redirects are not followed. Errors: kUnavailable.
  Result<std::string> Fetch(const std::string& uri) override;

 private:
  Options options_;
};

}  // namespace tollgate::cli
