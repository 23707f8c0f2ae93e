// Benchmarks of the two-party SM2 co-signature (docs/protocol.md), one benchmark
// per protocol step and role, against OpenSSL's own SM2 in the same run.
//
// The figure the team tracks is the service's cost per co-signature
// (step 2: ServiceSigner::verify_session — the proof of k1 and the PIN proof —
// and ServiceSigner::respond; step 4: ServiceSigner::finish) divided by the
// cost of one OpenSSL SM2 verification; main() (bench_summary.cc) prints it
// after the run. Times are CPU time per operation (one thread): the build
// machine is shared, and CPU time is less disturbed by the neighbours than
// wall-clock time.
//
// All inputs are prepared before the timed loops (pools of distinct requests,
// cycled), so a loop measures exactly one call.
//
//   duet_bench [--json FILE] [any --benchmark_* flag]
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cosign/device_state.h"
#include "cosign/keygen.h"
#include "cosign/messages.h"
#include "cosign/nonce.h"
#include "cosign/pin.h"
#include "cosign/refresh.h"
#include "cosign/schnorr_proof.h"
#include "cosign/service_key_share.h"
#include "cosign/sign.h"
#include "crypto/point.h"
#include "crypto/random.h"
#include "crypto/scalar.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"
#include "crypto/sm2_field.h"
#include "crypto/openssl_util.h"

namespace {

using namespace duet;
using crypto::Point;
using crypto::Scalar;

// ---- Setup helpers (outside the timed loops) --------------------------------

constexpr uint32_t kFastIterations = 1000;  // the minimum the PIN KDF accepts
constexpr std::string_view kPin = "482916";
constexpr std::string_view kHolder = "hld_bench";
constexpr size_t kSignPool = 256;  // distinct sessions for the signing steps
constexpr size_t kSmallPool = 32;  // distinct inputs for keygen / refresh steps

crypto::RandomSource& rng() { return crypto::SystemRandom::instance(); }

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "duet_bench setup failed: %s\n", what.c_str());
  std::abort();
}

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.error().to_string());
  return std::move(r).value();
}

void must(const Status& s, const char* what) {
  if (!s.ok()) die(std::string(what) + ": " + s.error().to_string());
}

// A 32-byte message, as the task's baseline asks.
Bytes message32(uint8_t seed) {
  Bytes m(32);
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<uint8_t>(seed * 31 + i);
  return m;
}

struct Enrolled {
  cosign::DeviceState device;
  cosign::ServiceKeyShare service;
};

Enrolled enroll(uint32_t iterations) {
  auto [keygen, request] = must(cosign::DeviceKeygen::start(std::string(kHolder), rng()), "keygen start");
  auto [share, response] = must(cosign::ServiceKeygen::respond(kHolder, request, rng()), "keygen respond");
  cosign::DeviceState state = must(keygen.finish(response, kPin, iterations, rng()), "keygen finish");
  return Enrolled{std::move(state), std::move(share)};
}

// The holder every signing and refresh benchmark uses (KDF at 1000 iterations).
const Enrolled& holder() {
  static const Enrolled e = enroll(kFastIterations);
  return e;
}

// A one-item signing session (an order of one document, the common case).
cosign::SignSessionContext context_for(size_t i) {
  const Bytes m = message32(static_cast<uint8_t>(i));
  return cosign::SignSessionContext{"ord_" + std::to_string(i), "ses_" + std::to_string(i),
                                    {must(crypto::sm2_digest(holder().service.public_key, m), "sm2_digest")}};
}

// P1 as the service takes it from the sealed share record (no derivation).
const Point& service_p1() {
  static const Point p1 = must(holder().service.p1_or_derive(), "p1_or_derive");
  return p1;
}

// One complete co-signature, kept step by step so that every step can be
// replayed on its own.
struct Session {
  cosign::SignSessionContext ctx;
  cosign::SignContext item;  // ctx.item(0)
  cosign::DeviceSignSession device;
  cosign::SignSessionRequest request;
  cosign::SignResponse response;
  cosign::SignFinish finish;
  Bytes message;  // the 32-byte message behind item.e
};

const std::vector<Session>& sessions() {
  static const std::vector<Session> pool = [] {
    std::vector<Session> out;
    out.reserve(kSignPool);
    const Enrolled& h = holder();
    for (size_t i = 0; i < kSignPool; ++i) {
      cosign::SignSessionContext ctx = context_for(i);
      auto [device, request] = must(cosign::DeviceSignSession::start(h.device, kPin, ctx, rng()), "sign start");
      auto verified = must(cosign::ServiceSigner::verify_session(service_p1(), ctx, request), "verify session");
      auto responses = must(cosign::ServiceSigner::respond(h.service, verified, rng()), "sign respond");
      // finish spends its session: finish a copy, keep the fresh one.
      cosign::DeviceSignSession spent = device;
      auto finished = must(spent.finish(responses), "device finish");
      must(cosign::ServiceSigner::finish(h.service.public_key, ctx.item(0), responses[0].r, finished.first[0]),
           "service finish");
      cosign::SignContext item = ctx.item(0);
      out.push_back(Session{std::move(ctx), std::move(item), std::move(device), std::move(request), responses[0],
                            finished.first[0], message32(static_cast<uint8_t>(i))});
    }
    return out;
  }();
  return pool;
}

// ---- OpenSSL baselines ----------------------------------------------------------

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct ParamBldFree { void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct BnFree { void operator()(BIGNUM* b) const { BN_clear_free(b); } };

// An SM2 EVP_PKEY built once from a public point (and the private scalar).
std::unique_ptr<EVP_PKEY, PkeyFree> make_sm2_pkey(const Point& pub, const Scalar* priv) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  Point::Encoded enc = pub.to_sec1();
  std::unique_ptr<BIGNUM, BnFree> d;
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, enc.data(), enc.size()) != 1) {
    die("OSSL_PARAM_BLD");
  }
  if (priv != nullptr) {
    d.reset(BN_bin2bn(priv->bytes().data(), 32, nullptr));
    if (!d || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) die("push priv");
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    die("EVP_PKEY_fromdata(SM2)");
  }
  return std::unique_ptr<EVP_PKEY, PkeyFree>(pkey);
}

void openssl_sm2_sign_evp(benchmark::State& state) {
  const Scalar d = Scalar::random_nonzero(rng());
  const Bytes m = message32(7);
  for (auto _ : state) {
    auto sig = crypto::evp_sm2_sign(d, m);
    if (!sig.ok()) state.SkipWithError("evp_sm2_sign failed");
    benchmark::DoNotOptimize(sig);
  }
}

void openssl_sm2_verify_evp(benchmark::State& state) {
  // The co-signatures themselves: this is also an interoperability check.
  const auto& pool = sessions();
  std::vector<Bytes> der;
  for (const Session& s : pool) der.push_back(crypto::Sm2Signature{s.response.r, s.finish.s}.to_der());
  const Point& pub = holder().service.public_key;
  must(crypto::evp_sm2_verify(pub, pool[0].message, der[0]), "evp_sm2_verify of a co-signature");
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % pool.size();
    Status st = crypto::evp_sm2_verify(pub, pool[k].message, der[k]);
    if (!st.ok()) state.SkipWithError("evp_sm2_verify failed");
  }
}

// The cheapest "one OpenSSL SM2 verify": EVP_PKEY_verify of e (32 bytes) with
// the key and the context built once. No Z_A, no SM3, no key import.
void openssl_sm2_verify_raw_digest(benchmark::State& state) {
  const auto& pool = sessions();
  std::vector<Bytes> der;
  for (const Session& s : pool) der.push_back(crypto::Sm2Signature{s.response.r, s.finish.s}.to_der());
  auto pkey = make_sm2_pkey(holder().service.public_key, nullptr);
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) die("EVP_PKEY_verify_init(SM2)");
  for (size_t k = 0; k < pool.size(); ++k) {
    if (EVP_PKEY_verify(ctx.get(), der[k].data(), der[k].size(), pool[k].item.e.data(), pool[k].item.e.size()) != 1) {
      die("raw EVP_PKEY_verify rejects a co-signature");
    }
  }
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % pool.size();
    int rc = EVP_PKEY_verify(ctx.get(), der[k].data(), der[k].size(), pool[k].item.e.data(), pool[k].item.e.size());
    if (rc != 1) state.SkipWithError("EVP_PKEY_verify failed");
  }
}

void openssl_sm2_sign_raw_digest(benchmark::State& state) {
  const Scalar d = Scalar::random_nonzero(rng());
  const Point pub = must(Point::mul_base(d), "mul_base");
  auto pkey = make_sm2_pkey(pub, &d);
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) die("EVP_PKEY_sign_init(SM2)");
  const crypto::Digest e = must(crypto::sm2_digest(pub, message32(9)), "sm2_digest");
  unsigned char sig[80];
  for (auto _ : state) {
    size_t len = sizeof sig;
    if (EVP_PKEY_sign(ctx.get(), sig, &len, e.data(), e.size()) != 1) state.SkipWithError("EVP_PKEY_sign failed");
    benchmark::DoNotOptimize(sig);
  }
}

// ---- Building blocks ------------------------------------------------------------

std::vector<Scalar> random_scalars(size_t n) {
  std::vector<Scalar> out;
  for (size_t i = 0; i < n; ++i) out.push_back(Scalar::random_nonzero(rng()));
  return out;
}

void point_mul_base(benchmark::State& state) {
  const auto ks = random_scalars(64);
  size_t i = 0;
  for (auto _ : state) {
    auto p = Point::mul_base(ks[i++ % ks.size()]);
    benchmark::DoNotOptimize(p);
  }
}

void point_mul(benchmark::State& state) {
  const auto ks = random_scalars(64);
  const Point q = must(Point::mul_base(Scalar::random_nonzero(rng())), "mul_base");
  size_t i = 0;
  for (auto _ : state) {
    auto p = q.mul(ks[i++ % ks.size()]);
    benchmark::DoNotOptimize(p);
  }
}

// a·G + b·Q, variable time (public scalars): the core of every verification.
void point_public_mul_add(benchmark::State& state) {
  const auto as = random_scalars(64);
  const auto bs = random_scalars(64);
  const Point q = must(Point::mul_base(Scalar::random_nonzero(rng())), "mul_base");
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % as.size();
    auto p = Point::public_mul_add(as[k], bs[k], q);
    benchmark::DoNotOptimize(p);
  }
}

// a·G + b·Q for secret a, b (the service's k2·G + k3·Q1): comb + window, one inversion.
void point_mul_base_add(benchmark::State& state) {
  const auto as = random_scalars(64);
  const auto bs = random_scalars(64);
  const Point q = must(Point::mul_base(Scalar::random_nonzero(rng())), "mul_base");
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % as.size();
    auto p = Point::mul_base_add(as[k], bs[k], q);
    benchmark::DoNotOptimize(p);
  }
}

// OpenSSL 3.0's generic EC_POINT_mul (what Point used before the native code):
// the constant-time ladder for one term, for comparison with point_mul*.
void openssl_ec_point_mul(benchmark::State& state) {
  const auto ks = random_scalars(64);
  std::vector<crypto::BnPtr> bns;
  for (const Scalar& k : ks) bns.emplace_back(BN_bin2bn(k.bytes().data(), 32, nullptr));
  crypto::PointPtr r(EC_POINT_new(crypto::sm2_group()));
  size_t i = 0;
  for (auto _ : state) {
    int ok = EC_POINT_mul(crypto::sm2_group(), r.get(), nullptr, EC_GROUP_get0_generator(crypto::sm2_group()),
                          bns[i++ % bns.size()].get(), crypto::thread_bn_ctx());
    benchmark::DoNotOptimize(ok);
  }
}

// Native field multiplication and inversion modulo p (Montgomery form).
void sm2_field_mul(benchmark::State& state) {
  crypto::sm2::Fe a = crypto::sm2::kR2, b = crypto::sm2::kOne;
  b.v[0] ^= 0x1234;
  for (auto _ : state) {
    crypto::sm2::fe_mul(a, a, b);
    benchmark::DoNotOptimize(a);
  }
}

void sm2_field_sqr(benchmark::State& state) {
  crypto::sm2::Fe a = crypto::sm2::kR2;
  for (auto _ : state) {
    crypto::sm2::fe_sqr(a, a);
    benchmark::DoNotOptimize(a);
  }
}

void sm2_field_inv(benchmark::State& state) {
  crypto::sm2::Fe a = crypto::sm2::kR2;
  for (auto _ : state) {
    crypto::sm2::fe_inv(a, a);
    benchmark::DoNotOptimize(a);
  }
}

void point_from_sec1(benchmark::State& state) {
  const Point::Encoded enc = sessions()[0].request.items[0].q1.to_sec1();
  for (auto _ : state) {
    auto p = Point::from_sec1(enc);
    benchmark::DoNotOptimize(p);
  }
}

void scalar_inverse(benchmark::State& state) {
  const auto ks = random_scalars(64);
  size_t i = 0;
  for (auto _ : state) {
    auto r = ks[i++ % ks.size()].inverse();
    benchmark::DoNotOptimize(r);
  }
}

void scalar_mul(benchmark::State& state) {
  const auto ks = random_scalars(64);
  size_t i = 0;
  for (auto _ : state) {
    Scalar r = ks[i % ks.size()] * ks[(i + 1) % ks.size()];
    ++i;
    benchmark::DoNotOptimize(r);
  }
}

void hedged_nonce(benchmark::State& state) {
  const Scalar secret = Scalar::random_nonzero(rng());
  const Bytes transcript = cosign::sign_context(sessions()[0].item);
  for (auto _ : state) {
    Scalar k = cosign::hedged_nonce(secret, "k2", transcript, rng());
    benchmark::DoNotOptimize(k);
  }
}

// Our own SM2 verifier (what ServiceSigner::finish and DeviceSignSession::finish run).
void duet_sm2_verify_digest(benchmark::State& state) {
  const auto& pool = sessions();
  const Point& pub = holder().service.public_key;
  size_t i = 0;
  for (auto _ : state) {
    const Session& s = pool[i++ % pool.size()];
    Status st = crypto::sm2_verify_digest(pub, s.item.e, crypto::Sm2Signature{s.response.r, s.finish.s});
    if (!st.ok()) state.SkipWithError("sm2_verify_digest failed");
  }
}

// The device's signing proof, checked as the service does (base G).
void schnorr_verify_sign_proof(benchmark::State& state) {
  const auto& pool = sessions();
  std::vector<Bytes> contexts;
  for (const Session& s : pool) contexts.push_back(cosign::sign_context(s.item));
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % pool.size();
    Status st = cosign::verify(cosign::kDomainSignDevice, Point::generator(), pool[k].request.items[0].q1,
                               pool[k].request.items[0].proof, contexts[k]);
    if (!st.ok()) state.SkipWithError("proof rejected");
  }
}

// The PIN proof, checked as the service does (base G, X = its own P1): the
// one Schnorr verification protocol v2 adds per session.
void schnorr_verify_pin_proof(benchmark::State& state) {
  const auto& pool = sessions();
  std::vector<Bytes> contexts;
  for (const Session& s : pool) contexts.push_back(must(cosign::pin_proof_context(s.ctx, s.request.items), "pin ctx"));
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % pool.size();
    Status st = cosign::verify(cosign::kDomainSignPin, Point::generator(), service_p1(), pool[k].request.pin_proof,
                               contexts[k]);
    if (!st.ok()) state.SkipWithError("PIN proof rejected");
  }
}

// ---- PIN KDF ------------------------------------------------------------------------

void pin_kdf(benchmark::State& state, uint32_t iterations) {
  cosign::PinKdf kdf{iterations, Bytes(cosign::PinKdf::kSaltSize, 0x5a)};
  for (auto _ : state) {
    auto w = cosign::pin_factor(kPin, kdf);
    if (!w.ok()) state.SkipWithError("pin_factor failed");
    benchmark::DoNotOptimize(w);
  }
}
void pin_factor_default_100000(benchmark::State& state) { pin_kdf(state, cosign::PinKdf::kDefaultIterations); }
void pin_factor_1000(benchmark::State& state) { pin_kdf(state, kFastIterations); }

// ---- Key generation -------------------------------------------------------------------

void device_keygen_start(benchmark::State& state) {
  for (auto _ : state) {
    auto r = cosign::DeviceKeygen::start(std::string(kHolder), rng());
    if (!r.ok()) state.SkipWithError("keygen start failed");
    benchmark::DoNotOptimize(r);
  }
}

void service_keygen_respond(benchmark::State& state) {
  std::vector<cosign::KeygenRequest> pool;
  for (size_t i = 0; i < kSmallPool; ++i) {
    pool.push_back(must(cosign::DeviceKeygen::start(std::string(kHolder), rng()), "keygen start").second);
  }
  size_t i = 0;
  for (auto _ : state) {
    auto r = cosign::ServiceKeygen::respond(kHolder, pool[i++ % pool.size()], rng());
    if (!r.ok()) state.SkipWithError("keygen respond failed");
    benchmark::DoNotOptimize(r);
  }
}

void device_keygen_finish(benchmark::State& state, uint32_t iterations) {
  std::vector<std::pair<cosign::DeviceKeygen, cosign::KeygenResponse>> pool;
  for (size_t i = 0; i < kSmallPool; ++i) {
    auto [keygen, request] = must(cosign::DeviceKeygen::start(std::string(kHolder), rng()), "keygen start");
    auto response = must(cosign::ServiceKeygen::respond(kHolder, request, rng()), "keygen respond").second;
    pool.emplace_back(std::move(keygen), std::move(response));
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& [keygen, response] = pool[i++ % pool.size()];
    cosign::DeviceKeygen fresh = keygen;  // a copy, should finish ever become single-use
    auto r = fresh.finish(response, kPin, iterations, rng());
    if (!r.ok()) state.SkipWithError("keygen finish failed");
    benchmark::DoNotOptimize(r);
  }
}
void device_keygen_finish_kdf1000(benchmark::State& state) { device_keygen_finish(state, kFastIterations); }

// ---- Signing ------------------------------------------------------------------------------

void device_sign_start(benchmark::State& state, const cosign::DeviceState& device) {
  std::vector<cosign::SignSessionContext> contexts;
  for (size_t i = 0; i < kSignPool; ++i) contexts.push_back(context_for(i));
  size_t i = 0;
  for (auto _ : state) {
    auto r = cosign::DeviceSignSession::start(device, kPin, contexts[i++ % contexts.size()], rng());
    if (!r.ok()) state.SkipWithError("sign start failed");
    benchmark::DoNotOptimize(r);
  }
}
void device_sign_start_kdf1000(benchmark::State& state) { device_sign_start(state, holder().device); }
void device_sign_start_kdf100000(benchmark::State& state) {
  // The same share wrapped at the production iteration count.
  const Enrolled& h = holder();
  Scalar d1 = must(cosign::unwrap_share(h.device, kPin), "unwrap_share");
  cosign::DeviceState device = must(
      cosign::wrap_share(h.device.holder_id, h.device.public_key, d1, kPin, cosign::PinKdf::kDefaultIterations, rng()),
      "wrap_share");
  device_sign_start(state, device);
}

// Step 2a alone: the proof of k1 and the PIN proof (two public double
// multiplications for a one-item session).
void service_sign_verify_session(benchmark::State& state) {
  const auto& pool = sessions();
  size_t i = 0;
  for (auto _ : state) {
    const Session& s = pool[i++ % pool.size()];
    auto r = cosign::ServiceSigner::verify_session(service_p1(), s.ctx, s.request);
    if (!r.ok()) state.SkipWithError("verify session failed");
    benchmark::DoNotOptimize(r);
  }
}

// The service's whole step 2 for one item, as before protocol v2 under the
// same name: verify_session (proof of k1 + PIN proof) and respond (k2·G +
// k3·Q1 in constant time, two hedged nonces).
void service_sign_respond(benchmark::State& state) {
  const auto& pool = sessions();
  const cosign::ServiceKeyShare& share = holder().service;
  size_t i = 0;
  for (auto _ : state) {
    const Session& s = pool[i++ % pool.size()];
    auto v = cosign::ServiceSigner::verify_session(service_p1(), s.ctx, s.request);
    if (!v.ok()) {
      state.SkipWithError("verify session failed");
      break;
    }
    auto r = cosign::ServiceSigner::respond(share, *v, rng());
    if (!r.ok()) state.SkipWithError("sign respond failed");
    benchmark::DoNotOptimize(r);
  }
}

void device_sign_finish(benchmark::State& state) {
  const auto& pool = sessions();
  size_t i = 0;
  for (auto _ : state) {
    const Session& s = pool[i++ % pool.size()];
    // A session releases s once, so each iteration finishes a fresh copy
    // (a few scalars, a point, short strings: well under 1 us).
    cosign::DeviceSignSession device = s.device;
    auto r = device.finish({s.response});
    if (!r.ok()) state.SkipWithError("device finish failed");
    benchmark::DoNotOptimize(r);
  }
}

void service_sign_finish(benchmark::State& state) {
  const auto& pool = sessions();
  const Point& pub = holder().service.public_key;
  size_t i = 0;
  for (auto _ : state) {
    const Session& s = pool[i++ % pool.size()];
    auto r = cosign::ServiceSigner::finish(pub, s.item, s.response.r, s.finish);
    if (!r.ok()) state.SkipWithError("service finish failed");
    benchmark::DoNotOptimize(r);
  }
}

// All four steps in one process (device KDF at 1000 iterations): a cross-check
// of the per-step figures.
void cosignature_end_to_end_kdf1000(benchmark::State& state) {
  const Enrolled& h = holder();
  std::vector<cosign::SignSessionContext> contexts;
  for (size_t i = 0; i < kSignPool; ++i) contexts.push_back(context_for(i));
  size_t i = 0;
  for (auto _ : state) {
    const cosign::SignSessionContext& ctx = contexts[i++ % contexts.size()];
    auto started = cosign::DeviceSignSession::start(h.device, kPin, ctx, rng());
    auto verified = cosign::ServiceSigner::verify_session(service_p1(), ctx, started->second);
    auto responses = cosign::ServiceSigner::respond(h.service, *verified, rng());
    auto finished = started->first.finish(*responses);
    auto sig = cosign::ServiceSigner::finish(h.service.public_key, ctx.item(0), (*responses)[0].r,
                                             finished->first[0]);
    if (!sig.ok()) state.SkipWithError("co-signature failed");
    benchmark::DoNotOptimize(sig);
  }
}

// ---- Share refresh ----------------------------------------------------------------------

struct RefreshRound {
  std::string refresh_id;
  cosign::DeviceRefresh device;
  cosign::RefreshRequest request;
  cosign::ServiceKeyShare pending;
  cosign::RefreshResponse response;
  cosign::RefreshConfirm confirm;
};

const std::vector<RefreshRound>& refresh_rounds() {
  static const std::vector<RefreshRound> pool = [] {
    std::vector<RefreshRound> out;
    const Enrolled& h = holder();
    for (size_t i = 0; i < kSmallPool; ++i) {
      std::string id = "rfr_" + std::to_string(i);
      auto [device, request] = must(cosign::DeviceRefresh::start(h.device, kPin, id, rng()), "refresh start");
      auto [pending, response] =
          must(cosign::ServiceRefresh::respond(h.service, kHolder, id, request, rng()), "refresh respond");
      cosign::DeviceRefresh spent = device;
      auto confirm = must(spent.finish(response, kPin, kFastIterations, rng()), "refresh finish").second;
      must(cosign::ServiceRefresh::confirm(pending, kHolder, id, confirm), "refresh confirm");
      out.push_back(RefreshRound{std::move(id), std::move(device), std::move(request), std::move(pending),
                                 std::move(response), std::move(confirm)});
    }
    return out;
  }();
  return pool;
}

void device_refresh_start_kdf1000(benchmark::State& state) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < kSignPool; ++i) ids.push_back("rfr_" + std::to_string(i));
  size_t i = 0;
  for (auto _ : state) {
    auto r = cosign::DeviceRefresh::start(holder().device, kPin, ids[i++ % ids.size()], rng());
    if (!r.ok()) state.SkipWithError("refresh start failed");
    benchmark::DoNotOptimize(r);
  }
}

void service_refresh_respond(benchmark::State& state) {
  const auto& pool = refresh_rounds();
  size_t i = 0;
  for (auto _ : state) {
    const RefreshRound& rr = pool[i++ % pool.size()];
    auto r = cosign::ServiceRefresh::respond(holder().service, kHolder, rr.refresh_id, rr.request, rng());
    if (!r.ok()) state.SkipWithError("refresh respond failed");
    benchmark::DoNotOptimize(r);
  }
}

void device_refresh_finish_kdf1000(benchmark::State& state) {
  const auto& pool = refresh_rounds();
  size_t i = 0;
  for (auto _ : state) {
    const RefreshRound& rr = pool[i++ % pool.size()];
    cosign::DeviceRefresh fresh = rr.device;  // a copy, should finish ever become single-use
    auto r = fresh.finish(rr.response, kPin, kFastIterations, rng());
    if (!r.ok()) state.SkipWithError("refresh finish failed");
    benchmark::DoNotOptimize(r);
  }
}

void service_refresh_confirm(benchmark::State& state) {
  const auto& pool = refresh_rounds();
  size_t i = 0;
  for (auto _ : state) {
    const RefreshRound& rr = pool[i++ % pool.size()];
    Status st = cosign::ServiceRefresh::confirm(rr.pending, kHolder, rr.refresh_id, rr.confirm);
    if (!st.ok()) state.SkipWithError("refresh confirm failed");
  }
}

// ---- Registration ------------------------------------------------------------------------

void add(const char* name, void (*fn)(benchmark::State&), benchmark::TimeUnit unit = benchmark::kMicrosecond) {
  benchmark::RegisterBenchmark(name, fn)->Unit(unit);
}

}  // namespace

// Called by bench_summary.cc's main().
void register_all() {
  // Baselines.
  add("openssl_sm2_sign_evp", openssl_sm2_sign_evp);
  add("openssl_sm2_sign_raw_digest", openssl_sm2_sign_raw_digest);
  add("openssl_sm2_verify_evp", openssl_sm2_verify_evp);
  add("openssl_sm2_verify_raw_digest", openssl_sm2_verify_raw_digest);
  add("point_mul_base", point_mul_base);
  add("point_mul", point_mul);
  // Building blocks.
  add("point_public_mul_add", point_public_mul_add);
  add("point_mul_base_add", point_mul_base_add);
  add("openssl_ec_point_mul", openssl_ec_point_mul);
  add("sm2_field_mul", sm2_field_mul, benchmark::kNanosecond);
  add("sm2_field_sqr", sm2_field_sqr, benchmark::kNanosecond);
  add("sm2_field_inv", sm2_field_inv);
  add("point_from_sec1", point_from_sec1);
  add("scalar_inverse", scalar_inverse);
  add("scalar_mul", scalar_mul);
  add("hedged_nonce", hedged_nonce);
  add("duet_sm2_verify_digest", duet_sm2_verify_digest);
  add("schnorr_verify_sign_proof", schnorr_verify_sign_proof);
  add("schnorr_verify_pin_proof", schnorr_verify_pin_proof);
  // PIN KDF.
  add("pin_factor_1000", pin_factor_1000);
  add("pin_factor_default_100000", pin_factor_default_100000, benchmark::kMillisecond);
  // Key generation.
  add("device_keygen_start", device_keygen_start);
  add("service_keygen_respond", service_keygen_respond);
  add("device_keygen_finish_kdf1000", device_keygen_finish_kdf1000);
  // Signing.
  add("device_sign_start_kdf1000", device_sign_start_kdf1000);
  add("device_sign_start_kdf100000", device_sign_start_kdf100000, benchmark::kMillisecond);
  add("service_sign_verify_session", service_sign_verify_session);
  add("service_sign_respond", service_sign_respond);
  add("device_sign_finish", device_sign_finish);
  add("service_sign_finish", service_sign_finish);
  add("cosignature_end_to_end_kdf1000", cosignature_end_to_end_kdf1000);
  // Refresh.
  add("device_refresh_start_kdf1000", device_refresh_start_kdf1000);
  add("service_refresh_respond", service_refresh_respond);
  add("device_refresh_finish_kdf1000", device_refresh_finish_kdf1000);
  add("service_refresh_confirm", service_refresh_confirm);
}
