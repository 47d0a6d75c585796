// Helpers for the JWT tests: tokens with arbitrary headers signed by a SignKey's private key, and
// the JWKs of the published examples.
#pragma once

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <string>
#include <string_view>

#include "jwt/internal.h"
#include "jwt/jwt.h"

namespace tollgate::jwt::testing {

// The signature of `input` under `key`'s private key with `alg` (which may differ from the key's
// own alg, to build algorithm-confusion cases). Empty when OpenSSL refuses.
inline std::string SignRaw(const SignKey& key, Alg alg, std::string_view input) {
  const std::string pem = key.PrivatePem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  internal::PkeyPtr pkey(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!pkey) return {};
  return internal::Sign(pkey.get(), alg, input).value_or("");
}

// header.payload.signature with the given JSON texts, signed by `key` as `alg`.
inline std::string MakeToken(std::string_view header_json, std::string_view payload_json,
                             const SignKey& key, Alg alg) {
  std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  return input + "." + Base64UrlEncode(SignRaw(key, alg, input));
}
inline std::string MakeToken(std::string_view header_json, std::string_view payload_json,
                             const SignKey& key) {
  return MakeToken(header_json, payload_json, key, key.alg());
}

inline KeySet SetOf(const SignKey& key) {
  KeySet set;
  set.Add(VerifyKey::FromJwk(key.PublicJwk()).value());
  return set;
}

// RFC 7515 appendix A.2 (RS256) and A.3 (ES256), RFC 8037 appendix A.4 (Ed25519).
inline constexpr std::string_view kRfcPayloadB64 =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
inline constexpr int64_t kRfcExp = 1300819380;
inline constexpr std::string_view kRfcRsaJwk =
    R"({"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"})";
inline constexpr std::string_view kRfcRs256Signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds"
    "9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZR"
    "mB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98"
    "rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
inline constexpr std::string_view kRfcEcX = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
inline constexpr std::string_view kRfcEcY = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
inline constexpr std::string_view kRfcEs256Signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
inline constexpr std::string_view kRfcEd25519D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
inline constexpr std::string_view kRfcEd25519X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
inline constexpr std::string_view kRfcEd25519Input =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
inline constexpr std::string_view kRfcEd25519Signature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

}  // namespace tollgate::jwt::testing
