// The certificate service (core/certificate_service.h): holder certificates
// of the joint key, refused requests, revocation with CRL and OCSP.
#include <gtest/gtest.h>

#include <tuple>

#include "core/certificate_service.h"
#include "core/test_fixture.h"
#include "core/verification.h"
#include "store/ids.h"
#include "store/record_text.h"
#include "crypto/sm2_evp.h"
#include "pki/crl.h"
#include "pki/lint.h"
#include "pki/test_support.h"

namespace duet::core {
namespace {

using pki::testing::run;
using testing_support::ok_value;
using pki::testing::ScratchDir;

// The subject CN of a PEM certificate as the openssl CLI reads it (UTF-8),
// not through the project's own parser.
std::string openssl_cn(ScratchDir& dir, const std::string& name, const std::string& pem) {
  auto out = run("openssl x509 -in " + dir.write(name, pem) + " -noout -subject -nameopt utf8,sep_comma_plus");
  auto at = out.output.find("CN=");
  if (out.status != 0 || at == std::string::npos) return "<no CN: " + out.output + ">";
  at += 3;
  return out.output.substr(at, out.output.find_first_of(",\n", at) - at);
}

TEST_F(CoreTest, EnrollmentEndsWithACertificateOfTheJointKey) {
  TenantApp t = new_tenant("Bank");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  auto req = certs->request_certificate(d.ctx);
  ASSERT_TRUE(req.ok()) << req.error().to_string();
  EXPECT_EQ(req->kind, store::OrderKind::kCsr);
  ASSERT_EQ(req->items.size(), 1u);
  EXPECT_TRUE(req->items[0].input_is_digest);
  // Idempotent while open.
  bool replayed = false;
  auto again = certs->request_certificate(d.ctx, &replayed);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again->order_id, req->order_id);
  // Not the business system's: not listed, not shown.
  auto page = business->list_orders(t.sandbox, store::OrderFilter{});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->orders.empty());
  EXPECT_EQ(business->get_order(t.sandbox, req->order_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->cancel_order(t.sandbox, req->order_id).code(), ErrorCode::kNotFound);
  // The holder sees it and signs it like any order.
  auto pending = holders->pending_orders(d.ctx, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  auto signed_ = sign(d, req->order_id, "123456", "ses_csr_0001");
  ASSERT_TRUE(signed_.ok()) << signed_.error().to_string();
  EXPECT_EQ(signed_->state, store::OrderState::kSigned);
  EXPECT_EQ(metrics.cosignatures.load(), 0u);  // not metered
  EXPECT_EQ(metrics.certificates_issued.load(), 1u);

  auto cert = certs->current_certificate(d.ctx);
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  auto parsed = pki::Certificate::parse(cert->certificate_pem);
  ASSERT_TRUE(parsed.ok());
  auto holder = business->get_holder(t.sandbox, d.ctx.holder_id);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(holder->public_key_hex.has_value());
  EXPECT_EQ(ok_value(parsed->public_key()).to_hex(), *holder->public_key_hex);  // the joint key P
  // CN = the full name (issue 12); no ID number under the default policy.
  EXPECT_NE(parsed->subject().find("CN=张三,"), std::string::npos) << parsed->subject();
  EXPECT_EQ(parsed->subject().find("110101199003071234"), std::string::npos);
  const Bytes parsed_der = parsed->der();
  std::string der_text(parsed_der.begin(), parsed_der.end());
  EXPECT_EQ(der_text.find("110101199003071234"), std::string::npos);
  EXPECT_NE(parsed->subject().find("serialNumber="), std::string::npos) << parsed->subject();
  auto issuing = pki::Certificate::parse(cert->chain_pem);  // the first certificate of the chain
  ASSERT_TRUE(issuing.ok());
  EXPECT_EQ(parsed->issuer(), issuing->subject());

  // openssl on the command line: the leaf's SM2 signature with the standard ID.
  ScratchDir scratch;
  std::string leaf = scratch.write("holder.pem", cert->certificate_pem);
  std::string chain = scratch.write("chain.pem", cert->chain_pem);
  auto v = run("openssl verify -attime " + std::to_string(clock.now() + 60) + " -partial_chain -CAfile " + chain +
               " -vfyopt distid:1234567812345678 " + leaf);
  EXPECT_EQ(v.status, 0) << v.output;
  EXPECT_NE(v.output.find(": OK"), std::string::npos) << v.output;

  // A second request for the same key: it already has a certificate.
  EXPECT_EQ(certs->request_certificate(d.ctx).code(), ErrorCode::kConflict);
  // The business system sees it.
  auto list = certs->list_certificates(t.tenant_id, d.ctx.holder_id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().record.serial_hex, parsed->serial_hex());
}

// Issue 12: the tenant's certificate identity policy. A certificate issued
// under "none" stays as it is; the renewal after the switch to "gmt0015"
// carries the GM/T 0015 extension with the number; a renewal after the
// switch back carries none. openssl reads the certificates.
TEST_F(CoreTest, IdentityPolicyShapesNewCertificatesOnly) {
  constexpr const char* kId = "11010519491231002X";  // valid MOD 11-2 check
  TenantApp t = new_tenant("Bank");
  ASSERT_OK_AND_ASSIGN(store::Tenant fresh, admin->get_tenant(op, t.tenant_id));
  EXPECT_EQ(fresh.cert_identity_policy, "none");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456", kId));
  auto issue = [&](bool renewal, const std::string& session) -> Result<CertificateView> {
    clock.advance(60);  // newest first is by issuance time
    DUET_ASSIGN_OR_RETURN(store::SignOrder req, certs->request_certificate(d.ctx, nullptr, renewal));
    DUET_TRY_STATUS(sign(d, req.order_id, "123456", session));
    DUET_ASSIGN_OR_RETURN(auto list, certs->list_certificates(t.tenant_id, d.ctx.holder_id));
    if (list.empty()) return make_error(ErrorCode::kInternal, "nothing issued");
    return list.front();  // newest first
  };
  ScratchDir scratch;
  auto text_of = [&](const CertificateView& v, const std::string& name) {
    return run("openssl x509 -in " + scratch.write(name, v.certificate_pem) +
               " -noout -text -nameopt utf8,sep_comma_plus").output;
  };
  ASSERT_OK_AND_ASSIGN(CertificateView first, issue(false, "ses_csr_0001"));
  std::string first_text = text_of(first, "first.pem");
  EXPECT_EQ(openssl_cn(scratch, "first-subject.pem", first.certificate_pem), "张三");
  EXPECT_EQ(first_text.find("1.2.156.10260.4.1.1"), std::string::npos) << first_text;
  std::string first_der(first.record.der.begin(), first.record.der.end());
  EXPECT_EQ(first_der.find(kId), std::string::npos);

  EXPECT_EQ(admin->set_cert_identity_policy(op, t.tenant_id, "gmt0016").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(admin->set_cert_identity_policy(op, "ten_missing", "gmt0015").code(), ErrorCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(store::Tenant changed, admin->set_cert_identity_policy(op, t.tenant_id, "gmt0015"));
  EXPECT_EQ(changed.cert_identity_policy, "gmt0015");
  ASSERT_OK_AND_ASSIGN(CertificateView renewed, issue(true, "ses_csr_0002"));
  EXPECT_NE(renewed.record.cert_id, first.record.cert_id);
  std::string renewed_der(renewed.record.der.begin(), renewed.record.der.end());
  EXPECT_NE(renewed_der.find(std::string("\xa0\x14\x13\x12") + kId), std::string::npos);
  std::string path = scratch.write("renewed.der", renewed_der);
  auto parsed = run("openssl asn1parse -inform DER -in " + path);
  auto oid_at = parsed.output.find(":1.2.156.10260.4.1.1");
  ASSERT_NE(oid_at, std::string::npos) << parsed.output;
  auto value_line = parsed.output.substr(oid_at, parsed.output.find('\n', parsed.output.find('\n', oid_at) + 1) - oid_at);
  EXPECT_NE(value_line.find("[HEX DUMP]:A014131231313031303531393439313233313030325"), std::string::npos) << value_line;
  EXPECT_EQ(openssl_cn(scratch, "renewed.pem", renewed.certificate_pem), "张三");

  // The certificate issued before the change is unchanged, byte for byte.
  ASSERT_OK_AND_ASSIGN(auto all, certs->list_certificates(t.tenant_id, d.ctx.holder_id));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.back().record.cert_id, first.record.cert_id);
  EXPECT_EQ(all.back().record.der, first.record.der);

  // Back to none: the next certificate carries no number again.
  ASSERT_OK(admin->set_cert_identity_policy(op, t.tenant_id, "none"));
  ASSERT_OK_AND_ASSIGN(CertificateView third, issue(true, "ses_csr_0003"));
  std::string third_der(third.record.der.begin(), third.record.der.end());
  EXPECT_EQ(third_der.find(kId), std::string::npos);
  EXPECT_EQ(text_of(third, "third.pem").find("1.2.156.10260.4.1.1"), std::string::npos);

  // Under gmt0015 a number the extension cannot hold (a wrong check
  // character) is refused before the holder is asked to sign anything.
  ASSERT_OK(admin->set_cert_identity_policy(op, t.tenant_id, "gmt0015"));
  ASSERT_OK_AND_ASSIGN(Device bad, enroll(t.sandbox, "123456", "110101199003071234"));
  auto refused = certs->request_certificate(bad.ctx);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message.find("110101199003071234"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(auto open, holders->pending_orders(bad.ctx, 10));
  EXPECT_TRUE(open.empty());
}

// Issue 12, re-key: a holder certified under "none" re-keys (a new
// activation code, a new device key) after the tenant switched to "gmt0015":
// the new key's certificate names the holder in full and carries the
// extension; the old certificate is revoked as superseded but its bytes, and
// so its subject, are untouched.
TEST_F(CoreTest, RekeyAfterAPolicyChangeIssuesTheNewFormAndKeepsTheOldCertificate) {
  constexpr const char* kId = "11010519491231002X";
  TenantApp t = new_tenant("Bank");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456", kId));
  ASSERT_OK_AND_ASSIGN(store::SignOrder req, certs->request_certificate(d.ctx));
  ASSERT_OK(sign(d, req.order_id, "123456", "ses_rekey_0001"));
  ASSERT_OK_AND_ASSIGN(CertificateView old_cert, certs->current_certificate(d.ctx));

  ASSERT_OK(admin->set_cert_identity_policy(op, t.tenant_id, "gmt0015"));
  clock.advance(60);
  ASSERT_OK_AND_ASSIGN(auto code, business->create_activation_code(t.sandbox, d.ctx.holder_id));
  ASSERT_OK_AND_ASSIGN(auto started, cosign::DeviceKeygen::start(d.ctx.holder_id, crypto::SystemRandom::instance()));
  auto& [dk, keygen] = started;
  ASSERT_OK_AND_ASSIGN(auto act, holders->redeem_activation({}, code.code, keygen));
  ASSERT_OK_AND_ASSIGN(cosign::DeviceState state,
                       dk.finish(act.keygen_response, "654321", kIters, crypto::SystemRandom::instance()));
  ASSERT_OK_AND_ASSIGN(HolderContext ctx, holders->authenticate_device(act.device_token));
  Device rekeyed{ctx, act.device_token, std::move(state)};
  ASSERT_OK_AND_ASSIGN(store::SignOrder req2, certs->request_certificate(rekeyed.ctx));
  ASSERT_OK(sign(rekeyed, req2.order_id, "654321", "ses_rekey_0002"));
  ASSERT_OK_AND_ASSIGN(CertificateView new_cert, certs->current_certificate(rekeyed.ctx));
  EXPECT_NE(new_cert.record.key_id, old_cert.record.key_id);

  ScratchDir scratch;
  EXPECT_EQ(openssl_cn(scratch, "new.pem", new_cert.certificate_pem), "张三");
  std::string new_der(new_cert.record.der.begin(), new_cert.record.der.end());
  auto parsed = run("openssl asn1parse -inform DER -in " + scratch.write("new.der", new_der));
  auto oid_at = parsed.output.find(":1.2.156.10260.4.1.1");
  ASSERT_NE(oid_at, std::string::npos) << parsed.output;
  EXPECT_NE(parsed.output.find("[HEX DUMP]:A014131231313031303531393439313233313030325", oid_at), std::string::npos)
      << parsed.output;

  ASSERT_OK_AND_ASSIGN(auto all, certs->list_certificates(t.tenant_id, d.ctx.holder_id));
  ASSERT_EQ(all.size(), 2u);
  const CertificateView& kept = all.back();
  EXPECT_EQ(kept.record.cert_id, old_cert.record.cert_id);
  EXPECT_TRUE(kept.record.revoked);  // superseded by the re-key
  EXPECT_EQ(kept.record.der, old_cert.record.der);
  EXPECT_EQ(openssl_cn(scratch, "old.pem", kept.certificate_pem), "张三");
  std::string old_der(kept.record.der.begin(), kept.record.der.end());
  EXPECT_EQ(old_der.find(kId), std::string::npos);
}

// The CN is at most 64 characters (X.520 ub-common-name): a longer name is
// refused when the certificate is requested (400 invalid_argument, the name
// not in the message, nothing created); 64 characters are certified.
TEST_F(CoreTest, ANameLongerThanTheCnBoundIsRefusedAtTheRequest) {
  TenantApp t = new_tenant("Bank");
  auto activate = [&](const std::string& name, const std::string& passport) -> Result<Device> {
    DUET_ASSIGN_OR_RETURN(auto h, business->create_holder(t.sandbox, NewHolder{name, "passport", passport,
                                                                               "13812345678", "attested"}));
    DUET_ASSIGN_OR_RETURN(auto code, business->create_activation_code(t.sandbox, h.holder_id));
    DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceKeygen::start(h.holder_id, crypto::SystemRandom::instance()));
    auto& [dk, keygen] = started;
    DUET_ASSIGN_OR_RETURN(auto act, holders->redeem_activation({}, code.code, keygen, {}, accept_current_agreements()));
    DUET_ASSIGN_OR_RETURN(cosign::DeviceState state,
                          dk.finish(act.keygen_response, "123456", kIters, crypto::SystemRandom::instance()));
    DUET_ASSIGN_OR_RETURN(HolderContext ctx, holders->authenticate_device(act.device_token));
    return Device{ctx, act.device_token, std::move(state)};
  };
  const std::string long_name = "Maximilian Alexander Wolfgang Friedrich von Hohenzollern-Sigmaringen";  // 68
  ASSERT_GT(long_name.size(), 64u);
  ASSERT_OK_AND_ASSIGN(Device too_long, activate(long_name, "E87654321"));
  auto refused = certs->request_certificate(too_long.ctx);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message.find("Hohenzollern"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("64 characters"), std::string::npos) << refused.error().message;
  ASSERT_OK_AND_ASSIGN(auto open, holders->pending_orders(too_long.ctx, 10));
  EXPECT_TRUE(open.empty());

  const std::string fits = long_name.substr(0, 64);
  ASSERT_OK_AND_ASSIGN(Device fitting, activate(fits, "E12345678"));
  ASSERT_OK_AND_ASSIGN(store::SignOrder req, certs->request_certificate(fitting.ctx));
  ASSERT_OK(sign(fitting, req.order_id, "123456", "ses_long_0001"));
  ASSERT_OK_AND_ASSIGN(CertificateView cert, certs->current_certificate(fitting.ctx));
  ScratchDir scratch;
  EXPECT_EQ(openssl_cn(scratch, "fits.pem", cert.certificate_pem), fits);
  // A passport holder: no GM/T 0015 extension, and the number nowhere.
  std::string der(cert.record.der.begin(), cert.record.der.end());
  EXPECT_EQ(der.find("E12345678"), std::string::npos);
}

TEST_F(CoreTest, TamperedCsrSignatureIsRefusedAndNothingIsIssued) {
  TenantApp t = new_tenant("Bank");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  auto req = certs->request_certificate(d.ctx);
  ASSERT_TRUE(req.ok());
  auto details = holders->order_details(d.ctx, req->order_id);
  ASSERT_TRUE(details.ok());
  const std::string session = "ses_csr_bad1";
  auto started = cosign::DeviceSignSession::start(d.state, "123456", {req->order_id, session, details->digests},
                                                  crypto::SystemRandom::instance());
  ASSERT_TRUE(started.ok());
  auto start = holders->start_signing(d.ctx, req->order_id, session, started->second);
  ASSERT_TRUE(start.ok()) << start.error().to_string();
  auto fin = started->first.finish(start->responses);
  ASSERT_TRUE(fin.ok());
  cosign::SignFinish tampered{fin->first[0].s + crypto::Scalar::one()};
  auto r = holders->finish_signing(d.ctx, req->order_id, session, {tampered});
  EXPECT_EQ(r.code(), ErrorCode::kSignatureInvalid);
  auto list = certs->list_certificates(t.tenant_id, d.ctx.holder_id);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(certs->current_certificate(d.ctx).code(), ErrorCode::kNotFound);
  EXPECT_EQ(metrics.certificates_issued.load(), 0u);
  // The order is still open: a correct signature issues the certificate.
  auto ok = sign(d, req->order_id, "123456", "ses_csr_good");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_TRUE(certs->current_certificate(d.ctx).ok());
}

TEST_F(CoreTest, RevocationShredsTheShareAndShowsInCrlAndOcsp) {
  TenantApp t = new_tenant("Bank");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  auto req = certs->request_certificate(d.ctx);
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(sign(d, req->order_id, "123456", "ses_csr_0001").ok());
  auto cert = certs->current_certificate(d.ctx);
  ASSERT_TRUE(cert.ok());
  // A sandbox holder: its CA is the sandbox's (docs/pki.md "The sandbox CA").
  const auto kSbx = store::AppEnvironment::kSandbox;
  auto issuing = certs->ca_certificate(certs->issuing_ca_id(kSbx));
  ASSERT_TRUE(issuing.ok());

  // CRL before: empty, signed by the issuing CA (empty ID in this fixture).
  auto crl0 = certs->crl_der({}, certs->issuing_ca_id(kSbx), clock.now(), kSbx);
  ASSERT_TRUE(crl0.ok()) << crl0.error().to_string();
  EXPECT_TRUE(pki::verify_crl(*crl0, *issuing, "").ok());
  EXPECT_EQ(certs->crl_der({}, "ca_unknown", clock.now()).code(), ErrorCode::kNotFound);
  // Each environment's CRL route knows only its own issuing CA.
  EXPECT_EQ(certs->crl_der({}, certs->issuing_ca_id(kSbx), clock.now()).code(), ErrorCode::kNotFound);
  EXPECT_EQ(certs->crl_der({}, certs->issuing_ca_id(), clock.now(), kSbx).code(), ErrorCode::kNotFound);
  auto production_crl0 = certs->crl_der({}, certs->issuing_ca_id(), clock.now());
  ASSERT_TRUE(production_crl0.ok());

  // An order waiting when the certificate is revoked.
  auto order = business->create_order(t.sandbox, NewOrder{d.ctx.holder_id, "Loan", "", store::OutputFormat::kRaw,
                                                          {{Bytes{'x'}, false}},
                                                          std::nullopt, "", ""});
  ASSERT_TRUE(order.ok()) << order.error().to_string();
  clock.advance(10);
  auto revoked = certs->revoke({}, t.tenant_id, d.ctx.holder_id, cert->record.cert_id, 1, clock.now());
  ASSERT_TRUE(revoked.ok()) << revoked.error().to_string();
  EXPECT_TRUE(revoked->record.revoked);
  EXPECT_EQ(certs->revoke({}, t.tenant_id, d.ctx.holder_id, cert->record.cert_id, 1, clock.now()).code(),
            ErrorCode::kConflict);
  EXPECT_EQ(certs->revoke({}, t.tenant_id, d.ctx.holder_id, cert->record.cert_id, 6, clock.now()).code(),
            ErrorCode::kInvalidArgument);

  // The holder can no longer sign: the share is gone and the device signed out.
  auto r = sign(d, order->order_id, "123456", "ses_after_rev");
  EXPECT_EQ(r.code(), ErrorCode::kConflict) << (r.ok() ? "" : r.error().to_string());
  EXPECT_EQ(holders->authenticate_device(d.token).code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(business->create_order(t.sandbox, NewOrder{d.ctx.holder_id, "Loan", "", store::OutputFormat::kRaw,
                                                       {{Bytes{1, 2, 3}, false}}, std::nullopt, "", ""})
                .code(),
            ErrorCode::kConflict);

  // The CRL lists the serial, with the reason.
  auto crl = certs->crl_der({}, certs->issuing_ca_id(kSbx), clock.now(), kSbx);
  ASSERT_TRUE(crl.ok());
  EXPECT_NE(*crl, *crl0);
  // Production's CRL does not list the sandbox certificate.
  auto production_crl = certs->crl_der({}, certs->issuing_ca_id(), clock.now());
  ASSERT_TRUE(production_crl.ok());
  EXPECT_FALSE(ok_value(pki::crl_lookup(*production_crl, ok_value(from_hex(cert->record.serial_hex)))).revoked);
  ScratchDir scratch;
  std::string path = scratch.write("issuing.crl", *crl);
  auto text = run("openssl crl -inform DER -in " + path + " -noout -text");
  ASSERT_EQ(text.status, 0) << text.output;
  std::string serial = cert->record.serial_hex;
  for (auto& c : serial) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(text.output.find("Serial Number: " + serial), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Key Compromise"), std::string::npos) << text.output;

  // OCSP: revoked, with time and reason; the responder's signature checks.
  std::string issuing_pem = scratch.write("issuing.pem", issuing->pem());
  std::string leaf = scratch.write("holder.pem", cert->certificate_pem);
  ASSERT_EQ(run("openssl ocsp -issuer " + issuing_pem + " -cert " + leaf + " -reqout " + scratch.file("req.der")).status, 0);
  auto resp = certs->ocsp_response(as_bytes(scratch.read("req.der")), clock.now(), kSbx);
  ASSERT_TRUE(resp.ok());
  auto responder = certs->ca_certificate(certs->ocsp_ca_id(kSbx));
  ASSERT_TRUE(responder.ok());
  EXPECT_TRUE(pki::verify_ocsp_response_signature(*resp, *responder, "").ok());
  scratch.write("resp.der", *resp);
  auto show = run("cd " + scratch.path() + " && openssl ocsp -respin resp.der -issuer issuing.pem -cert holder.pem "
                  "-no_nonce -noverify");
  // (The manual clock is in the future: openssl warns that the status times are not yet valid.)
  EXPECT_NE(show.output.find("revoked\n\tThis Update"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("Reason: keyCompromise"), std::string::npos) << show.output;
  // Production's responder: not one of its certificates.
  auto production_resp = certs->ocsp_response(as_bytes(scratch.read("req.der")), clock.now());
  ASSERT_TRUE(production_resp.ok());
  scratch.write("resp-production.der", *production_resp);
  auto unknown = run("cd " + scratch.path() + " && openssl ocsp -respin resp-production.der -issuer issuing.pem "
                     "-cert holder.pem -no_nonce -noverify");
  EXPECT_NE(unknown.output.find("unknown\n\tThis Update"), std::string::npos) << unknown.output;
  EXPECT_EQ(metrics.certificates_revoked.load(), 1u);
}

// Issue 14 item 1: a sandbox holder's certificate comes from the sandbox CA,
// whose names say so; a production holder's from production's, unmarked.
// Each environment's trust anchors accept only their own, and name the other.
TEST_F(CoreTest, EachEnvironmentHasItsOwnCaAndTrustsOnlyIt) {
  TenantApp t = new_tenant("Bank");
  const AppContext prd{t.tenant_id, t.app.production.app_id, store::AppEnvironment::kProduction};
  store::Package unlimited;  // production holders are metered
  unlimited.tenant_id = t.tenant_id;
  unlimited.package_id = store::new_id("pkg_");
  unlimited.kind = store::PackageKind::kUnlimited;
  unlimited.starts_at = unlimited.created_at = clock.now() - 60;
  unlimited.expires_at = clock.now() + 365 * 86400;
  ASSERT_OK(store_->add_package({}, unlimited));
  ASSERT_OK_AND_ASSIGN(Device sd, enroll(t.sandbox, "123456"));
  ASSERT_OK_AND_ASSIGN(Device pd, enroll(prd, "654321"));
  auto certify = [&](const Device& d, const std::string& pin) -> CertificateView {
    auto req = certs->request_certificate(d.ctx);
    EXPECT_TRUE(req.ok()) << req.error().to_string();
    if (!req.ok()) return {};
    auto done = sign(d, req->order_id, pin, "ses_csr_" + d.ctx.holder_id);
    EXPECT_TRUE(done.ok()) << done.error().to_string();
    return ok_value(certs->current_certificate(d.ctx));
  };
  CertificateView sandbox_cert = certify(sd, "123456");
  CertificateView production_cert = certify(pd, "654321");
  const auto kSbx = store::AppEnvironment::kSandbox;
  const auto kPrd = store::AppEnvironment::kProduction;
  EXPECT_EQ(sandbox_cert.record.issuer_id, certs->issuing_ca_id(kSbx));
  EXPECT_EQ(production_cert.record.issuer_id, certs->issuing_ca_id(kPrd));
  ASSERT_NE(certs->issuing_ca_id(kSbx), certs->issuing_ca_id(kPrd));
  EXPECT_EQ(ok_value(certs->ca_environment(certs->root_ca_id(kSbx))), kSbx);

  // What openssl reads: the sandbox OU in the subject and the issuer; none in production's.
  ScratchDir scratch;
  auto read = [&](const std::string& name, const std::string& pem, const char* what) {
    auto r = run("openssl x509 -in " + scratch.write(name, pem) + " -noout " + what + " -nameopt utf8,sep_comma_plus");
    EXPECT_EQ(r.status, 0) << r.output;
    return r.output;
  };
  const std::string ou = "OU=" + std::string(kSandboxOrganizationalUnit);
  std::string s_issuer = read("s.pem", sandbox_cert.certificate_pem, "-issuer");
  EXPECT_NE(s_issuer.find("Sandbox Issuing CA"), std::string::npos) << s_issuer;
  EXPECT_NE(s_issuer.find(ou), std::string::npos) << s_issuer;
  EXPECT_NE(read("s2.pem", sandbox_cert.certificate_pem, "-subject").find(ou), std::string::npos);
  std::string p_issuer = read("p.pem", production_cert.certificate_pem, "-issuer");
  EXPECT_EQ(p_issuer.find("Sandbox"), std::string::npos) << p_issuer;
  EXPECT_EQ(read("p2.pem", production_cert.certificate_pem, "-subject").find("OU="), std::string::npos);
  // The URLs of the sandbox certificate are the sandbox's.
  auto s_text = read("s3.pem", sandbox_cert.certificate_pem, "-text");
  EXPECT_NE(s_text.find("/pki/sandbox/crl/" + certs->issuing_ca_id(kSbx) + ".crl"), std::string::npos) << s_text;
  EXPECT_NE(s_text.find("/pki/sandbox/ocsp"), std::string::npos) << s_text;
  // The view's chain ends at the holder's own environment's root.
  EXPECT_EQ(sandbox_cert.chain_pem, certs->chain_pem(kSbx));
  EXPECT_EQ(production_cert.chain_pem, certs->chain_pem(kPrd));

  // Trust per environment, over the same verification code as /verify.
  for (const auto& [env, good, other] : {std::tuple{kPrd, &production_cert, &sandbox_cert},
                                         std::tuple{kSbx, &sandbox_cert, &production_cert}}) {
    VerifyTrust trust = certs->trust_for(env);
    ASSERT_EQ(trust.roots.size(), 1u);
    EXPECT_EQ(trust.roots[0].der(), ok_value(certs->ca_certificate(certs->root_ca_id(env))).der());
    for (const auto* c : {good, other}) {
      // (The fixture's clock is ahead of the real one: the chain at its time.)
      pki::Certificate leaf = ok_value(pki::Certificate::parse(c->certificate_pem));
      Status chain = pki::verify_chain(leaf, trust.intermediates, trust.roots,
                                       pki::Time(std::chrono::seconds(clock.now() + 60)));
      EXPECT_EQ(chain.ok(), c == good) << store::record_text::env_text(env);
      const std::string why = trust.distrust_reason_for(leaf.issuer());
      EXPECT_EQ(why.empty(), c == good);
      if (c == other) {
        EXPECT_NE(why.find(env == kPrd ? "issued by the sandbox CA, which production verification does not trust"
                                       : "issued by the production CA, which sandbox verification does not trust"),
                  std::string::npos)
            << why;
      }
      // Revocation records: only the environment's own certificates are known.
      EXPECT_EQ(trust.revocation(c->record.serial_hex).has_value(), c == good);
    }
  }
}

TEST_F(CoreTest, HolderSelfRevocation) {
  TenantApp t = new_tenant("Bank");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  auto req = certs->request_certificate(d.ctx);
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(sign(d, req->order_id, "123456", "ses_csr_0001").ok());
  ASSERT_TRUE(certs->revoke_own(d.ctx, clock.now()).ok());
  auto list = certs->list_certificates(t.tenant_id, d.ctx.holder_id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(list->front().record.revoked);
  EXPECT_EQ(list->front().record.revocation_reason, 1);
  EXPECT_EQ(certs->request_certificate(d.ctx).code(), ErrorCode::kConflict);  // no active key
}

TEST(RevocationReasons, NamesAndNumbers) {
  EXPECT_EQ(revocation_reason_from_name("keyCompromise"), 1);
  EXPECT_EQ(revocation_reason_from_name("KEYCOMPROMISE"), 1);
  EXPECT_EQ(revocation_reason_from_name("5"), 5);
  EXPECT_EQ(revocation_reason_from_name("7"), std::nullopt);
  EXPECT_EQ(revocation_reason_from_name("-1"), std::nullopt);
  EXPECT_EQ(revocation_reason_from_name("nonsense"), std::nullopt);
  EXPECT_EQ(revocation_reason_name(9), "privilegeWithdrawn");
}

}  // namespace
}  // namespace duet::core
