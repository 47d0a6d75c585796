// Internals shared by the files of src/jwt/: OpenSSL handles, per-algorithm parameters, the raw
// signature primitives and the strict base64url decoder. Not part of the public interface.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jwt/jwt.h"

namespace tollgate::jwt::internal {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class Family { kRsaPkcs1, kRsaPss, kEcdsa, kEdDSA };

struct AlgInfo {
  Family family;
  const char* curve;     // EC group name for ES*, else nullptr
  size_t coord_bytes;    // ES*: bytes of one coordinate (and of R and of S); EdDSA: 32
};
AlgInfo Info(Alg alg);

// Decodes strict base64url into `out`, which must hold text.size() / 4 * 3 + 3 bytes; the decoded
// length, or nullopt on padding, a character outside the url-safe alphabet, or non-zero trailing
// bits.
std::optional<size_t> Base64UrlDecodeInto(std::string_view text, char* out);

// True when `signature` (JWS form: R||S for ECDSA) is valid for `input` under `pkey` with `alg`.
// The caller has checked that `alg` suits the key. Thread-safe; allocates only inside OpenSSL.
bool VerifySignature(EVP_PKEY* pkey, Alg alg, std::string_view input, std::string_view signature);
// The JWS signature (R||S for ECDSA) of `input`; nullopt if OpenSSL fails.
std::optional<std::string> Sign(EVP_PKEY* pkey, Alg alg, std::string_view input);

// The EC curve name ("P-256", "P-384", "P-521") of an EC key, or empty.
std::string EcCurve(EVP_PKEY* pkey);

}  // namespace tollgate::jwt::internal
