// Sm2Signature's DER codec through OpenSSL's ECDSA_SIG (the native build).
// The WebAssembly build has no OpenSSL and uses crypto/portable_der.h instead
// (crypto/portable_backend.cc); portable_backend_test.cc checks both agree.
#include <openssl/bn.h>
#include <openssl/ec.h>

#include <algorithm>

#include "crypto/openssl_util.h"
#include "crypto/sm2.h"

namespace duet::crypto {

Bytes Sm2Signature::to_der() const {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* rb = BN_bin2bn(r.bytes().data(), 32, nullptr);
  BIGNUM* sb = BN_bin2bn(s.bytes().data(), 32, nullptr);
  if (sig == nullptr || rb == nullptr || sb == nullptr || ECDSA_SIG_set0(sig, rb, sb) != 1) {
    openssl_fatal("ECDSA_SIG_set0");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) openssl_fatal("i2d_ECDSA_SIG");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Sm2Signature> Sm2Signature::from_der(ByteView der) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) {
    openssl_errors();
    return make_error(ErrorCode::kBadEncoding, "not a DER SM2 signature");
  }
  // Reject trailing garbage and non-canonical encodings: re-encoding must match.
  unsigned char* re = nullptr;
  int relen = i2d_ECDSA_SIG(sig, &re);
  bool canonical = p == der.data() + der.size() && relen == static_cast<int>(der.size()) &&
                   std::equal(der.begin(), der.end(), re);
  OPENSSL_free(re);
  const BIGNUM* rb = ECDSA_SIG_get0_r(sig);
  const BIGNUM* sb = ECDSA_SIG_get0_s(sig);
  std::array<uint8_t, 32> rr{}, ss{};
  bool fits = !BN_is_negative(rb) && !BN_is_negative(sb) && BN_num_bytes(rb) <= 32 && BN_num_bytes(sb) <= 32;
  if (fits) {
    BN_bn2binpad(rb, rr.data(), 32);
    BN_bn2binpad(sb, ss.data(), 32);
  }
  ECDSA_SIG_free(sig);
  if (!canonical) return make_error(ErrorCode::kBadEncoding, "signature DER is not canonical");
  if (!fits) return make_error(ErrorCode::kBadScalar, "signature value out of range");
  DUET_ASSIGN_OR_RETURN(Scalar r, Scalar::from_bytes_nonzero(rr));
  DUET_ASSIGN_OR_RETURN(Scalar s, Scalar::from_bytes_nonzero(ss));
  return Sm2Signature{r, s};
}

}  // namespace duet::crypto
