// Verify: round trips for every algorithm, each refusal reason, leeway edges and claim shapes.
#include <gtest/gtest.h>

#include <map>

#include "jwt/jwt.h"
#include "jwt_test_util.h"

namespace tollgate::jwt {
namespace {

using testing::MakeToken;
using testing::SetOf;

constexpr int64_t kNow = 1'800'000'000;
constexpr std::string_view kHeader = R"({"alg":"ES256","kid":"k1"})";

ValidationOptions At(int64_t now) {
  ValidationOptions o;
  o.now = now;
  return o;
}

std::string Claims(int64_t exp) { return R"({"sub":"alice","exp":)" + std::to_string(exp) + "}"; }

// The error of a refused token, checking the invariants every refusal shares.
Error Refusal(const Result<jwt::Claims>& r, std::string_view token) {
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().kind, ErrorKind::kUnauthenticated);
  EXPECT_FALSE(r.error().message.empty());
  if (token.size() > 8) {
    EXPECT_EQ(r.error().message.find(token.substr(0, 8)), std::string::npos);
  }
  return r.error();
}

class RoundTrip : public ::testing::TestWithParam<Alg> {};

TEST_P(RoundTrip, SignedTokenVerifiesWithThePublishedJwk) {
  auto key = SignKey::Generate(GetParam(), "kid-" + std::string(ToString(GetParam())));
  ASSERT_TRUE(key.ok()) << key.error().message;
  const KeySet keys = SetOf(*key);
  auto token = key->Sign(R"({"iss":"https://idp","sub":"app-7","aud":"tollgate","exp":)" +
                         std::to_string(kNow + 300) + R"(,"scope":"read write"})");
  ASSERT_TRUE(token.ok());

  ValidationOptions o = At(kNow);
  o.issuer = "https://idp";
  o.audience = "tollgate";
  auto claims = Verify(*token, keys, o);
  ASSERT_TRUE(claims.ok()) << claims.error().code;
  EXPECT_EQ(claims->sub, "app-7");
  EXPECT_EQ(claims->exp, kNow + 300);
  EXPECT_EQ(claims->scopes, (std::vector<std::string>{"read", "write"}));

  auto parsed = Parse(*token);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->alg, GetParam());
  EXPECT_EQ(parsed->kid, key->kid());

  // Any changed byte of the payload breaks the signature.
  std::string tampered = *token;
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_FALSE(Verify(tampered, keys, o).ok());
}

INSTANTIATE_TEST_SUITE_P(EveryAlg, RoundTrip,
                         ::testing::Values(Alg::kRS256, Alg::kRS384, Alg::kRS512, Alg::kPS256,
                                           Alg::kPS384, Alg::kPS512, Alg::kES256, Alg::kES384,
                                           Alg::kES512, Alg::kEdDSA),
                         [](const auto& info) { return std::string(ToString(info.param)); });

class Refusals : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    es_ = new SignKey(SignKey::Generate(Alg::kES256, "k1").value());
    rsa_ = new SignKey(SignKey::Generate(Alg::kRS256, "k1").value());
  }
  static void TearDownTestSuite() {
    delete es_;
    delete rsa_;
  }
  std::string Code(std::string_view token, const ValidationOptions& o = At(kNow)) {
    return Refusal(Verify(token, SetOf(*es_), o), token).code;
  }
  static SignKey* es_;
  static SignKey* rsa_;
};
SignKey* Refusals::es_ = nullptr;
SignKey* Refusals::rsa_ = nullptr;

TEST_F(Refusals, OversizeTokenBeforeAnyParsing) {
  const std::string big = MakeToken(kHeader, R"({"pad":")" + std::string(7000, 'x') + "\"}", *es_);
  ASSERT_GT(big.size(), kMaxTokenBytes);
  EXPECT_EQ(Code(big), "token_too_large");
  EXPECT_EQ(Parse(big).error().code, "token_too_large");
}

TEST_F(Refusals, MalformedShapes) {
  const std::string good = MakeToken(kHeader, Claims(kNow + 60), *es_);
  ASSERT_TRUE(Verify(good, SetOf(*es_), At(kNow)).ok());
  const size_t dot = good.rfind('.');
  const std::string head = good.substr(0, dot);
  const std::string sig = good.substr(dot + 1);
  for (const std::string& bad : {
           std::string(""),
           head,                                  // two parts
           good + ".",                            // four parts
           head + "..",                           // duplicate dots
           good.substr(0, good.find('.')) + ".." + sig,  // empty payload
           head + ".",                            // empty signature
           head + "." + sig + "=",                // padding
           head + "." + sig.substr(0, 10) + "+" + sig.substr(11),
           head + "." + sig.substr(0, 10) + "/" + sig.substr(11),
           " " + good,
       }) {
    EXPECT_EQ(Code(bad), "token_malformed") << bad;
    EXPECT_FALSE(Parse(bad).ok());
  }
}

TEST_F(Refusals, MalformedJson) {
  EXPECT_EQ(Code(MakeToken("not json", Claims(kNow + 60), *es_)), "token_malformed");
  EXPECT_EQ(Code(MakeToken(R"(["ES256"])", Claims(kNow + 60), *es_)), "token_malformed");
  EXPECT_EQ(Code(MakeToken(R"({"kid":"k1"})", Claims(kNow + 60), *es_)), "token_malformed");
  EXPECT_EQ(Code(MakeToken(R"({"alg":"ES256","kid":7})", Claims(kNow + 60), *es_)), "token_malformed");
  EXPECT_EQ(Code(MakeToken(kHeader, "[1,2]", *es_)), "token_malformed");
  EXPECT_EQ(Code(MakeToken(kHeader, "{\"exp\":", *es_)), "token_malformed");
  // Registered claims of the wrong type, behind a valid signature.
  EXPECT_EQ(Code(MakeToken(kHeader, R"({"exp":"tomorrow"})", *es_)), "token_malformed");
  EXPECT_EQ(Code(MakeToken(kHeader, R"({"exp":1900000000,"iss":1})", *es_)), "token_malformed");
  EXPECT_EQ(Code(MakeToken(kHeader, R"({"exp":1900000000,"aud":[1]})", *es_)), "token_malformed");
  EXPECT_EQ(Code(MakeToken(kHeader, R"({"exp":1900000000,"scp":{}})", *es_)), "token_malformed");
}

TEST_F(Refusals, CriticalHeaderIsNeverUnderstood) {
  const auto token =
      MakeToken(R"({"alg":"ES256","kid":"k1","crit":["exp"],"exp":1})", Claims(kNow + 60), *es_);
  EXPECT_EQ(Code(token), "token_malformed");
  EXPECT_EQ(Parse(token).error().code, "token_malformed");
}

TEST_F(Refusals, NoneHmacAndUnknownAlgorithms) {
  const std::string payload = Base64UrlEncode(Claims(kNow + 60));
  EXPECT_EQ(Code(Base64UrlEncode(R"({"alg":"none","kid":"k1"})") + "." + payload + ".AA"),
            "alg_not_allowed");
  // HS256 keyed with the public JWK text: the classic confusion attack.
  EXPECT_EQ(Code(Base64UrlEncode(R"({"alg":"HS256","kid":"k1"})") + "." + payload + ".AAAA"),
            "alg_not_allowed");
  EXPECT_EQ(Code(Base64UrlEncode(R"({"alg":"XY999","kid":"k1"})") + "." + payload + ".AAAA"),
            "alg_not_allowed");
  EXPECT_EQ(Code(Base64UrlEncode(R"({"alg":"none"})") + "." + payload + "."), "token_malformed");
}

TEST_F(Refusals, UnknownKid) {
  EXPECT_EQ(Code(MakeToken(R"({"alg":"ES256","kid":"other"})", Claims(kNow + 60), *es_)),
            "unknown_kid");
  // Without a kid, only a one-key set answers.
  const auto no_kid = MakeToken(R"({"alg":"ES256"})", Claims(kNow + 60), *es_);
  EXPECT_TRUE(Verify(no_kid, SetOf(*es_), At(kNow)).ok());
  KeySet two = SetOf(*es_);
  two.Add(VerifyKey::FromJwk(SignKey::Generate(Alg::kES256, "k2")->PublicJwk()).value());
  EXPECT_EQ(Refusal(Verify(no_kid, two, At(kNow)), no_kid).code, "unknown_kid");
}

TEST_F(Refusals, AlgorithmConfusion) {
  // An RSA signature presented to the EC key of the same kid.
  EXPECT_EQ(Code(MakeToken(R"({"alg":"RS256","kid":"k1"})", Claims(kNow + 60), *rsa_)),
            "alg_mismatch");
  EXPECT_EQ(Code(MakeToken(R"({"alg":"ES384","kid":"k1"})", Claims(kNow + 60), *es_, Alg::kES256)),
            "alg_mismatch");
  // A JWK that names its alg pins it; one that does not accepts every RSA alg.
  const auto ps = MakeToken(R"({"alg":"PS256","kid":"k1"})", Claims(kNow + 60), *rsa_, Alg::kPS256);
  EXPECT_EQ(Refusal(Verify(ps, SetOf(*rsa_), At(kNow)), ps).code, "alg_mismatch");
  std::string jwk = rsa_->PublicJwk();
  jwk.replace(jwk.find(R"("alg":"RS256",)"), 14, "");
  KeySet unpinned;
  unpinned.Add(VerifyKey::FromJwk(jwk).value());
  EXPECT_TRUE(Verify(ps, unpinned, At(kNow)).ok());
  const auto es = MakeToken(R"({"alg":"ES256","kid":"k1"})", Claims(kNow + 60), *es_);
  EXPECT_EQ(Refusal(Verify(es, unpinned, At(kNow)), es).code, "alg_mismatch");
}

TEST_F(Refusals, BadSignature) {
  const auto other = SignKey::Generate(Alg::kES256, "k1").value();
  EXPECT_EQ(Code(MakeToken(kHeader, Claims(kNow + 60), other)), "bad_signature");
  const std::string good = MakeToken(kHeader, Claims(kNow + 60), *es_);
  const size_t dot = good.rfind('.');
  const std::string sig = Base64UrlDecode(good.substr(dot + 1)).value();
  for (const std::string& wrong_length : {sig.substr(0, 63), sig + '\0', sig + sig}) {
    EXPECT_EQ(Code(good.substr(0, dot + 1) + Base64UrlEncode(wrong_length)), "bad_signature");
  }
  std::string flipped = good;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Code(flipped), "bad_signature");
}

TEST_F(Refusals, ExpiryWithLeeway) {
  const int64_t exp = kNow;
  const auto token = MakeToken(kHeader, Claims(exp), *es_);
  ValidationOptions o = At(exp + 59);  // leeway 60: valid strictly before exp + 60
  EXPECT_TRUE(Verify(token, SetOf(*es_), o).ok());
  o.now = exp + 60;
  EXPECT_EQ(Code(token, o), "token_expired");
  o.leeway_seconds = 0;
  o.now = exp - 1;
  EXPECT_TRUE(Verify(token, SetOf(*es_), o).ok());
  o.now = exp;
  EXPECT_EQ(Code(token, o), "token_expired");
}

TEST_F(Refusals, NotBeforeAndIssuedAtWithLeeway) {
  const int64_t t = kNow + 1000;
  for (const char* claim : {"nbf", "iat"}) {
    const auto token = MakeToken(
        kHeader, std::string(R"({"exp":)") + std::to_string(t + 3600) + ",\"" + claim +
                     "\":" + std::to_string(t) + "}",
        *es_);
    EXPECT_TRUE(Verify(token, SetOf(*es_), At(t - 60)).ok()) << claim;
    EXPECT_EQ(Code(token, At(t - 61)), "token_not_yet_valid") << claim;
  }
}

TEST_F(Refusals, MissingExpUnlessAllowed) {
  const auto token = MakeToken(kHeader, R"({"sub":"a"})", *es_);
  EXPECT_EQ(Code(token), "missing_exp");
  ValidationOptions o = At(kNow);
  o.require_exp = false;
  EXPECT_TRUE(Verify(token, SetOf(*es_), o).ok());
}

TEST_F(Refusals, IssuerAndAudience) {
  const auto token = MakeToken(
      kHeader, R"({"iss":"https://a","aud":["x","tollgate"],"exp":)" + std::to_string(kNow + 60) + "}",
      *es_);
  ValidationOptions o = At(kNow);
  o.issuer = "https://a";
  o.audience = "tollgate";
  EXPECT_TRUE(Verify(token, SetOf(*es_), o).ok());
  o.issuer = "https://b";
  EXPECT_EQ(Code(token, o), "wrong_issuer");
  o.issuer = "https://a";
  o.audience = "other";
  EXPECT_EQ(Code(token, o), "wrong_audience");
  o.issuer.clear();
  const auto no_aud = MakeToken(kHeader, Claims(kNow + 60), *es_);
  EXPECT_EQ(Code(no_aud, o), "wrong_audience");
}

TEST(Claims, AudienceStringScopeShapesAndFractionalDates) {
  const auto key = SignKey::Generate(Alg::kEdDSA, "").value();
  const auto verify = [&](std::string_view payload) {
    ValidationOptions o = At(kNow);
    o.audience = "api";
    return Verify(MakeToken(R"({"alg":"EdDSA"})", payload, key), SetOf(key), o);
  };
  auto c = verify(R"({"aud":"api","exp":1800000000.9,"scp":["a","b c"],"jti":"j"})");
  ASSERT_TRUE(c.ok()) << c.error().code;
  EXPECT_EQ(c->aud, std::vector<std::string>{"api"});
  EXPECT_EQ(c->exp, 1800000000);
  EXPECT_EQ(c->scopes, (std::vector<std::string>{"a", "b c"}));
  EXPECT_EQ(c->jti, "j");
  c = verify(R"({"aud":"api","exp":1800000001,"scp":"x  y","scope":"read"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->scopes, std::vector<std::string>{"read"});  // "scope" wins over "scp"
  c = verify(R"({"aud":"api","exp":1800000001,"scp":"x  y"})");
  EXPECT_EQ(c->scopes, (std::vector<std::string>{"x", "y"}));
  c = verify(R"({"aud":"api","exp":18446744073709551615})");  // beyond int64: far future
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->payload_json, R"({"aud":"api","exp":18446744073709551615})");
}

TEST(ClaimString, PrintsScalarsAndSkipsStructures) {
  const std::string p = R"({"s":"x","i":-3,"u":18446744073709551615,"d":1.5,"b":true,"n":null,"o":{},"a":[]})";
  EXPECT_EQ(ClaimString(p, "s"), "x");
  EXPECT_EQ(ClaimString(p, "i"), "-3");
  EXPECT_EQ(ClaimString(p, "u"), "18446744073709551615");
  EXPECT_EQ(ClaimString(p, "d"), "1.5");
  EXPECT_EQ(ClaimString(p, "b"), "true");
  for (const char* absent : {"n", "o", "a", "missing"}) EXPECT_FALSE(ClaimString(p, absent)) << absent;
  EXPECT_FALSE(ClaimString("not json", "s"));
}

}  // namespace
}  // namespace tollgate::jwt
