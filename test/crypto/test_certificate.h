// Test certificates made at test time with OpenSSL: a self-signed P-256 certificate with the
// subject alternative names asked for, as PEM, and that PEM URL-encoded the way Envoy forwards it.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace tollgate::testing_certificate {

// `san` in openssl's config syntax ("URI:spiffe://…, DNS:…"); empty = no SAN extension.
inline std::string SelfSignedPem(const std::string& san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) throw std::runtime_error("OpenSSL allocation failed");
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("workload"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  if (!san.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
    if (ext == nullptr) throw std::runtime_error("bad SAN: " + san);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return pem;
}

// Envoy's source.certificate encoding of a PEM.
inline std::string EnvoyUrlEncoded(std::string_view pem) {
  std::string out;
  for (const char c : pem) {
    switch (c) {
      case '\n':
        out += "%0A";
        break;
      case ' ':
        out += "%20";
        break;
      case '+':
        out += "%2B";
        break;
      case '/':
        out += "%2F";
        break;
      case '=':
        out += "%3D";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace tollgate::testing_certificate
