// AES-256-GCM sealing with OpenSSL EVP, and loading / creating the master key file.
#include "control/master_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "crypto/crypto.h"

namespace tollgate::control {
namespace {

constexpr std::string_view kVersion = "v1.";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

Error BadKey() {
  return Invalid("master key", "the master key must be 32 bytes, given as base64",
                 "master_key_invalid");
}
Error BadSealed() {
  return Error{ErrorKind::kInternal,
               "sealed_secret_invalid",
               "a sealed secret cannot be opened: wrong master key or damaged data",
               {}};
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

Result<MasterKey> MasterKey::FromBytes(std::string bytes) {
  if (bytes.size() != kBytes) return BadKey();
  return MasterKey(std::move(bytes));
}

Result<MasterKey> MasterKey::Load(std::string_view env_base64, const std::filesystem::path& dir) {
  if (!env_base64.empty()) {
    auto bytes = crypto::Base64Decode(Trim(std::string(env_base64)));
    if (!bytes) return BadKey();
    return FromBytes(std::move(*bytes));
  }
  const std::filesystem::path path = dir / "master.key";
  // O_EXCL: when two processes start on one data folder, one creates and the other reads.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    const std::string text = Base64Encode(crypto::RandomBytes(kBytes)) + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!written || !synced) {
      std::filesystem::remove(path);
      return Internal("cannot write " + path.string());
    }
  } else if (errno != EEXIST) {
    return Internal("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Internal("cannot read " + path.string());
  auto bytes = crypto::Base64Decode(Trim(text.str()));
  if (!bytes) return BadKey();
  return FromBytes(std::move(*bytes));
}

std::string MasterKey::Seal(std::string_view plaintext, std::string_view context) const {
  const std::string nonce = crypto::RandomBytes(kNonceBytes);
  std::string out = nonce;
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + kNonceBytes);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  int total = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr,
                         reinterpret_cast<const unsigned char*>(bytes_.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), ct, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      (total = len, EVP_EncryptFinal_ex(ctx.get(), ct + total, &len) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, ct + plaintext.size()) == 1;
  if (!ok) std::abort();  // only on allocation failure inside OpenSSL
  return std::string(kVersion) + Base64Encode(out);
}

Result<std::string> MasterKey::Open(std::string_view sealed, std::string_view context) const {
  if (sealed.substr(0, kVersion.size()) != kVersion) return BadSealed();
  auto raw = crypto::Base64Decode(sealed.substr(kVersion.size()));
  if (!raw || raw->size() < kNonceBytes + kTagBytes) return BadSealed();
  const size_t ct_size = raw->size() - kNonceBytes - kTagBytes;
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw->data());
  const auto* ct = nonce + kNonceBytes;
  std::string tag = raw->substr(kNonceBytes + ct_size);
  std::string plain(ct_size, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr,
                         reinterpret_cast<const unsigned char*>(bytes_.data()), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, ct,
                        static_cast<int>(ct_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) ==
          1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return BadSealed();
  }
  return plain;
}

}  // namespace tollgate::control
