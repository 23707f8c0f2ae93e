// Contract tests of store/incidents.h (incident records, issue 14 item 3) and
// of the maintenance window's kind, run against every backend.
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_error.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kT = StoreContractTest::kNow;

Incident incident_of(const std::string& tenant, IncidentCause cause, UnixSeconds start) {
  Incident i;
  i.incident_id = new_id("inc_");
  i.tenant_id = tenant;
  i.services = IncidentServices::kCertificate;
  i.cause = cause;
  i.description = "upstream network provider outage";
  i.started_at = start;
  i.created_by = i.updated_by = "ops";
  i.created_at = i.updated_at = kT;
  return i;
}

}  // namespace

TEST_P(StoreContractTest, IncidentsRoundTripAndListByOverlapAndTenant) {
  World a = make_world("inc-a");
  World b = make_world("inc-b");
  Incident all = incident_of("", IncidentCause::kThirdParty, kT - 3600);
  all.response_started_at = kT - 3000;
  all.resolved_at = kT - 1800;
  all.dr_switched_at = kT - 2000;
  Incident of_a = incident_of(a.tenant_id, IncidentCause::kCustomerSide, kT - 600);  // still open
  Incident of_b = incident_of(b.tenant_id, IncidentCause::kCustomerSide, kT - 500);
  for (const auto& i : {all, of_a, of_b}) ASSERT_TRUE(store_->create_incident({}, i).ok());

  Incident got = ok_value(store_->get_incident(all.incident_id));
  EXPECT_EQ(got.tenant_id, "");
  EXPECT_EQ(got.services, IncidentServices::kCertificate);
  EXPECT_EQ(got.cause, IncidentCause::kThirdParty);
  EXPECT_EQ(got.description, all.description);
  EXPECT_EQ(got.started_at, kT - 3600);
  EXPECT_EQ(got.response_started_at, kT - 3000);
  EXPECT_EQ(got.resolved_at, kT - 1800);
  EXPECT_EQ(got.dr_switched_at, kT - 2000);
  EXPECT_EQ(got.created_by, "ops");
  EXPECT_FALSE(ok_value(store_->get_incident(of_a.incident_id)).resolved_at.has_value());

  // Overlap: the resolved one ends at kT-1800 (exclusive); open ones run on.
  auto ids = [](const std::vector<Incident>& v) {
    std::vector<std::string> out;
    for (const auto& i : v) out.push_back(i.incident_id);
    return out;
  };
  EXPECT_EQ(ids(ok_value(store_->list_incidents(kT - 7200, kT + 60, std::nullopt))),
            (std::vector<std::string>{all.incident_id, of_a.incident_id, of_b.incident_id}));
  EXPECT_EQ(ids(ok_value(store_->list_incidents(kT - 1800, kT + 60, std::nullopt))),
            (std::vector<std::string>{of_a.incident_id, of_b.incident_id}));
  EXPECT_TRUE(ok_value(store_->list_incidents(kT - 9000, kT - 3600, std::nullopt)).empty());
  // A tenant sees the incidents of every tenant and its own, never another's.
  EXPECT_EQ(ids(ok_value(store_->list_incidents(kT - 7200, kT + 60, std::string_view(a.tenant_id)))),
            (std::vector<std::string>{all.incident_id, of_a.incident_id}));
}

TEST_P(StoreContractTest, IncidentWritesAreCheckedAndUpdatesAreConditional) {
  World a = make_world("inc-c");
  Incident bad = incident_of("", IncidentCause::kCustomerSide, kT);
  EXPECT_EQ(store_->create_incident({}, bad).code(), ErrorCode::kInvalidArgument);  // customer side names its tenant
  bad = incident_of(a.tenant_id, IncidentCause::kService, kT);
  bad.resolved_at = kT - 1;
  EXPECT_EQ(store_->create_incident({}, bad).code(), ErrorCode::kInvalidArgument);
  Incident unknown = incident_of("ten_nobody", IncidentCause::kService, kT);
  EXPECT_EQ(store_error_kind(store_->create_incident({}, unknown).error()), StoreError::kNotFound);
  EXPECT_TRUE(ok_value(store_->list_incidents(0, kT * 2, std::nullopt)).empty());

  Incident i = incident_of(a.tenant_id, IncidentCause::kService, kT);
  ASSERT_TRUE(store_->create_incident({}, i).ok());
  EXPECT_EQ(store_error_kind(store_->create_incident({}, i).error()), StoreError::kDuplicate);

  Incident upd = i;
  upd.cause = IncidentCause::kCustomerSide;
  upd.response_started_at = kT + 300;
  upd.resolved_at = kT + 3600;
  upd.updated_by = "ops2";
  upd.updated_at = kT + 3600;
  ASSERT_TRUE(store_->update_incident({}, upd, i.updated_at).ok());
  Incident got = ok_value(store_->get_incident(i.incident_id));
  EXPECT_EQ(got.cause, IncidentCause::kCustomerSide);
  EXPECT_EQ(got.resolved_at, kT + 3600);
  EXPECT_EQ(got.updated_by, "ops2");
  EXPECT_EQ(got.created_by, "ops");
  // A second writer that read the old version loses, and changes nothing.
  Incident stale = i;
  stale.description = "stale";
  stale.updated_at = kT + 4000;
  EXPECT_EQ(store_error_kind(store_->update_incident({}, stale, i.updated_at).error()), StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->get_incident(i.incident_id)).description, i.description);
  upd.incident_id = "inc_missing";
  EXPECT_EQ(store_error_kind(store_->update_incident({}, upd, upd.updated_at).error()), StoreError::kNotFound);
}

TEST_P(StoreContractTest, MaintenanceWindowsKeepTheirKind) {
  MaintenanceWindow drill{new_id("mnt_"), kT + 86400, kT + 90000, kT, "failover drill", "ops", "fault_drill"};
  MaintenanceWindow plain{new_id("mnt_"), kT + 96400, kT + 99000, kT, "upgrade", "ops", "maintenance"};
  ASSERT_TRUE(store_->create_maintenance_window({}, drill).ok());
  ASSERT_TRUE(store_->create_maintenance_window({}, plain).ok());
  EXPECT_EQ(ok_value(store_->get_maintenance_window(drill.window_id)).kind, "fault_drill");
  EXPECT_EQ(ok_value(store_->get_maintenance_window(plain.window_id)).kind, "maintenance");
  MaintenanceWindow bad{new_id("mnt_"), kT + 86400, kT + 90000, kT, "x", "ops", "party"};
  EXPECT_EQ(store_->create_maintenance_window({}, bad).code(), ErrorCode::kInvalidArgument);
}

}  // namespace duet::store::testing
