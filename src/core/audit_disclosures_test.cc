// Disclosures to a regulator (core/audit_disclosures.h): four eyes (the
// requester never decides), roles, run once after approval, events of the
// tenant and period only.
#include <gtest/gtest.h>

#include "core/audit_disclosures.h"
#include "core/test_fixture.h"

namespace duet::core {
namespace {

using testing_support::ok_value;

class DisclosureTest : public CoreTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CoreTest::SetUp());
    disclosures = std::make_unique<AuditDisclosures>(*ok_value(store::audit_disclosure_store(*store_)), *store_);
    a = ok_value(admin->create_tenant(ops, "Bank A", std::nullopt)).tenant_id;
    b = ok_value(admin->create_tenant(ops, "Bank B", std::nullopt)).tenant_id;
  }
  void event(const std::string& tenant, UnixSeconds at) {
    store::AuditEvent e;
    e.at = at;
    e.tenant_id = tenant;
    e.actor_type = "system";
    e.actor_id = "test";
    e.action = "test.event";
    e.outcome = "ok";
    ASSERT_TRUE(store_->append_audit_event(e).ok());
  }
  std::unique_ptr<AuditDisclosures> disclosures;
  OperatorContext ops{"ops", "operator"};
  OperatorContext auditor{"alice", "auditor"};
  OperatorContext officer{"bob", "security_officer"};
  std::string a, b;
};

TEST_F(DisclosureTest, RequestedApprovedAndRunOnceWithTheTenantsEventsOfThePeriod) {
  const UnixSeconds t = clock.now();
  event(a, t - 100);
  event(b, t - 90);
  event(a, t - 80);
  event(a, t + 100);  // after the period
  ASSERT_OK_AND_ASSIGN(store::AuditDisclosure d, disclosures->request(auditor, a, t - 1000, t, "order 17", t));
  EXPECT_EQ(d.state, store::DisclosureState::kRequested);
  EXPECT_EQ(d.requested_by, "alice");
  // Not approved: refused, and nothing spent.
  EXPECT_EQ(disclosures->run(auditor, d.disclosure_id, t).code(), ErrorCode::kForbidden);
  ASSERT_OK_AND_ASSIGN(store::AuditDisclosure ok, disclosures->approve(officer, d.disclosure_id, "", t + 1));
  EXPECT_EQ(ok.state, store::DisclosureState::kApproved);
  EXPECT_EQ(ok.decided_by, "bob");
  EXPECT_EQ(disclosures->approve(officer, d.disclosure_id, "", t + 2).code(), ErrorCode::kConflict);
  ASSERT_OK_AND_ASSIGN(DisclosureRun run, disclosures->run(auditor, d.disclosure_id, t + 3));
  ASSERT_EQ(run.events.size(), 2u);
  for (const auto& e : run.events) {
    EXPECT_EQ(e.tenant_id, a);
    EXPECT_LT(e.at, t);
  }
  EXPECT_EQ(run.disclosure.state, store::DisclosureState::kRun);
  EXPECT_EQ(run.disclosure.run_by, "alice");
  EXPECT_EQ(disclosures->run(auditor, d.disclosure_id, t + 4).code(), ErrorCode::kConflict);
}

TEST_F(DisclosureTest, TheRequesterNeverDecidesAndRolesAreKept) {
  const UnixSeconds t = clock.now();
  ASSERT_OK_AND_ASSIGN(store::AuditDisclosure d, disclosures->request(auditor, a, 0, t, "order 18", t));
  // The same person under a security officer's token (a reused name) is still the requester.
  OperatorContext same_person{"alice", "security_officer"};
  EXPECT_EQ(disclosures->approve(same_person, d.disclosure_id, "", t).code(), ErrorCode::kForbidden);
  EXPECT_EQ(disclosures->refuse(same_person, d.disclosure_id, "no", t).code(), ErrorCode::kForbidden);
  EXPECT_EQ(disclosures->approve(auditor, d.disclosure_id, "", t).code(), ErrorCode::kForbidden);
  EXPECT_EQ(disclosures->approve(ops, d.disclosure_id, "", t).code(), ErrorCode::kForbidden);
  EXPECT_EQ(disclosures->request(officer, a, 0, t, "x", t).code(), ErrorCode::kForbidden);
  EXPECT_EQ(disclosures->request(ops, a, 0, t, "x", t).code(), ErrorCode::kForbidden);
  EXPECT_EQ(ok_value(disclosures->get(d.disclosure_id)).state, store::DisclosureState::kRequested);
  // A refusal needs a reason, and a refused disclosure never runs.
  EXPECT_EQ(disclosures->refuse(officer, d.disclosure_id, "", t).code(), ErrorCode::kInvalidArgument);
  ASSERT_OK(disclosures->refuse(officer, d.disclosure_id, "no legal basis", t));
  EXPECT_EQ(disclosures->run(auditor, d.disclosure_id, t).code(), ErrorCode::kForbidden);
  OperatorContext other_officer{"carol", "security_officer"};
  EXPECT_EQ(disclosures->approve(other_officer, d.disclosure_id, "", t).code(), ErrorCode::kConflict);
}

TEST_F(DisclosureTest, BadRequestsAreRefused) {
  const UnixSeconds t = clock.now();
  EXPECT_EQ(disclosures->request(auditor, a, t, t, "p", t).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(disclosures->request(auditor, a, 0, t, "", t).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(disclosures->request(auditor, a, 0, t, std::string(2001, 'p'), t).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(disclosures->request(auditor, a, 0, t, "bad\x01", t).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(disclosures->request(auditor, "ten_nobody", 0, t, "p", t).code(), ErrorCode::kNotFound);
  EXPECT_EQ(disclosures->run(auditor, "dsc_nobody", t).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(ok_value(disclosures->list()).empty());
}

}  // namespace
}  // namespace duet::core
