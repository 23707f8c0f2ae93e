// Request-signature v2 (core/request_signing.h) against values recorded with
// OpenSSL alone — the worked example of docs/api/openapi.yaml (signedRequest)
// — and the client-facing error filter (server/public_errors.h).
//
// The expected signatures were computed once, independently of this code:
//   printf 'POST\n/api/v1/orders\n1767225600\nn0nce-2026-0001\norder-20260101-0001\n%s' "$BODYHASH" |
//     openssl dgst -sm3 -hmac 'sk_test_duet_example_secret_0001' -hex
// (and the same with `openssl mac -digest sm3 -macopt key:… HMAC`), where
// BODYHASH=$(printf '%s' "$BODY" | openssl dgst -sm3 -hex).
#include <gtest/gtest.h>

#include <string>

#include "core/business_auth.h"
#include "core/metering.h"
#include "core/request_signing.h"
#include "server/public_errors.h"
#include "store/store_error.h"

namespace duet::server {
namespace {

constexpr std::string_view kSecret = "sk_test_duet_example_secret_0001";
constexpr std::string_view kBody =
    R"({"holder_id":"hld_example","title":"Loan agreement","digest_hex":"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"})";
constexpr std::string_view kBodySm3 = "e62cce9c3bdc04a10a2b9d596c3a45a0f97f4a87a5c3c09e8d61a25ed688b6c3";

core::RequestFields example(std::string_view idempotency_key) {
  return core::RequestFields{.method = "POST",
                             .path = "/api/v1/orders",
                             .query = "",
                             .timestamp = "1767225600",
                             .nonce = "n0nce-2026-0001",
                             .idempotency_key = idempotency_key,
                             .body = kBody};
}

TEST(RequestSignatureV2, WorkedExampleMatchesOpenssl) {
  const std::string canonical = core::canonical_request_v2(example("order-20260101-0001"));
  EXPECT_EQ(canonical,
            "POST\n/api/v1/orders\n1767225600\nn0nce-2026-0001\norder-20260101-0001\n" + std::string(kBodySm3));
  EXPECT_EQ(core::sign_request_v2(kSecret, example("order-20260101-0001")),
            "7b9cd1dee6f50ef41ad7ab1b1daebc32fdcf8b449cf121e23a8455b892375e30");
}

TEST(RequestSignatureV2, AbsentKeyIsAnEmptyLineNeverALeftOutOne) {
  EXPECT_EQ(core::canonical_request_v2(example("")),
            "POST\n/api/v1/orders\n1767225600\nn0nce-2026-0001\n\n" + std::string(kBodySm3));
  EXPECT_EQ(core::sign_request_v2(kSecret, example("")),
            "14a0c10896d027201a531c4ea58dca6ce7cc135b75be16e7e9fe0082eee99b12");
}

TEST(RequestSignatureV2, V1OfTheSameRequestDiffers) {
  // v1 (5 lines) of the same request, also recorded with openssl.
  const std::string v1 = core::sign_request(kSecret, "POST", "/api/v1/orders", "", "1767225600", "n0nce-2026-0001", kBody);
  EXPECT_EQ(v1, "eb4a1b048ea72658e18b6d481bc3d6596278063f13fb1f1ae4d9c1549d4bcf30");
  EXPECT_NE(v1, core::sign_request_v2(kSecret, example("")));
}

TEST(RequestSignatureV2, QueryAndKeyPlacement) {
  core::RequestFields f = example("k");
  f.method = "GET";
  f.path = "/api/v1/holders";
  f.query = "limit=2";
  f.body = "";
  EXPECT_EQ(core::canonical_request_v2(f),
            "GET\n/api/v1/holders?limit=2\n1767225600\nn0nce-2026-0001\nk\n"
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b");  // SM3("")
}

// --- errors that leave the server ---------------------------------------------

void expect_clean(const std::string& m) {
  for (std::string_view bad : {"INSERT", "SELECT", "sign_sessions", "activation_codes", "constraint", "SQLSTATE",
                               "postgres", "sqlite", "store/", "/var/", "/tmp/"})
    EXPECT_EQ(m.find(bad), std::string::npos) << m;
}

TEST(PublicErrors, StoreMessagesBecomeAFixedTextPerCode) {
  Error dup = store::store_error(store::StoreError::kDuplicate,
                                 "INSERT INTO sign_sessions (tenant_id, session_id: UNIQUE constraint failed")
                  .error;
  PublicError p = public_error(dup);
  EXPECT_TRUE(p.replaced);
  EXPECT_EQ(p.error.code, ErrorCode::kConflict);
  EXPECT_EQ(p.error.message, fixed_message(ErrorCode::kConflict));
  expect_clean(p.error.message);

  Error nf = store::store_error(store::StoreError::kNotFound, "order not found").error;
  EXPECT_EQ(public_error(nf).error.message, "not found");
  Error refused = store::store_error(store::StoreError::kRefused, "INSERT INTO activation_codes (x: constraint failed")
                      .error;
  EXPECT_EQ(public_error(refused).error.code, ErrorCode::kInvalidArgument);
  expect_clean(public_error(refused).error.message);
  // Re-wrapped by core: the token is found inside the message too.
  Error wrapped{ErrorCode::kConflict, "CA import: store/duplicate: INSERT INTO certificate_authorities"};
  EXPECT_TRUE(public_error(wrapped).replaced);
}

TEST(PublicErrors, BackstopForInternalsWithoutTheToken) {
  for (const char* m : {"postgres: UPDATE holders (SQLSTATE 23514): constraint holders_check",
                        "cannot open /var/lib/duet/duet.db: No such file or directory",
                        "tls key /etc/duet/key.pem: bad"}) {
    PublicError p = public_error(Error{ErrorCode::kInvalidArgument, m});
    EXPECT_TRUE(p.replaced) << m;
    expect_clean(p.error.message);
  }
}

TEST(PublicErrors, CoreMessagesForTheCallerStay) {
  for (const char* m : {"field 'title' is required", "signature does not match", "nonce already used",
                        "the holder has no certificate yet (POST /app/v1/certificate-requests)",
                        "notify_url must be an http(s) URL", "items[3].data_base64 is not valid base64",
                        "callback_url https://biz.example/duet/cb is not allowed",
                        "a holder with this identity already exists in the tenant", "wrong one-time code"}) {
    PublicError p = public_error(Error{ErrorCode::kInvalidArgument, m});
    EXPECT_FALSE(p.replaced) << m;
    EXPECT_EQ(p.error.message, m);
  }
  PublicError retired = public_error(Error{ErrorCode::kUnauthenticated, std::string(core::kSignatureV1RetiredMessage)});
  EXPECT_FALSE(retired.replaced);
}

// The webhook of a cut-off notice: no package, the date announced.
TEST(SignatureCutoffNotice, WebhookBodyCarriesTheDate) {
  store::Notice n;
  n.tenant_id = "ten_1";
  n.notice_id = "ntc_1";
  n.kind = store::NoticeKind::kSignatureV1Cutoff;
  n.created_at = 100;
  n.effective_at = 5000;
  auto job = core::make_notice_callback(n, "https://biz.example/n", 100);
  ASSERT_TRUE(job.has_value());
  EXPECT_NE(job->payload.find(R"("event":"notice.signature_v1_cutoff")"), std::string::npos) << job->payload;
  EXPECT_NE(job->payload.find(R"("effective_at":5000)"), std::string::npos) << job->payload;
  EXPECT_NE(job->payload.find(R"("package_id":null)"), std::string::npos) << job->payload;
}

}  // namespace
}  // namespace duet::server
