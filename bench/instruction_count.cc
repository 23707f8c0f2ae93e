// A deterministic companion to duet_bench: runs fixed numbers of the service's
// co-signature steps and of OpenSSL's SM2 verification in separate functions,
// so that `valgrind --tool=callgrind` counts their instructions, which do not
// depend on machine load. bench/instruction_ratio runs it and prints the ratio.
//
//   duet_bench_count [N]   (N rounds of each; default 50; the field
//                          multiplication and squaring run 1000·N times)
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "crypto/point.h"
#include "crypto/sm2_evp.h"
#include "crypto/sm2_field.h"

using namespace duet;

namespace {

struct Prepared {
  cosign::SignSessionContext ctx;  // one item
  cosign::SignSessionRequest request;
  cosign::SignResponse response;
  cosign::SignFinish finish;
  Bytes message;
  Bytes der;
};

// The service's cost of one co-signature (protocol v2): step 2 (verify the
// proof of k1 and the PIN proof against P1 from the sealed record, respond)
// + step 4 (finish).
__attribute__((noinline)) void service_cosign(const cosign::ServiceKeyShare& share, const crypto::Point& p1,
                                              const std::vector<Prepared>& p, int n) {
  crypto::RandomSource& rng = crypto::SystemRandom::instance();
  for (int i = 0; i < n; ++i) {
    const Prepared& s = p[static_cast<size_t>(i) % p.size()];
    auto verified = cosign::ServiceSigner::verify_session(p1, s.ctx, s.request);
    if (!verified.ok()) std::abort();
    auto resp = cosign::ServiceSigner::respond(share, *verified, rng);
    auto fin = cosign::ServiceSigner::finish(share.public_key, s.ctx.item(0), s.response.r, s.finish);
    if (!resp.ok() || !fin.ok()) std::abort();
  }
}

// One OpenSSL SM2 verification as an application calls it: EVP_DigestVerify
// (Z_A, SM3, verify) with the key imported for each signature.
__attribute__((noinline)) void openssl_verify_evp(const crypto::Point& pub, const std::vector<Prepared>& p, int n) {
  for (int i = 0; i < n; ++i) {
    const Prepared& s = p[static_cast<size_t>(i) % p.size()];
    if (!crypto::evp_sm2_verify(pub, s.message, s.der).ok()) std::abort();
  }
}

// The bare verification: EVP_PKEY_verify of e with key and context built once.
__attribute__((noinline)) void openssl_verify_raw(EVP_PKEY_CTX* ctx, const std::vector<Prepared>& p, int n) {
  for (int i = 0; i < n; ++i) {
    const Prepared& s = p[static_cast<size_t>(i) % p.size()];
    const crypto::Digest& e = s.ctx.digests[0];
    if (EVP_PKEY_verify(ctx, s.der.data(), s.der.size(), e.data(), e.size()) != 1) std::abort();
  }
}

// The primitives, one function each, for per-change comparisons (callgrind).
__attribute__((noinline)) void prim_field_mul(int n) {
  crypto::sm2::Fe a = crypto::sm2::kR2, b = crypto::sm2::kOne;
  b.v[0] ^= 0x1234;
  for (int i = 0; i < n * 1000; ++i) {
    crypto::sm2::fe_mul(a, a, b);
    asm volatile("" : "+m"(a));
  }
}
__attribute__((noinline)) void prim_field_sqr(int n) {
  crypto::sm2::Fe a = crypto::sm2::kR2;
  for (int i = 0; i < n * 1000; ++i) {
    crypto::sm2::fe_sqr(a, a);
    asm volatile("" : "+m"(a));
  }
}
__attribute__((noinline)) void prim_mul_base(const std::vector<crypto::Scalar>& ks, int n) {
  for (int i = 0; i < n; ++i) {
    if (!crypto::Point::mul_base(ks[static_cast<size_t>(i) % ks.size()]).ok()) std::abort();
  }
}
__attribute__((noinline)) void prim_mul(const crypto::Point& q, const std::vector<crypto::Scalar>& ks, int n) {
  for (int i = 0; i < n; ++i) {
    if (!q.mul(ks[static_cast<size_t>(i) % ks.size()]).ok()) std::abort();
  }
}
__attribute__((noinline)) void prim_public_mul_add(const crypto::Point& q, const std::vector<crypto::Scalar>& ks,
                                                   int n) {
  for (int i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i) % ks.size();
    if (!crypto::Point::public_mul_add(ks[k], ks[(k + 1) % ks.size()], q).ok()) std::abort();
  }
}
__attribute__((noinline)) void prim_verify_session(const crypto::Point& p1, const std::vector<Prepared>& p, int n) {
  for (int i = 0; i < n; ++i) {
    const Prepared& s = p[static_cast<size_t>(i) % p.size()];
    if (!cosign::ServiceSigner::verify_session(p1, s.ctx, s.request).ok()) std::abort();
  }
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 50;
  crypto::RandomSource& rng = crypto::SystemRandom::instance();
  auto [dk, kreq] = *cosign::DeviceKeygen::start("hld_count", rng);
  auto [share, kresp] = *cosign::ServiceKeygen::respond("hld_count", kreq, rng);
  cosign::DeviceState state = *dk.finish(kresp, "123456", 1000, rng);
  const crypto::Point p1 = *share.p1_or_derive();  // as sealed in the share record
  std::vector<Prepared> pool;
  for (int i = 0; i < 8; ++i) {
    Bytes message(32, static_cast<uint8_t>(i));
    cosign::SignSessionContext ctx{"ord_count", "ses_count_" + std::to_string(i),
                                   {*crypto::sm2_digest(share.public_key, message)}};
    auto [signer, req] = *cosign::DeviceSignSession::start(state, "123456", ctx, rng);
    auto verified = *cosign::ServiceSigner::verify_session(p1, ctx, req);
    cosign::SignResponse response = (*cosign::ServiceSigner::respond(share, verified, rng))[0];
    cosign::SignFinish finish = signer.finish({response})->first[0];
    Bytes der = crypto::Sm2Signature{response.r, finish.s}.to_der();
    pool.push_back(Prepared{ctx, req, response, finish, message, der});
  }
  // Key and context for the raw verification, built from the SPKI.
  Bytes spki = *crypto::public_key_spki_der(share.public_key);
  const unsigned char* pp = spki.data();
  EVP_PKEY* pkey = d2i_PUBKEY(nullptr, &pp, static_cast<long>(spki.size()));
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  if (pkey == nullptr || ctx == nullptr || EVP_PKEY_verify_init(ctx) != 1) return 2;

  std::vector<crypto::Scalar> ks;
  for (int i = 0; i < 16; ++i) ks.push_back(crypto::Scalar::random_nonzero(rng));
  prim_field_mul(n);
  prim_field_sqr(n);
  prim_mul_base(ks, n);
  prim_mul(share.public_key, ks, n);
  prim_public_mul_add(share.public_key, ks, n);
  prim_verify_session(p1, pool, n);
  service_cosign(share, p1, pool, n);
  openssl_verify_evp(share.public_key, pool, n);
  openssl_verify_raw(ctx, pool, n);
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  std::printf("ran %d rounds of each\n", n);
  return 0;
}
