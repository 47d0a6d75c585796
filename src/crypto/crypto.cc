// OpenSSL and libargon2 behind the small interface of crypto.h.
#include "crypto/crypto.h"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, which is slower for
// many tiny digests (see Sha256).
#define OPENSSL_SUPPRESS_DEPRECATED

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>

namespace tollgate::crypto {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// OWASP password storage recommendation for argon2id.
constexpr uint32_t kArgonTime = 2;
constexpr uint32_t kArgonMemoryKiB = 19 * 1024;
constexpr uint32_t kArgonLanes = 1;
constexpr size_t kArgonSaltLen = 16;
constexpr size_t kArgonHashLen = 32;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::array<uint8_t, 32> Sha256(std::string_view data) {
  // On the enforcer's hot path (one digest per API key check). OpenSSL 3's EVP interface frees
  // and allocates the provider's digest context on every re-initialisation (malloc, free and a
  // cleanse per call: a sixth of a whole API-key decision); the low-level functions hash in a
  // stack context with the same implementation.
  SHA256_CTX ctx;
  std::array<uint8_t, 32> out{};
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, data.data(), data.size()) != 1 ||
      SHA256_Final(out.data(), &ctx) != 1) {
    std::abort();  // cannot fail for a SHA-256 context on the stack
  }
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

std::string HexEncode(std::string_view bytes) {
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kHex[b >> 4];
    out[2 * i + 1] = kHex[b & 0xf];
  }
  return out;
}

std::string HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return {};
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return {};
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  const auto digest = Sha256(data);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();  // a system without entropy cannot issue credentials safely
  }
  return out;
}

std::string RandomToken(size_t length) {
  std::string out;
  out.reserve(length);
  // Rejection sampling keeps the distribution uniform: 248 = 4 * 62.
  while (out.size() < length) {
    for (unsigned char b : RandomBytes(length)) {
      if (b < 248 && out.size() < length) out.push_back(kBase62[b % 62]);
    }
  }
  return out;
}

std::string RandomUuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  const std::string hex = HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> HashPassword(std::string_view password) {
  const std::string salt = RandomBytes(kArgonSaltLen);
  const size_t encoded_len = argon2_encodedlen(kArgonTime, kArgonMemoryKiB, kArgonLanes,
                                               kArgonSaltLen, kArgonHashLen, Argon2_id);
  std::string encoded(encoded_len, '\0');
  const int rc = argon2id_hash_encoded(kArgonTime, kArgonMemoryKiB, kArgonLanes, password.data(),
                                       password.size(), salt.data(), salt.size(), kArgonHashLen,
                                       encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return Internal(std::string("argon2: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  const std::string e(encoded);  // argon2 wants a NUL-terminated string
  if (e.rfind("$argon2id$", 0) == 0) {
    return argon2id_verify(e.c_str(), password.data(), password.size()) == ARGON2_OK;
  }
  if (e.rfind("$argon2i$", 0) == 0) {
    return argon2i_verify(e.c_str(), password.data(), password.size()) == ARGON2_OK;
  }
  return false;
}

}  // namespace tollgate::crypto

namespace tollgate::crypto {

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes: drop them.
  size_t len = static_cast<size_t>(n);
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() > 1 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

}  // namespace tollgate::crypto
