// VerifyKey::FromJwk, KeySet::FromJwks and SignKey: what is accepted, what is refused and why.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include "jwt/jwt.h"
#include "jwt_test_util.h"

namespace tollgate::jwt {
namespace {

namespace json = boost::json;
using testing::kRfcEcX;
using testing::kRfcEcY;
using testing::kRfcRsaJwk;

std::string EcJwk(std::string_view extra = "", std::string_view y = kRfcEcY) {
  return R"({"kty":"EC","crv":"P-256","x":")" + std::string(kRfcEcX) + R"(","y":")" +
         std::string(y) + "\"" + std::string(extra) + "}";
}

std::string RefusalCode(std::string_view jwk) {
  auto key = VerifyKey::FromJwk(jwk);
  EXPECT_FALSE(key.ok()) << jwk;
  return key.ok() ? "" : key.error().code;
}

// An RSA public JWK of `bits` bits, made with OpenSSL directly.
std::string RsaJwkOfBits(unsigned bits) {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{bits});
  BIGNUM* n = nullptr;
  EVP_PKEY_get_bn_param(pkey, "n", &n);
  std::string bytes(static_cast<size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(n);
  EVP_PKEY_free(pkey);
  return R"({"kty":"RSA","e":"AQAB","n":")" + Base64UrlEncode(bytes) + "\"}";
}

TEST(VerifyKey, DerivesAlgFromKeyTypeOrTakesTheJwks) {
  EXPECT_EQ(VerifyKey::FromJwk(kRfcRsaJwk).value()->alg(), Alg::kRS256);
  EXPECT_EQ(VerifyKey::FromJwk(EcJwk()).value()->alg(), Alg::kES256);
  auto key = VerifyKey::FromJwk(EcJwk(R"(,"kid":"a","use":"sig","alg":"ES256","key_ops":["verify"])"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ((*key)->kid(), "a");
  EXPECT_TRUE((*key)->Accepts(Alg::kES256));
  EXPECT_FALSE((*key)->Accepts(Alg::kRS256));
  std::string ps = std::string(kRfcRsaJwk);
  ps.insert(1, R"("alg":"PS384",)");
  EXPECT_EQ(VerifyKey::FromJwk(ps).value()->alg(), Alg::kPS384);
  for (Alg alg : {Alg::kES384, Alg::kES512, Alg::kEdDSA}) {
    EXPECT_EQ(VerifyKey::FromJwk(SignKey::Generate(alg, "")->PublicJwk()).value()->alg(), alg);
  }
}

TEST(VerifyKey, RefusesKeysNotForSigning) {
  EXPECT_EQ(RefusalCode(EcJwk(R"(,"use":"enc")")), "jwk_not_for_signing");
  EXPECT_EQ(RefusalCode(EcJwk(R"(,"key_ops":["encrypt"])")), "jwk_not_for_signing");
}

TEST(VerifyKey, RefusesSmallRsaKeys) {
  EXPECT_EQ(RefusalCode(RsaJwkOfBits(1024)), "jwk_key_too_small");
  EXPECT_EQ(RefusalCode(RsaJwkOfBits(2040)), "jwk_key_too_small");
  EXPECT_TRUE(VerifyKey::FromJwk(RsaJwkOfBits(2048)).ok());
}

TEST(VerifyKey, RefusesPointsOffTheCurve) {
  std::string y = Base64UrlDecode(kRfcEcY).value();
  y.back() ^= 1;
  EXPECT_EQ(RefusalCode(EcJwk("", Base64UrlEncode(y))), "jwk_invalid_key");
  // (0, 0) and a coordinate beyond the field
  const std::string zero = Base64UrlEncode(std::string(32, '\0'));
  EXPECT_EQ(RefusalCode(R"({"kty":"EC","crv":"P-256","x":")" + zero + R"(","y":")" + zero + "\"}"),
            "jwk_invalid_key");
  const std::string ff = Base64UrlEncode(std::string(32, '\xff'));
  EXPECT_EQ(RefusalCode(EcJwk("", ff)), "jwk_invalid_key");
}

TEST(VerifyKey, RefusesMalformedAndUnsupported) {
  EXPECT_EQ(RefusalCode("nope"), "jwk_malformed");
  EXPECT_EQ(RefusalCode("[]"), "jwk_malformed");
  EXPECT_EQ(RefusalCode(R"({"crv":"P-256"})"), "jwk_malformed");
  EXPECT_EQ(RefusalCode(R"({"kty":"oct","k":"AAAA"})"), "jwk_unsupported");
  EXPECT_EQ(RefusalCode(R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})"), "jwk_unsupported");
  EXPECT_EQ(RefusalCode(R"({"kty":"OKP","crv":"X25519","x":"AA"})"), "jwk_unsupported");
  EXPECT_EQ(RefusalCode(EcJwk(R"(,"alg":"HS256")")), "jwk_unsupported");
  EXPECT_EQ(RefusalCode(EcJwk(R"(,"alg":"RS256")")), "jwk_alg_mismatch");
  EXPECT_EQ(RefusalCode(EcJwk(R"(,"alg":"ES384")")), "jwk_alg_mismatch");
  EXPECT_EQ(RefusalCode(EcJwk(R"(,"kid":5)")), "jwk_malformed");
  EXPECT_EQ(RefusalCode(R"({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})"), "jwk_malformed");
  EXPECT_EQ(RefusalCode(R"({"kty":"RSA","e":"AQAB"})"), "jwk_malformed");
  EXPECT_EQ(RefusalCode(R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})"), "jwk_malformed");
  EXPECT_EQ(VerifyKey::FromJwk("x").error().kind, ErrorKind::kInvalid);
}

TEST(KeySet, SkipsUnusableKeysAndFindsByKid) {
  const auto es = SignKey::Generate(Alg::kES256, "es").value();
  const auto ed = SignKey::Generate(Alg::kEdDSA, "ed").value();
  const std::string jwks = R"({"keys":[)" + es.PublicJwk() + "," + ed.PublicJwk() +
                           R"(,{"kty":"oct","kid":"h","k":"AAAA"},)" + EcJwk(R"(,"kid":"enc","use":"enc")") +
                           R"(,{"kty":"RSA","kid":"weird","n":"AQAB"}]})";
  auto set = KeySet::FromJwks(jwks);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->size(), 2u);
  EXPECT_EQ(set->Find("es")->alg(), Alg::kES256);
  EXPECT_EQ(set->Find("ed")->alg(), Alg::kEdDSA);
  EXPECT_EQ(set->Find("h"), nullptr);
  EXPECT_EQ(set->Find(""), nullptr);  // two keys: a kid is needed
  EXPECT_TRUE(KeySet::FromJwks(R"({"keys":[]})")->empty());
}

TEST(KeySet, RefusesInvalidDocuments) {
  for (const char* doc : {"", "{}", "[]", R"({"keys":{}})", R"({"keys":[1]})", "{\"keys\":["}) {
    auto set = KeySet::FromJwks(doc);
    ASSERT_FALSE(set.ok()) << doc;
    EXPECT_EQ(set.error().code, "jwks_malformed");
  }
}

class SignKeys : public ::testing::TestWithParam<Alg> {};

TEST_P(SignKeys, PemRoundTripKeepsTheKey) {
  const auto key = SignKey::Generate(GetParam(), "k\"1").value();
  const std::string pem = key.PrivatePem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  const auto again = SignKey::FromPem(pem, GetParam(), "k\"1");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->PublicJwk(), key.PublicJwk());
  const auto jwk = json::parse(key.PublicJwk()).as_object();
  EXPECT_EQ(jwk.at("kid").as_string(), "k\"1");
  EXPECT_EQ(std::string_view(jwk.at("alg").as_string()), ToString(GetParam()));
  EXPECT_EQ(jwk.at("use").as_string(), "sig");
  // A token of the reloaded key verifies with the first key's JWK.
  auto token = again->Sign(R"({"exp":4000000000})");
  ASSERT_TRUE(token.ok());
  ValidationOptions o;
  o.now = 1'800'000'000;
  EXPECT_TRUE(Verify(*token, testing::SetOf(key), o).ok());
}

INSTANTIATE_TEST_SUITE_P(Algs, SignKeys,
                         ::testing::Values(Alg::kRS256, Alg::kPS512, Alg::kES256, Alg::kES384,
                                           Alg::kES512, Alg::kEdDSA),
                         [](const auto& info) { return std::string(ToString(info.param)); });

TEST(SignKey, FromPemRefusesKeysThatDoNotFitTheAlg) {
  const std::string ec = SignKey::Generate(Alg::kES256, "")->PrivatePem();
  const std::string rsa = SignKey::Generate(Alg::kRS256, "")->PrivatePem();
  EXPECT_EQ(SignKey::FromPem(ec, Alg::kRS256, "").error().code, "key_alg_mismatch");
  EXPECT_EQ(SignKey::FromPem(ec, Alg::kES384, "").error().code, "key_alg_mismatch");
  EXPECT_EQ(SignKey::FromPem(ec, Alg::kEdDSA, "").error().code, "key_alg_mismatch");
  EXPECT_EQ(SignKey::FromPem(rsa, Alg::kES256, "").error().code, "key_alg_mismatch");
  EXPECT_TRUE(SignKey::FromPem(rsa, Alg::kPS256, "").ok());
  EXPECT_EQ(SignKey::FromPem("garbage", Alg::kES256, "").error().code, "key_malformed");

  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, small, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(small);
  EXPECT_EQ(SignKey::FromPem(pem, Alg::kRS256, "").error().code, "key_too_small");
}

TEST(SignKey, RefusesClaimsThatAreNotAnObject) {
  const auto key = SignKey::Generate(Alg::kES256, "k").value();
  EXPECT_FALSE(key.Sign("[]").ok());
  EXPECT_FALSE(key.Sign("{").ok());
  const auto token = key.Sign("{}").value();
  EXPECT_EQ(Parse(token)->header_json, R"({"alg":"ES256","typ":"JWT","kid":"k"})");
}

}  // namespace
}  // namespace tollgate::jwt
