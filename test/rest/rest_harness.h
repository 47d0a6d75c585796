// A management REST API over a real SQLite store in a temporary directory, called as a function
// with Beast requests (no socket): for the accounts and authorization-matrix tests.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "adapters/rest/management_api.h"
#include "control/accounts.h"
#include "control/key_manager.h"
#include "control/master_key.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/sqlite/sqlite_store.h"
#include "temp_dir.h"

namespace tollgate::adapters::rest::testing {

namespace json = boost::json;
namespace beast_http = boost::beast::http;

struct Answer {
  unsigned status = 0;
  json::value body;
  tollgate::http::Response raw;
  std::string Code() const {
    return body.is_object() && body.as_object().contains("code")
               ? std::string(body.at("code").as_string())
               : std::string();
  }
};

inline std::string BasicAuth(const std::string& user, const std::string& password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = user + ":" + password;
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return "Basic " + out;
}

class RestHarness {
 public:
  // Opens (creating) the store at `db_path`.
  explicit RestHarness(const std::filesystem::path& db_path, ManagementOptions options = {}) {
    auto s = store::SqliteStore::Open(db_path.string());
    if (!s.ok()) throw std::runtime_error("open store: " + s.error().message);
    store_ = std::move(s.value());
    service_ = std::make_unique<control::Service>(*store_, clock_, nullptr);
    api_ = std::make_unique<ManagementApi>(*service_, nullptr, nullptr, options);
  }

  Answer Call(beast_http::verb method, const std::string& target,
              const std::map<std::string, std::string>& headers = {}, const std::string& body = "",
              const std::string& remote = "127.0.0.1") {
    tollgate::http::Request req{method, target, 11};
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty() && req.find(beast_http::field::content_type) == req.end()) {
      req.set(beast_http::field::content_type, "application/json");
    }
    req.body() = body;
    req.prepare_payload();
    Answer a;
    a.raw = (*api_)(req, tollgate::http::RequestContext{remote});
    a.status = a.raw.result_int();
    if (!a.raw.body().empty()) {
      boost::system::error_code ec;
      a.body = json::parse(a.raw.body(), ec);
    }
    return a;
  }

  // Runs a key manager (OAuth2 token service) in this process, as `tollgate serve` does, with a
  // fixed master key so that every harness over a copy of the same store can unseal its keys.
  control::KeyManager& AttachKeyManager() {
    auto master = control::MasterKey::FromBytes(std::string(32, 'k'));
    if (!master.ok()) throw std::runtime_error("master key: " + master.error().message);
    key_manager_ = std::make_unique<control::KeyManager>(
        *store_, clock_, std::move(master.value()),
        control::KeyManagerOptions{"http://tollgate.test/"}, nullptr);
    if (auto s = key_manager_->EnsureSigningKey(); !s.ok()) {
      throw std::runtime_error("signing key: " + s.error().message);
    }
    service_->AttachKeyManager(key_manager_.get());
    return *key_manager_;
  }

  store::SqliteStore& store() { return *store_; }
  control::Service& service() { return *service_; }
  control::Accounts& accounts() { return service_->accounts(); }
  ManagementApi& api() { return *api_; }
  FakeClock& clock() { return clock_; }

 private:
  FakeClock clock_{1'800'000'000};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<control::Service> service_;
  std::unique_ptr<control::KeyManager> key_manager_;  // after service_: destroyed before it
  std::unique_ptr<ManagementApi> api_;
};

using tollgate::TempDir;

}  // namespace tollgate::adapters::rest::testing
