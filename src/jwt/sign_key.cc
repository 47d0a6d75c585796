// SignKey: Tollgate's own signing keys (generation, PKCS#8 PEM, public JWK) and compact JWS.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include "jwt/internal.h"
#include "jwt/jwt.h"

namespace tollgate::jwt {

struct SignKey::Impl {
  internal::PkeyPtr pkey;
  std::string header_b64;  // base64url of the protected header, the same for every token
};

namespace {

namespace json = boost::json;
using internal::Family;
using internal::PkeyPtr;

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

Error KeyError(std::string code, std::string message) {
  return Invalid("key", std::move(message), std::move(code));
}

// Whether `pkey` can sign with `alg`: the right type, RSA ≥ 2048 bits, the alg's EC curve.
Status CheckFits(EVP_PKEY* pkey, Alg alg) {
  const auto info = internal::Info(alg);
  switch (info.family) {
    case Family::kRsaPkcs1:
    case Family::kRsaPss:
      if (!EVP_PKEY_is_a(pkey, "RSA")) return KeyError("key_alg_mismatch", "key is not RSA");
      if (EVP_PKEY_get_bits(pkey) < 2048) {
        return KeyError("key_too_small", "RSA keys must have at least 2048 bits");
      }
      return Ok();
    case Family::kEcdsa:
      if (!EVP_PKEY_is_a(pkey, "EC") || internal::EcCurve(pkey) != info.curve) {
        return KeyError("key_alg_mismatch", "key is not on the alg's EC curve");
      }
      return Ok();
    case Family::kEdDSA:
      if (!EVP_PKEY_is_a(pkey, "ED25519")) return KeyError("key_alg_mismatch", "key is not Ed25519");
      return Ok();
  }
  return Internal("unknown algorithm");
}

std::string BnBase64(EVP_PKEY* pkey, const char* name, int pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return {};
  std::unique_ptr<BIGNUM, BnFree> bn(raw);
  const int len = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string bytes(static_cast<size_t>(len), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()), len) < 0) return {};
  return Base64UrlEncode(bytes);
}

// Pins `key`'s header once; every Sign reuses it.
void Finish(SignKey::Impl& impl, Alg alg, const std::string& kid) {
  json::object header;
  header["alg"] = ToString(alg);
  header["typ"] = "JWT";
  if (!kid.empty()) header["kid"] = kid;
  impl.header_b64 = Base64UrlEncode(json::serialize(header));
}

}  // namespace

SignKey::SignKey(SignKey&&) noexcept = default;
SignKey& SignKey::operator=(SignKey&&) noexcept = default;
SignKey::~SignKey() = default;

Result<SignKey> SignKey::Generate(Alg alg, std::string kid) {
  const auto info = internal::Info(alg);
  EVP_PKEY* raw = nullptr;
  switch (info.family) {
    case Family::kRsaPkcs1:
    case Family::kRsaPss:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case Family::kEcdsa:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", info.curve);
      break;
    case Family::kEdDSA:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) return Internal("key generation failed");
  SignKey key;
  key.impl_ = std::make_unique<Impl>();
  key.impl_->pkey.reset(raw);
  key.alg_ = alg;
  key.kid_ = std::move(kid);
  Finish(*key.impl_, key.alg_, key.kid_);
  return key;
}

Result<SignKey> SignKey::FromPem(std::string_view pem, Alg alg, std::string kid) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Internal("out of memory");
  // No passphrase callback: an encrypted PEM fails instead of prompting on a terminal.
  auto no_pass = [](char*, int, int, void*) -> int { return 0; };
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_pass, nullptr));
  if (!pkey) return KeyError("key_malformed", "not an unencrypted PKCS#8 private key PEM");
  if (auto fits = CheckFits(pkey.get(), alg); !fits.ok()) return fits.error();
  SignKey key;
  key.impl_ = std::make_unique<Impl>();
  key.impl_->pkey = std::move(pkey);
  key.alg_ = alg;
  key.kid_ = std::move(kid);
  Finish(*key.impl_, key.alg_, key.kid_);
  return key;
}

std::string SignKey::PrivatePem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string SignKey::PublicJwk() const {
  EVP_PKEY* pkey = impl_->pkey.get();
  const auto info = internal::Info(alg_);
  json::object jwk;
  switch (info.family) {
    case Family::kRsaPkcs1:
    case Family::kRsaPss:
      jwk["kty"] = "RSA";
      jwk["n"] = BnBase64(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
      jwk["e"] = BnBase64(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
      break;
    case Family::kEcdsa:
      jwk["kty"] = "EC";
      jwk["crv"] = info.curve;
      jwk["x"] = BnBase64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, static_cast<int>(info.coord_bytes));
      jwk["y"] = BnBase64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, static_cast<int>(info.coord_bytes));
      break;
    case Family::kEdDSA: {
      std::string x(32, '\0');
      size_t len = x.size();
      EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(x.data()), &len);
      x.resize(len);
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = Base64UrlEncode(x);
      break;
    }
  }
  if (!kid_.empty()) jwk["kid"] = kid_;
  jwk["alg"] = ToString(alg_);
  jwk["use"] = "sig";
  return json::serialize(jwk);
}

Result<std::string> SignKey::Sign(std::string_view claims_json) const {
  boost::system::error_code ec;
  const json::value claims = json::parse(claims_json, ec);
  if (ec || !claims.is_object()) return Invalid("claims", "claims must be a JSON object");
  std::string token = impl_->header_b64;
  token += '.';
  token += Base64UrlEncode(claims_json);
  const auto signature = internal::Sign(impl_->pkey.get(), alg_, token);
  if (!signature) return Internal("signing failed");
  token += '.';
  token += Base64UrlEncode(*signature);
  return token;
}

}  // namespace tollgate::jwt
