// Compact JWS parsing and JWT claim validation. The hot path (Verify) decodes into stack buffers
// and parses JSON into a stack arena: it allocates only for the Claims it returns.
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include <boost/json.hpp>

#include "jwt/internal.h"
#include "jwt/jwt.h"

namespace tollgate::jwt {
namespace {

namespace json = boost::json;

Error Unauthenticated(std::string code, std::string message) {
  return Error{ErrorKind::kUnauthenticated, std::move(code), std::move(message), {}};
}
Error Malformed(std::string message) { return Unauthenticated("token_malformed", std::move(message)); }

// A token decoded in place. Big (about 16 KiB) but lives on the caller's stack; JSON beyond the
// arena spills to the heap.
struct Decoded {
  std::array<char, kMaxTokenBytes> bytes;  // header, payload and signature, one after the other
  std::array<unsigned char, 8192> arena_buffer;
  json::monotonic_resource arena{arena_buffer.data(), arena_buffer.size()};
  std::string_view header_json;
  std::string_view payload_json;
  std::string_view signature;
  std::string_view signing_input;
  json::value header;
  json::value payload;
  Alg alg = Alg::kRS256;
  std::string_view kid;  // into `header`
};

Status Decode(std::string_view token, Decoded& d) {
  if (token.size() > kMaxTokenBytes) return Unauthenticated("token_too_large", "token too large");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Malformed("not three dot-separated parts");
  }
  const std::string_view parts[3] = {token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1),
                                     token.substr(dot2 + 1)};
  std::string_view decoded[3];
  size_t used = 0;
  for (int i = 0; i < 3; ++i) {
    if (parts[i].empty()) return Malformed(i == 2 ? "missing signature" : "empty part");
    const auto n = internal::Base64UrlDecodeInto(parts[i], d.bytes.data() + used);
    if (!n) return Malformed("bad base64url");
    decoded[i] = std::string_view(d.bytes.data() + used, *n);
    used += *n;
  }
  d.header_json = decoded[0];
  d.payload_json = decoded[1];
  d.signature = decoded[2];
  d.signing_input = token.substr(0, dot2);

  boost::system::error_code ec;
  d.header = json::parse(d.header_json, ec, &d.arena);
  if (ec || !d.header.is_object()) return Malformed("header is not a JSON object");
  const json::object& header = d.header.get_object();
  // No extension is understood, so any critical one must be refused (RFC 7515 §4.1.11).
  if (header.contains("crit")) return Malformed("unsupported crit header");
  const json::value* alg = header.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return Malformed("missing alg");
  const auto parsed = ParseAlg(alg->get_string());
  if (!parsed) return Unauthenticated("alg_not_allowed", "algorithm not allowed");
  d.alg = *parsed;
  if (const json::value* kid = header.if_contains("kid")) {
    if (!kid->is_string()) return Malformed("kid is not a string");
    d.kid = kid->get_string();
  }
  d.payload = json::parse(d.payload_json, ec, &d.arena);
  if (ec || !d.payload.is_object()) return Malformed("payload is not a JSON object");
  return Ok();
}

// A NumericDate (RFC 7519 §2): integer or fractional seconds, clamped to int64.
bool NumericDate(const json::value& v, std::optional<int64_t>& out) {
  if (v.is_int64()) {
    out = v.get_int64();
  } else if (v.is_uint64()) {
    out = std::numeric_limits<int64_t>::max();  // beyond int64: forever
  } else if (v.is_double()) {
    const double d = v.get_double();
    if (!std::isfinite(d)) return false;
    if (d >= 9.2e18) {
      out = std::numeric_limits<int64_t>::max();
    } else if (d <= -9.2e18) {
      out = std::numeric_limits<int64_t>::min();
    } else {
      out = static_cast<int64_t>(std::floor(d));
    }
  } else {
    return false;
  }
  return true;
}

bool String(const json::value& v, std::string& out) {
  if (!v.is_string()) return false;
  out = v.get_string();
  return true;
}

// A string, or an array of strings, into `out`; a string is split on spaces when `split`.
bool Strings(const json::value& v, bool split, std::vector<std::string>& out) {
  if (v.is_string()) {
    const std::string_view s = v.get_string();
    if (!split) {
      out.emplace_back(s);
      return true;
    }
    size_t i = 0;
    while (i < s.size()) {
      const size_t end = std::min(s.find(' ', i), s.size());
      if (end > i) out.emplace_back(s.substr(i, end - i));
      i = end + 1;
    }
    return true;
  }
  if (!v.is_array()) return false;
  for (const auto& item : v.get_array()) {
    if (!item.is_string()) return false;
    out.emplace_back(item.get_string());
  }
  return true;
}

Status ReadClaims(const json::object& payload, Claims& c) {
  for (const auto& member : payload) {
    const std::string_view key = member.key();
    const json::value& v = member.value();
    bool ok = true;
    if (key == "iss") {
      ok = String(v, c.iss);
    } else if (key == "sub") {
      ok = String(v, c.sub);
    } else if (key == "aud") {
      ok = Strings(v, false, c.aud);
    } else if (key == "exp") {
      ok = NumericDate(v, c.exp);
    } else if (key == "nbf") {
      ok = NumericDate(v, c.nbf);
    } else if (key == "iat") {
      ok = NumericDate(v, c.iat);
    } else if (key == "jti") {
      ok = String(v, c.jti);
    } else if (key == "scope" || (key == "scp" && !payload.contains("scope"))) {
      ok = Strings(v, true, c.scopes);
    }
    if (!ok) return Malformed("registered claim of the wrong type");
  }
  return Ok();
}

Status CheckClaims(const Claims& c, const ValidationOptions& o) {
  if (!c.exp) {
    if (o.require_exp) return Unauthenticated("missing_exp", "token has no exp");
  } else if (o.now - o.leeway_seconds >= *c.exp) {  // valid strictly before exp (RFC 7519 §4.1.4)
    return Unauthenticated("token_expired", "token expired");
  }
  if (c.nbf && o.now + o.leeway_seconds < *c.nbf) {
    return Unauthenticated("token_not_yet_valid", "token not yet valid");
  }
  if (c.iat && o.now + o.leeway_seconds < *c.iat) {
    return Unauthenticated("token_not_yet_valid", "token issued in the future");
  }
  if (!o.issuer.empty() && c.iss != o.issuer) return Unauthenticated("wrong_issuer", "wrong issuer");
  if (!o.audience.empty()) {
    bool found = false;
    for (const auto& a : c.aud) found = found || a == o.audience;
    if (!found) return Unauthenticated("wrong_audience", "wrong audience");
  }
  return Ok();
}

}  // namespace

Result<ParsedToken> Parse(std::string_view token) {
  auto d = std::make_unique<Decoded>();  // off the stack: Parse is not the hot path
  if (auto st = Decode(token, *d); !st.ok()) return st.error();
  ParsedToken out;
  out.header_json = d->header_json;
  out.payload_json = d->payload_json;
  out.alg = d->alg;
  out.kid = d->kid;
  out.signing_input = d->signing_input;
  out.signature = d->signature;
  return out;
}

std::optional<std::string> ClaimString(std::string_view payload_json, std::string_view name) {
  boost::system::error_code ec;
  const json::value doc = json::parse(payload_json, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const json::value* v = doc.get_object().if_contains(name);
  if (v == nullptr) return std::nullopt;
  switch (v->kind()) {
    case json::kind::string:
      return std::string(v->get_string());
    case json::kind::int64:
      return std::to_string(v->get_int64());
    case json::kind::uint64:
      return std::to_string(v->get_uint64());
    case json::kind::double_: {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof(buf), v->get_double());
      return std::string(buf, r.ptr);
    }
    case json::kind::bool_:
      return std::string(v->get_bool() ? "true" : "false");
    default:
      return std::nullopt;  // null, object, array
  }
}

Result<Claims> Verify(std::string_view token, const KeySet& keys, const ValidationOptions& options) {
  Decoded d;
  if (auto st = Decode(token, d); !st.ok()) return st.error();
  const VerifyKey* key = keys.Find(d.kid);
  if (key == nullptr) return Unauthenticated("unknown_kid", "no key for the token's kid");
  if (!key->Accepts(d.alg)) return Unauthenticated("alg_mismatch", "token alg does not match key");
  if (!key->Verify(d.alg, d.signing_input, d.signature)) {
    return Unauthenticated("bad_signature", "bad signature");
  }
  Claims claims;
  if (auto st = ReadClaims(d.payload.get_object(), claims); !st.ok()) return st.error();
  if (auto st = CheckClaims(claims, options); !st.ok()) return st.error();
  claims.payload_json = d.payload_json;
  return claims;
}

}  // namespace tollgate::jwt
