// Incidents (core/incident_service.h): recorded by an operator, checked,
// changed conditionally; their times against §4.1; and the exclusions they
// make in the monthly report (third party: everyone; customer side: its own
// tenant; the provider's own fault: none; an open one: none).
#include "core/incident_service.h"

#include <gtest/gtest.h>

#include "core/availability_services.h"
#include "core/sla_test_fixture.h"

namespace duet::core {
namespace {

using testing_support::ok_value;
using store::IncidentCause;
using store::IncidentServices;

class IncidentTest : public SlaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SlaTest::SetUp());
    incidents = std::make_unique<IncidentService>(*deps);
  }
  void TearDown() override {
    incidents.reset();
    SlaTest::TearDown();
  }
  IncidentChange change(IncidentCause cause, IncidentServices services, UnixSeconds start,
                        std::optional<UnixSeconds> resolved) {
    IncidentChange c;
    c.cause = cause;
    c.services = services;
    c.description = "what happened";
    c.started_at = start;
    c.resolved_at = resolved;
    return c;
  }
  std::unique_ptr<IncidentService> incidents;
  OperatorContext op{"ops", "operator"};
};

TEST_F(IncidentTest, TimesAgainstThePromisesOfSection41) {
  store::Incident i;
  i.started_at = 1000;
  i.response_started_at = 1000 + 15 * 60;   // exactly 15 minutes: kept
  i.resolved_at = 1000 + 2 * 3600 + 1;     // one second over 2 hours: broken
  IncidentTimeliness t = incident_timeliness(i, 99999);
  EXPECT_EQ(t.response.took_seconds, 900);
  EXPECT_EQ(t.response.met, true);
  EXPECT_EQ(t.resolution.met, false);
  EXPECT_FALSE(t.dr_switch.met.has_value());  // no switch, none promised
  i.dr_switched_at = 1000 + 7200;
  EXPECT_EQ(incident_timeliness(i, 99999).dr_switch.met, true);
  // Not yet answered: open until the deadline, broken after it.
  store::Incident open;
  open.started_at = 1000;
  EXPECT_FALSE(incident_timeliness(open, 1000 + 900).response.met.has_value());
  EXPECT_EQ(incident_timeliness(open, 1000 + 901).response.met, false);
}

TEST_F(IncidentTest, CreateChecksAndUpdateIsConditional) {
  std::string t = tenant("customer");
  UnixSeconds now = month_to + 3600;
  auto c = change(IncidentCause::kCustomerSide, IncidentServices::kSigning, now - 600, std::nullopt);
  EXPECT_EQ(incidents->create(op, "", c, now).code(), ErrorCode::kInvalidArgument);  // names no tenant
  auto future = change(IncidentCause::kService, IncidentServices::kBoth, now + 3600, std::nullopt);
  EXPECT_EQ(incidents->create(op, "", future, now).code(), ErrorCode::kInvalidArgument);
  auto before = change(IncidentCause::kService, IncidentServices::kBoth, now - 600, now - 700);
  EXPECT_EQ(incidents->create(op, "", before, now).code(), ErrorCode::kInvalidArgument);
  IncidentChange missing;
  missing.started_at = now - 60;
  EXPECT_EQ(incidents->create(op, "", missing, now).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(incidents->create(op, "ten_nobody", change(IncidentCause::kService, IncidentServices::kBoth, now - 60, std::nullopt), now).code(),
            ErrorCode::kNotFound);

  store::Incident i = ok_value(incidents->create(op, t, c, now));
  EXPECT_EQ(i.created_by, "ops");
  IncidentChange fix;
  fix.response_started_at = now - 500;
  fix.resolved_at = now - 100;
  store::Incident u = ok_value(incidents->update(OperatorContext{"ops2", "operator"}, i.incident_id, fix, now));
  EXPECT_EQ(u.resolved_at, now - 100);
  EXPECT_EQ(u.updated_by, "ops2");
  EXPECT_GT(u.updated_at, i.updated_at);  // the version moves even in the same second
  IncidentChange clear;
  clear.clear_resolved_at = true;
  EXPECT_FALSE(ok_value(incidents->update(op, i.incident_id, clear, now)).resolved_at.has_value());
  EXPECT_EQ(incidents->update(op, "inc_missing", clear, now).code(), ErrorCode::kNotFound);
}

TEST_F(IncidentTest, ExcludedCausesLeaveTheAvailabilityAndTheServiceFaultDoesNot) {
  std::string a = tenant("a"), b = tenant("b");
  // Minutes 100–159: the probe failed (both services down, 120 unavailable).
  month_with_outages({{100, 60}});
  UnixSeconds now = month_to + 3600;
  UnixSeconds s = month_from + 100 * 60, e = s + 3600;
  EXPECT_EQ(report().overall.unavailable_minutes, 120);

  // The provider's own fault: counted, but its times are reported.
  store::Incident own = ok_value(incidents->create(op, "", change(IncidentCause::kService, IncidentServices::kBoth, s, e), now));
  SlaMonthlyReport r = report();
  EXPECT_EQ(r.overall.unavailable_minutes, 120);
  ASSERT_EQ(r.incidents.size(), 1u);
  EXPECT_EQ(r.incidents[0].incident_id, own.incident_id);

  // A third party's outage of the certificate service: certificate minutes excluded for everyone.
  ok_value(incidents->create(op, "", change(IncidentCause::kThirdParty, IncidentServices::kCertificate, s, e), now));
  r = report();
  EXPECT_EQ(r.overall.signing_unavailable_minutes, 60);
  EXPECT_EQ(r.overall.certificate_unavailable_minutes, 0);
  EXPECT_EQ(of(r, a).figures.unavailable_minutes, 60);

  // A cause on tenant a's side: a's own report leaves those minutes out; b's does not.
  ok_value(incidents->create(op, a, change(IncidentCause::kCustomerSide, IncidentServices::kBoth, s, e), now));
  r = report();
  EXPECT_EQ(of(r, a).figures.unavailable_minutes, 0);
  EXPECT_EQ(of(r, a).figures.excluded_minutes, 60);
  EXPECT_EQ(of(r, b).figures.unavailable_minutes, 60);
  EXPECT_EQ(r.overall.unavailable_minutes, 60);
  // b's report shows the incidents of everyone, not a's own.
  SlaMonthlyReport rb = ok_value(sla->report({}, "2026-06", b, now));
  EXPECT_EQ(rb.incidents.size(), 2u);
  for (const auto& i : rb.incidents) EXPECT_NE(i.tenant_id, a);

  // An open (unresolved) third-party incident excludes nothing.
  auto open = change(IncidentCause::kThirdParty, IncidentServices::kSigning, s, std::nullopt);
  ok_value(incidents->create(op, "", open, now));
  EXPECT_EQ(report().overall.signing_unavailable_minutes, 60);
}

}  // namespace
}  // namespace duet::core
