// Cryptographic primitives Tollgate needs, over OpenSSL and libargon2: digests, randomness,
// constant-time comparison, password hashing. No secret ever leaves these functions in a log.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tollgate::crypto {

// SHA-256 of `data`: 32 raw bytes.
std::array<uint8_t, 32> Sha256(std::string_view data);
// SHA-256 of `data` as 64 lower-case hex characters.
std::string Sha256Hex(std::string_view data);
std::string HexEncode(std::string_view bytes);
// Inverse of HexEncode; empty string on malformed input.
std::string HexDecode(std::string_view hex);

// `n` bytes from the operating system's CSPRNG. Aborts if the CSPRNG fails (it never should).
std::string RandomBytes(size_t n);
// Random URL-safe text (base62) of `length` characters: for API keys and passwords.
std::string RandomToken(size_t length);
// A random RFC 9562 version-4 UUID, e.g. "3f1c…".
std::string RandomUuid();

// Compares without leaking, through timing, where the inputs differ (lengths may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// argon2id encoded hash of `password` with a random salt (OWASP parameters: m=19 MiB, t=2, p=1).
Result<std::string> HashPassword(std::string_view password);
// True when `password` matches the argon2 `encoded` hash.
bool VerifyPassword(std::string_view encoded, std::string_view password);

}  // namespace tollgate::crypto

namespace tollgate::crypto {
// Standard base64 (RFC 4648 §4) decoding; nullopt on malformed input.
std::optional<std::string> Base64Decode(std::string_view text);
}  // namespace tollgate::crypto
