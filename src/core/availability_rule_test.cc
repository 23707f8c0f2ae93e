// The §4.3 availability rule (core/availability_rule.h) on hand-made minutes:
// tenants served normally, not requests; the probe as one participant; the
// signing and certificate services judged separately and summed; exclusions
// for everyone and for one tenant; and the route table.
#include "core/availability_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/availability_services.h"

namespace duet::core {
namespace {

store::AvailabilityMinute row(UnixSeconds minute, int64_t requests, int64_t normal, int64_t probes_ok = 0,
                              int64_t probes_failed = 0) {
  store::AvailabilityMinute r;
  r.minute = minute;
  r.requests = requests;
  r.normal = normal;
  r.total_us = requests * 1000;
  r.max_us = requests > 0 ? 2000 : 0;
  r.probes_ok = probes_ok;
  r.probes_failed = probes_failed;
  return r;
}

// `n` tenants "t0".."t<n-1>" on one service in one minute; the first `bad`
// of them got an abnormal answer among `per_tenant` requests.
void add_tenants(AvailabilityInputs& in, SlaServiceKind s, UnixSeconds minute, int n, int bad, int64_t per_tenant = 1) {
  auto& list = in.tenants[static_cast<size_t>(s)];
  for (int k = 0; k < n; ++k) {
    std::string id = "t" + std::to_string(k);
    auto it = std::find_if(list.begin(), list.end(), [&](const ServiceTenantRows& t) { return t.tenant_id == id; });
    if (it == list.end()) it = list.insert(list.end(), ServiceTenantRows{id, {}});
    it->rows.push_back(row(minute, per_tenant, k < bad ? per_tenant - 1 : per_tenant));
  }
}

MinuteState state(const JudgedMinutes& j, SlaServiceKind s, int minute_index) {
  return j.state[static_cast<size_t>(s)][static_cast<size_t>(minute_index)];
}

TEST(AvailabilityRuleTest, NinetyPercentOfTheActiveTenantsNotOfTheRequests) {
  AvailabilityInputs in;
  in.from = 0;
  in.to = 4 * 60;
  for (int m = 0; m < 4; ++m) in.service.push_back(row(m * 60, 0, 0, 1, 0));  // the probe passed every minute
  add_tenants(in, SlaServiceKind::kSigning, 0, 10, 1);    // 9 tenants + probe of 11: 90.9 % → up
  add_tenants(in, SlaServiceKind::kSigning, 60, 10, 2);   // 8 + probe of 11: 81.8 % → down
  // One busy tenant whose 1,000 requests all failed and nine quiet ones
  // served: per request 9 of 1,009 normal, per tenant 9 + probe of 11 → up …
  add_tenants(in, SlaServiceKind::kSigning, 120, 10, 1);
  in.tenants[0][0].rows.back() = row(120, 1000, 0);
  // … and per tenant, one bad answer of 100 makes that tenant not served normally.
  add_tenants(in, SlaServiceKind::kSigning, 180, 5, 1, 100);  // 4 + probe of 6: 83 % → down
  JudgedMinutes j = judge_minutes(in);
  EXPECT_EQ(state(j, SlaServiceKind::kSigning, 0), MinuteState::kUp);
  EXPECT_EQ(state(j, SlaServiceKind::kSigning, 1), MinuteState::kDown);
  EXPECT_EQ(state(j, SlaServiceKind::kSigning, 2), MinuteState::kUp);
  EXPECT_EQ(state(j, SlaServiceKind::kSigning, 3), MinuteState::kDown);
  EXPECT_EQ(j.participants[0][0], 11);
  // No tenant used the certificate service: the probe alone decides it.
  for (int m = 0; m < 4; ++m) EXPECT_EQ(state(j, SlaServiceKind::kCertificate, m), MinuteState::kUp);
  SlaFigures f = figures_for(j, 0, 240, "", {}, in.service);
  EXPECT_EQ(f.signing_unavailable_minutes, 2);
  EXPECT_EQ(f.certificate_unavailable_minutes, 0);
  EXPECT_EQ(f.unavailable_minutes, 2);
  EXPECT_EQ(f.available_minutes, 2);
  EXPECT_EQ(f.traffic_minutes, 4);
}

TEST(AvailabilityRuleTest, TheTwoServicesAreSummedAndABothDownMinuteCountsTwice) {
  AvailabilityInputs in;
  in.from = 0;
  in.to = 6 * 60;
  for (int m : {0, 1, 2, 3, 5}) in.service.push_back(row(m * 60, 5, 5, m == 3 ? 0 : 1, m == 3 ? 1 : 0));
  // minute 4: no record at all (nothing answered, nothing probed).
  add_tenants(in, SlaServiceKind::kSigning, 60, 3, 3);       // signing down in minute 1
  add_tenants(in, SlaServiceKind::kCertificate, 120, 3, 3);  // certificate down in minute 2
  // minute 3: the probe failed, nobody else active: both down.
  JudgedMinutes j = judge_minutes(in);
  SlaFigures f = figures_for(j, 0, 360, "", {}, in.service);
  EXPECT_EQ(f.signing_unavailable_minutes, 3);      // 1, 3, 4
  EXPECT_EQ(f.certificate_unavailable_minutes, 3);  // 2, 3, 4
  EXPECT_EQ(f.unavailable_minutes, 6);
  EXPECT_EQ(f.unrecorded_minutes, 1);
  EXPECT_EQ(f.available_minutes, 0);  // 6 counted minutes − 6 unavailable
  EXPECT_DOUBLE_EQ(f.availability_pct, 0.0);
  EXPECT_EQ(f.longest_outage_minutes, 4);  // 1–4: one service or the other down throughout
  EXPECT_EQ(f.longest_outage_start, 60);
  EXPECT_EQ(f.requests, 25);
}

TEST(AvailabilityRuleTest, ExclusionsForEveryoneForOneServiceAndForOneTenant) {
  AvailabilityInputs in;
  in.from = 0;
  in.to = 4 * 60;
  for (int m = 0; m < 4; ++m) in.service.push_back(row(m * 60, 0, 0, 1, 0));
  // Minute 0: tenant t0 (of 2) fails on signing: 2 of 3 participants → down,
  // unless t0's failure was on its own side.
  add_tenants(in, SlaServiceKind::kSigning, 0, 2, 1);
  // Minutes 1–2: the probe failed; a third party's outage of the certificate
  // service covers them; signing still counts.
  in.service[1] = row(60, 0, 0, 0, 1);
  in.service[2] = row(120, 0, 0, 0, 1);
  SlaExclusion third_party{60, 180, false, true, ""};
  JudgedMinutes j = judge_minutes(in);
  EXPECT_EQ(state(j, SlaServiceKind::kSigning, 0), MinuteState::kDown);

  in.exclusions = {third_party, SlaExclusion{0, 60, true, true, "t0"}};
  j = judge_minutes(in);
  EXPECT_EQ(state(j, SlaServiceKind::kSigning, 0), MinuteState::kUp);  // t0 is not a participant
  EXPECT_EQ(j.participants[0][0], 2);
  EXPECT_EQ(state(j, SlaServiceKind::kCertificate, 1), MinuteState::kExcluded);
  EXPECT_EQ(state(j, SlaServiceKind::kSigning, 1), MinuteState::kDown);
  SlaFigures all = figures_for(j, 0, 240, "", in.exclusions, {});
  EXPECT_EQ(all.signing_unavailable_minutes, 2);
  EXPECT_EQ(all.certificate_unavailable_minutes, 0);
  EXPECT_EQ(all.excluded_minutes, 0);  // signing counted in every minute
  // t0's own report leaves out minute 0 for both services.
  SlaFigures t0 = figures_for(j, 0, 240, "t0", in.exclusions, {});
  EXPECT_EQ(t0.excluded_minutes, 1);
  EXPECT_EQ(t0.signing_unavailable_minutes, 2);
  // Maintenance for everyone, both services: minute 3 is not counted.
  in.exclusions.push_back(SlaExclusion{180, 240, true, true, ""});
  j = judge_minutes(in);
  EXPECT_EQ(figures_for(j, 0, 240, "", in.exclusions, {}).excluded_minutes, 1);
}

TEST(AvailabilityRuleTest, AMinuteWithoutParticipantsIsUpWhenTheServiceAnswered) {
  AvailabilityInputs in;
  in.from = 0;
  in.to = 3 * 60;
  in.service = {row(0, 10, 10), row(60, 10, 5)};  // only sandbox/public traffic, no probe; minute 2 unrecorded
  JudgedMinutes j = judge_minutes(in);
  EXPECT_EQ(state(j, SlaServiceKind::kSigning, 0), MinuteState::kUp);
  EXPECT_EQ(state(j, SlaServiceKind::kSigning, 1), MinuteState::kDown);
  EXPECT_EQ(state(j, SlaServiceKind::kCertificate, 2), MinuteState::kDown);
  SlaFigures f = figures_for(j, 0, 180, "", {}, in.service);
  EXPECT_EQ(f.unavailable_minutes, 4);
  EXPECT_EQ(f.probe_minutes, 2);
}

TEST(AvailabilityRuleTest, OneRouteTableDecidesTheService) {
  using S = SlaServiceKind;
  EXPECT_EQ(sla_service_of_route("/pki/ocsp"), S::kCertificate);
  EXPECT_EQ(sla_service_of_route("/pki/crl/{crl_file}"), S::kCertificate);
  EXPECT_EQ(sla_service_of_route("/pki/tsa"), S::kCertificate);
  EXPECT_EQ(sla_service_of_route("/pki/ca/{ca_file}"), S::kCertificate);
  EXPECT_EQ(sla_service_of_route("/app/v1/certificate-requests"), S::kCertificate);
  EXPECT_EQ(sla_service_of_route("/app/v1/certificate/revoke"), S::kCertificate);
  EXPECT_EQ(sla_service_of_route("/api/v1/holders/{holder_id}/certificates/renew"), S::kCertificate);
  EXPECT_EQ(sla_service_of_route("/app/v1/orders/{order_id}/sessions"), S::kSigning);
  EXPECT_EQ(sla_service_of_route("/api/v1/orders/{order_id}/pdf"), S::kSigning);
  EXPECT_EQ(sla_service_of_route("/api/v1/verify"), S::kSigning);
  EXPECT_EQ(sla_service_of_route("/api/v1/holders"), S::kSigning);
  EXPECT_EQ(sla_service_of_route("/admin/v1/tenants"), std::nullopt);
  EXPECT_EQ(sla_service_of_route("/healthz"), std::nullopt);
  EXPECT_EQ(sla_service_of_route("unmatched"), std::nullopt);
  EXPECT_EQ(service_availability_row(S::kCertificate, "ten_a"), "svc:certificate:ten_a");
}

}  // namespace
}  // namespace duet::core
