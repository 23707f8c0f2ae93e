#include "base/result_testing.h"
#include "pki/csr.h"

#include <gtest/gtest.h>

#include "pki/test_support.h"

namespace duet::pki {
namespace {

using namespace testing;  // LocalSigner, ScratchDir, run, ok_value

const DistinguishedName kSubject{"CN", "Example Co", "", "Zhang San", "a1b2c3d4e5f60718"};

TEST(Csr, ExternalSignerRequestVerifies) {
  LocalSigner holder;
  auto der = build_csr(holder.pub, kSubject, holder.signer());
  ASSERT_TRUE(der.ok()) << der.error().to_string();
  EXPECT_EQ(holder.calls, 1);
  auto v = verify_csr(*der);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->public_key, holder.pub);
  EXPECT_EQ(v->subject, "serialNumber=a1b2c3d4e5f60718,CN=Zhang San,O=Example Co,C=CN");
  EXPECT_EQ(v->subject_fields.common_name, "Zhang San");
  // PEM is accepted too; another ID is not.
  EXPECT_TRUE(verify_csr(as_bytes(csr_pem(*der))).ok());
  EXPECT_EQ(verify_csr(*der, "").code(), ErrorCode::kSignatureInvalid);
}

TEST(Csr, OpensslVerifiesWithTheId) {
  LocalSigner holder;
  Bytes der = ok_value(build_csr(holder.pub, kSubject, holder.signer()));
  ScratchDir dir;
  std::string path = dir.write("req.der", der);
  auto ok = run("openssl req -inform DER -in " + path + " -noout -verify -vfyopt distid:1234567812345678");
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_NE(ok.output.find("verify OK"), std::string::npos) << ok.output;
  auto text = run("openssl req -inform DER -in " + path + " -noout -text");
  EXPECT_NE(text.output.find("Signature Algorithm: SM2-with-SM3"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("ASN1 OID: SM2"), std::string::npos) << text.output;
}

TEST(Csr, TamperedOrForeignRequestsAreRefused) {
  LocalSigner holder, other;
  Bytes der = ok_value(build_csr(holder.pub, kSubject, holder.signer()));
  // Flip one byte of the subject's CN ("Zhang San" → "Zhang Sam").
  Bytes tampered = der;
  std::string s(tampered.begin(), tampered.end());
  size_t at = s.find("Zhang San");
  ASSERT_NE(at, std::string::npos);
  tampered[at + 8] = 'm';
  EXPECT_EQ(verify_csr(tampered).code(), ErrorCode::kSignatureInvalid);
  // Truncated / garbage.
  EXPECT_EQ(verify_csr(Bytes(der.begin(), der.end() - 3)).code(), ErrorCode::kBadEncoding);
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_EQ(verify_csr(trailing).code(), ErrorCode::kBadEncoding);
  // A signer holding another key: refused before the request leaves build_csr.
  auto wrong = build_csr(holder.pub, kSubject, other.signer());
  EXPECT_EQ(wrong.code(), ErrorCode::kSignatureInvalid);
  // A signer that fails passes its error through.
  auto failing = build_csr(holder.pub, kSubject, [](const crypto::Digest&) -> Result<crypto::Sm2Signature> {
    return make_error(ErrorCode::kLocked, "too many PIN attempts");
  });
  EXPECT_EQ(failing.code(), ErrorCode::kLocked);
}

}  // namespace
}  // namespace duet::pki
