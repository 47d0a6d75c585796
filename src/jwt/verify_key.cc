// VerifyKey from a JWK (RFC 7517 / RFC 7518 §6 / RFC 8037 §2) and KeySet from a JWKS. Keys are
// built with OSSL_PARAM_BLD + EVP_PKEY_fromdata; the EVP_PKEY is kept for every later Verify.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <boost/json.hpp>

#include "jwt/internal.h"
#include "jwt/jwt.h"

namespace tollgate::jwt {

struct VerifyKey::Impl {
  enum class Type { kRsa, kEc, kOkp };
  internal::PkeyPtr pkey;
  Type type = Type::kRsa;
};

namespace {

namespace json = boost::json;
using internal::PkeyPtr;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;  // bounds the cost of one verification

Error JwkError(std::string code, std::string message) {
  return Invalid("jwk", std::move(message), std::move(code));
}

// A string member: nullopt when absent; `bad` set when present but not a string.
std::optional<std::string_view> StringMember(const json::object& o, std::string_view name,
                                             bool& bad) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    bad = true;
    return std::nullopt;
  }
  return std::string_view(v->get_string());
}

// A base64url member decoded; nullopt when absent or malformed.
std::optional<std::string> Bytes(const json::object& o, std::string_view name) {
  bool bad = false;
  const auto text = StringMember(o, name, bad);
  if (!text || bad || text->empty()) return std::nullopt;
  return Base64UrlDecode(*text);
}

struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

BnPtr ToBn(const std::string& bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

// EVP_PKEY_fromdata for a public key of `type` ("RSA", "EC") with the parameters in `bld`.
PkeyPtr FromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return PkeyPtr(pkey);
}

bool IsRsaAlg(Alg alg) {
  const auto family = internal::Info(alg).family;
  return family == internal::Family::kRsaPkcs1 || family == internal::Family::kRsaPss;
}

Result<PkeyPtr> RsaKey(const json::object& jwk) {
  const auto n = Bytes(jwk, "n");
  const auto e = Bytes(jwk, "e");
  if (!n || !e) return JwkError("jwk_malformed", "RSA JWK needs base64url n and e");
  BnPtr bn_n = ToBn(*n);
  BnPtr bn_e = ToBn(*e);
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return Internal("cannot build RSA key parameters");
  }
  if (BN_num_bits(bn_n.get()) < kMinRsaBits) {
    return JwkError("jwk_key_too_small", "RSA keys must have at least 2048 bits");
  }
  if (BN_num_bits(bn_n.get()) > kMaxRsaBits || BN_num_bits(bn_e.get()) > 64 ||
      !BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) {
    return JwkError("jwk_invalid_key", "unusable RSA key");
  }
  PkeyPtr pkey = FromData("RSA", bld.get());
  if (!pkey) return JwkError("jwk_invalid_key", "unusable RSA key");
  return pkey;
}

Result<PkeyPtr> EcKey(const json::object& jwk, std::string_view crv, Alg& alg) {
  if (crv == "P-256") {
    alg = Alg::kES256;
  } else if (crv == "P-384") {
    alg = Alg::kES384;
  } else if (crv == "P-521") {
    alg = Alg::kES512;
  } else {
    return JwkError("jwk_unsupported", "unsupported EC curve");
  }
  const size_t size = internal::Info(alg).coord_bytes;
  const auto x = Bytes(jwk, "x");
  const auto y = Bytes(jwk, "y");
  if (!x || !y || x->size() != size || y->size() != size) {
    return JwkError("jwk_malformed", "EC JWK needs x and y of the curve's size");
  }
  const std::string point = "\x04" + *x + *y;  // SEC1 uncompressed
  const std::string curve(crv);
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.c_str(), 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Internal("cannot build EC key parameters");
  }
  PkeyPtr pkey = FromData("EC", bld.get());
  // fromdata already refuses most bad points; the explicit check covers the rest (point at
  // infinity, wrong order) so that invalid-curve keys never reach a verification.
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(
      pkey ? EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr) : nullptr);
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return JwkError("jwk_invalid_key", "EC point is not on the curve");
  }
  return pkey;
}

Result<PkeyPtr> OkpKey(const json::object& jwk, std::string_view crv) {
  if (crv != "Ed25519") return JwkError("jwk_unsupported", "unsupported OKP curve");
  const auto x = Bytes(jwk, "x");
  if (!x || x->size() != 32) return JwkError("jwk_malformed", "Ed25519 JWK needs a 32-byte x");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (pkey == nullptr) return JwkError("jwk_invalid_key", "unusable Ed25519 key");
  return PkeyPtr(pkey);
}

}  // namespace

VerifyKey::~VerifyKey() = default;

Result<std::shared_ptr<const VerifyKey>> VerifyKey::FromJwk(std::string_view jwk_json) {
  boost::system::error_code ec;
  const json::value doc = json::parse(jwk_json, ec);
  if (ec || !doc.is_object()) return JwkError("jwk_malformed", "JWK is not a JSON object");
  const json::object& jwk = doc.get_object();

  bool bad = false;
  const auto kty = StringMember(jwk, "kty", bad);
  const auto use = StringMember(jwk, "use", bad);
  const auto alg_name = StringMember(jwk, "alg", bad);
  const auto kid = StringMember(jwk, "kid", bad);
  const auto crv = StringMember(jwk, "crv", bad);
  if (bad || !kty) return JwkError("jwk_malformed", "JWK members kty/use/alg/kid/crv must be strings");
  if (use && *use != "sig") return JwkError("jwk_not_for_signing", "JWK use is not sig");
  if (const json::value* ops = jwk.if_contains("key_ops")) {
    bool verify = false;
    if (ops->is_array()) {
      for (const auto& op : ops->get_array()) verify = verify || (op.is_string() && op == "verify");
    }
    if (!verify) return JwkError("jwk_not_for_signing", "JWK key_ops lacks verify");
  }
  std::optional<Alg> named_alg;
  if (alg_name) {
    named_alg = ParseAlg(*alg_name);
    if (!named_alg) return JwkError("jwk_unsupported", "unsupported JWK alg");
  }

  std::shared_ptr<VerifyKey> key(new VerifyKey());
  key->impl_ = std::make_unique<Impl>();
  Result<PkeyPtr> pkey = PkeyPtr();
  Alg derived = Alg::kRS256;
  if (*kty == "RSA") {
    key->impl_->type = Impl::Type::kRsa;
    pkey = RsaKey(jwk);
    if (named_alg && !IsRsaAlg(*named_alg)) return JwkError("jwk_alg_mismatch", "alg does not fit key");
  } else if (*kty == "EC") {
    key->impl_->type = Impl::Type::kEc;
    pkey = EcKey(jwk, crv.value_or(""), derived);
    if (named_alg && pkey.ok() && *named_alg != derived) {
      return JwkError("jwk_alg_mismatch", "alg does not fit key");
    }
  } else if (*kty == "OKP") {
    key->impl_->type = Impl::Type::kOkp;
    derived = Alg::kEdDSA;
    pkey = OkpKey(jwk, crv.value_or(""));
    if (named_alg && *named_alg != derived) return JwkError("jwk_alg_mismatch", "alg does not fit key");
  } else {
    return JwkError("jwk_unsupported", "unsupported JWK kty");
  }
  if (!pkey.ok()) return pkey.error();
  key->impl_->pkey = std::move(pkey).value();
  key->kid_ = std::string(kid.value_or(""));
  key->alg_ = named_alg.value_or(derived);
  key->alg_from_jwk_ = named_alg.has_value();
  return std::shared_ptr<const VerifyKey>(std::move(key));
}

bool VerifyKey::Accepts(Alg alg) const {
  if (alg == alg_) return true;
  return !alg_from_jwk_ && impl_->type == Impl::Type::kRsa && IsRsaAlg(alg);
}

bool VerifyKey::Verify(Alg alg, std::string_view signing_input, std::string_view signature) const {
  return Accepts(alg) && internal::VerifySignature(impl_->pkey.get(), alg, signing_input, signature);
}

Result<KeySet> KeySet::FromJwks(std::string_view jwks_json) {
  boost::system::error_code ec;
  const json::value doc = json::parse(jwks_json, ec);
  const json::value* keys = (!ec && doc.is_object()) ? doc.get_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    return Invalid("jwks", "JWKS is not an object with a keys array", "jwks_malformed");
  }
  KeySet set;
  for (const json::value& jwk : keys->get_array()) {
    if (!jwk.is_object()) return Invalid("jwks", "JWKS keys must be objects", "jwks_malformed");
    // A key this code cannot use (other kty or curve, encryption key, weak or invalid) is left
    // out rather than failing the whole set: an issuer may publish keys for other purposes.
    auto key = VerifyKey::FromJwk(json::serialize(jwk));
    if (key.ok()) set.Add(std::move(key).value());
  }
  return set;
}

void KeySet::Add(std::shared_ptr<const VerifyKey> key) {
  if (key) keys_.push_back(std::move(key));
}

const VerifyKey* KeySet::Find(std::string_view kid) const {
  if (kid.empty()) return keys_.size() == 1 ? keys_.front().get() : nullptr;
  for (const auto& key : keys_) {
    if (key->kid() == kid) return key.get();
  }
  return nullptr;
}

}  // namespace tollgate::jwt
