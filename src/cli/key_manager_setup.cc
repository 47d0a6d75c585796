// The key manager's flags and start-up for `tollgate serve`.
#include "cli/key_manager_setup.h"

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "control/master_key.h"

namespace tollgate::cli {
namespace {

constexpr int64_t kMinTtl = 60;
constexpr int64_t kMaxTtl = 86400;

}  // namespace

std::vector<FlagSpec> KeyManagerFlags() {
  return {
      {"issuer", "URL", "OAuth2 issuer (\"iss\" of tokens); default http://<listen>:<http-port>",
       ""},
      {"token-ttl", "SECONDS", "lifetime of OAuth2 access tokens (60-86400)", "3600"},
  };
}

std::string OwnIssuer(const Flags& flags, uint16_t http_port) {
  std::string issuer = flags.Get("issuer");
  if (issuer.empty()) issuer = "http://" + flags.Get("listen") + ":" + std::to_string(http_port);
  return issuer;
}

Result<control::MasterKey> LoadMasterKey(const Flags& flags) {
  const std::filesystem::path dir = flags.Get("data");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Invalid("data", "cannot create data directory " + dir.string() + ": " + ec.message());
  const char* env_key = std::getenv("TOLLGATE_MASTER_KEY");
  return control::MasterKey::Load(env_key ? env_key : "", dir);
}

Result<std::unique_ptr<control::KeyManager>> StartKeyManager(const Flags& flags,
                                                             store::Store& store,
                                                             const Clock& clock,
                                                             std::function<void()> on_change,
                                                             uint16_t http_port) {
  control::KeyManagerOptions options;
  options.issuer = OwnIssuer(flags, http_port);
  if (options.issuer.rfind("http://", 0) != 0 && options.issuer.rfind("https://", 0) != 0) {
    return Invalid("issuer", "--issuer (or TOLLGATE_ISSUER) must be an http:// or https:// URL");
  }
  const std::string ttl = flags.Get("token-ttl");
  char* end = nullptr;
  const long long seconds = std::strtoll(ttl.c_str(), &end, 10);
  if (ttl.empty() || *end != '\0' || seconds < kMinTtl || seconds > kMaxTtl) {
    return Invalid(
        "token-ttl",
        "--token-ttl (or TOLLGATE_TOKEN_TTL) must be 60-86400 seconds, got '" + ttl + "'");
  }
  options.token_ttl_seconds = seconds;

  auto master = LoadMasterKey(flags);
  if (!master.ok()) return master.error();

  auto km = std::make_unique<control::KeyManager>(store, clock, std::move(master.value()),
                                                  std::move(options), std::move(on_change));
  if (auto s = km->EnsureSigningKey(); !s.ok()) return s.error();
  return km;
}

}  // namespace tollgate::cli
