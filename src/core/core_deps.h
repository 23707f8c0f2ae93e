// What the domain services run on: storage, key protection, time, randomness,
// settings and counters. Owned by the process (duetd) or the test.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/config.h"
#include "core/identity.h"
#include "crypto/random.h"
#include "keys/data_protector.h"
#include "store/store.h"

namespace duet::core {

// Counters the server exports as Prometheus metrics.
struct CoreMetrics {
  std::atomic<uint64_t> cosignatures{0};        // items signed
  std::atomic<uint64_t> sign_attempts{0};       // step-2 answers (counted attempts)
  std::atomic<uint64_t> failed_signatures{0};   // step-4 verifications that failed
  std::atomic<uint64_t> holder_locks{0};        // attempts that locked a holder
  std::atomic<uint64_t> enrollments{0};
  std::atomic<uint64_t> callbacks_delivered{0};
  std::atomic<uint64_t> callbacks_failed{0};
  std::atomic<uint64_t> orders_expired{0};
  std::atomic<uint64_t> certificates_issued{0};
  std::atomic<uint64_t> certificates_revoked{0};
  // PDF documents held in memory now, and the requests refused because
  // pdf.max_in_flight were taken (core/pdf_admission.h).
  std::atomic<uint64_t> pdf_in_flight{0};
  std::atomic<uint64_t> pdf_refused_busy{0};
  std::atomic<uint64_t> pdf_refused_tenant_share{0};  // a tenant above pdf.max_in_flight_per_tenant
  // Slots held per tenant (core/pdf_admission.cc; guarded by pdf_slots_mu,
  // which also orders every change of pdf_in_flight).
  std::mutex pdf_slots_mu;
  std::unordered_map<std::string, uint64_t> pdf_in_flight_by_tenant;
};

struct CoreDeps {
  store::Store& store;
  keys::DataProtector& protector;
  const Clock& clock;
  crypto::RandomSource& rng;
  CoreConfig config;
  CoreMetrics& metrics;
  // Identity adapters (docs/api/openapi.yaml, issue 4); nullable: an app whose
  // identity_mode is identity_source (or that requires an SMS one-time code)
  // is answered 503 unavailable without them. They must outlive the services.
  IdentitySource* identity_source = nullptr;
  SmsSender* sms = nullptr;
};

// What a service keeps of CoreDeps: everything but the store. Each service
// keeps only the store areas it uses (its Stores, e.g. AdminService::Stores),
// so what it may read and write is visible in its header.
struct ServiceDeps {
  explicit ServiceDeps(const CoreDeps& d)
      : protector(d.protector), clock(d.clock), rng(d.rng), config(d.config), metrics(d.metrics),
        identity_source(d.identity_source), sms(d.sms) {}
  keys::DataProtector& protector;
  const Clock& clock;
  crypto::RandomSource& rng;
  CoreConfig config;
  CoreMetrics& metrics;
  IdentitySource* identity_source;
  SmsSender* sms;
};

// Error helpers shared by the services.
inline bool is_code(const Status& s, ErrorCode c) { return !s.ok() && s.code() == c; }

}  // namespace duet::core
