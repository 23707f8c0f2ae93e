#include "crypto/scalar.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "crypto/openssl_util.h"

namespace duet::crypto {
namespace {

BnPtr to_bn(const Scalar& s) {
  BnPtr b = new_secret_bn();
  if (BN_bin2bn(s.bytes().data(), Scalar::kSize, b.get()) == nullptr) openssl_fatal("BN_bin2bn");
  return b;
}

// Writes a BIGNUM already reduced into [0, n) into fixed-width big-endian bytes.
void store(const BIGNUM* b, std::array<uint8_t, Scalar::kSize>& out) {
  if (BN_bn2binpad(b, out.data(), Scalar::kSize) != static_cast<int>(Scalar::kSize)) openssl_fatal("BN_bn2binpad");
}

// Compares a 32-byte big-endian value with n without branching on the value.
bool less_than_order(const uint8_t* be) {
  static const std::array<uint8_t, 32> n = [] {
    std::array<uint8_t, 32> a{};
    if (BN_bn2binpad(sm2_order(), a.data(), 32) != 32) openssl_fatal("BN_bn2binpad(n)");
    return a;
  }();
  // Borrow of be - n, computed over all bytes.
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = static_cast<int>(be[i]) - static_cast<int>(n[static_cast<size_t>(i)]) - borrow;
    borrow = (d >> 8) & 1;  // 1 when d < 0
  }
  return borrow == 1;
}

}  // namespace

Scalar Scalar::one() { return from_u64(1); }

Scalar Scalar::from_u64(uint64_t v) {
  Scalar s;
  for (int i = 0; i < 8; ++i) s.bytes_[kSize - 1 - static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
  return s;
}

Result<Scalar> Scalar::from_bytes(ByteView be32) {
  if (be32.size() != kSize) return make_error(ErrorCode::kBadEncoding, "scalar must be 32 bytes");
  if (!less_than_order(be32.data())) return make_error(ErrorCode::kBadScalar, "scalar not below the group order");
  Scalar s;
  std::copy(be32.begin(), be32.end(), s.bytes_.begin());
  return s;
}

Result<Scalar> Scalar::from_bytes_nonzero(ByteView be32) {
  DUET_ASSIGN_OR_RETURN(Scalar s, from_bytes(be32));
  if (s.is_zero()) return make_error(ErrorCode::kBadScalar, "scalar is zero");
  return s;
}

Result<Scalar> Scalar::from_hex(std::string_view hex) {
  DUET_ASSIGN_OR_RETURN(Bytes raw, from_hex_exact(hex, kSize));
  auto s = from_bytes(raw);
  secure_wipe(raw.data(), raw.size());
  return s;
}

Result<Scalar> Scalar::from_hex_nonzero(std::string_view hex) {
  DUET_ASSIGN_OR_RETURN(Scalar s, from_hex(hex));
  if (s.is_zero()) return make_error(ErrorCode::kBadScalar, "scalar is zero");
  return s;
}

Scalar Scalar::reduce(ByteView be) {
  BnPtr x = new_secret_bn();
  if (BN_bin2bn(be.data(), static_cast<int>(be.size()), x.get()) == nullptr) openssl_fatal("BN_bin2bn");
  BnPtr r = new_secret_bn();
  if (BN_nnmod(r.get(), x.get(), sm2_order(), thread_bn_ctx()) != 1) openssl_fatal("BN_nnmod");
  Scalar s;
  store(r.get(), s.bytes_);
  return s;
}

Scalar Scalar::random_nonzero(RandomSource& rng) {
  for (;;) {
    SecretBytes wide(64);
    rng.fill(wide.span());
    Scalar s = reduce(wide.view());
    if (!s.is_zero()) return s;
  }
}

bool Scalar::is_zero() const {
  uint8_t acc = 0;
  for (uint8_t b : bytes_) acc |= b;
  return acc == 0;
}

Scalar Scalar::operator+(const Scalar& o) const {
  BnPtr a = to_bn(*this), b = to_bn(o), r = new_secret_bn();
  if (BN_mod_add(r.get(), a.get(), b.get(), sm2_order(), thread_bn_ctx()) != 1) openssl_fatal("BN_mod_add");
  Scalar s;
  store(r.get(), s.bytes_);
  return s;
}

Scalar Scalar::operator-(const Scalar& o) const {
  BnPtr a = to_bn(*this), b = to_bn(o), r = new_secret_bn();
  if (BN_mod_sub(r.get(), a.get(), b.get(), sm2_order(), thread_bn_ctx()) != 1) openssl_fatal("BN_mod_sub");
  Scalar s;
  store(r.get(), s.bytes_);
  return s;
}

Scalar Scalar::operator*(const Scalar& o) const {
  BnPtr a = to_bn(*this), b = to_bn(o), r = new_secret_bn();
  if (BN_mod_mul(r.get(), a.get(), b.get(), sm2_order(), thread_bn_ctx()) != 1) openssl_fatal("BN_mod_mul");
  Scalar s;
  store(r.get(), s.bytes_);
  return s;
}

Scalar Scalar::negate() const { return Scalar() - *this; }

Result<Scalar> Scalar::inverse() const {
  if (is_zero()) return make_error(ErrorCode::kBadScalar, "zero has no inverse");
  static const BIGNUM* n_minus_2 = [] {
    BIGNUM* e = BN_dup(sm2_order());
    if (e == nullptr || BN_sub_word(e, 2) != 1) openssl_fatal("n-2");
    return e;
  }();
  BnPtr a = to_bn(*this), r = new_secret_bn();
  if (BN_mod_exp_mont_consttime(r.get(), a.get(), n_minus_2, sm2_order(), thread_bn_ctx(), sm2_order_mont()) != 1) {
    openssl_fatal("BN_mod_exp_mont_consttime");
  }
  Scalar s;
  store(r.get(), s.bytes_);
  return s;
}

bool Scalar::operator==(const Scalar& o) const {
  return CRYPTO_memcmp(bytes_.data(), o.bytes_.data(), kSize) == 0;
}

}  // namespace duet::crypto
