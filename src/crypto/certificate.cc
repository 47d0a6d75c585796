// FirstUriSanOfPem over OpenSSL's PEM and X.509v3 readers.
#include "crypto/certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/url/pct_string_view.hpp>

#include <memory>

namespace tollgate::crypto {
namespace {

// A peer certificate is a few KiB; anything far larger is not one and not worth parsing.
constexpr size_t kMaxPemBytes = 64 * 1024;

// A certificate is never encrypted: refuse the password OpenSSL would otherwise ask for on the
// terminal when a PEM header claims encryption.
int NoPassword(char*, int, int, void*) { return 0; }

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

bool IsUriByte(unsigned char c) { return c > 0x20 && c < 0x7f; }

std::string FirstUriSan(X509* cert) {
  const std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) return {};
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    const unsigned char* data = ASN1_STRING_get0_data(uri);
    const int length = ASN1_STRING_length(uri);
    if (data == nullptr || length <= 0) return {};
    for (int j = 0; j < length; ++j) {
      if (!IsUriByte(data[j])) return {};
    }
    return std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
  }
  return {};
}

}  // namespace

std::string FirstUriSanOfPem(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPemBytes) return {};
  // Percent-decoding (RFC 3986 §2.1) without the form encoding's '+' → ' ': base64 keeps its '+'.
  const auto escaped = boost::urls::make_pct_string_view(pem);
  if (!escaped) return {};  // a truncated or non-hex escape
  const std::string decoded = escaped->decode();
  const std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(decoded.data(), static_cast<int>(decoded.size())));
  if (bio == nullptr) return {};
  const std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr));
  std::string uri = cert == nullptr ? std::string() : FirstUriSan(cert.get());
  // A failed read (or a malformed SAN extension) leaves errors behind; the next OpenSSL user on
  // this thread must not find them.
  ERR_clear_error();
  return uri;
}

}  // namespace tollgate::crypto
