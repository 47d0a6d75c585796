// Interoperability with an independent implementation: tokens signed by the openssl command line
// verify with our code, and our ES256 tokens verify with the openssl command line. The test's own
// base64url, DER and JWK plumbing uses OpenSSL primitives, not the code under test.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "jwt/jwt.h"
#include "temp_dir.h"

namespace tollgate::jwt {
namespace {

bool Shell(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

std::string Output(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string Quote(const std::string& path) { return "'" + path + "'"; }

// base64url through OpenSSL's standard base64.
std::string B64Url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}
std::string FromB64Url(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  const size_t pad = (4 - text.size() % 4) % 4;
  text.append(pad, '=');
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n) - pad);
  return out;
}

std::string HexToBytes(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

class OpenSslCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Shell("openssl version")) GTEST_SKIP() << "no openssl command line";
  }
  // A token over `header` and `payload` whose signature the openssl CLI makes with `sign_args`.
  // `input_flag` is how the command names its input file ("" for a trailing operand).
  std::string CliToken(std::string_view header, std::string_view payload,
                       const std::string& sign_args, const std::string& input_flag = "") {
    const std::string input = B64Url(header) + "." + B64Url(payload);
    WriteFile(dir_.File("input"), input);
    EXPECT_TRUE(Shell(sign_args + " -out " + Quote(dir_.File("sig")) + " " + input_flag + " " +
                      Quote(dir_.File("input"))));
    return input + "." + B64Url(ReadFile(dir_.File("sig")));
  }
  TempDir dir_{"tollgate-jwt"};
};

ValidationOptions Now() {
  ValidationOptions o;
  o.now = 1'800'000'000;
  return o;
}

TEST_F(OpenSslCli, Rs256AndPs256SignedByTheCliVerify) {
  const std::string key = Quote(dir_.File("rsa.pem"));
  ASSERT_TRUE(Shell("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + key));
  std::string modulus = Output("openssl rsa -in " + key + " -noout -modulus");
  ASSERT_EQ(modulus.rfind("Modulus=", 0), 0u);
  modulus = modulus.substr(8, modulus.find_last_not_of("\r\n") - 7);
  KeySet keys;
  keys.Add(VerifyKey::FromJwk(R"({"kty":"RSA","kid":"cli","e":"AQAB","n":")" +
                              B64Url(HexToBytes(modulus)) + "\"}")
               .value());

  const std::string payload = R"({"sub":"cli","exp":4000000000})";
  const std::string rs =
      CliToken(R"({"alg":"RS256","kid":"cli"})", payload, "openssl dgst -sha256 -sign " + key);
  auto claims = Verify(rs, keys, Now());
  ASSERT_TRUE(claims.ok()) << claims.error().code;
  EXPECT_EQ(claims->sub, "cli");

  const std::string ps =
      CliToken(R"({"alg":"PS256","kid":"cli"})", payload,
               "openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest "
               "-sign " +
                   key);
  claims = Verify(ps, keys, Now());
  ASSERT_TRUE(claims.ok()) << claims.error().code;

  // A PKCS#1 v1.5 signature presented as PS256 is refused.
  const std::string swapped = B64Url(R"({"alg":"PS256","kid":"cli"})") + rs.substr(rs.find('.'));
  EXPECT_EQ(Verify(swapped, keys, Now()).error().code, "bad_signature");
}

TEST_F(OpenSslCli, EdDsaSignedByTheCliVerifies) {
  const std::string key = Quote(dir_.File("ed.pem"));
  ASSERT_TRUE(Shell("openssl genpkey -algorithm ED25519 -out " + key));
  ASSERT_TRUE(
      Shell("openssl pkey -in " + key + " -pubout -outform DER -out " + Quote(dir_.File("pub.der"))));
  const std::string der = ReadFile(dir_.File("pub.der"));
  ASSERT_GE(der.size(), 32u);
  KeySet keys;
  keys.Add(VerifyKey::FromJwk(R"({"kty":"OKP","crv":"Ed25519","x":")" +
                              B64Url(der.substr(der.size() - 32)) + "\"}")
               .value());
  const std::string token = CliToken(R"({"alg":"EdDSA"})", R"({"sub":"ed","exp":4000000000})",
                                     "openssl pkeyutl -sign -rawin -inkey " + key, "-in");
  auto claims = Verify(token, keys, Now());
  ASSERT_TRUE(claims.ok()) << claims.error().code;
  EXPECT_EQ(claims->sub, "ed");
}

TEST_F(OpenSslCli, OurEs256TokenAndJwkCheckOutWithTheCli) {
  const auto key = SignKey::Generate(Alg::kES256, "ours").value();
  WriteFile(dir_.File("priv.pem"), key.PrivatePem());
  const std::string pub = Quote(dir_.File("pub.pem"));
  ASSERT_TRUE(Shell("openssl pkey -in " + Quote(dir_.File("priv.pem")) + " -pubout -out " + pub));

  // The JWK's x and y are the key's uncompressed point.
  ASSERT_TRUE(
      Shell("openssl pkey -pubin -in " + pub + " -outform DER -out " + Quote(dir_.File("pub.der"))));
  const std::string der = ReadFile(dir_.File("pub.der"));
  const auto jwk = boost::json::parse(key.PublicJwk()).as_object();
  const std::string x = FromB64Url(std::string(jwk.at("x").as_string()));
  const std::string y = FromB64Url(std::string(jwk.at("y").as_string()));
  ASSERT_EQ(x.size(), 32u);
  EXPECT_EQ(der.substr(der.size() - 65), "\x04" + x + y);

  for (int i = 0; i < 8; ++i) {  // several tokens: R or S with a high or zero top byte
    const std::string token = key.Sign(R"({"n":)" + std::to_string(i) + "}").value();
    const size_t dot = token.rfind('.');
    const std::string raw = FromB64Url(token.substr(dot + 1));
    ASSERT_EQ(raw.size(), 64u);
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
    unsigned char* sig_der = nullptr;
    const int len = i2d_ECDSA_SIG(sig, &sig_der);
    WriteFile(dir_.File("sig.der"),
              std::string_view(reinterpret_cast<char*>(sig_der), static_cast<size_t>(len)));
    OPENSSL_free(sig_der);
    ECDSA_SIG_free(sig);
    WriteFile(dir_.File("input"), token.substr(0, dot));
    const std::string verify = "openssl dgst -sha256 -verify " + pub + " -signature " +
                               Quote(dir_.File("sig.der")) + " " + Quote(dir_.File("input"));
    EXPECT_TRUE(Shell(verify)) << i;
    WriteFile(dir_.File("input"), token.substr(0, dot) + "x");
    EXPECT_FALSE(Shell(verify)) << i;
  }
}

}  // namespace
}  // namespace tollgate::jwt
