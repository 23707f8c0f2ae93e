// PDF verification on POST /api/v1/verify (issue 12 item 4, docs/pdf.md
// "Verification on the API"): a PDF signed by a holder whose certificate the
// service's own CA issued, through real two-party signing rounds, sent as
// application/pdf and as JSON pdf_base64; one changed byte; a revoked signer;
// a signer of another CA; each bad input with its own error code and a message
// without internals; the route's own body limit.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "pdf/pdf_signer.h"
#include "pdf/pdf_test_support.h"
#include "server/log.h"
#include "server/test_support.h"

namespace duet::server {
namespace {

using json = nlohmann::json;
using testing_support::ok_value;

constexpr uint32_t kIters = 1000;
constexpr size_t kPdfMax = 512 * 1024;       // pdf.max_bytes in these tests
constexpr size_t kHttpMaxBody = 16 * 1024;   // http.max_body_bytes: smaller than the signed PDF

class PdfVerifyHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_logging_enabled(false);
    dir_ = testing::temp_dir("pdfverify");
    DaemonConfig c = testing::loopback_dev_config(dir_, 4);
    c.service.core.pdf_max_bytes = kPdfMax;
    c.http.max_body_bytes = kHttpMaxBody;
    daemon_ = ok_value(testing::start_daemon(c));
    base_ = daemon_->url();
    admin_token_ = testing::trim(testing::read_text(daemon_->admin_token_path()));
    tenant_ = testing::create_tenant_apps(
        [this](const std::string& m, const std::string& t, const std::string& b) {
          return call(m, t, b, {{"Authorization", "Bearer " + admin_token_}});
        },
        json{{"name", "Bank PDF"}});
  }
  void TearDown() override {
    if (daemon_) daemon_->stop();
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }

  httpclient::HttpResponse call(const std::string& method, const std::string& target, const std::string& body,
                                httpclient::HeaderList headers, const std::string& content_type = "application/json") {
    httpclient::HttpRequest req;
    req.method = method;
    req.url = base_ + target;
    req.body = body;
    req.headers = std::move(headers);
    if (!body.empty()) req.headers.emplace_back("Content-Type", content_type);
    req.timeout_ms = 60000;
    auto r = client_.perform(req);
    EXPECT_TRUE(r.ok()) << method << " " << target;
    return r.ok() ? *r : httpclient::HttpResponse{};
  }
  httpclient::HttpResponse biz(const testing::AppCred& cred, const std::string& method, const std::string& target,
                               const std::string& body = "", const std::string& content_type = "application/json",
                               httpclient::HeaderList extra = {}) {
    std::string nonce = "pdfv-" + std::to_string(++nonce_counter_) + "-" + std::to_string(::getpid());
    auto h = testing::signed_request_headers(cred, method, target, body,
                                             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                                std::chrono::system_clock::now().time_since_epoch())
                                                                .count()),
                                             nonce);
    for (auto& e : extra) h.push_back(e);
    return call(method, target, body, h, content_type);
  }
  testing::HttpCall device_call(const std::string& token) {
    return [this, token](const std::string& m, const std::string& t, const std::string& b) {
      return call(m, t, b, {{"Authorization", "Bearer " + token}});
    };
  }
  static json parse(const httpclient::HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  // A holder enrolled with a certificate from the service's CA.
  testing::TestDevice enroll_certified() {
    auto h = biz(tenant_.sandbox, "POST", "/api/v1/holders",
                 json{{"name", "张三"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump());
    EXPECT_EQ(h.status, 201) << h.body;
    std::string holder_id = parse(h)["holder_id"];
    auto code = biz(tenant_.sandbox, "POST", "/api/v1/holders/" + holder_id + "/activation-codes");
    EXPECT_EQ(code.status, 201) << code.body;
    testing::TestDevice d =
        testing::activate_device([this](const std::string& m, const std::string& t, const std::string& b) { return call(m, t, b, {}); },
                                 holder_id, parse(code)["code"], "123456", kIters);
    auto req = device_call(d.token)("POST", "/app/v1/certificate-requests", "");
    EXPECT_EQ(req.status, 201) << req.body;
    auto fin = testing::device_sign_round(device_call(d.token), *d.state, parse(req)["order_id"], "123456",
                                          "ses_cert_" + holder_id.substr(4, 12));
    EXPECT_EQ(fin.status, 200) << fin.body;
    return d;
  }

  // The holder's SM2 signature over e, co-signed by the service: a raw order
  // whose item is the digest e itself.
  pki::ExternalSigner co_signer(const testing::TestDevice& d) {
    return [this, &d](const crypto::Digest& e) -> Result<crypto::Sm2Signature> {
      auto o = biz(tenant_.sandbox, "POST", "/api/v1/orders",
                   json{{"holder_id", d.holder_id}, {"title", "PDF"}, {"output", "raw"}, {"digest_hex", to_hex(e)}}.dump());
      EXPECT_EQ(o.status, 201) << o.body;
      std::string id = parse(o)["order_id"];
      auto fin = testing::device_sign_round(device_call(d.token), *d.state, id, "123456",
                                            "ses_pdf_" + std::to_string(++session_counter_) + "x");
      EXPECT_EQ(fin.status, 200) << fin.body;
      auto got = parse(biz(tenant_.sandbox, "GET", "/api/v1/orders/" + id));
      Bytes raw = ok_value(from_hex(got["items"][0]["signature"].get<std::string>()));
      if (raw.size() != 64) return make_error(ErrorCode::kInternal, "not a raw signature");
      return crypto::Sm2Signature{ok_value(crypto::Scalar::from_bytes(ByteView(raw).first(32))),
                                  ok_value(crypto::Scalar::from_bytes(ByteView(raw).subspan(32)))};
    };
  }

  // The test contract signed by `d` (name stamp at the keyword).
  Bytes signed_contract(const testing::TestDevice& d) {
    json cert = parse(device_call(d.token)("GET", "/app/v1/certificate", ""));
    pki::Certificate c = ok_value(pki::Certificate::parse(std::string_view(cert["certificate_pem"].get<std::string>())));
    pdf::SignOptions o;
    o.signing_time = pki::now_seconds();
    pdf::PreparedPdf p = ok_value(pdf::prepare_signature(
        pdf::testing::make_contract(), {pdf::KeywordPlacement{pdf::testing::kKeyword, false, 0, 0, 80, 100}},
        pdf::SealAppearance{pdf::NameStamp{"张三"}, "张三"}, o));
    Bytes cms = ok_value(pki::cms_sign_detached_digest(p.digest, c, co_signer(d), pdf::cms_sign_options(p)));
    return ok_value(pdf::embed_signature(p, cms));
  }

  httpclient::HttpResponse verify_pdf(ByteView pdf, httpclient::HeaderList extra = {}) {
    return biz(tenant_.sandbox, "POST", "/api/v1/verify", std::string(pdf.begin(), pdf.end()), "application/pdf",
               std::move(extra));
  }
  // The error code of a refused request, checking the message shows nothing of
  // the PDF parser.
  static std::string error_code(const httpclient::HttpResponse& r) {
    json j = parse(r);
    if (!j.is_object() || !j.contains("error")) return "<no error> " + r.body;
    std::string message = j["error"]["message"];
    EXPECT_EQ(message.find("PoDoFo"), std::string::npos) << message;
    EXPECT_EQ(message.find("ePdfError"), std::string::npos) << message;
    EXPECT_EQ(message.find(".cc"), std::string::npos) << message;
    return j["error"]["code"];
  }

  std::filesystem::path dir_;
  std::unique_ptr<Daemon> daemon_;
  std::string base_, admin_token_;
  httpclient::HttpClient client_;
  testing::TenantApps tenant_;
  int nonce_counter_ = 0, session_counter_ = 0;
};

TEST_F(PdfVerifyHttpTest, SignedPdfVerifiesThenOneByteChangedAndRevocationAreReported) {
  testing::TestDevice d = enroll_certified();
  json cert = parse(device_call(d.token)("GET", "/app/v1/certificate", ""));
  Bytes pdf = signed_contract(d);
  ASSERT_GT(pdf.size(), kHttpMaxBody) << "the route's own body limit is what lets it through";

  auto r = verify_pdf(pdf);
  ASSERT_EQ(r.status, 200) << r.body;
  json v = parse(r);
  EXPECT_EQ(v["valid"], true) << r.body;
  EXPECT_EQ(v["ok"], true);
  EXPECT_EQ(v["format"], "pdf");
  EXPECT_EQ(v["file_size"], pdf.size());
  ASSERT_EQ(v["signatures"].size(), 1u);
  json s = v["signatures"][0];
  EXPECT_EQ(s["byte_range_ok"], true);
  EXPECT_EQ(s["digest_matches"], true);
  EXPECT_EQ(s["cms_ok"], true);
  EXPECT_EQ(s["signer"]["serial"], cert["serial"]);
  EXPECT_EQ(s["revocation"]["status"], "good") << s.dump();
  EXPECT_EQ(s["revocation"]["source"], "the built-in CA");

  // The same as JSON, and the text report.
  auto rj = biz(tenant_.sandbox, "POST", "/api/v1/verify", json{{"pdf_base64", encode_base64(pdf)}}.dump());
  ASSERT_EQ(rj.status, 200) << rj.body;
  EXPECT_EQ(parse(rj)["valid"], true);
  auto rt = verify_pdf(pdf, {{"Accept", "text/plain"}});
  ASSERT_EQ(rt.status, 200) << rt.body;
  EXPECT_NE(rt.body.find("1 signature: VALID"), std::string::npos) << rt.body;
  EXPECT_NE(rt.body.find("revocation:      good, from the built-in CA"), std::string::npos) << rt.body;
  // Production credentials: the sandbox holder's signature is untrusted, with
  // the reason (issue 14 item 1; docs/pki.md "The sandbox CA").
  {
    auto admin = [this](const std::string& m, const std::string& t, const std::string& b) {
      return call(m, t, b, {{"Authorization", "Bearer " + admin_token_}});
    };
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    ASSERT_EQ(admin("POST", "/admin/v1/tenants/" + tenant_.tenant_id + "/activation",
                    json{{"production_active_from", now - 10}}.dump()).status, 200);
    auto pr = biz(tenant_.production, "POST", "/api/v1/verify", std::string(pdf.begin(), pdf.end()), "application/pdf");
    ASSERT_EQ(pr.status, 200) << pr.body;
    json pv = parse(pr);
    EXPECT_EQ(pv["valid"], false) << pv.dump();
    EXPECT_EQ(pv["signatures"][0]["cms_ok"], false) << pv.dump();
    EXPECT_NE(pv["signatures"][0]["problems"].dump().find(
                  "issued by the sandbox CA, which production verification does not trust"),
              std::string::npos)
        << pv.dump();
    EXPECT_NE(pv["signatures"][0]["revocation"]["status"], "good") << "production has no record of it";
  }
  // One byte changed in the signed range (the document title).
  std::string text(pdf.begin(), pdf.end());
  size_t at = text.find("duet test contract");
  ASSERT_NE(at, std::string::npos);
  Bytes changed = pdf;
  changed[at] = 'D';
  json vc = parse(verify_pdf(changed));
  EXPECT_EQ(vc["valid"], false);
  EXPECT_EQ(vc["signatures"][0]["digest_matches"], false);
  EXPECT_FALSE(vc["signatures"][0]["problems"].empty());

  // The signer's certificate revoked: not valid, with the revocation time.
  auto rev = biz(tenant_.sandbox, "POST",
                 "/api/v1/holders/" + d.holder_id + "/certificates/" + cert["cert_id"].get<std::string>() + "/revoke",
                 json{{"reason", "keyCompromise"}}.dump());
  ASSERT_EQ(rev.status, 200) << rev.body;
  json vr = parse(verify_pdf(pdf));
  EXPECT_EQ(vr["valid"], false) << vr.dump();
  json sr = vr["signatures"][0];
  EXPECT_EQ(sr["cms_ok"], true);
  EXPECT_EQ(sr["ok"], false);
  EXPECT_EQ(sr["revocation"]["status"], "revoked");
  EXPECT_TRUE(sr["revocation"]["revoked_at"].is_string()) << sr.dump();
  EXPECT_NE(sr["problems"].dump().find("revoked"), std::string::npos);
}

// `duet verify --pdf --server` (the real binary) against this duetd: the chain
// from the server, the revocation state from the built-in CA's CRL.
TEST_F(PdfVerifyHttpTest, CliVerifiesAgainstTheServersChainAndCrl) {
  testing::TestDevice d = enroll_certified();
  json cert = parse(device_call(d.token)("GET", "/app/v1/certificate", ""));
  Bytes pdf = signed_contract(d);
  pdf::testing::ScratchDir scratch;
  std::string path = scratch.write("signed.pdf", pdf);
  const std::string duet = std::string(DUET_BINARY_DIR) + "/bin/duet";
  // A sandbox holder: production's chain (the default) does not trust it, and says why.
  auto production = pdf::testing::run(duet + " verify --pdf " + path + " --server " + base_);
  EXPECT_NE(production.status, 0) << production.output;
  EXPECT_NE(production.output.find("issued by the sandbox CA, which production verification does not trust"),
            std::string::npos)
      << production.output;
  auto good = pdf::testing::run(duet + " verify --pdf " + path + " --server " + base_ + " --environment sandbox");
  EXPECT_EQ(good.status, 0) << good.output;
  EXPECT_NE(good.output.find("1 signature: VALID"), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("revocation:      good, from the CRL " + base_ + "/pki/sandbox/crl/"), std::string::npos)
      << good.output;

  auto rev = biz(tenant_.sandbox, "POST",
                 "/api/v1/holders/" + d.holder_id + "/certificates/" + cert["cert_id"].get<std::string>() + "/revoke",
                 json{{"reason", "keyCompromise"}}.dump());
  ASSERT_EQ(rev.status, 200) << rev.body;
  // stdout only: the JSON report (the verdict line goes to stderr).
  auto revoked = pdf::testing::run("{ " + duet + " verify --pdf " + path + " --server " + base_ +
                                   " --environment sandbox --json 2>/dev/null; }");
  EXPECT_NE(revoked.status, 0) << revoked.output;
  json j = json::parse(revoked.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << revoked.output;
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["signatures"][0]["revocation"]["status"], "revoked") << revoked.output;
  EXPECT_EQ(j["signatures"][0]["revocation"]["reason"], "keyCompromise");
  EXPECT_TRUE(j["signatures"][0]["revocation"]["revoked_at"].is_string());
}

// A signer of another CA: the chain fails, and the built-in CA does not answer
// for it (unknown).
TEST_F(PdfVerifyHttpTest, SignerOfAnotherCaIsNotTrusted) {
  pdf::testing::TestHolder stranger("王五");
  pdf::SignOptions o;
  o.signing_time = pki::now_seconds();
  Bytes pdf = ok_value(pdf::testing::sign_pdf(pdf::testing::make_contract(),
                                              {pdf::PagePlacement{1, {100, 100, 80, 80}}},
                                              pdf::SealAppearance{pdf::NameStamp{"王五"}, "王五"}, o, stranger));
  auto r = verify_pdf(pdf);
  ASSERT_EQ(r.status, 200) << r.body;
  json v = parse(r);
  EXPECT_EQ(v["valid"], false);
  EXPECT_EQ(v["signatures"][0]["digest_matches"], true);
  EXPECT_EQ(v["signatures"][0]["cms_ok"], false);
  EXPECT_EQ(v["signatures"][0]["revocation"]["status"], "unknown");
}

TEST_F(PdfVerifyHttpTest, BadInputsHaveTheirOwnErrors) {
  const Bytes contract = pdf::testing::make_contract();  // unsigned: a report with no signature
  auto unsigned_r = verify_pdf(contract);
  ASSERT_EQ(unsigned_r.status, 200) << unsigned_r.body;
  EXPECT_EQ(parse(unsigned_r)["valid"], false);
  EXPECT_TRUE(parse(unsigned_r)["signatures"].empty());

  auto not_pdf = verify_pdf(as_bytes(std::string("just some text, no header")));
  EXPECT_EQ(not_pdf.status, 400);
  EXPECT_EQ(error_code(not_pdf), "not_pdf");

  auto malformed = verify_pdf(as_bytes(std::string("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(error_code(malformed), "pdf_malformed");

  pdf::testing::ScratchDir scratch;
  std::string in = scratch.write("plain.pdf", contract);
  std::string out = scratch.file("enc.pdf");
  auto q = pdf::testing::run("qpdf --encrypt user-pw owner-pw 256 -- " + in + " " + out);
  ASSERT_EQ(q.status, 0) << q.output;
  std::string enc = scratch.read("enc.pdf");
  auto encrypted = verify_pdf(as_bytes(enc));
  EXPECT_EQ(encrypted.status, 400);
  EXPECT_EQ(error_code(encrypted), "pdf_encrypted");

  // Over pdf.max_bytes (a PDF header, then padding): 413 before any parsing.
  const std::string header = "%PDF-1.7\n";
  Bytes big(header.begin(), header.end());
  big.resize(kPdfMax + 1, ' ');
  auto oversized = verify_pdf(big);
  EXPECT_EQ(oversized.status, 413);
  EXPECT_EQ(error_code(oversized), "payload_too_large");
  auto oversized_json = biz(tenant_.sandbox, "POST", "/api/v1/verify", json{{"pdf_base64", encode_base64(big)}}.dump());
  EXPECT_EQ(oversized_json.status, 413);
  EXPECT_EQ(error_code(oversized_json), "payload_too_large");
  // Over the route's body limit (base64 of pdf.max_bytes + 64 KiB): refused by the HTTP layer.
  Bytes huge(4 * ((kPdfMax + 2) / 3) + 64 * 1024 + 1, 'x');
  auto body_too_large = verify_pdf(huge);
  EXPECT_EQ(body_too_large.status, 413);
  EXPECT_EQ(error_code(body_too_large), "body_too_large");
  // Other routes keep http.max_body_bytes.
  auto other = biz(tenant_.sandbox, "POST", "/api/v1/holders", std::string(kHttpMaxBody + 1, ' '));
  EXPECT_EQ(other.status, 413);

  auto bad_b64 = biz(tenant_.sandbox, "POST", "/api/v1/verify", json{{"pdf_base64", "%%%"}}.dump());
  EXPECT_EQ(bad_b64.status, 400);
  EXPECT_EQ(error_code(bad_b64), "bad_encoding");
  auto mixed = biz(tenant_.sandbox, "POST", "/api/v1/verify",
                   json{{"pdf_base64", encode_base64(contract)}, {"signature_hex", "00"}}.dump());
  EXPECT_EQ(mixed.status, 400);
  EXPECT_EQ(error_code(mixed), "invalid_argument");
  auto empty_pdf = verify_pdf(Bytes{});
  EXPECT_EQ(empty_pdf.status, 400);

  // Unsigned requests are refused before the body is read as a PDF.
  auto unsigned_req = call("POST", "/api/v1/verify", std::string(contract.begin(), contract.end()), {}, "application/pdf");
  EXPECT_EQ(unsigned_req.status, 401);
}

}  // namespace
}  // namespace duet::server
