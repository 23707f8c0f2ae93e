#include "core/availability.h"

#include "core/availability_services.h"

#include <openssl/rand.h>

#include <algorithm>
#include <vector>

namespace duet::core {

bool is_normal_answer(int status, int64_t duration_us, int64_t slow_us) {
  return status < 500 && duration_us < slow_us;
}

bool counts_for_availability(std::string_view route) {
  // The sandbox CA's public files and responder are sandbox traffic, which
  // counts in no SLA (issue 14 item 1).
  return route != "/healthz" && route != "/readyz" && route != "/metrics" && route.rfind("/pki/sandbox/", 0) != 0;
}

AvailabilityRecorder::AvailabilityRecorder(store::SlaStore& store, const Clock& clock, int64_t slow_us,
                                           std::string node_id)
    : store_(store), clock_(clock), slow_us_(slow_us), node_row_(node_id.empty() ? "" : "node:" + node_id) {}

void AvailabilityRecorder::add_locked(const store::AvailabilityMinute& d) {
  auto [it, inserted] = rows_.try_emplace(Key{d.minute, d.tenant_id}, d);
  if (inserted) return;
  store::AvailabilityMinute& r = it->second;
  r.requests += d.requests;
  r.normal += d.normal;
  r.total_us += d.total_us;
  r.max_us = std::max(r.max_us, d.max_us);
  r.probes_ok += d.probes_ok;
  r.probes_failed += d.probes_failed;
}

void AvailabilityRecorder::record_request(std::string_view route, std::string_view tenant_id, int status,
                                          int64_t duration_us) {
  if (!counts_for_availability(route)) return;
  duration_us = std::max<int64_t>(duration_us, 0);
  store::AvailabilityMinute d;
  d.minute = minute_of(clock_.now());
  d.requests = 1;
  d.normal = is_normal_answer(status, duration_us, slow_us_) ? 1 : 0;
  d.total_us = duration_us;
  d.max_us = duration_us;
  std::lock_guard lock(mu_);
  add_locked(d);
  if (!node_row_.empty()) {
    d.tenant_id = node_row_;
    add_locked(d);
  }
  if (!tenant_id.empty()) {
    d.tenant_id = std::string(tenant_id);
    add_locked(d);
    // The tenant's minute on the service the route belongs to: the §4.3
    // rule counts tenants served normally per service (core/availability_rule.h).
    if (auto service = sla_service_of_route(route)) {
      d.tenant_id = service_availability_row(*service, tenant_id);
      add_locked(d);
    }
  }
}

void AvailabilityRecorder::record_probe(bool ok) {
  store::AvailabilityMinute d;
  d.minute = minute_of(clock_.now());
  (ok ? d.probes_ok : d.probes_failed) = 1;
  std::lock_guard lock(mu_);
  add_locked(d);
  if (!node_row_.empty()) {
    d.tenant_id = node_row_;
    add_locked(d);
  }
}

Status AvailabilityRecorder::flush() {
  std::map<Key, store::AvailabilityMinute> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(rows_);
  }
  if (batch.empty()) return Status::Ok();
  std::vector<store::AvailabilityMinute> deltas;
  deltas.reserve(batch.size());
  for (auto& [k, v] : batch) deltas.push_back(v);
  Status s = store_.add_availability({}, deltas);
  if (s.ok()) return s;
  // Nothing was added (one transaction): merge back for the next flush.
  std::lock_guard lock(mu_);
  for (const auto& d : deltas) add_locked(d);
  while (rows_.size() > kMaxPendingRows) rows_.erase(rows_.begin());  // oldest minute first
  return s;
}

size_t AvailabilityRecorder::pending_rows() const {
  std::lock_guard lock(mu_);
  return rows_.size();
}

Status run_self_check(store::Store& store, keys::DataProtector& protector) {
  DUET_TRY_STATUS(store.schema_version());
  DUET_TRY_STATUS(store.list_tenants());
  Bytes probe(32);
  if (RAND_bytes(probe.data(), static_cast<int>(probe.size())) != 1)
    return make_error(ErrorCode::kCryptoFailure, "probe: no random bytes");
  DUET_ASSIGN_OR_RETURN(Bytes sealed, protector.seal("sla_probe", probe));
  DUET_ASSIGN_OR_RETURN(SecretBytes opened, protector.open("sla_probe", sealed));
  if (opened.size() != probe.size() || !std::equal(probe.begin(), probe.end(), opened.data()))
    return make_error(ErrorCode::kCryptoFailure, "probe: sealed data did not open to the same bytes");
  return Status::Ok();
}

}  // namespace duet::core
