// Fuzz target: scalar decoding (crypto/scalar.h) and hex (base/bytes.h), and
// the arithmetic mod n checked against OpenSSL BIGNUM as an independent
// reference (the arithmetic is being replaced by native constant-time code:
// this target is its differential test).
//
// Invariants checked:
//  - from_bytes accepts exactly the 32-byte strings whose value is < n, keeps
//    the bytes as given, and reports kBadEncoding for a wrong length and
//    kBadScalar for a value >= n; from_bytes_nonzero also refuses zero.
//  - from_hex accepts exactly 64 hex digits (either case) of a value < n and
//    to_hex gives them back in lowercase.
//  - reduce(x) = x mod n for any length; + - * negate inverse agree with BIGNUM;
//    a·a⁻¹ = 1; the inverse of zero is refused.
#include <openssl/bn.h>

#include <cstring>
#include <memory>

#include "crypto/scalar.h"
#include "fuzz_util.h"

namespace {

using duet::ByteView;
using duet::ErrorCode;
using duet::crypto::Scalar;
using duet::fuzz::be_less;
using duet::fuzz::is_hex_digit;
using duet::fuzz::lowercase;

constexpr uint8_t kN[32] = {0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x72, 0x03, 0xDF, 0x6B, 0x21, 0xC6,
                            0x05, 0x2B, 0x53, 0xBB, 0xF4, 0x09, 0x39, 0xD5, 0x41, 0x23};

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct CtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn bn(ByteView be) {
  Bn b(BN_bin2bn(be.data(), static_cast<int>(be.size()), nullptr));
  FUZZ_CHECK(b != nullptr);
  return b;
}

const BIGNUM* order() {
  static BIGNUM* n = BN_bin2bn(kN, 32, nullptr);
  return n;
}

// The scalar's bytes equal the reference value (which must be < n).
bool same(const Scalar& s, const BIGNUM* ref) {
  uint8_t be[32];
  FUZZ_CHECK(BN_bn2binpad(ref, be, 32) == 32);
  return std::memcmp(s.bytes().data(), be, 32) == 0;
}

bool all_zero(ByteView b) {
  for (uint8_t x : b) {
    if (x != 0) return false;
  }
  return true;
}

void check_decoding(ByteView in) {
  bool in_range = in.size() == 32 && be_less(in, ByteView(kN, 32));
  auto s = Scalar::from_bytes(in);
  FUZZ_CHECK(s.ok() == in_range);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == (in.size() == 32 ? ErrorCode::kBadScalar : ErrorCode::kBadEncoding));
  } else {
    FUZZ_CHECK(std::memcmp(s->bytes().data(), in.data(), 32) == 0);
    FUZZ_CHECK(s->is_zero() == all_zero(in));
    FUZZ_CHECK(s->to_hex() == duet::to_hex(in));
  }
  auto nz = Scalar::from_bytes_nonzero(in);
  FUZZ_CHECK(nz.ok() == (in_range && !all_zero(in)));
  if (nz.ok()) FUZZ_CHECK(*nz == *s);
}

void check_hex(std::string_view text) {
  bool all_hex = true;
  for (char c : text) all_hex = all_hex && is_hex_digit(c);
  // base/bytes.h: any even-length hex string decodes, and re-encodes as lowercase.
  auto raw = duet::from_hex(text);
  FUZZ_CHECK(raw.ok() == (all_hex && text.size() % 2 == 0));
  if (raw.ok()) {
    FUZZ_CHECK(raw->size() * 2 == text.size());
    FUZZ_CHECK(duet::to_hex(*raw) == lowercase(text));
    auto exact = duet::from_hex_exact(text, raw->size());
    FUZZ_CHECK(exact.ok() && *exact == *raw);
    FUZZ_CHECK(!duet::from_hex_exact(text, raw->size() + 1).ok());
  }
  bool in_range = raw.ok() && raw->size() == 32 && be_less(*raw, ByteView(kN, 32));
  auto s = Scalar::from_hex(text);
  FUZZ_CHECK(s.ok() == in_range);
  if (s.ok()) {
    FUZZ_CHECK(s->to_hex() == lowercase(text));
    auto again = Scalar::from_hex(s->to_hex());
    FUZZ_CHECK(again.ok() && *again == *s);
  }
  auto nz = Scalar::from_hex_nonzero(text);
  FUZZ_CHECK(nz.ok() == (in_range && !s->is_zero()));
}

void check_arithmetic(ByteView in) {
  std::unique_ptr<BN_CTX, CtxFree> ctx(BN_CTX_new());
  FUZZ_CHECK(ctx != nullptr);
  const BIGNUM* n = order();

  // reduce() of the whole input against BN_nnmod.
  Bn ref(BN_new());
  FUZZ_CHECK(BN_nnmod(ref.get(), bn(in).get(), n, ctx.get()) == 1);
  FUZZ_CHECK(same(Scalar::reduce(in), ref.get()));

  // Two operands: the input's halves, reduced.
  ByteView lo = in.first(in.size() / 2), hi = in.subspan(in.size() / 2);
  Scalar a = Scalar::reduce(lo), b = Scalar::reduce(hi);
  Bn ra(BN_new()), rb(BN_new()), r(BN_new());
  FUZZ_CHECK(BN_nnmod(ra.get(), bn(lo).get(), n, ctx.get()) == 1);
  FUZZ_CHECK(BN_nnmod(rb.get(), bn(hi).get(), n, ctx.get()) == 1);

  FUZZ_CHECK(BN_mod_add(r.get(), ra.get(), rb.get(), n, ctx.get()) == 1);
  FUZZ_CHECK(same(a + b, r.get()));
  FUZZ_CHECK(BN_mod_sub(r.get(), ra.get(), rb.get(), n, ctx.get()) == 1);
  FUZZ_CHECK(same(a - b, r.get()));
  FUZZ_CHECK(BN_mod_mul(r.get(), ra.get(), rb.get(), n, ctx.get()) == 1);
  FUZZ_CHECK(same(a * b, r.get()));
  FUZZ_CHECK(BN_mod_sub(r.get(), BN_value_one(), BN_value_one(), n, ctx.get()) == 1);  // r = 0
  FUZZ_CHECK(BN_mod_sub(r.get(), r.get(), ra.get(), n, ctx.get()) == 1);
  FUZZ_CHECK(same(a.negate(), r.get()));
  FUZZ_CHECK((a + a.negate()).is_zero());

  FUZZ_CHECK((a == b) == (BN_cmp(ra.get(), rb.get()) == 0));
  auto inv = a.inverse();
  FUZZ_CHECK(inv.ok() == !a.is_zero());
  if (inv.ok()) {
    FUZZ_CHECK(BN_mod_inverse(r.get(), ra.get(), n, ctx.get()) != nullptr);
    FUZZ_CHECK(same(*inv, r.get()));
    FUZZ_CHECK(a * *inv == Scalar::one());
  } else {
    FUZZ_CHECK(inv.code() == ErrorCode::kBadScalar);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  check_decoding(in);
  check_hex(duet::fuzz::as_text(data, size));
  check_arithmetic(in);
  return 0;
}
