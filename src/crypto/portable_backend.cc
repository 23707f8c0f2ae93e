// The crypto backend of the WebAssembly build (src/wasm/CMakeLists.txt links
// this file INSTEAD of sm3.cc, kdf.cc, random.cc, sm2_der.cc, sm2_evp.cc and
// base/bytes_openssl.cc, which need OpenSSL): the same interfaces
// (crypto/sm3.h, crypto/kdf.h, crypto/random.h, crypto/sm2.h's DER codec,
// crypto/sm2_evp.h's public_key_spki_pem, base/bytes.h's secure_wipe and
// constant_time_equal) on top of crypto/portable_sm3.h and
// crypto/portable_der.h, with randomness from the browser's
// crypto.getRandomValues. The SM2 arithmetic is the project's own in both
// builds. Checked natively against OpenSSL by portable_backend_test.cc and in
// the browser by the protocol vectors (tests/browser).
#include <cstdio>
#include <cstdlib>

#include "base/bytes.h"
#include "crypto/kdf.h"
#include "crypto/portable_der.h"
#include "crypto/portable_sm3.h"
#include "crypto/random.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"
#include "crypto/sm3.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
// Fills [p, p+n) from crypto.getRandomValues (at most 65536 bytes a call).
// Returns 0 on success, -1 when the platform has no CSPRNG.
EM_JS(int, duet_js_random, (uint8_t* p, size_t n), {
  var c = (typeof globalThis !== 'undefined') ? globalThis.crypto : undefined;
  if (!c || !c.getRandomValues) return -1;
  for (var off = 0; off < n; off += 65536) {
    var len = Math.min(65536, n - off);
    c.getRandomValues(HEAPU8.subarray(p + off, p + off + len));
  }
  return 0;
});
#endif

namespace duet {

void secure_wipe(void* data, size_t size) {
  volatile uint8_t* p = static_cast<volatile uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) p[i] = 0;
  __asm__ __volatile__("" : : "r"(data) : "memory");
}

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace duet

namespace duet::crypto {

struct Sm3::Impl {
  portable::Sm3 h;
};

Digest sm3(ByteView data) { return portable::sm3(data); }
Sm3::Sm3() : impl_(std::make_unique<Impl>()) {}
Sm3::~Sm3() = default;
Sm3& Sm3::update(ByteView data) {
  impl_->h.update(data);
  return *this;
}
Sm3& Sm3::update_framed(ByteView data) {
  uint32_t n = static_cast<uint32_t>(data.size());
  uint8_t len[4] = {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                    static_cast<uint8_t>(n)};
  update(ByteView(len, 4));
  return update(data);
}
Digest Sm3::final() { return impl_->h.final(); }
Digest hmac_sm3(ByteView key, ByteView data) { return portable::hmac_sm3(key, data); }

Result<SecretBytes> pbkdf2_hmac_sm3(ByteView password, ByteView salt, uint32_t iterations, size_t out_len) {
  if (iterations == 0 || out_len == 0 || iterations > 100'000'000u) {
    return make_error(ErrorCode::kInvalidArgument, "PBKDF2 needs 1..1e8 iterations and a non-empty output");
  }
  SecretBytes out(out_len);
  portable::pbkdf2_hmac_sm3(password, salt, iterations, out.data(), out_len);
  return out;
}

void SystemRandom::fill(std::span<uint8_t> out) {
  if (out.empty()) return;
#ifdef __EMSCRIPTEN__
  if (duet_js_random(out.data(), out.size()) == 0) return;
#endif
  // No CSPRNG: there is no safe way to go on (crypto/random.h).
  std::fputs("duet: no cryptographic random source\n", stderr);
  std::abort();
}

SystemRandom& SystemRandom::instance() {
  static SystemRandom r;
  return r;
}

Bytes Sm2Signature::to_der() const { return portable::signature_der(r.bytes(), s.bytes()); }

Result<Sm2Signature> Sm2Signature::from_der(ByteView der) {
  portable::SignatureValues v;
  switch (portable::parse_signature_der(der, v)) {
    case portable::DerVerdict::kNotDer:
      return make_error(ErrorCode::kBadEncoding, "signature DER is not canonical");
    case portable::DerVerdict::kOutOfRange:
      return make_error(ErrorCode::kBadScalar, "signature value out of range");
    case portable::DerVerdict::kOk:
      break;
  }
  DUET_ASSIGN_OR_RETURN(Scalar r, Scalar::from_bytes_nonzero(v.r));
  DUET_ASSIGN_OR_RETURN(Scalar s, Scalar::from_bytes_nonzero(v.s));
  return Sm2Signature{r, s};
}

Result<Bytes> public_key_spki_der(const Point& public_key) {
  Point::Encoded p = public_key.to_sec1();
  return portable::sm2_spki_der(p);
}

Result<std::string> public_key_spki_pem(const Point& public_key) {
  DUET_ASSIGN_OR_RETURN(Bytes der, public_key_spki_der(public_key));
  return portable::pem("PUBLIC KEY", der);
}

}  // namespace duet::crypto
