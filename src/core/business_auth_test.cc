// Request authentication of the Business API (core/business_auth.h).
#include <gtest/gtest.h>

#include "core/business_auth.h"
#include "core/request_signing.h"
#include "core/test_fixture.h"

namespace duet::core {
namespace {

TEST_F(CoreTest, RequestAuthentication) {
  auto t = new_tenant("T");
  SignedRequest r{"POST", "/api/v1/holders", "", t.app.sandbox.app_id, std::to_string(clock.now()), "nonce-0001",
                  "", "", "", "{}"};
  r.signature = sign_request(t.app.sandbox.secret, r.method, r.path, r.query, r.timestamp, r.nonce, r.body);
  auto ok = authenticate_business_request(*deps, r);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->tenant_id, t.tenant_id);
  EXPECT_EQ(authenticate_business_request(*deps, r).code(), ErrorCode::kUnauthenticated);  // nonce reused
  SignedRequest bad = r;
  bad.nonce = "nonce-0002";
  EXPECT_EQ(authenticate_business_request(*deps, bad).code(), ErrorCode::kUnauthenticated);  // signature
  SignedRequest stale = r;
  stale.nonce = "nonce-0003";
  stale.timestamp = std::to_string(clock.now() - 301);
  stale.signature = sign_request(t.app.sandbox.secret, stale.method, stale.path, stale.query, stale.timestamp,
                                 stale.nonce, stale.body);
  EXPECT_EQ(authenticate_business_request(*deps, stale).code(), ErrorCode::kUnauthenticated);
  SignedRequest unknown = r;
  unknown.app_id = "app_nope";
  EXPECT_EQ(authenticate_business_request(*deps, unknown).code(), ErrorCode::kUnauthenticated);
  // Production credentials before activation: 402 service_not_active.
  SignedRequest prod = r;
  prod.app_id = t.app.production.app_id;
  prod.nonce = "nonce-0004";
  prod.signature = sign_request(t.app.production.secret, prod.method, prod.path, prod.query, prod.timestamp,
                                prod.nonce, prod.body);
  EXPECT_EQ(authenticate_business_request(*deps, prod).code(), ErrorCode::kServiceNotActive);
  ASSERT_TRUE(admin->set_production_active_from(op, t.tenant_id, clock.now() - 10).ok());
  prod.nonce = "nonce-0005";
  prod.signature = sign_request(t.app.production.secret, prod.method, prod.path, prod.query, prod.timestamp,
                                prod.nonce, prod.body);
  EXPECT_TRUE(authenticate_business_request(*deps, prod).ok());
  // A rotated secret replaces the old one.
  auto rotated = admin->rotate_app_secret(op, t.tenant_id, t.app.sandbox.app_id);
  ASSERT_TRUE(rotated.ok());
  SignedRequest old = r;
  old.nonce = "nonce-0006";
  old.signature = sign_request(t.app.sandbox.secret, old.method, old.path, old.query, old.timestamp, old.nonce, old.body);
  EXPECT_EQ(authenticate_business_request(*deps, old).code(), ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace duet::core
