#include "crypto/scalar.h"

#include "base/bytes.h"

#include "crypto/ct.h"
#include "crypto/sm2_scalar.h"

namespace duet::crypto {
namespace {

using sm2::Sc;

// Wipes a limb temporary when it goes out of scope.
struct Limbs {
  Sc v{};
  ~Limbs() { secure_wipe(&v, sizeof(v)); }
};

// The stored bytes are always below n, so loading them never fails.
void load(Sc& out, const std::array<uint8_t, Scalar::kSize>& be) { (void)sm2::sc_from_bytes(out, be.data()); }

// out = the bytes of op(a, b) mod n, computed on limbs that are wiped
// afterwards (out is written in place: no other copy of the result is left).
void combine(void (*op)(Sc&, const Sc&, const Sc&), const std::array<uint8_t, Scalar::kSize>& a,
             const std::array<uint8_t, Scalar::kSize>& b, std::array<uint8_t, Scalar::kSize>& out) {
  Limbs x, y;
  load(x.v, a);
  load(y.v, b);
  op(x.v, x.v, y.v);
  sm2::sc_to_bytes(out.data(), x.v);
}

// Value of one hex digit, or 0xff for a non-hex character, without branches
// or table lookups on the character (the digits of a share are secret).
inline uint32_t hex_digit_ct(uint8_t ch) {
  uint32_t c = ch;
  // mask(lo <= c <= hi) as all-ones / zero, from the sign bits of c − lo and hi − c.
  auto in_range = [c](uint32_t lo, uint32_t hi) {
    return ((((c - lo) | (hi - c)) >> 31) & 1) - 1u;  // 0xffffffff when both are >= 0
  };
  uint32_t dec = in_range('0', '9'), low = in_range('a', 'f'), up = in_range('A', 'F');
  uint32_t value = (dec & (c - '0')) | (low & (c - 'a' + 10)) | (up & (c - 'A' + 10));
  uint32_t valid = dec | low | up;
  return (value & valid) | (0xffu & ~valid);
}

}  // namespace

Scalar Scalar::one() { return from_u64(1); }

Scalar Scalar::from_u64(uint64_t v) {
  Scalar s;
  for (int i = 0; i < 8; ++i) s.bytes_[kSize - 1 - static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
  return s;  // any u64 is below n
}

Result<Scalar> Scalar::from_bytes(ByteView be32) {
  if (be32.size() != kSize) return make_error(ErrorCode::kBadEncoding, "scalar must be 32 bytes");
  Limbs l;
  // The range check is constant time; only its verdict becomes public.
  bool ok = ct::declassified(sm2::sc_from_bytes(l.v, be32.data()) != 0);
  if (!ok) return make_error(ErrorCode::kBadScalar, "scalar not below the group order");
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
  if (hex.size() != 2 * kSize) {
    return make_error(ErrorCode::kBadEncoding, "hex field must encode 32 bytes, got " + std::to_string(hex.size()) +
                                                   " characters");
  }
  std::array<uint8_t, kSize> raw{};
  uint32_t bad = 0;
  for (size_t i = 0; i < kSize; ++i) {
    uint32_t hi = hex_digit_ct(static_cast<uint8_t>(hex[2 * i]));
    uint32_t lo = hex_digit_ct(static_cast<uint8_t>(hex[2 * i + 1]));
    bad |= (hi | lo) & 0xf0;
    raw[i] = static_cast<uint8_t>((hi << 4) | (lo & 0xf));
  }
  bool well_formed = ct::declassified(bad == 0);
  Result<Scalar> s = well_formed ? from_bytes(raw) : make_error(ErrorCode::kBadEncoding, "non-hex character");
  secure_wipe(raw.data(), raw.size());
  return s;
}

Result<Scalar> Scalar::from_hex_nonzero(std::string_view hex) {
  DUET_ASSIGN_OR_RETURN(Scalar s, from_hex(hex));
  if (s.is_zero()) return make_error(ErrorCode::kBadScalar, "scalar is zero");
  return s;
}

Scalar Scalar::reduce(ByteView be) {
  Limbs l;
  sm2::sc_reduce_bytes(l.v, be.data(), be.size());
  Scalar s;
  sm2::sc_to_bytes(s.bytes_.data(), l.v);
  return s;
}

Scalar Scalar::random_nonzero(RandomSource& rng) {
  for (;;) {
    SecretBytes wide(64);
    rng.fill(wide.span());
    Scalar s = reduce(wide.view());
    if (!s.is_zero()) return s;  // probability 2^-256; is_zero's answer is public
  }
}

std::string Scalar::to_hex() const {
  std::string out(2 * kSize, '0');
  for (size_t i = 0; i < kSize; ++i) {
    for (int half = 0; half < 2; ++half) {
      uint32_t d = (bytes_[i] >> (half == 0 ? 4 : 0)) & 0xf;
      // '0' + d, plus ('a' − '0' − 10) when d > 9: the mask comes from the sign of 9 − d.
      uint32_t above9 = 0u - ((9u - d) >> 31);
      out[2 * i + static_cast<size_t>(half)] = static_cast<char>('0' + d + (above9 & ('a' - '0' - 10)));
    }
  }
  return out;
}

bool Scalar::is_zero() const {
  uint8_t acc = 0;
  for (uint8_t b : bytes_) acc |= b;
  return ct::declassified(acc == 0);
}

Scalar Scalar::operator+(const Scalar& o) const {
  Scalar s;
  combine(sm2::sc_add, bytes_, o.bytes_, s.bytes_);
  return s;
}

Scalar Scalar::operator-(const Scalar& o) const {
  Scalar s;
  combine(sm2::sc_sub, bytes_, o.bytes_, s.bytes_);
  return s;
}

Scalar Scalar::operator*(const Scalar& o) const {
  Scalar s;
  combine(sm2::sc_mul, bytes_, o.bytes_, s.bytes_);
  return s;
}

Scalar Scalar::negate() const {
  Limbs a;
  load(a.v, bytes_);
  sm2::sc_neg(a.v, a.v);
  Scalar s;
  sm2::sc_to_bytes(s.bytes_.data(), a.v);
  return s;
}

Result<Scalar> Scalar::inverse() const {
  if (is_zero()) return make_error(ErrorCode::kBadScalar, "zero has no inverse");
  Limbs a;
  load(a.v, bytes_);
  sm2::sc_inv(a.v, a.v);
  Scalar s;
  sm2::sc_to_bytes(s.bytes_.data(), a.v);
  return s;
}

bool Scalar::operator==(const Scalar& o) const {
  return constant_time_equal(bytes_, o.bytes_);
}

}  // namespace duet::crypto
