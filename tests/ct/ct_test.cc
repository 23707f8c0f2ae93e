// Constant-time test (ctest label `ct`), libsecp256k1's ctime_tests method.
//
// Every secret input (scalars, key shares, the PIN, the PBKDF2 output, all
// randomness) is marked "undefined" with valgrind memcheck client requests;
// run_ct.sh runs this program under memcheck, which then reports every
// conditional jump and every memory address that depends on a secret
// ("Conditional jump or move depends on uninitialised value(s)", "Use of
// uninitialised value of size N"). Any report fails the test. Values that
// leave a role as a protocol message are public: the harness declassifies
// them where they cross the wire (wire()), as the network would.
//
// The only secret-derived values the code itself treats as public are these
// verdicts, each computed in constant time and then declassified by
// crypto::ct::declassified() right before the branch (docs/protocol.md §8.4):
//   1. Scalar::is_zero()                 "zero → retry / reject" (p ≈ 2^-256)
//   2. Scalar::from_bytes / from_hex     "encoding below n / well-formed hex"
//   3. sm2::to_affine (Point results)    "the result is the point at infinity"
//   4. Point::operator==                 proof verification verdicts, key checks
//   5. crypto::sm2_verify_digest_ct      "the still-secret signature verifies"
// Nothing else: scalar equality, values, points' coordinates stay secret.
//
// No code on these paths is chosen by CPU features at run time: the SM2 field
// has an x86-64 copy (crypto/sm2_field_x64.h, baseline ISA) and a portable one
// (the WebAssembly build's), chosen at compile time; this program tests the one
// its build uses, and a build configured with
// -DCMAKE_CXX_FLAGS=-DDUET_SM2_PORTABLE_FIELD tests the portable one. OpenSSL
// 3.0's SM3, HMAC and PBKDF2 on x86-64 are C only. run_ct.sh still runs the program twice, with OpenSSL's capability
// vector as detected and with OPENSSL_ia32cap masking every extension, so a
// future dispatching path cannot hide from the test.
//
//   duet_ct_test [--native] [--canary] [case...]   cases: scalar point pin proof cosign
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cosign/device_state.h"
#include "cosign/nonce.h"
#include "cosign/pin.h"
#include "cosign/schnorr_proof.h"
#include "crypto/ct.h"
#include "crypto/point.h"
#include "crypto/random.h"
#include "crypto/scalar.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"
#include "ct_cosign.h"
#include "ct_util.h"

namespace duet::ct_test {

using crypto::Point;
using crypto::Scalar;

int g_failures = 0;

void check(bool ok, const char* what) {
  // `ok` is computed from public data or declassified by the caller.
  if (!ok) {
    std::fprintf(stderr, "ct_test: FAILED: %s\n", what);
    ++g_failures;
  }
}


// Scalars from a fixed seed, then marked secret.
Scalar secret_scalar(std::string_view seed) {
  crypto::DeterministicRandom rng(as_bytes(seed));
  Scalar s = Scalar::random_nonzero(rng);
  secret(s);
  return s;
}

Scalar secret_from_hex(std::string_view hex) {
  Scalar s = *Scalar::from_hex(hex);
  secret(s);
  return s;
}

// ---- Scalar operations ---------------------------------------------------------

void case_scalar() {
  const std::string n_minus_1 = "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122";
  std::vector<Scalar> values = {secret_scalar("a"), secret_scalar("b"), secret_from_hex(n_minus_1),
                                secret_from_hex(std::string(63, '0') + "1")};
  Scalar acc = Scalar::one();
  for (const Scalar& a : values) {
    for (const Scalar& b : values) {
      acc = acc + (a + b) * (a - b) + a.negate() * b;
    }
    auto inv = a.inverse();  // branches only on is_zero (declassified)
    check(inv.ok(), "inverse of a non-zero secret");
    acc = acc * *inv;
  }
  // Zero as a secret: inverse and mul_base refuse it through the public verdict.
  Scalar z = Scalar::zero();
  secret(z);
  check(!z.inverse().ok(), "inverse of a secret zero is refused");

  // reduce: 64 secret bytes (hedged nonces, the PIN factor), and other lengths.
  for (size_t len : {size_t{64}, size_t{32}, size_t{33}, size_t{1}, size_t{100}}) {
    Bytes wide(len, 0xa5);
    secret(wide.data(), wide.size());
    acc = acc + Scalar::reduce(wide);
  }
  Bytes ff(64, 0xff);
  secret(ff.data(), ff.size());
  acc = acc * Scalar::reduce(ff);

  // from_bytes / from_hex of secret encodings: only "valid?" is public.
  Bytes be(32, 0x11);
  secret(be.data(), be.size());
  auto parsed = Scalar::from_bytes(be);
  check(parsed.ok(), "from_bytes of a secret below n");
  Bytes big(32, 0xff);
  secret(big.data(), big.size());
  check(!Scalar::from_bytes(big).ok(), "from_bytes of a secret above n is refused");
  check(Scalar::from_bytes_nonzero(be).ok(), "from_bytes_nonzero of a secret");
  std::string hex = "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789";
  secret(hex.data(), hex.size());
  auto from_hex = Scalar::from_hex(hex);
  check(from_hex.ok(), "from_hex of a secret");
  acc = acc + *parsed + *from_hex;
  std::string out = acc.to_hex();  // the encoder must not index a table by digit
  crypto::ct::declassify(out.data(), out.size());
  check(out.size() == 64, "to_hex of a secret");
}

// ---- Point multiplications ----------------------------------------------------------

void case_point() {
  const Point& g = Point::generator();
  Point q = *Point::mul_base(Scalar::from_u64(7));  // public base point
  Scalar k = secret_scalar("k"), a = secret_scalar("a2"), b = secret_scalar("b2");
  auto kg = Point::mul_base(k);
  check(kg.ok(), "k·G");
  auto kq = q.mul(k);
  check(kq.ok(), "k·P");
  auto sum = Point::mul_base_add(a, b, q);
  check(sum.ok(), "a·G + b·P");
  // A secret-derived base as well (the device multiplies P1 = u·G).
  auto kk = kg->mul(b);
  check(kk.ok(), "k·(secret point)");
  auto added = kq->add(*sum);
  check(added.ok(), "secret point + secret point");
  check(!(*kg == g), "k·G ≠ G (a public verdict)");
  Point::Encoded enc = added->to_sec1();
  auto x = kk->x_bytes();
  crypto::ct::declassify(enc.data(), enc.size());
  crypto::ct::declassify(x.data(), x.size());
  // A signature that is still secret (the device's own s before release):
  // the constant-time verifier, whose verdict alone is public.
  Scalar d = Scalar::from_u64(0x5eed);
  Point pub = *Point::mul_base(d);
  Bytes msg = {1, 2, 3};
  crypto::Digest e = *crypto::sm2_digest(pub, msg);
  crypto::Sm2Signature sig = *crypto::Sm2Signature::from_der(*crypto::evp_sm2_sign(d, msg));
  secret(sig.r);
  secret(sig.s);
  check(crypto::sm2_verify_digest_ct(pub, e, sig).ok(), "sm2_verify_digest_ct of a secret signature");
  sig.s = sig.s + Scalar::one();
  check(!crypto::sm2_verify_digest_ct(pub, e, sig).ok(), "sm2_verify_digest_ct refuses a wrong secret s");
  // Zero scalars: refused through the public is_zero verdict.
  Scalar z = Scalar::zero();
  secret(z);
  check(!Point::mul_base(z).ok(), "0·G is refused");
  check(!q.mul(z).ok(), "0·P is refused");
}

// ---- The PIN unwrap: PBKDF2 output → w, d1 = d1'·w ------------------------------------

void case_pin() {
  std::string pin = "482916";
  secret(pin.data(), pin.size());  // its length is public (checked against 4..64)
  cosign::PinKdf kdf{1000, Bytes(cosign::PinKdf::kSaltSize, 0x5a)};
  auto w = cosign::pin_factor(pin, kdf);
  check(w.ok(), "pin_factor");

  cosign::DeviceState state{"hld_ct", *Point::mul_base(Scalar::from_u64(3)), secret_scalar("d1'"), kdf};
  auto d1 = cosign::unwrap_share(state, pin);
  check(d1.ok(), "unwrap_share");
  auto u = d1->inverse();  // the PIN proof's u = d1⁻¹
  check(u.ok(), "u = d1⁻¹");
  auto p1 = Point::mul_base(*u);
  check(p1.ok(), "P1 = u·G");
}

// ---- Hedged nonces and Schnorr proofs -------------------------------------------------

void case_proof() {
  SecretRandom rng("ct/proof");
  const Point& g = Point::generator();
  const Bytes context = {'c', 't', 'x'};
  // The hedged nonce: HMAC-SM3 keyed by a secret, fresh secret randomness, reduce.
  Scalar key = secret_scalar("nonce key");
  Scalar k = cosign::hedged_nonce(key, "k2", context, rng);
  check(!k.is_zero(), "hedged_nonce");

  // Base G (every device proof): prove with a secret x; X = x·G goes on the wire.
  Scalar x = secret_scalar("x");
  auto x_point = Point::mul_base(x);
  auto proof = cosign::prove(cosign::kDomainKeygenDevice, g, x, *x_point, context, rng);
  check(proof.ok(), "prove, base G");
  wire(*x_point);
  wire(*proof);
  check(cosign::verify(cosign::kDomainKeygenDevice, g, *x_point, *proof, context).ok(), "verify, base G");

  // A SECRET base, as the device verifies the service's key generation and
  // refresh proofs against its own P1 = u·G: that path must be constant time.
  Scalar b = secret_scalar("base"), y = secret_scalar("y");
  auto base = Point::mul_base(b);
  auto y_point = base->mul(y);
  auto proof2 = cosign::prove(cosign::kDomainKeygenService, *base, y, *y_point, context, rng);
  check(proof2.ok(), "prove, secret base");
  wire(*proof2);
  check(cosign::verify(cosign::kDomainKeygenService, *base, *y_point, *proof2, context).ok(),
        "verify, secret base and statement");
  check(!cosign::verify(cosign::kDomainKeygenService, *base, *y_point, *proof, context).ok(),
        "verify refuses another proof, secret base");
}

}  // namespace duet::ct_test

int main(int argc, char** argv) {
  using namespace duet::ct_test;
  bool native = false, canary = false;
  std::vector<std::string> cases;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--native") {
      native = true;
    } else if (arg == "--canary") {
      canary = true;
    } else {
      cases.emplace_back(arg);
    }
  }
  // Outside valgrind the client requests do nothing and the test would pass
  // vacuously: refuse, unless asked to run natively (to debug the harness).
  if (!native && !duet::crypto::ct::under_valgrind()) {
    std::fprintf(stderr, "ct_test: not running under valgrind (or built without <valgrind/memcheck.h>)\n");
    return 2;
  }
  if (canary) {
    // A deliberate leak: run_ct.sh expects memcheck to report this branch.
    Scalar s = secret_scalar("canary");
    if (s.bytes()[0] & 1) std::puts("ct_test: canary odd");
    else std::puts("ct_test: canary even");
    return 0;
  }
  if (cases.empty()) cases = {"scalar", "point", "pin", "proof", "cosign"};
  for (const std::string& c : cases) {
    if (c == "scalar") case_scalar();
    else if (c == "point") case_point();
    else if (c == "pin") case_pin();
    else if (c == "proof") case_proof();
    else if (c == "cosign") run_cosign_cases(check);
    else {
      std::fprintf(stderr, "ct_test: unknown case %s\n", c.c_str());
      return 2;
    }
    std::printf("ct_test: %s done\n", c.c_str());
  }
  return g_failures == 0 ? 0 : 1;
}
