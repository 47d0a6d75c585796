// The raw JWS signature primitives over OpenSSL 3 EVP: RSASSA-PKCS1-v1_5, RSASSA-PSS (salt =
// hash length, MGF1 with the same hash), ECDSA (R||S in JWS, DER inside OpenSSL) and Ed25519.
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "jwt/internal.h"

namespace tollgate::jwt::internal {
namespace {

// Digests are fetched once: OpenSSL 3's implicit fetch per call costs about a microsecond.
const EVP_MD* Digest(Alg alg) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  switch (alg) {
    case Alg::kRS256:
    case Alg::kPS256:
    case Alg::kES256:
      return sha256;
    case Alg::kRS384:
    case Alg::kPS384:
    case Alg::kES384:
      return sha384;
    case Alg::kRS512:
    case Alg::kPS512:
    case Alg::kES512:
      return sha512;
    case Alg::kEdDSA:
      break;
  }
  return nullptr;  // Ed25519 hashes internally
}

// One EVP_MD_CTX per thread, reset after every use so that it holds no key reference.
class ThreadCtx {
 public:
  ThreadCtx() : ctx_(Local().ctx) {}
  ~ThreadCtx() { EVP_MD_CTX_reset(ctx_); }
  ThreadCtx(const ThreadCtx&) = delete;
  ThreadCtx& operator=(const ThreadCtx&) = delete;
  EVP_MD_CTX* get() const { return ctx_; }

 private:
  struct Holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Holder() { EVP_MD_CTX_free(ctx); }
  };
  static Holder& Local() {
    thread_local Holder holder;
    return holder;
  }
  EVP_MD_CTX* ctx_;
};

bool SetPss(EVP_PKEY_CTX* pctx, Alg alg) {
  if (Info(alg).family != Family::kRsaPss) return true;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

// Appends a DER INTEGER holding the unsigned big-endian `bytes`.
size_t PutDerInteger(const uint8_t* bytes, size_t n, uint8_t* out) {
  while (n > 1 && *bytes == 0) {
    ++bytes;
    --n;
  }
  const bool pad = (*bytes & 0x80) != 0;
  out[0] = 0x02;
  out[1] = static_cast<uint8_t>(n + (pad ? 1 : 0));
  size_t o = 2;
  if (pad) out[o++] = 0;
  std::memcpy(out + o, bytes, n);
  return o + n;
}

// ECDSA-Sig-Value DER of a JWS R||S signature, written without allocating. P-521 needs at most
// 2 * (2 + 1 + 66) + 3 = 141 bytes.
constexpr size_t kMaxEcDer = 160;
size_t RawToDer(std::string_view raw, uint8_t* out) {
  const size_t half = raw.size() / 2;
  const auto* r = reinterpret_cast<const uint8_t*>(raw.data());
  std::array<uint8_t, kMaxEcDer> body;
  size_t len = PutDerInteger(r, half, body.data());
  len += PutDerInteger(r + half, half, body.data() + len);
  size_t o = 0;
  out[o++] = 0x30;
  if (len >= 0x80) out[o++] = 0x81;
  out[o++] = static_cast<uint8_t>(len);
  std::memcpy(out + o, body.data(), len);
  return o + len;
}

std::optional<std::string> DerToRaw(const unsigned char* der, size_t der_len, size_t coord) {
  const unsigned char* p = der;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len));
  if (sig == nullptr) return std::nullopt;
  std::string raw(2 * coord, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  const bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, static_cast<int>(coord)) > 0 &&
                  BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + coord, static_cast<int>(coord)) > 0;
  ECDSA_SIG_free(sig);
  if (!ok) return std::nullopt;
  return raw;
}

}  // namespace

AlgInfo Info(Alg alg) {
  switch (alg) {
    case Alg::kRS256:
    case Alg::kRS384:
    case Alg::kRS512:
      return {Family::kRsaPkcs1, nullptr, 0};
    case Alg::kPS256:
    case Alg::kPS384:
    case Alg::kPS512:
      return {Family::kRsaPss, nullptr, 0};
    case Alg::kES256:
      return {Family::kEcdsa, "P-256", 32};
    case Alg::kES384:
      return {Family::kEcdsa, "P-384", 48};
    case Alg::kES512:
      return {Family::kEcdsa, "P-521", 66};
    case Alg::kEdDSA:
      break;
  }
  return {Family::kEdDSA, nullptr, 32};
}

bool VerifySignature(EVP_PKEY* pkey, Alg alg, std::string_view input, std::string_view signature) {
  const AlgInfo info = Info(alg);
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  size_t sig_len = signature.size();
  std::array<uint8_t, kMaxEcDer> der;
  if (info.family == Family::kEcdsa) {
    if (signature.size() != 2 * info.coord_bytes) return false;
    sig_len = RawToDer(signature, der.data());
    sig = der.data();
  } else if (info.family == Family::kEdDSA && signature.size() != 64) {
    return false;
  }
  ThreadCtx ctx;
  EVP_PKEY_CTX* pctx = nullptr;
  if (ctx.get() == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, Digest(alg), nullptr, pkey) != 1 ||
      !SetPss(pctx, alg)) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), sig, sig_len,
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

std::optional<std::string> Sign(EVP_PKEY* pkey, Alg alg, std::string_view input) {
  ThreadCtx ctx;
  EVP_PKEY_CTX* pctx = nullptr;
  if (ctx.get() == nullptr ||
      EVP_DigestSignInit(ctx.get(), &pctx, Digest(alg), nullptr, pkey) != 1 ||
      !SetPss(pctx, alg)) {
    return std::nullopt;
  }
  const auto* tbs = reinterpret_cast<const unsigned char*>(input.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, tbs, input.size()) != 1) return std::nullopt;
  std::string out(len, '\0');
  auto* buf = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_DigestSign(ctx.get(), buf, &len, tbs, input.size()) != 1) return std::nullopt;
  out.resize(len);
  const AlgInfo info = Info(alg);
  if (info.family == Family::kEcdsa) return DerToRaw(buf, len, info.coord_bytes);
  return out;
}

std::string EcCurve(EVP_PKEY* pkey) {
  char name[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) !=
      1) {
    return {};
  }
  const std::string_view n(name, len);
  if (n == "P-256" || n == "prime256v1" || n == "secp256r1") return "P-256";
  if (n == "P-384" || n == "secp384r1") return "P-384";
  if (n == "P-521" || n == "secp521r1") return "P-521";
  return {};
}

}  // namespace tollgate::jwt::internal
