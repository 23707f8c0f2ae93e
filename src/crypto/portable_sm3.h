// SM3 (GB/T 32905), HMAC-SM3 (RFC 2104) and PBKDF2-HMAC-SM3 (RFC 8018) in
// plain C++, without a crypto library: the WebAssembly build of the device
// role (src/wasm) has no OpenSSL and gets crypto/sm3.h and crypto/kdf.h from
// these (crypto/portable_backend.cc). The native build keeps OpenSSL's and
// compiles these only for portable_backend_test.cc, which checks both give the
// same answers (and the standard vectors).
//
// SM3 has no secret-dependent branch or index (it is an ARX design), so this
// code is constant time in the data as written.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace duet::crypto::portable {

class Sm3 {
 public:
  Sm3();
  ~Sm3();  // wipes the state and the buffered block
  Sm3(const Sm3&) = default;
  Sm3& operator=(const Sm3&) = default;

  void update(ByteView data);
  std::array<uint8_t, 32> final();  // the object must not be updated afterwards

 private:
  void compress(const uint8_t block[64]);
  uint32_t v_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes
};

std::array<uint8_t, 32> sm3(ByteView data);
std::array<uint8_t, 32> hmac_sm3(ByteView key, ByteView data);
// iterations >= 1 and out_len >= 1 (the caller checks).
void pbkdf2_hmac_sm3(ByteView password, ByteView salt, uint32_t iterations, uint8_t* out, size_t out_len);

}  // namespace duet::crypto::portable
