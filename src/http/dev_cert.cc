#include "http/dev_cert.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "base/secret_file.h"

namespace duet::http {

namespace {

template <auto F>
struct Deleter {
  template <typename T>
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

Unexpected crypto_error(const char* what) {
  return make_error(ErrorCode::kCryptoFailure, std::string("dev certificate: ") + what);
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

Status add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return crypto_error("extension");
  return Status::Ok();
}

DevCertificate paths_for(const std::string& dir) {
  return {(std::filesystem::path(dir) / "dev-cert.pem").string(),
          (std::filesystem::path(dir) / "dev-key.pem").string()};
}

}  // namespace

Result<DevCertificate> generate_dev_certificate(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::kInternal, "cannot create " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }

  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return crypto_error("key generation");

  X509Ptr cert(X509_new());
  if (!cert) return crypto_error("X509_new");
  X509_set_version(cert.get(), 2);  // v3

  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return crypto_error("serial");
  serial_bytes[0] &= 0x7f;  // positive
  BnPtr serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    return crypto_error("serial");

  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 60 * 60);

  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Duet development"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return crypto_error("public key");

  DUET_TRY_STATUS(add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  DUET_TRY_STATUS(add_ext(cert.get(), NID_key_usage, "critical,digitalSignature"));
  DUET_TRY_STATUS(add_ext(cert.get(), NID_ext_key_usage, "serverAuth"));
  DUET_TRY_STATUS(add_ext(cert.get(), NID_subject_key_identifier, "hash"));
  DUET_TRY_STATUS(add_ext(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"));

  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return crypto_error("signing");

  std::unique_ptr<BIO, Deleter<BIO_free>> kbio(BIO_new(BIO_s_mem())), cbio(BIO_new(BIO_s_mem()));
  if (!kbio || !cbio) return crypto_error("BIO_new");
  if (PEM_write_bio_PrivateKey(kbio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cbio.get(), cert.get()) != 1)
    return crypto_error("PEM encoding");

  DevCertificate out = paths_for(dir);
  std::string key_pem = bio_to_string(kbio.get());
  DUET_TRY_STATUS(write_secret_file_and_wipe(out.key_path, key_pem));
  DUET_TRY_STATUS(write_secret_file(out.cert_path, as_bytes(bio_to_string(cbio.get())),
                                    {SecretFilePlacement::kReplace, 0644}));
  return out;
}

Result<DevCertificate> ensure_dev_certificate(const std::string& dir) {
  DevCertificate paths = paths_for(dir);
  std::error_code ec;
  if (std::filesystem::exists(paths.cert_path, ec) && std::filesystem::exists(paths.key_path, ec)) {
    std::unique_ptr<FILE, Deleter<::fclose>> f(std::fopen(paths.cert_path.c_str(), "rb"));
    if (f) {
      X509Ptr cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
      // Still valid a day from now?
      if (cert && X509_cmp_time(X509_get0_notAfter(cert.get()), nullptr) > 0) {
        time_t tomorrow = time(nullptr) + 24 * 60 * 60;
        if (X509_cmp_time(X509_get0_notAfter(cert.get()), &tomorrow) > 0) return paths;
      }
    }
  }
  return generate_dev_certificate(dir);
}

}  // namespace duet::http
