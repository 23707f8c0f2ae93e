#include "base/result_testing.h"
#include "pki/ocsp.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <map>

#include "pki/issuer.h"
#include "pki/test_support.h"

namespace duet::pki {
namespace {

using namespace testing;  // LocalSigner, ScratchDir, run, ok_value

template <auto F>
struct Free {
  template <typename T>
  void operator()(T* p) const { F(p); }
};

class OcspTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One instant for the CA and the certificates it issues: two wall-clock
    // reads could put a leaf before its issuer if the clock steps back.
    const Time now = now_seconds();
    h_ = std::make_unique<CaHierarchy>(ok_value(create_ca_hierarchy(CaProfile{}, crypto::SystemRandom::instance(), now)));
    HolderProfile p;
    p.subject = {"CN", "Example Co", "", "Wang Wu", "77aa01bc9e3d5f20"};
    p.crl_url = "http://ca.duet.test/crl";
    p.ocsp_url = "http://ca.duet.test/ocsp";
    p.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
    IssuancePolicy policy;
    policy.policy_oid = p.policy_oid;
    policy.max_validity = std::chrono::days(400);
    LocalSigner a, b;
    good_ = std::make_unique<Certificate>(
        ok_value(issue_holder_certificate(h_->issuing_ca(), a.pub, p, policy, crypto::SystemRandom::instance(), now)));
    revoked_ = std::make_unique<Certificate>(
        ok_value(issue_holder_certificate(h_->issuing_ca(), b.pub, p, policy, crypto::SystemRandom::instance(), now)));
    config_ = std::make_unique<OcspResponderConfig>(OcspResponderConfig{
        h_->issuing_certificate,
        issue_ocsp_signer_certificate(h_->issuing_ca(), responder_.pub, {"CN", "Duet", "", "Duet OCSP", ""},
                                      std::chrono::days(30), crypto::SystemRandom::instance(), now)
            .value(),
        responder_.key});
    revoked_at_ = now_seconds() - std::chrono::hours(3);
    statuses_[good_->serial_hex()] = {CertStatus::kGood, {}, {}};
    statuses_[revoked_->serial_hex()] = {CertStatus::kRevoked, revoked_at_, RevocationReason::kKeyCompromise};
    lookup_ = [this](ByteView serial) -> Result<StatusAnswer> {
      auto it = statuses_.find(to_hex(serial));
      if (it == statuses_.end()) return StatusAnswer{CertStatus::kUnknown, {}, {}};
      return it->second;
    };
  }

  std::unique_ptr<CaHierarchy> h_;
  std::unique_ptr<Certificate> good_, revoked_;
  LocalSigner responder_;
  std::unique_ptr<OcspResponderConfig> config_;
  Time revoked_at_;
  std::map<std::string, StatusAnswer> statuses_;
  StatusLookup lookup_;
};

TEST_F(OcspTest, OpensslClientApisReadTheAnswers) {
  // Client side with OpenSSL's OCSP API: two CertIDs (SHA-1 and SM3) and a nonce.
  std::unique_ptr<OCSP_REQUEST, Free<OCSP_REQUEST_free>> req(OCSP_REQUEST_new());
  OCSP_CERTID* id_good = OCSP_cert_to_id(nullptr, good_->raw(), h_->issuing_certificate.raw());
  OCSP_CERTID* id_revoked = OCSP_cert_to_id(EVP_sm3(), revoked_->raw(), h_->issuing_certificate.raw());
  OCSP_CERTID* id_foreign = OCSP_cert_to_id(nullptr, good_->raw(), h_->root_certificate.raw());  // wrong issuer
  ASSERT_TRUE(OCSP_request_add0_id(req.get(), OCSP_CERTID_dup(id_good)));
  ASSERT_TRUE(OCSP_request_add0_id(req.get(), OCSP_CERTID_dup(id_revoked)));
  ASSERT_TRUE(OCSP_request_add0_id(req.get(), OCSP_CERTID_dup(id_foreign)));
  ASSERT_TRUE(OCSP_request_add1_nonce(req.get(), nullptr, 16));
  unsigned char* req_der = nullptr;
  int req_len = i2d_OCSP_REQUEST(req.get(), &req_der);
  Bytes request(req_der, req_der + req_len);
  OPENSSL_free(req_der);

  auto der = ocsp_respond(*config_, request, lookup_);
  ASSERT_TRUE(der.ok()) << der.error().to_string();
  EXPECT_TRUE(verify_ocsp_response_signature(*der, config_->signer).ok());
  EXPECT_FALSE(verify_ocsp_response_signature(*der, config_->signer, "").ok());

  const unsigned char* p = der->data();
  std::unique_ptr<OCSP_RESPONSE, Free<OCSP_RESPONSE_free>> resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der->size())));
  ASSERT_TRUE(resp);
  EXPECT_EQ(OCSP_response_status(resp.get()), OCSP_RESPONSE_STATUS_SUCCESSFUL);
  std::unique_ptr<OCSP_BASICRESP, Free<OCSP_BASICRESP_free>> basic(OCSP_response_get1_basic(resp.get()));
  ASSERT_TRUE(basic);
  EXPECT_EQ(OCSP_check_nonce(req.get(), basic.get()), 1);

  int status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
  ASSERT_EQ(OCSP_resp_find_status(basic.get(), id_good, &status, &reason, &rev, &thisupd, &nextupd), 1);
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
  ASSERT_EQ(OCSP_resp_find_status(basic.get(), id_revoked, &status, &reason, &rev, &thisupd, &nextupd), 1);
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  int day = 0, sec = 0;
  std::unique_ptr<ASN1_TIME, Free<ASN1_TIME_free>> expected(ASN1_TIME_set(nullptr, revoked_at_.time_since_epoch().count()));
  ASSERT_EQ(ASN1_TIME_diff(&day, &sec, rev, expected.get()), 1);
  EXPECT_EQ(day, 0);
  EXPECT_EQ(sec, 0);
  ASSERT_EQ(OCSP_resp_find_status(basic.get(), id_foreign, &status, &reason, &rev, &thisupd, &nextupd), 1);
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_UNKNOWN);

  // OCSP_basic_verify accepts a delegated responder only when every CertID in
  // the response names the same issuer with the same hash (ocsp_check_ids), so
  // ask again for the two certificates of this CA with SHA-1 CertIDs.
  std::unique_ptr<OCSP_REQUEST, Free<OCSP_REQUEST_free>> req2(OCSP_REQUEST_new());
  ASSERT_TRUE(OCSP_request_add0_id(req2.get(), OCSP_CERTID_dup(id_good)));
  ASSERT_TRUE(OCSP_request_add0_id(req2.get(), OCSP_cert_to_id(nullptr, revoked_->raw(), h_->issuing_certificate.raw())));
  unsigned char* req2_der = nullptr;
  int req2_len = i2d_OCSP_REQUEST(req2.get(), &req2_der);
  Bytes request2(req2_der, req2_der + req2_len);
  OPENSSL_free(req2_der);
  auto der2 = ocsp_respond(*config_, request2, lookup_);
  ASSERT_TRUE(der2.ok());
  p = der2->data();
  resp.reset(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der2->size())));
  basic.reset(OCSP_response_get1_basic(resp.get()));
  ASSERT_TRUE(basic);
  EXPECT_EQ(OCSP_check_nonce(req2.get(), basic.get()), 2);  // no nonce asked, none sent

  // OCSP_basic_verify: the responder chain, with the SM2 ID set on our copies of
  // every certificate. The response signature itself is skipped there
  // (OCSP_NOSIGS: 3.0 would check it with an empty ID) and was checked above.
  std::unique_ptr<X509_STORE, Free<X509_STORE_free>> store(X509_STORE_new());
  auto with_id = [](const Certificate& c) {
    X509* x = X509_dup(c.raw());
    ASN1_OCTET_STRING* id = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(id, reinterpret_cast<const unsigned char*>("1234567812345678"), 16);
    X509_set0_distinguishing_id(x, id);
    return x;
  };
  X509* root = with_id(h_->root_certificate);
  X509* issuing = with_id(h_->issuing_certificate);
  X509_STORE_add_cert(store.get(), root);
  X509_STORE_add_cert(store.get(), issuing);
  STACK_OF(X509)* signer = sk_X509_new_null();
  sk_X509_push(signer, with_id(config_->signer));
  EXPECT_EQ(OCSP_basic_verify(basic.get(), signer, store.get(), OCSP_NOSIGS | OCSP_NOINTERN), 1) << [] {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    return std::string(buf);
  }();
  // Without OCSP_NOSIGS, OpenSSL 3.0 refuses the standard-ID signature.
  EXPECT_NE(OCSP_basic_verify(basic.get(), signer, store.get(), OCSP_NOINTERN), 1);
  ERR_clear_error();
  sk_X509_pop_free(signer, X509_free);
  X509_free(root);
  X509_free(issuing);
  OCSP_CERTID_free(id_good);
  OCSP_CERTID_free(id_revoked);
  OCSP_CERTID_free(id_foreign);
}

TEST_F(OcspTest, MalformedAndFailingLookups) {
  for (const std::string& junk : {std::string("not ocsp"), std::string()}) {
    auto der = ocsp_respond(*config_, as_bytes(junk), lookup_);
    ASSERT_TRUE(der.ok());
    const unsigned char* p = der->data();
    std::unique_ptr<OCSP_RESPONSE, Free<OCSP_RESPONSE_free>> resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der->size())));
    ASSERT_TRUE(resp);
    EXPECT_EQ(OCSP_response_status(resp.get()), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  }
  // A store failure: internalError, not a wrong "good".
  ScratchDir dir;
  std::string issuing = dir.write("issuing.pem", h_->issuing_certificate.pem());
  std::string cert = dir.write("holder.pem", good_->pem());
  ASSERT_EQ(run("openssl ocsp -issuer " + issuing + " -cert " + cert + " -reqout " + dir.file("req.der")).status, 0);
  std::string req = dir.read("req.der");
  auto der = ocsp_respond(*config_, as_bytes(req), [](ByteView) -> Result<StatusAnswer> {
    return make_error(ErrorCode::kUnavailable, "store down");
  });
  ASSERT_TRUE(der.ok());
  const unsigned char* p = der->data();
  std::unique_ptr<OCSP_RESPONSE, Free<OCSP_RESPONSE_free>> resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der->size())));
  EXPECT_EQ(OCSP_response_status(resp.get()), OCSP_RESPONSE_STATUS_INTERNALERROR);
}

TEST_F(OcspTest, OpensslCommandLineRoundTrip) {
  ScratchDir dir;
  std::string issuing = dir.write("issuing.pem", h_->issuing_certificate.pem());
  std::string chain = dir.write("chain.pem", h_->root_certificate.pem() + h_->issuing_certificate.pem());
  std::string responder = dir.write("ocsp.pem", config_->signer.pem());
  for (const auto& [name, cert] : {std::pair{"good.pem", good_.get()}, std::pair{"revoked.pem", revoked_.get()}}) {
    std::string path = dir.write(name, cert->pem());
    std::string req = dir.file(std::string(name) + ".req");
    auto r = run("openssl ocsp -issuer " + issuing + " -cert " + path + " -reqout " + req);
    ASSERT_EQ(r.status, 0) << r.output;
    std::string want = std::string(name) + (cert == good_.get() ? ": good" : ": revoked");

    // Standard ID: openssl prints the status; the signature is ours to check.
    auto resp = ocsp_respond(*config_, as_bytes(dir.read(std::string(name) + ".req")), lookup_);
    ASSERT_TRUE(resp.ok());
    std::string resp_path = dir.write(std::string(name) + ".resp", *resp);
    auto show = run("cd " + dir.path() + " && openssl ocsp -respin " + resp_path + " -issuer " + issuing + " -cert " +
                    name + " -no_nonce -CAfile " + chain + " -noverify");
    EXPECT_NE(show.output.find(want), std::string::npos) << show.output;
    if (cert == revoked_.get()) {
      EXPECT_NE(show.output.find("Reason: keyCompromise"), std::string::npos) << show.output;
    }
    EXPECT_TRUE(verify_ocsp_response_signature(*resp, config_->signer).ok());

    // Empty ID (the OpenSSL 3.0 interop setting): `openssl ocsp` verifies the
    // signature too, trusting the responder certificate directly (-VAfile;
    // its chain carries standard-ID signatures, which 3.0 cannot check here).
    OcspResponderConfig empty_id = *config_;
    empty_id.sm2_id = "";
    auto resp2 = ocsp_respond(empty_id, as_bytes(dir.read(std::string(name) + ".req")), lookup_);
    ASSERT_TRUE(resp2.ok());
    std::string resp2_path = dir.write(std::string(name) + ".resp2", *resp2);
    auto verified = run("cd " + dir.path() + " && openssl ocsp -respin " + resp2_path + " -issuer " + issuing +
                        " -cert " + name + " -no_nonce -VAfile " + responder);
    EXPECT_NE(verified.output.find("Response verify OK"), std::string::npos) << verified.output;
    EXPECT_NE(verified.output.find(want), std::string::npos) << verified.output;
  }
}

}  // namespace
}  // namespace duet::pki
