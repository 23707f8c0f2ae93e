// Contract tests of store/audit_disclosures.h (a tenant's audit events
// disclosed to a regulator: requested, decided once, run once), run against
// every backend.
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/audit_disclosures.h"
#include "store/ids.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

AuditDisclosure request_for(const std::string& tenant, UnixSeconds at) {
  AuditDisclosure d;
  d.disclosure_id = new_id("dsc_");
  d.tenant_id = tenant;
  d.from = StoreContractTest::kNow - 86400;
  d.to = StoreContractTest::kNow;
  d.purpose = "regulator request 2023-17";
  d.requested_by = "auditor";
  d.requested_at = at;
  return d;
}

// The disclosure area of the store under test (store/audit_disclosures.h).
AuditDisclosureStore& area(Store& s) { return *ok_value(audit_disclosure_store(s)); }

}  // namespace

TEST_P(StoreContractTest, AuditDisclosureIsDecidedOnceAndRunOnce) {
  World w = make_world("disclosure");
  AuditDisclosure d = request_for(w.tenant_id, kNow);
  ASSERT_OK(area(*store_).request_audit_disclosure({}, d));
  AuditDisclosure got = ok_value(area(*store_).get_audit_disclosure(d.disclosure_id));
  EXPECT_EQ(got.state, DisclosureState::kRequested);
  EXPECT_EQ(got.tenant_id, w.tenant_id);
  EXPECT_EQ(got.from, d.from);
  EXPECT_EQ(got.to, d.to);
  EXPECT_EQ(got.purpose, d.purpose);
  EXPECT_EQ(got.requested_by, "auditor");
  EXPECT_FALSE(got.decided_at.has_value());
  EXPECT_FALSE(got.run_at.has_value());

  // Not approved yet: it cannot run.
  EXPECT_EQ(store_error_kind(area(*store_).mark_audit_disclosure_run({}, d.disclosure_id, "auditor", kNow + 1)),
            StoreError::kConflict);
  ASSERT_OK(area(*store_).decide_audit_disclosure({}, d.disclosure_id, DisclosureState::kApproved, "officer", "", kNow + 2));
  // Decided once: a second decision (either way) is a conflict and changes nothing.
  EXPECT_EQ(store_error_kind(area(*store_).decide_audit_disclosure({}, d.disclosure_id, DisclosureState::kRefused,
                                                             "officer2", "no", kNow + 3)),
            StoreError::kConflict);
  got = ok_value(area(*store_).get_audit_disclosure(d.disclosure_id));
  EXPECT_EQ(got.state, DisclosureState::kApproved);
  EXPECT_EQ(got.decided_by, "officer");
  EXPECT_EQ(got.decided_at, kNow + 2);

  ASSERT_OK(area(*store_).mark_audit_disclosure_run({}, d.disclosure_id, "auditor", kNow + 4));
  EXPECT_EQ(store_error_kind(area(*store_).mark_audit_disclosure_run({}, d.disclosure_id, "auditor", kNow + 5)),
            StoreError::kConflict);
  got = ok_value(area(*store_).get_audit_disclosure(d.disclosure_id));
  EXPECT_EQ(got.state, DisclosureState::kRun);
  EXPECT_EQ(got.run_at, kNow + 4);
  EXPECT_EQ(got.run_by, "auditor");
}

TEST_P(StoreContractTest, RefusedAuditDisclosureNeverRuns) {
  World w = make_world("disclosure-refused");
  AuditDisclosure d = request_for(w.tenant_id, kNow);
  ASSERT_OK(area(*store_).request_audit_disclosure({}, d));
  EXPECT_EQ(area(*store_).decide_audit_disclosure({}, d.disclosure_id, DisclosureState::kRefused, "officer", "", kNow + 1)
                .code(),
            ErrorCode::kInvalidArgument)
      << "a refusal needs a reason";
  ASSERT_OK(area(*store_).decide_audit_disclosure({}, d.disclosure_id, DisclosureState::kRefused, "officer",
                                            "no legal basis given", kNow + 1));
  EXPECT_EQ(store_error_kind(area(*store_).mark_audit_disclosure_run({}, d.disclosure_id, "auditor", kNow + 2)),
            StoreError::kConflict);
  AuditDisclosure got = ok_value(area(*store_).get_audit_disclosure(d.disclosure_id));
  EXPECT_EQ(got.state, DisclosureState::kRefused);
  EXPECT_EQ(got.decision_reason, "no legal basis given");
  EXPECT_FALSE(got.run_at.has_value());
}

TEST_P(StoreContractTest, BadAuditDisclosuresWriteNothing) {
  World w = make_world("disclosure-bad");
  AuditDisclosure no_tenant = request_for("ten_nobody", kNow);
  EXPECT_EQ(store_error_kind(area(*store_).request_audit_disclosure({}, no_tenant)), StoreError::kNotFound);
  AuditDisclosure backwards = request_for(w.tenant_id, kNow);
  backwards.to = backwards.from;
  EXPECT_EQ(area(*store_).request_audit_disclosure({}, backwards).code(), ErrorCode::kInvalidArgument);
  AuditDisclosure no_purpose = request_for(w.tenant_id, kNow);
  no_purpose.purpose.clear();
  EXPECT_EQ(area(*store_).request_audit_disclosure({}, no_purpose).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ok_value(area(*store_).list_audit_disclosures()).empty());
  EXPECT_EQ(store_error_kind(area(*store_).get_audit_disclosure("dsc_nobody")), StoreError::kNotFound);
  EXPECT_EQ(store_error_kind(area(*store_).decide_audit_disclosure({}, "dsc_nobody", DisclosureState::kApproved, "o", "",
                                                             kNow)),
            StoreError::kNotFound);
}

TEST_P(StoreContractTest, AuditDisclosuresListNewestFirstAndSurviveReopen) {
  World w = make_world("disclosure-list");
  AuditDisclosure older = request_for(w.tenant_id, kNow);
  AuditDisclosure newer = request_for(w.tenant_id, kNow + 10);
  ASSERT_OK(area(*store_).request_audit_disclosure({}, older));
  ASSERT_OK(area(*store_).request_audit_disclosure({}, newer));
  reopen();
  std::vector<AuditDisclosure> all = ok_value(area(*store_).list_audit_disclosures());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].disclosure_id, newer.disclosure_id);
  EXPECT_EQ(all[1].disclosure_id, older.disclosure_id);
}

}  // namespace duet::store::testing
