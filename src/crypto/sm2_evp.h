// SM2 through OpenSSL's EVP interface: whole-key signing for the CA and tests,
// an EVP verifier used as an independent check of the protocol's output, and
// SubjectPublicKeyInfo export. All calls set the distinguishing ID explicitly.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "crypto/point.h"
#include "crypto/scalar.h"
#include "crypto/sm2.h"

namespace duet::crypto {

// DER SubjectPublicKeyInfo (id-ecPublicKey, curve SM2) of a public key.
Result<Bytes> public_key_spki_der(const Point& public_key);
// The same as PEM ("-----BEGIN PUBLIC KEY-----").
Result<std::string> public_key_spki_pem(const Point& public_key);
// Parses a PEM or DER SubjectPublicKeyInfo of an SM2 key.
Result<Point> public_key_from_spki(ByteView pem_or_der);

// Standard SM2 signature of `message` by OpenSSL (EVP_DigestSign with SM3 and
// the ID); the result is DER.
Result<Bytes> evp_sm2_sign(const Scalar& private_key, ByteView message, std::string_view id = kDefaultSm2Id);
// SM2 signature by OpenSSL of a digest e = SM3(Z_A ‖ M) already computed
// (EVP_PKEY_sign: an ExternalSigner backed by a key the service holds, such
// as the time-stamping unit's).
Result<Sm2Signature> evp_sm2_sign_digest(const Scalar& private_key, const Digest& e);
// Standard SM2 verification by OpenSSL (EVP_DigestVerify). Ok or kSignatureInvalid.
Status evp_sm2_verify(const Point& public_key, ByteView message, ByteView der_signature,
                      std::string_view id = kDefaultSm2Id);

}  // namespace duet::crypto
