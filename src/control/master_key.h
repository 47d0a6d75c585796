// The key manager's master key: 32 bytes that seal (AES-256-GCM) the signing keys' private parts
// before they reach the store. Read from TOLLGATE_MASTER_KEY (base64) or <data dir>/master.key,
// which is created (mode 0600) at first start. The key is never logged or shown.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tollgate::control {

class MasterKey {
 public:
  static constexpr size_t kBytes = 32;

  // From `env_base64` when non-empty (standard base64 of 32 bytes), else from the file
  // `dir`/master.key (base64 text), creating it with a fresh random key (0600) when missing.
  // Errors: kInvalid "master_key_invalid" (not 32 bytes), kInternal when the file cannot be read
  // or written.
  static Result<MasterKey> Load(std::string_view env_base64, const std::filesystem::path& dir);
  // From raw bytes (tests); kInvalid "master_key_invalid" unless 32 bytes.
  static Result<MasterKey> FromBytes(std::string bytes);

  // Seals `plaintext` bound to `context` (authenticated, not encrypted: e.g. the key's kid):
  // "v1." + base64(nonce ‖ ciphertext ‖ tag). A fresh random nonce every call.
  std::string Seal(std::string_view plaintext, std::string_view context) const;
  // Inverse of Seal; kInternal "sealed_secret_invalid" on a wrong key, context or tampering.
  Result<std::string> Open(std::string_view sealed, std::string_view context) const;

 private:
  explicit MasterKey(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string bytes_;
};

}  // namespace tollgate::control
