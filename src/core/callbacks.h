// Webhooks to the business system (docs/api/openapi.yaml): built in the transaction of
// the state change that causes them, delivered later from the store's queue.
//
// Body: {"event":"order.<state>","order_id":…,"holder_id":…,"state":…,
//        "output":…,"signatures":[hex…],"occurred_at":unix}
// Headers: X-Duet-Timestamp, X-Duet-Signature = hex(HMAC-SM3(app secret,
// TIMESTAMP \n hex(SM3(body)))), X-Duet-Event, X-Duet-Delivery (job id).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/core_deps.h"
#include "store/callbacks.h"
#include "store/metering.h"
#include "store/orders.h"
#include "store/tenants.h"

namespace duet::core {

// The job for an order in its new state; nullopt when it has no callback URL.
std::optional<store::CallbackJob> make_order_callback(const store::SignOrder& order, UnixSeconds now);

// Delivery transport (libcurl in duetd, a recorder in tests).
class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  struct Header {
    std::string name, value;
  };
  // The HTTP status, or an error when nothing was received.
  virtual Result<int> post(const std::string& url, const std::vector<Header>& headers, const std::string& body,
                           int timeout_ms) = 0;
};

// Claims due jobs with a lease and delivers them; 2xx marks a job delivered
// (exactly once), anything else reschedules it with exponential backoff until
// callback_max_attempts, after which it stays undelivered with its last error.
class CallbackDispatcher {
 public:
  // The store areas the service uses (the daemon passes its one store::Store).
  struct Stores {
    store::TenantStore& tenants;
    store::OrderStore& orders;
    store::CallbackStore& callbacks;
    store::MeteringStore& metering;
    explicit Stores(store::Store& s) : tenants(s), orders(s), callbacks(s), metering(s) {}
  };

  CallbackDispatcher(CoreDeps deps, WebhookSender& sender, std::string worker_id)
      : deps_(deps), stores_(deps.store), sender_(sender), worker_id_(std::move(worker_id)) {}

  // Delivers up to `limit` due jobs; returns how many were attempted.
  Result<size_t> run_once(const store::WriteContext& write, size_t limit = 16);

 private:
  ServiceDeps deps_;  // everything but the store
  Stores stores_;
  WebhookSender& sender_;
  std::string worker_id_;
};

// Moves past-due orders to expired (and enqueues their callbacks).
Result<size_t> expire_due_orders(CoreDeps& deps, const store::WriteContext& write, size_t limit = 200);

}  // namespace duet::core
