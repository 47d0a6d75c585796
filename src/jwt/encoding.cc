// base64url (RFC 7515 §2) and the algorithm names of RFC 7518 / RFC 8037.
#include <array>

#include "jwt/internal.h"
#include "jwt/jwt.h"

namespace tollgate::jwt {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63 for the url-safe alphabet, 0xff for everything else ('=', '+', '/', whitespace).
constexpr std::array<uint8_t, 256> kDecode = [] {
  std::array<uint8_t, 256> table{};
  table.fill(0xff);
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
  return table;
}();

constexpr std::array<std::pair<Alg, std::string_view>, 10> kAlgNames{{
    {Alg::kRS256, "RS256"},
    {Alg::kRS384, "RS384"},
    {Alg::kRS512, "RS512"},
    {Alg::kPS256, "PS256"},
    {Alg::kPS384, "PS384"},
    {Alg::kPS512, "PS512"},
    {Alg::kES256, "ES256"},
    {Alg::kES384, "ES384"},
    {Alg::kES512, "ES512"},
    {Alg::kEdDSA, "EdDSA"},
}};

}  // namespace

std::string_view ToString(Alg alg) {
  for (const auto& [a, name] : kAlgNames) {
    if (a == alg) return name;
  }
  return "unknown";
}

std::optional<Alg> ParseAlg(std::string_view name) {
  for (const auto& [a, n] : kAlgNames) {
    if (n == name) return a;  // exact, case-sensitive (RFC 7515 §4.1.1)
  }
  return std::nullopt;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.resize((bytes.size() * 4 + 2) / 3);
  const auto* in = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t i = 0;
  size_t o = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{in[i]} << 16;
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

namespace internal {  // declared in jwt/internal.h

// Strict: no padding, only the url-safe alphabet, and the unused low bits of the last character
// must be zero, so that every byte string has exactly one accepted encoding.
std::optional<size_t> Base64UrlDecodeInto(std::string_view text, char* out) {
  if (text.size() % 4 == 1) return std::nullopt;
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  size_t o = 0;
  for (; i + 4 <= text.size(); i += 4) {
    const uint8_t a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]],
                  d = kDecode[in[i + 3]];
    if ((a | b | c | d) & 0xc0) return std::nullopt;
    const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    out[o++] = static_cast<char>(v >> 16);
    out[o++] = static_cast<char>(v >> 8);
    out[o++] = static_cast<char>(v);
  }
  const size_t rest = text.size() - i;
  if (rest >= 2) {
    const uint8_t a = kDecode[in[i]], b = kDecode[in[i + 1]];
    const uint8_t c = rest == 3 ? kDecode[in[i + 2]] : 0;
    if ((a | b | c) & 0xc0) return std::nullopt;
    const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6);
    out[o++] = static_cast<char>(v >> 16);
    if (rest == 3) {
      out[o++] = static_cast<char>(v >> 8);
      if ((v & 0xff) != 0) return std::nullopt;  // non-canonical trailing bits
    } else if ((v & 0xffff) != 0) {
      return std::nullopt;
    }
  }
  return o;
}

}  // namespace internal

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const auto n = internal::Base64UrlDecodeInto(text, out.data());
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

}  // namespace tollgate::jwt
