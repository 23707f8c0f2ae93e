// Known-answer tests of docs/protocol.md §9, three ways:
//  1. the frozen known answers are checked in (testdata/protocol_vectors.txt);
//     the block in the document and the output of the code must both equal
//     them byte for byte. Nothing here regenerates anything: after a protocol
//     change on purpose, `scripts/protocol-vectors` rewrites the file and the
//     document block, and the diff is reviewed;
//  2. every frozen value is recomputed here from the frozen inputs with
//     OpenSSL only — EVP SM3 for challenges, Z_A and e, EC_POINT arithmetic on
//     NID_sm2, BIGNUM mod n, PKCS5_PBKDF2_HMAC with SM3, HMAC-SM3, and EVP SM2
//     verification with the distinguishing ID — never through duet's crypto
//     or cosign code (tests/protocol_vectors_openssl_test.sh checks the final
//     signatures once more with the openssl command alone);
//  3. so the document, the code and an independent computation agree.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <unistd.h>

#include "base/bytes.h"
#include "cosign/vectors.h"

namespace duet::cosign {
namespace {

// ---- The frozen answers and the document -----------------------------------

std::string read_source_file(const std::string& relative) {
  std::ifstream in(std::string(DUET_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::string read_document() { return read_source_file("docs/protocol.md"); }
std::string read_frozen() { return read_source_file("src/cosign/testdata/protocol_vectors.txt"); }

// The text between the vector markers, or "" when they are missing.
std::string vector_block(const std::string& doc) {
  const std::string begin = "<!-- vectors:begin -->\n```\n", end = "```\n<!-- vectors:end -->";
  auto b = doc.find(begin), e = doc.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) return "";
  return doc.substr(b + begin.size(), e - b - begin.size());
}

std::map<std::string, std::string> parse_block(const std::string& block) {
  std::map<std::string, std::string> out;
  std::istringstream lines(block);
  for (std::string line; std::getline(lines, line);) {
    auto eq = line.find(" = ");
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return out;
}

constexpr const char* kRegenerate =
    "If the protocol changed on purpose, run scripts/protocol-vectors (it rewrites "
    "src/cosign/testdata/protocol_vectors.txt and the block of docs/protocol.md §9) and review the diff";

TEST(ProtocolVectors, TheFrozenAnswersAreCheckedIn) {
  std::string frozen = read_frozen();
  ASSERT_FALSE(frozen.empty()) << "src/cosign/testdata/protocol_vectors.txt is missing";
  // Part A and Part B, every line "name = value", nothing else.
  auto v = parse_block(frozen);
  EXPECT_EQ(static_cast<size_t>(std::count(frozen.begin(), frozen.end(), '\n')), v.size());
  EXPECT_TRUE(v.count("A.signature_der_2") && v.count("B.s_2") && v.count("B.refresh_confirm_proof.z"));
}

TEST(ProtocolVectors, TheDocumentPrintsTheFrozenAnswersByteForByte) {
  std::string doc = read_document();
  ASSERT_FALSE(doc.empty()) << "docs/protocol.md is missing";
  std::string block = vector_block(doc);
  ASSERT_FALSE(block.empty()) << "no vector block in docs/protocol.md";
  EXPECT_EQ(block, read_frozen()) << "docs/protocol.md §9 differs from the frozen answers. " << kRegenerate;
}

TEST(ProtocolVectors, TheCodeReproducesTheFrozenAnswersByteForByte) {
  std::string frozen = read_frozen();
  ASSERT_FALSE(frozen.empty());
  EXPECT_EQ(format_vectors(protocol_test_vectors()), frozen)
      << "the code no longer produces the frozen protocol vectors. " << kRegenerate;
}

// ---- OpenSSL, independently -----------------------------------------------

// Hex to bytes; malformed hex gives no bytes (and so a failing comparison).
Bytes hexb(const std::string& h) {
  auto b = from_hex(h);
  return b.ok() ? *b : Bytes{};
}

struct BnFree { void operator()(BIGNUM* b) const { BN_clear_free(b); } };
struct PointFree { void operator()(EC_POINT* p) const { EC_POINT_free(p); } };
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using Pt = std::unique_ptr<EC_POINT, PointFree>;

// Values of the document, computed with OpenSSL. Any OpenSSL failure is a
// test failure (`ok` false), never a crash.
class Ossl {
 public:
  Ossl() : group_(EC_GROUP_new_by_curve_name(NID_sm2)), ctx_(BN_CTX_new()) {
    n_ = Bn(BN_new());
    ok = group_ != nullptr && ctx_ != nullptr && EC_GROUP_get_order(group_, n_.get(), ctx_) == 1;
  }
  ~Ossl() {
    EC_GROUP_free(group_);
    BN_CTX_free(ctx_);
  }
  bool ok = false;

  Bn bn(const std::string& hex) {
    BIGNUM* b = nullptr;
    if (BN_hex2bn(&b, hex.c_str()) == 0) ok = false;
    return Bn(b != nullptr ? b : BN_new());
  }
  Bn bn(const Bytes& be) { return Bn(BN_bin2bn(be.data(), static_cast<int>(be.size()), nullptr)); }
  // int(SM3 input) mod n and friends.
  Bn mod(const Bn& a) { return op([&](BIGNUM* r) { return BN_nnmod(r, a.get(), n_.get(), ctx_); }); }
  Bn add(const Bn& a, const Bn& b) { return op([&](BIGNUM* r) { return BN_mod_add(r, a.get(), b.get(), n_.get(), ctx_); }); }
  Bn sub(const Bn& a, const Bn& b) { return op([&](BIGNUM* r) { return BN_mod_sub(r, a.get(), b.get(), n_.get(), ctx_); }); }
  Bn mul(const Bn& a, const Bn& b) { return op([&](BIGNUM* r) { return BN_mod_mul(r, a.get(), b.get(), n_.get(), ctx_); }); }
  Bn inv(const Bn& a) {
    return op([&](BIGNUM* r) { return BN_mod_inverse(r, a.get(), n_.get(), ctx_) != nullptr ? 1 : 0; });
  }
  std::string hex(const Bn& a) {
    Bytes out(32);
    if (BN_bn2binpad(a.get(), out.data(), 32) != 32) ok = false;
    return to_hex(out);
  }

  Pt point(const std::string& hex) {
    Pt p(EC_POINT_new(group_));
    auto bytes = from_hex(hex);
    if (!bytes.ok() || EC_POINT_oct2point(group_, p.get(), bytes->data(), bytes->size(), ctx_) != 1) ok = false;
    return p;
  }
  // k·G + m·Q (either term may be absent).
  Pt ec_mul(const Bn* k, const EC_POINT* q = nullptr, const Bn* m = nullptr) {
    Pt p(EC_POINT_new(group_));
    if (EC_POINT_mul(group_, p.get(), k ? k->get() : nullptr, q, m ? m->get() : nullptr, ctx_) != 1) ok = false;
    return p;
  }
  Pt add(const EC_POINT* a, const EC_POINT* b) {
    Pt p(EC_POINT_new(group_));
    if (EC_POINT_add(group_, p.get(), a, b, ctx_) != 1) ok = false;
    return p;
  }
  Pt neg(const EC_POINT* a) {
    Pt p(EC_POINT_dup(a, group_));
    if (EC_POINT_invert(group_, p.get(), ctx_) != 1) ok = false;
    return p;
  }
  std::string hex(const EC_POINT* p) {
    Bytes out(65);
    if (EC_POINT_point2oct(group_, p, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), ctx_) != 65) ok = false;
    return to_hex(out);
  }
  const EC_POINT* g() const { return EC_GROUP_get0_generator(group_); }
  Bytes x_of(const EC_POINT* p) {
    Bn x(BN_new()), y(BN_new());
    Bytes out(32);
    if (EC_POINT_get_affine_coordinates(group_, p, x.get(), y.get(), ctx_) != 1) ok = false;
    BN_bn2binpad(x.get(), out.data(), 32);
    return out;
  }
  // a ‖ b ‖ x_G ‖ y_G, 32 bytes each, from the group itself.
  Bytes curve_for_za() {
    Bn p(BN_new()), a(BN_new()), b(BN_new()), xg(BN_new()), yg(BN_new());
    if (EC_GROUP_get_curve(group_, p.get(), a.get(), b.get(), ctx_) != 1 ||
        EC_POINT_get_affine_coordinates(group_, g(), xg.get(), yg.get(), ctx_) != 1) {
      ok = false;
    }
    Bytes out(128);
    BN_bn2binpad(a.get(), out.data(), 32);
    BN_bn2binpad(b.get(), out.data() + 32, 32);
    BN_bn2binpad(xg.get(), out.data() + 64, 32);
    BN_bn2binpad(yg.get(), out.data() + 96, 32);
    return out;
  }

  Bytes sm3(const Bytes& data) {
    Bytes out(32);
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sm3(), nullptr) != 1 || len != 32) ok = false;
    return out;
  }
  Bytes hmac_sm3(const Bytes& key, const Bytes& data) {
    Bytes out(32);
    size_t len = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SM3", nullptr, key.data(), key.size(), data.data(), data.size(),
                  out.data(), out.size(), &len) == nullptr || len != 32) {
      ok = false;
    }
    return out;
  }
  Bytes pbkdf2_sm3(const std::string& pin, const Bytes& salt, int iterations) {
    Bytes out(64);
    if (PKCS5_PBKDF2_HMAC(pin.data(), static_cast<int>(pin.size()), salt.data(), static_cast<int>(salt.size()),
                          iterations, EVP_sm3(), 64, out.data()) != 1) {
      ok = false;
    }
    return out;
  }

  // The SEC1 public key as an SM2 EVP_PKEY (caller frees), or nullptr.
  EVP_PKEY* public_key(const std::string& pub_hex) {
    Bytes pub = hexb(pub_hex);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* from = EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr);
    EVP_PKEY* pkey = nullptr;
    bool made = from != nullptr && EVP_PKEY_fromdata_init(from) == 1 &&
                EVP_PKEY_fromdata(from, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(from);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    if (!made) ok = false;
    return made ? pkey : nullptr;
  }
  // SubjectPublicKeyInfo PEM of the SEC1 public key, for the openssl CLI.
  std::string public_key_pem(const std::string& pub_hex) {
    EVP_PKEY* pkey = public_key(pub_hex);
    BIO* bio = BIO_new(BIO_s_mem());
    std::string pem;
    if (pkey != nullptr && bio != nullptr && PEM_write_bio_PUBKEY(bio, pkey) == 1) {
      char* data = nullptr;
      long len = BIO_get_mem_data(bio, &data);
      pem.assign(data, static_cast<size_t>(len));
    } else {
      ok = false;
    }
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return pem;
  }

  // EVP verification of a DER SM2 signature of `message` under the SEC1
  // public key, with the distinguishing ID set explicitly (OpenSSL 3.0's
  // default ID is empty: see FIELD-NOTES).
  bool evp_verify(const std::string& pub_hex, const std::string& message, const Bytes& der, const std::string& id) {
    EVP_PKEY* pkey = public_key(pub_hex);
    if (pkey == nullptr) return false;
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new(pkey, nullptr);
    bool verified = md != nullptr && pctx != nullptr && EVP_PKEY_CTX_set1_id(pctx, id.data(), id.size()) == 1;
    if (verified) {
      EVP_MD_CTX_set_pkey_ctx(md, pctx);
      verified = EVP_DigestVerifyInit(md, nullptr, EVP_sm3(), nullptr, pkey) == 1 &&
                 EVP_DigestVerify(md, der.data(), der.size(), reinterpret_cast<const uint8_t*>(message.data()),
                                  message.size()) == 1;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pctx);  // not owned by md after set_pkey_ctx
    EVP_PKEY_free(pkey);
    return verified;
  }

 private:
  template <typename F>
  Bn op(F f) {
    Bn r(BN_new());
    if (f(r.get()) != 1) ok = false;
    return r;
  }
  EC_GROUP* group_;
  BN_CTX* ctx_;
  Bn n_;
};

// f(v) = 4-byte big-endian length ‖ v.
void frame(Bytes& out, const Bytes& v) {
  uint32_t n = static_cast<uint32_t>(v.size());
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(n >> s));
  out.insert(out.end(), v.begin(), v.end());
}
Bytes ascii(const std::string& s) { return Bytes(s.begin(), s.end()); }
Bytes framed(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) frame(out, p);
  return out;
}

class DocVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    v = parse_block(read_frozen());
    ASSERT_FALSE(v.empty()) << "no frozen vectors (src/cosign/testdata/protocol_vectors.txt)";
    ASSERT_TRUE(v.count("A.pin_proof.T") && v.count("B.pin_proof.T")) << "the frozen vectors are not v2";
    ASSERT_TRUE(o.ok);
  }
  void TearDown() override { EXPECT_TRUE(o.ok) << "an OpenSSL call failed"; }

  // The value of `name` in the document; a missing name fails the test.
  const std::string& at(const std::string& name) {
    auto it = v.find(name);
    if (it == v.end()) {
      ADD_FAILURE() << "the frozen vectors have no " << name;
      static const std::string none;
      return none;
    }
    return it->second;
  }

  // A proof `name` (T, z, and c when printed) for X = x·B under `domain`:
  // c = int(SM3(f(domain) ‖ f(B) ‖ f(X) ‖ f(T) ‖ f(context))) mod n and
  // z·B = T + c·X, all from the document's hex.
  void check_proof(const std::string& name, const std::string& domain, const std::string& base_hex,
                   const std::string& x_hex, const Bytes& context) {
    SCOPED_TRACE(name);
    const std::string& t_hex = at(name + ".T");
    Bn c = o.mod(o.bn(o.sm3(framed({ascii(domain), hexb(base_hex), hexb(x_hex), hexb(t_hex), context}))));
    if (v.count(name + ".c")) {
      EXPECT_EQ(o.hex(c), at(name + ".c"));
    }
    Pt base = o.point(base_hex), x = o.point(x_hex), t = o.point(t_hex);
    Bn z = o.bn(at(name + ".z"));
    Pt lhs = o.ec_mul(nullptr, base.get(), &z);
    Pt cx = o.ec_mul(nullptr, x.get(), &c);
    Pt rhs = o.add(t.get(), cx.get());
    EXPECT_EQ(o.hex(lhs.get()), o.hex(rhs.get()));
    // Part A also gives the nonce: T = t·B and z = t + c·x.
    if (v.count(name + ".t_nonce")) {
      Bn tn = o.bn(at(name + ".t_nonce"));
      EXPECT_EQ(o.hex(o.ec_mul(nullptr, base.get(), &tn).get()), t_hex);
    }
  }
  void check_witness(const std::string& name, const std::string& x_secret_hex) {
    SCOPED_TRACE(name);
    Bn z = o.add(o.bn(at(name + ".t_nonce")), o.mul(o.bn(at(name + ".c")), o.bn(x_secret_hex)));
    EXPECT_EQ(o.hex(z), at(name + ".z"));
  }

  std::string e_of(const std::string& pub_hex, const std::string& message) {
    Bytes za_input = {0x00, 0x80};  // ENTL: 128 bits of "1234567812345678"
    Bytes id = ascii("1234567812345678"), curve = o.curve_for_za(), pub = hexb(pub_hex);
    za_input.insert(za_input.end(), id.begin(), id.end());
    za_input.insert(za_input.end(), curve.begin(), curve.end());
    za_input.insert(za_input.end(), pub.begin() + 1, pub.end());
    Bytes e_input = o.sm3(za_input);
    za_hex = to_hex(e_input);
    e_input.insert(e_input.end(), message.begin(), message.end());
    return to_hex(o.sm3(e_input));
  }
  Bytes k_be(uint32_t k) { return {uint8_t(k >> 24), uint8_t(k >> 16), uint8_t(k >> 8), uint8_t(k)}; }
  // The §5 PIN proof context for two items.
  Bytes pin_context(const std::string& p) {
    return framed({ascii(at("A.order_id")), ascii(at("A.session_id")), k_be(2), hexb(at(p + "e_1")),
                   hexb(at(p + "Q1_1")), hexb(at(p + "e_2")), hexb(at(p + "Q1_2"))});
  }

  std::map<std::string, std::string> v;
  Ossl o;
  std::string za_hex;
};

TEST_F(DocVectors, PartASecretsAreTheLabelledHashes) {
  for (const auto& [name, label] : std::map<std::string, std::string>{
           {"A.d1", "d1"}, {"A.d2", "d2"}, {"A.k1_1", "k1-1"}, {"A.k1_2", "k1-2"}, {"A.k2_1", "k2-1"},
           {"A.k3_1", "k3-1"}, {"A.k2_2", "k2-2"}, {"A.k3_2", "k3-2"}, {"A.rho", "rho"},
           {"A.keygen_device_proof.t_nonce", "t-keygen-device"}, {"A.keygen_service_proof.t_nonce", "t-keygen-service"},
           {"A.sign_device_proof_1.t_nonce", "t-sign-device-1"}, {"A.sign_device_proof_2.t_nonce", "t-sign-device-2"},
           {"A.pin_proof.t_nonce", "t-sign-pin"}, {"A.refresh_device_proof.t_nonce", "t-refresh-device"},
           {"A.refresh_service_proof.t_nonce", "t-refresh-service"},
           {"A.refresh_confirm_proof.t_nonce", "t-refresh-confirm"},
           {"A.handwriting_pin_proof.t_nonce", "t-handwriting-pin"}}) {
    EXPECT_EQ(o.hex(o.mod(o.bn(o.sm3(ascii("duet/vector/" + label))))), at(name)) << name;
  }
}

TEST_F(DocVectors, PartAKeyGeneration) {
  Bn d1 = o.bn(at("A.d1")), d2 = o.bn(at("A.d2"));
  Bn u = o.inv(d1);
  EXPECT_EQ(o.hex(o.ec_mul(&u).get()), at("A.P1"));
  EXPECT_EQ(o.hex(u), at("A.u"));
  // P + G = d2⁻¹·P1 and P = d·G with d = (d1·d2)⁻¹ − 1.
  Pt p1 = o.point(at("A.P1"));
  Bn d2_inv = o.inv(d2);
  Pt p_plus_g = o.ec_mul(nullptr, p1.get(), &d2_inv);
  Pt pub = o.add(p_plus_g.get(), o.neg(o.g()).get());
  EXPECT_EQ(o.hex(pub.get()), at("A.P"));
  Bn one = o.bn(std::string("01"));
  Bn d = o.sub(o.inv(o.mul(d1, d2)), one);
  EXPECT_EQ(o.hex(d), at("A.d_for_checking_only"));
  EXPECT_EQ(o.hex(o.ec_mul(&d).get()), at("A.P"));
  Bytes kctx = framed({ascii(at("A.holder_id"))});
  check_proof("A.keygen_device_proof", "duet/keygen/device/v1", o.hex(o.g()), at("A.P1"), kctx);
  check_witness("A.keygen_device_proof", o.hex(u));
  check_proof("A.keygen_service_proof", "duet/keygen/service/v1", at("A.P1"), o.hex(p_plus_g.get()), kctx);
  check_witness("A.keygen_service_proof", o.hex(d2_inv));
}

TEST_F(DocVectors, PartAPinWrap) {
  for (const std::string p : {"", "new_"}) {
    SCOPED_TRACE(p);
    std::string pin = p.empty() ? at("A.pin") : at("A.new_pin");
    Bn w = o.mod(o.bn(o.pbkdf2_sm3(pin, hexb(at("A." + p + "pin_salt")), std::stoi(at("A.pin_iterations")))));
    EXPECT_EQ(o.hex(w), at("A." + p + "pin_w"));
    Bn share = p.empty() ? o.bn(at("A.d1")) : o.bn(at("A.d1_new"));
    EXPECT_EQ(o.hex(o.mul(share, o.inv(w))), at(p.empty() ? "A.d1_wrapped" : "A.d1_new_wrapped"));
  }
}

TEST_F(DocVectors, PartASigningSessionWithItsPinProof) {
  EXPECT_EQ(e_of(at("A.P"), at("A.message_1_ascii")), at("A.e_1"));
  EXPECT_EQ(za_hex, at("A.za"));
  EXPECT_EQ(e_of(at("A.P"), at("A.message_2_ascii")), at("A.e_2"));
  Bn d1 = o.bn(at("A.d1")), d2 = o.bn(at("A.d2"));
  for (const std::string n : {"1", "2"}) {
    SCOPED_TRACE("item " + n);
    Bn k1 = o.bn(at("A.k1_" + n)), k2 = o.bn(at("A.k2_" + n)), k3 = o.bn(at("A.k3_" + n));
    EXPECT_EQ(o.hex(o.ec_mul(&k1).get()), at("A.Q1_" + n));
    Bytes sctx = framed({ascii(at("A.order_id")), ascii(at("A.session_id")), hexb(at("A.e_" + n))});
    EXPECT_EQ(to_hex(sctx), at("A.sign_context_" + n));
    check_proof("A.sign_device_proof_" + n, "duet/sign/device/v1", o.hex(o.g()), at("A.Q1_" + n), sctx);
    check_witness("A.sign_device_proof_" + n, at("A.k1_" + n));
    // Step 2: (x1, y1) = k3·Q1 + k2·G, r = e + x1, s2 = d2·k3, s3 = d2·(r + k2).
    Pt q1 = o.point(at("A.Q1_" + n));
    Pt x = o.ec_mul(&k2, q1.get(), &k3);
    Bn r = o.add(o.mod(o.bn(hexb(at("A.e_" + n)))), o.mod(o.bn(o.x_of(x.get()))));
    EXPECT_EQ(o.hex(r), at("A.r_" + n));
    EXPECT_EQ(o.hex(o.mul(d2, k3)), at("A.s2_" + n));
    EXPECT_EQ(o.hex(o.mul(d2, o.add(r, k2))), at("A.s3_" + n));
    // Step 3: s = (d1·k1)·s2 + d1·s3 − r.
    Bn s2 = o.bn(at("A.s2_" + n)), s3 = o.bn(at("A.s3_" + n));
    Bn s = o.sub(o.add(o.mul(o.mul(d1, k1), s2), o.mul(d1, s3)), r);
    EXPECT_EQ(o.hex(s), at("A.s_" + n));
    // The DER signature is SEQUENCE {r, s} and verifies as a standard SM2
    // signature with the ID 1234567812345678 — and not with OpenSSL's empty
    // default ID, nor for another message.
    Bytes der = hexb(at("A.signature_der_" + n));
    EXPECT_TRUE(o.evp_verify(at("A.P"), at("A.message_" + n + "_ascii"), der, "1234567812345678"));
    EXPECT_FALSE(o.evp_verify(at("A.P"), at("A.message_" + n + "_ascii"), der, ""));
    EXPECT_FALSE(o.evp_verify(at("A.P"), at("A.message_" + n + "_ascii") + ".", der, "1234567812345678"));
    EXPECT_NE(at("A.signature_der_" + n).find(at("A.r_" + n)), std::string::npos);
    EXPECT_NE(at("A.signature_der_" + n).find(at("A.s_" + n)), std::string::npos);
  }
  // One PIN proof for the session: X = P1 = u·G, context over both items in order.
  Bytes pctx = pin_context("A.");
  EXPECT_EQ(to_hex(pctx), at("A.pin_proof_context"));
  check_proof("A.pin_proof", "duet/sign/pin/v1", o.hex(o.g()), at("A.P1"), pctx);
  check_witness("A.pin_proof", at("A.u"));
}

TEST_F(DocVectors, PartARefreshWithAPinChange) {
  Bn d1 = o.bn(at("A.d1")), d2 = o.bn(at("A.d2")), rho = o.bn(at("A.rho"));
  Bytes rctx = framed({ascii(at("A.holder_id")), ascii(at("A.refresh_id")), hexb(at("A.rho"))});
  EXPECT_EQ(to_hex(rctx), at("A.refresh_context"));
  check_proof("A.refresh_device_proof", "duet/refresh/device/v1", o.hex(o.g()), at("A.P1"), rctx);
  check_witness("A.refresh_device_proof", at("A.u"));
  Bn d2_new = o.mul(d2, o.inv(rho));
  EXPECT_EQ(o.hex(d2_new), at("A.d2_new"));
  Bn d1_new = o.mul(d1, rho);
  EXPECT_EQ(o.hex(d1_new), at("A.d1_new"));
  // P1' = ρ⁻¹·P1 = d1'⁻¹·G, and P + G = d2'⁻¹·P1' (the public key is unchanged).
  Bn d1_new_inv = o.inv(d1_new);
  EXPECT_EQ(o.hex(o.ec_mul(&d1_new_inv).get()), at("A.P1_new"));
  Pt p1_new = o.point(at("A.P1_new"));
  Bn d2_new_inv = o.inv(d2_new);
  Pt p_plus_g = o.ec_mul(nullptr, p1_new.get(), &d2_new_inv);
  Pt pub = o.point(at("A.P"));
  EXPECT_EQ(o.hex(p_plus_g.get()), o.hex(o.add(pub.get(), o.g()).get()));
  check_proof("A.refresh_service_proof", "duet/refresh/service/v1", at("A.P1_new"), o.hex(p_plus_g.get()), rctx);
  check_witness("A.refresh_service_proof", o.hex(d2_new_inv));
  // The confirm context is f(holder_id) ‖ f(refresh_id): no ρ.
  Bytes cctx = framed({ascii(at("A.holder_id")), ascii(at("A.refresh_id"))});
  EXPECT_EQ(to_hex(cctx), at("A.refresh_confirm_context"));
  check_proof("A.refresh_confirm_proof", "duet/refresh/confirm/v1", o.hex(o.g()), at("A.P1_new"), cctx);
  check_witness("A.refresh_confirm_proof", o.hex(d1_new_inv));
}

TEST_F(DocVectors, PartAHandwritingPinProof) {
  // context = f(holder_id) ‖ f(challenge_id) ‖ f("put") ‖ f(SM3(image)); X = P1 = u·G.
  Bytes digest = o.sm3(ascii(at("A.handwriting_image_ascii")));
  EXPECT_EQ(to_hex(digest), at("A.handwriting_image_sm3"));
  EXPECT_EQ(at("A.handwriting_operation_ascii"), "put");
  Bytes hctx = framed({ascii(at("A.holder_id")), ascii(at("A.handwriting_challenge_id")),
                       ascii(at("A.handwriting_operation_ascii")), digest});
  EXPECT_EQ(to_hex(hctx), at("A.handwriting_pin_context"));
  check_proof("A.handwriting_pin_proof", "duet/handwriting/pin/v1", o.hex(o.g()), at("A.P1"), hctx);
  check_witness("A.handwriting_pin_proof", at("A.u"));
  // Domain separation: the same T and context under the signing PIN domain
  // (or with another operation) give another challenge.
  Bn c = o.mod(o.bn(o.sm3(framed({ascii("duet/sign/pin/v1"), hexb(o.hex(o.g())), hexb(at("A.P1")),
                                  hexb(at("A.handwriting_pin_proof.T")), hctx}))));
  EXPECT_NE(o.hex(c), at("A.handwriting_pin_proof.c"));
  Bytes del = framed({ascii(at("A.holder_id")), ascii(at("A.handwriting_challenge_id")), ascii("delete"), Bytes{}});
  Bn c2 = o.mod(o.bn(o.sm3(framed({ascii("duet/handwriting/pin/v1"), hexb(o.hex(o.g())), hexb(at("A.P1")),
                                   hexb(at("A.handwriting_pin_proof.T")), del}))));
  EXPECT_NE(o.hex(c2), at("A.handwriting_pin_proof.c"));
}

TEST_F(DocVectors, PartAHedgedNonce) {
  // input = "duet/nonce/v1" ‖ f(label) ‖ f(transcript) ‖ f(fresh) ‖ counter;
  // k = int(HMAC(secret, input ‖ 01) ‖ HMAC(secret, input ‖ 02)) mod n.
  Bytes input = ascii("duet/nonce/v1");
  frame(input, ascii(at("A.hedged_nonce.label")));
  frame(input, ascii(at("A.hedged_nonce.transcript_ascii")));
  frame(input, hexb(at("A.hedged_nonce.fresh")));
  input.push_back(0);
  Bytes key = hexb(at("A.hedged_nonce.secret"));
  input.push_back(1);
  Bytes wide = o.hmac_sm3(key, input);
  input.back() = 2;
  Bytes h2 = o.hmac_sm3(key, input);
  wide.insert(wide.end(), h2.begin(), h2.end());
  EXPECT_EQ(o.hex(o.mod(o.bn(wide))), at("A.hedged_nonce.k"));
}

TEST_F(DocVectors, PartBTranscriptVerifies) {
  std::string g = o.hex(o.g());
  Bytes kctx = framed({ascii(at("A.holder_id"))});
  check_proof("B.keygen_device_proof", "duet/keygen/device/v1", g, at("B.P1"), kctx);
  Pt pub = o.point(at("B.P"));
  std::string p_plus_g = o.hex(o.add(pub.get(), o.g()).get());
  check_proof("B.keygen_service_proof", "duet/keygen/service/v1", at("B.P1"), p_plus_g, kctx);
  for (const std::string n : {"1", "2"}) {
    SCOPED_TRACE("item " + n);
    EXPECT_EQ(e_of(at("B.P"), at("A.message_" + n + "_ascii")), at("B.e_" + n));
    Bytes sctx = framed({ascii(at("A.order_id")), ascii(at("A.session_id")), hexb(at("B.e_" + n))});
    check_proof("B.sign_device_proof_" + n, "duet/sign/device/v1", g, at("B.Q1_" + n), sctx);
    // (r, s) as DER SEQUENCE {INTEGER r, INTEGER s}, built here from the hex.
    auto integer = [](const std::string& hex) {
      Bytes b = hexb(hex);
      if (b.empty()) return Bytes{};
      while (b.size() > 1 && b[0] == 0 && b[1] < 0x80) b.erase(b.begin());
      if (b[0] >= 0x80) b.insert(b.begin(), 0);
      Bytes out = {0x02, static_cast<uint8_t>(b.size())};
      out.insert(out.end(), b.begin(), b.end());
      return out;
    };
    Bytes body = integer(at("B.r_" + n)), s = integer(at("B.s_" + n));
    body.insert(body.end(), s.begin(), s.end());
    Bytes der = {0x30, static_cast<uint8_t>(body.size())};
    der.insert(der.end(), body.begin(), body.end());
    EXPECT_TRUE(o.evp_verify(at("B.P"), at("A.message_" + n + "_ascii"), der, "1234567812345678"));
  }
  check_proof("B.pin_proof", "duet/sign/pin/v1", g, at("B.P1"), pin_context("B."));
  Bytes rctx = framed({ascii(at("A.holder_id")), ascii(at("A.refresh_id")), hexb(at("B.rho"))});
  check_proof("B.refresh_device_proof", "duet/refresh/device/v1", g, at("B.P1"), rctx);
  Bn rho_inv = o.inv(o.bn(at("B.rho")));
  Pt p1 = o.point(at("B.P1"));
  std::string p1_new = o.hex(o.ec_mul(nullptr, p1.get(), &rho_inv).get());
  check_proof("B.refresh_service_proof", "duet/refresh/service/v1", p1_new, p_plus_g, rctx);
  check_proof("B.refresh_confirm_proof", "duet/refresh/confirm/v1", g, p1_new,
              framed({ascii(at("A.holder_id")), ascii(at("A.refresh_id"))}));
}

TEST_F(DocVectors, TheOpensslCommandVerifiesTheFinalSignatures) {
  // The way a reader would check the document: `openssl dgst` with the ID.
  if (std::system("openssl version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl command";
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("duet-vectors-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
  };
  write("pub.pem", o.public_key_pem(at("A.P")));
  for (const std::string n : {"1", "2"}) {
    Bytes der = hexb(at("A.signature_der_" + n));
    write("sig.der", std::string(der.begin(), der.end()));
    write("msg", at("A.message_" + n + "_ascii"));
    write("other", at("A.message_" + n + "_ascii") + ".");
    std::string base = "cd '" + dir.string() + "' && openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature sig.der ";
    EXPECT_EQ(std::system((base + "msg > out 2>&1").c_str()), 0) << "item " << n;
    std::ifstream out(dir / "out");
    std::string verdict((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
    EXPECT_NE(verdict.find("Verified OK"), std::string::npos) << verdict;
    EXPECT_NE(std::system((base + "other > out 2>&1").c_str()), 0) << "item " << n;
  }
  fs::remove_all(dir);
}

TEST_F(DocVectors, AProofDoesNotVerifyUnderAnotherDomainOrContext) {
  // The checker above can fail: the same PIN proof under the signing domain,
  // or with the items' order swapped in its context, gives another c.
  Bytes pctx = pin_context("A.");
  Bn c = o.mod(o.bn(o.sm3(framed({ascii("duet/sign/device/v1"), hexb(o.hex(o.g())), hexb(at("A.P1")),
                                  hexb(at("A.pin_proof.T")), pctx}))));
  EXPECT_NE(o.hex(c), at("A.pin_proof.c"));
  Bytes swapped = framed({ascii(at("A.order_id")), ascii(at("A.session_id")), k_be(2), hexb(at("A.e_2")),
                          hexb(at("A.Q1_2")), hexb(at("A.e_1")), hexb(at("A.Q1_1"))});
  Bn c2 = o.mod(o.bn(o.sm3(framed({ascii("duet/sign/pin/v1"), hexb(o.hex(o.g())), hexb(at("A.P1")),
                                   hexb(at("A.pin_proof.T")), swapped}))));
  EXPECT_NE(o.hex(c2), at("A.pin_proof.c"));
}

}  // namespace
}  // namespace duet::cosign
