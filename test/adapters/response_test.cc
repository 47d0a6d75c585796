// The answer parts every adapter shares (enforce/response.h): lifecycle headers, challenges, the
// explain header, the denial log line and the key-less URI.
#include "enforce/response.h"

#include <gtest/gtest.h>

namespace tollgate::enforce {
namespace {

TEST(Response, HttpDateIsImfFixdate) {
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(HttpDate(1709164800), "Thu, 29 Feb 2024 00:00:00 GMT");
}

TEST(Response, LifecycleHeadersOnlyWhenSet) {
  Decision d;
  EXPECT_EQ(LifecycleHeadersFor(d).size, 0u);
  d.deprecated_at = 1688169599;
  d.sunset_at = 784111777;
  const LifecycleHeaders headers = LifecycleHeadersFor(d);
  ASSERT_EQ(headers.size, 2u);
  EXPECT_EQ(headers.items[0].name, "Deprecation");
  EXPECT_EQ(headers.items[0].value, "@1688169599");  // RFC 9745
  EXPECT_EQ(headers.items[1].name, "Sunset");
  EXPECT_EQ(headers.items[1].value, "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 8594
}

TEST(Response, ChallengesNameTheExpectedCredential) {
  Decision d;
  d.code = DecisionCode::kMissingCredential;
  d.credential_header = "apikey";
  EXPECT_EQ(WwwAuthenticate(d), "ApiKey realm=\"tollgate\", header=\"apikey\"");
  d.code = DecisionCode::kInvalidCredential;
  EXPECT_EQ(WwwAuthenticate(d),
            "ApiKey realm=\"tollgate\", header=\"apikey\", error=\"invalid_credential\"");
  d.credential_header = "Authorization";
  d.code = DecisionCode::kMissingCredential;
  EXPECT_EQ(WwwAuthenticate(d), "Bearer realm=\"tollgate\"");
  d.credential_kind = "oauth2";
  d.code = DecisionCode::kExpiredCredential;
  EXPECT_EQ(WwwAuthenticate(d), "Bearer realm=\"tollgate\", error=\"invalid_token\"");
  d.code = DecisionCode::kInsufficientScope;
  EXPECT_EQ(WwwAuthenticate(d), "Bearer realm=\"tollgate\", error=\"insufficient_scope\"");
  d.required_scopes = "pets:read pets:\"write\"";
  EXPECT_EQ(WwwAuthenticate(d), "Bearer realm=\"tollgate\", error=\"insufficient_scope\", "
                                "scope=\"pets:read pets:\\\"write\\\"\"");
  d.required_scopes = {};
  d.code = DecisionCode::kNotSubscribed;
  EXPECT_EQ(WwwAuthenticate(d), "");
}

TEST(Response, ExplainValueQuotesTheReason) {
  Decision d;
  d.code = DecisionCode::kExpiredCredential;
  EXPECT_EQ(ExplainValue(d), "expired_credential");
  d.reason = "key \"ci\" expired\n";
  EXPECT_EQ(ExplainValue(d), "expired_credential; reason=\"key \\\"ci\\\" expired\"");
}

TEST(Response, DenialLogLineNeverCarriesTheQuery) {
  Decision d;
  d.code = DecisionCode::kInvalidCredential;
  d.reason = "unknown key";
  AccessRequest request;
  request.method = "GET";
  request.host = "api.example.com";
  request.path = "/petstore/v1/pets?api_key=tg_secret";
  request.client_address = "10.0.0.7";
  const std::string line = DenialLogLine(d, request);
  EXPECT_EQ(line.find("tg_secret"), std::string::npos) << line;
  EXPECT_NE(line.find("code=invalid_credential"), std::string::npos) << line;
  EXPECT_NE(line.find("path=\"/petstore/v1/pets\""), std::string::npos) << line;
  EXPECT_NE(line.find("reason=\"unknown key\""), std::string::npos) << line;
}

TEST(Response, WithoutQueryParameterRemovesEveryOccurrenceOnly) {
  EXPECT_EQ(WithoutQueryParameter("/p?api_key=k", "api_key"), "/p");
  EXPECT_EQ(WithoutQueryParameter("/p?a=1&api_key=k&b=2", "api_key"), "/p?a=1&b=2");
  EXPECT_EQ(WithoutQueryParameter("/p?api_key=k&api_key=j&b", "api_key"), "/p?b");
  EXPECT_EQ(WithoutQueryParameter("/p?api_keys=1", "api_key"), "/p?api_keys=1");
  EXPECT_EQ(WithoutQueryParameter("/p", "api_key"), "/p");
  EXPECT_EQ(WithoutQueryParameter("/p?", "api_key"), "/p");
}

}  // namespace
}  // namespace tollgate::enforce
