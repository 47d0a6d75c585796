// Known answers from the specifications: RFC 7515 appendix A.2 (RS256) and A.3 (ES256), RFC 8037
// appendix A.4 (Ed25519).
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "jwt/internal.h"
#include "jwt/jwt.h"
#include "jwt_test_util.h"

namespace tollgate::jwt {
namespace {

using namespace testing;  // NOLINT: the vectors

ValidationOptions BeforeRfcExpiry() {
  ValidationOptions o;
  o.now = kRfcExp - 10;
  o.issuer = "joe";
  return o;
}

KeySet SetOfJwk(std::string_view jwk) {
  KeySet set;
  set.Add(VerifyKey::FromJwk(jwk).value());
  return set;
}

TEST(Rfc7515, A2Rs256) {
  const std::string token =
      "eyJhbGciOiJSUzI1NiJ9." + std::string(kRfcPayloadB64) + "." + std::string(kRfcRs256Signature);
  auto claims = Verify(token, SetOfJwk(kRfcRsaJwk), BeforeRfcExpiry());
  ASSERT_TRUE(claims.ok()) << claims.error().code;
  EXPECT_EQ(claims->iss, "joe");
  EXPECT_EQ(claims->exp, kRfcExp);
  EXPECT_EQ(ClaimString(claims->payload_json, "http://example.com/is_root"), "true");
  // After the example's expiry, the same token is refused for that reason only.
  ValidationOptions late = BeforeRfcExpiry();
  late.now = kRfcExp + 60;
  EXPECT_EQ(Verify(token, SetOfJwk(kRfcRsaJwk), late).error().code, "token_expired");
}

TEST(Rfc7515, A3Es256) {
  const std::string jwk = R"({"kty":"EC","crv":"P-256","x":")" + std::string(kRfcEcX) +
                          R"(","y":")" + std::string(kRfcEcY) + "\"}";
  const std::string token =
      "eyJhbGciOiJFUzI1NiJ9." + std::string(kRfcPayloadB64) + "." + std::string(kRfcEs256Signature);
  auto claims = Verify(token, SetOfJwk(jwk), BeforeRfcExpiry());
  ASSERT_TRUE(claims.ok()) << claims.error().code;
  EXPECT_EQ(claims->iss, "joe");
  // The same R||S under the RS256 key is an algorithm mismatch, not a crash or a pass.
  EXPECT_EQ(Verify(token, SetOfJwk(kRfcRsaJwk), BeforeRfcExpiry()).error().code, "alg_mismatch");
}

TEST(Rfc8037, A4Ed25519) {
  const std::string jwk = R"({"kty":"OKP","crv":"Ed25519","x":")" + std::string(kRfcEd25519X) + "\"}";
  const auto key = VerifyKey::FromJwk(jwk).value();
  EXPECT_EQ(key->alg(), Alg::kEdDSA);
  const std::string signature = Base64UrlDecode(kRfcEd25519Signature).value();
  EXPECT_TRUE(key->Verify(Alg::kEdDSA, kRfcEd25519Input, signature));
  EXPECT_FALSE(key->Verify(Alg::kEdDSA, std::string(kRfcEd25519Input) + "x", signature));
  EXPECT_FALSE(key->Verify(Alg::kES256, kRfcEd25519Input, signature));

  // Ed25519 is deterministic: signing the example input with the example key gives its signature.
  const std::string d = Base64UrlDecode(kRfcEd25519D).value();
  internal::PkeyPtr priv(EVP_PKEY_new_raw_private_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(d.data()), d.size()));
  ASSERT_TRUE(priv);
  EXPECT_EQ(internal::Sign(priv.get(), Alg::kEdDSA, kRfcEd25519Input), signature);

  // The example payload is not JSON: a whole-token Verify refuses it before looking at claims.
  const std::string token = std::string(kRfcEd25519Input) + "." + std::string(kRfcEd25519Signature);
  EXPECT_EQ(Verify(token, SetOfJwk(jwk), BeforeRfcExpiry()).error().code, "token_malformed");
}

}  // namespace
}  // namespace tollgate::jwt
