// FirstUriSanOfPem on certificates made here with OpenSSL, as Envoy forwards them.
#include "crypto/certificate.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "crypto/test_certificate.h"

namespace tollgate::crypto {
namespace {

using testing_certificate::EnvoyUrlEncoded;
using testing_certificate::SelfSignedPem;

constexpr char kSpiffe[] = "spiffe://cluster.local/ns/shop/sa/web";

TEST(FirstUriSanOfPemTest, CertificateGivesItsFirstUriSan) {
  const std::string pem = SelfSignedPem(
      "DNS:web.shop.svc, URI:spiffe://cluster.local/ns/shop/sa/web, URI:https://example.com/other");
  EXPECT_EQ(FirstUriSanOfPem(pem), kSpiffe);
}

TEST(FirstUriSanOfPemTest, UrlEncodedPemAsEnvoySendsItGivesTheSameUri) {
  const std::string pem = SelfSignedPem(std::string("URI:") + kSpiffe);
  const std::string encoded = EnvoyUrlEncoded(pem);
  ASSERT_NE(encoded.find("%0A"), std::string::npos);
  ASSERT_EQ(encoded.find('\n'), std::string::npos);
  EXPECT_EQ(FirstUriSanOfPem(encoded), kSpiffe);
  // Lower-case escapes, and CRLF line breaks, are the same text.
  std::string lower;
  for (const char c : pem) lower += c == '\n' ? std::string("%0d%0a") : std::string(1, c);
  EXPECT_EQ(FirstUriSanOfPem(lower), kSpiffe);
}

TEST(FirstUriSanOfPemTest, PlusInTheBase64IsNotASpace) {
  // Certificates differ in their key; among a few, one has a '+' in its base64 text.
  for (int attempt = 0; attempt < 20; ++attempt) {
    const std::string pem = SelfSignedPem(std::string("URI:") + kSpiffe);
    if (pem.find('+') == std::string::npos) continue;
    EXPECT_EQ(FirstUriSanOfPem(pem), kSpiffe);                   // '+' sent as is
    EXPECT_EQ(FirstUriSanOfPem(EnvoyUrlEncoded(pem)), kSpiffe);  // '+' sent as %2B
    return;
  }
  GTEST_SKIP() << "no certificate with '+' in 20 attempts";
}

TEST(FirstUriSanOfPemTest, CertificateWithoutUriSanGivesEmpty) {
  EXPECT_EQ(FirstUriSanOfPem(SelfSignedPem("")), "");
  EXPECT_EQ(FirstUriSanOfPem(SelfSignedPem("DNS:web.shop.svc, email:ops@example.com")), "");
}

TEST(FirstUriSanOfPemTest, UriSanWithABlankIsRefused) {
  EXPECT_EQ(FirstUriSanOfPem(SelfSignedPem("URI:spiffe://cluster.local/ns/a b")), "");
}

TEST(FirstUriSanOfPemTest, GarbageGivesEmptyAndLeavesNoOpenSslError) {
  const std::string pem = SelfSignedPem(std::string("URI:") + kSpiffe);
  const std::string cases[] = {
      "",
      "not a certificate",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      "-----BEGIN CERTIFICATE-----\n!!!!not*base64!!!!\n-----END CERTIFICATE-----\n",
      pem.substr(0, pem.size() / 2),               // truncated
      pem.substr(0, 40) + "%zz" + pem.substr(40),  // bad escape
      pem + "%0",                                  // truncated escape
      EnvoyUrlEncoded(pem).substr(0, 200),
  };
  for (const std::string& text : cases) {
    EXPECT_EQ(FirstUriSanOfPem(text), "") << text;
    EXPECT_EQ(ERR_peek_error(), 0UL) << text;
  }
}

TEST(FirstUriSanOfPemTest, EncryptedPemHeaderIsRefusedWithoutAPasswordPrompt) {
  const std::string pem = SelfSignedPem(std::string("URI:") + kSpiffe);
  const size_t body = pem.find('\n') + 1;
  const std::string encrypted = pem.substr(0, body) +
                                "Proc-Type: 4,ENCRYPTED\n"
                                "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n" +
                                pem.substr(body);
  EXPECT_EQ(FirstUriSanOfPem(encrypted), "");
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST(FirstUriSanOfPemTest, OversizedInputIsNotParsed) {
  const std::string pem = SelfSignedPem(std::string("URI:") + kSpiffe);
  EXPECT_EQ(FirstUriSanOfPem(pem + std::string(64 * 1024, '\n')), "");
}

}  // namespace
}  // namespace tollgate::crypto
