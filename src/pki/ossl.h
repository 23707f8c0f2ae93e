// Internal to the pki library: RAII holders for OpenSSL objects, SM2 keys as
// EVP_PKEYs, SM2-with-SM3 signing contexts with the distinguishing ID set, and
// conversions. Not part of the library's interface (other layers use the
// concept headers: ca.h, csr.h, issuer.h, crl.h, ocsp.h, cms.h).
#pragma once

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "crypto/point.h"
#include "crypto/scalar.h"
#include "crypto/sm2.h"
#include "pki/pki_time.h"

namespace duet::pki::ossl {

template <auto F>
struct Free {
  template <typename T>
  void operator()(T* p) const { F(p); }
};
template <typename T, auto F>
using Ptr = std::unique_ptr<T, Free<F>>;

using PkeyPtr = Ptr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = Ptr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = Ptr<EVP_MD_CTX, EVP_MD_CTX_free>;
using X509Ptr = Ptr<X509, X509_free>;
using ReqPtr = Ptr<X509_REQ, X509_REQ_free>;
using CrlPtr = Ptr<X509_CRL, X509_CRL_free>;
using NamePtr = Ptr<X509_NAME, X509_NAME_free>;
using ExtPtr = Ptr<X509_EXTENSION, X509_EXTENSION_free>;
using BioPtr = Ptr<BIO, BIO_free_all>;
using IntegerPtr = Ptr<ASN1_INTEGER, ASN1_INTEGER_free>;
using TimePtr = Ptr<ASN1_TIME, ASN1_TIME_free>;
using OctetPtr = Ptr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using StorePtr = Ptr<X509_STORE, X509_STORE_free>;
using StoreCtxPtr = Ptr<X509_STORE_CTX, X509_STORE_CTX_free>;
using CmsPtr = Ptr<CMS_ContentInfo, CMS_ContentInfo_free>;
using BnPtr = Ptr<BIGNUM, BN_free>;
using ObjPtr = Ptr<ASN1_OBJECT, ASN1_OBJECT_free>;
using OcspReqPtr = Ptr<OCSP_REQUEST, OCSP_REQUEST_free>;
using OcspRespPtr = Ptr<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using OcspBasicPtr = Ptr<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using OcspCertIdPtr = Ptr<OCSP_CERTID, OCSP_CERTID_free>;

struct X509StackFree {
  void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// Drains OpenSSL's error queue; returns a kCryptoFailure error naming `what`.
std::string errors();
Unexpected failure(const std::string& what);
// Discards whatever OpenSSL queued (after an expected parse failure).
void clear_errors();

// SM2 keys as EVP_PKEYs.
Result<PkeyPtr> public_pkey(const crypto::Point& pub);
Result<PkeyPtr> private_pkey(const crypto::Scalar& priv);
// The SM2 public point of an EVP_PKEY; kBadPoint if it is not an SM2 key.
Result<crypto::Point> point_of(const EVP_PKEY* pkey);

// An EVP_MD_CTX ready for EVP_DigestSign (X509_sign_ctx, X509_CRL_sign_ctx,
// OCSP_basic_sign_ctx) with SM3 and the SM2 ID set on its pkey ctx. The pkey
// ctx is owned by the md ctx (EVP_DigestSignInit creates it).
Result<MdCtxPtr> sm2_sign_ctx(EVP_PKEY* key, std::string_view id);

// The ID as an ASN1_OCTET_STRING (for X509_set0_distinguishing_id & co).
OctetPtr id_octets(std::string_view id);

// DER and PEM codecs.
template <typename T>
Bytes to_der(const T* obj, int (*i2d)(const T*, unsigned char**)) {
  unsigned char* der = nullptr;
  int len = i2d(obj, &der);
  if (len <= 0) return {};
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}
Bytes cert_der(const X509* cert);
std::string cert_pem(const X509* cert);
// Parses PEM or DER.
Result<X509Ptr> parse_cert(ByteView pem_or_der);
std::string bio_string(BIO* bio);

TimePtr asn1_time(Time t);
Result<Time> from_asn1_time(const ASN1_TIME* t);

// 1 for SM2-with-SM3 signature algorithm identifiers.
bool is_sm2_with_sm3(const X509_ALGOR* alg);
// Sets an AlgorithmIdentifier to SM2-with-SM3 with absent parameters.
bool set_sm2_with_sm3(X509_ALGOR* alg);

// Verifies `sig` (the DER SM2 signature of a CRL or OCSP response) over the
// DER `tbs` under `signer` with distinguishing ID `sm2_id`. `what` names the
// signed object in the error when sig is not a DER SM2 signature.
Status verify_sm2_der_signature(const crypto::Point& signer, ByteView tbs, const ASN1_STRING* sig,
                                std::string_view sm2_id, std::string_view what);

}  // namespace duet::pki::ossl

#include "pki/name.h"

namespace duet::pki::ossl {
// X509_NAME from the fields (C, O, OU, CN, serialNumber in that order).
Result<NamePtr> build_name(const DistinguishedName& dn);
// Adds one extension from its textual configuration (X509V3_EXT_conf_nid)
// with `issuer`/`subject` as the v3 context (for SKI/AKI "hash"/"keyid").
Status add_ext(X509* cert, X509* issuer, int nid, const char* value);
}  // namespace duet::pki::ossl

namespace duet::pki::ossl {
// A v3 certificate skeleton: serial, subject, issuer name (the subject for a
// self-signed one), validity, public key. Extensions and signature to follow.
Result<X509Ptr> new_certificate(ByteView serial, const X509_NAME* subject, const X509_NAME* issuer,
                                Time not_before, Time not_after, EVP_PKEY* subject_key);
// Signs with an SM2 key through X509_sign_ctx (both AlgorithmIdentifiers
// become SM2-with-SM3) with `id` as the signer's distinguishing ID.
Status sign_certificate(X509* cert, const crypto::Scalar& key, std::string_view id);
}  // namespace duet::pki::ossl

namespace duet::pki::ossl {
// The DN fields of a name (UTF-8), and its RFC 2253 string.
DistinguishedName dn_fields(const X509_NAME* name);
std::string name_string(const X509_NAME* name);
}  // namespace duet::pki::ossl
