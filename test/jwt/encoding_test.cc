// base64url and algorithm names.
#include <gtest/gtest.h>

#include "jwt/jwt.h"

namespace tollgate::jwt {
namespace {

TEST(Base64Url, EncodesWithoutPaddingInTheUrlAlphabet) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff\xfe", 3)), "-__-");
  EXPECT_EQ(Base64UrlEncode(R"({"alg":"ES256"})"), "eyJhbGciOiJFUzI1NiJ9");
}

TEST(Base64Url, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37 + 11));
    const auto decoded = Base64UrlDecode(Base64UrlEncode(bytes));
    ASSERT_TRUE(decoded.has_value()) << i;
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64Url, RefusesPaddingStandardAlphabetAndJunk) {
  EXPECT_FALSE(Base64UrlDecode("Zg==").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zg=").has_value());
  EXPECT_FALSE(Base64UrlDecode("+//+").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm 9v").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm9v\n").has_value());
  EXPECT_FALSE(Base64UrlDecode(std::string("Zm\0v", 4)).has_value());
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());      // a lone sextet is no byte
  EXPECT_FALSE(Base64UrlDecode("Zm9vY").has_value());
  EXPECT_TRUE(Base64UrlDecode("").has_value());
}

TEST(Base64Url, RefusesNonCanonicalTrailingBits) {
  EXPECT_EQ(Base64UrlDecode("Zg").value(), "f");
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());   // same byte, a stray low bit
  EXPECT_EQ(Base64UrlDecode("Zm8").value(), "fo");
  EXPECT_FALSE(Base64UrlDecode("Zm9").has_value());
}

TEST(Alg, NamesRoundTripAndUnsafeOnesAreUnknown) {
  for (Alg alg : {Alg::kRS256, Alg::kRS384, Alg::kRS512, Alg::kPS256, Alg::kPS384, Alg::kPS512,
                  Alg::kES256, Alg::kES384, Alg::kES512, Alg::kEdDSA}) {
    EXPECT_EQ(ParseAlg(ToString(alg)), alg);
  }
  for (const char* name : {"none", "None", "HS256", "HS384", "HS512", "es256", "RS256 ", "", "ES256K"}) {
    EXPECT_FALSE(ParseAlg(name).has_value()) << name;
  }
}

}  // namespace
}  // namespace tollgate::jwt
