// Internal helpers shared by the crypto .cc files: RAII deleters for OpenSSL
// objects, cached algorithm handles, the per-thread BN_CTX. Not for layers above
// crypto, except pki's OpenSSL glue (src/pki/ossl.cc), which shares the error drain.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace duet::crypto {

struct BnDeleter { void operator()(BIGNUM* b) const { BN_clear_free(b); } };
struct PointDeleter { void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); } };
struct PkeyDeleter { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxDeleter { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct MdCtxDeleter { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct CipherCtxDeleter { void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); } };
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using PointPtr = std::unique_ptr<EC_POINT, PointDeleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// SM3, fetched once (implicit fetches per call are measurably slower).
const EVP_MD* sm3_md();

// The SM2 recommended curve, created once; shared read-only by all threads.
const EC_GROUP* sm2_group();
const BIGNUM* sm2_order();
// Montgomery context for arithmetic modulo n.
BN_MONT_CTX* sm2_order_mont();

// A BN_CTX owned by the calling thread (BN_CTX is not thread-safe).
BN_CTX* thread_bn_ctx();

// A fresh BIGNUM for secret values: constant-time flag set, wiped on free.
BnPtr new_secret_bn();

// Drains OpenSSL's error queue into a message.
std::string openssl_errors();
Unexpected crypto_error(const std::string& what);

// Aborts the process: used only where OpenSSL fails on inputs we already
// validated (allocation failure, a broken provider). No safe way to continue.
[[noreturn]] void openssl_fatal(const char* what);

}  // namespace duet::crypto
