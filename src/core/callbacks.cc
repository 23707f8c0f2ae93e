#include "core/callbacks.h"

#include <nlohmann/json.hpp>

#include "core/request_signing.h"
#include "core/views.h"

namespace duet::core {

std::optional<store::CallbackJob> make_order_callback(const store::SignOrder& order, UnixSeconds now) {
  if (order.callback_url.empty()) return std::nullopt;
  nlohmann::json sigs = nlohmann::json::array();
  if (order.state == store::OrderState::kSigned) {
    for (const auto& item : order.items) sigs.push_back(to_hex(item.signature));
  }
  std::string state(order_state_name(order.state));
  nlohmann::json body = {{"event", "order." + state},
                         {"order_id", order.order_id},
                         {"holder_id", order.holder_id},
                         {"state", state},
                         {"output", output_format_name(order.output_format)},
                         {"signatures", sigs},
                         {"occurred_at", now}};
  if (order.output_format == store::OutputFormat::kPdf && order.state == store::OrderState::kSigned) {
    // The signed PDF is committed with this job (store finish_document_order).
    body["pdf_ready"] = true;
    body["pdf_url"] = "/api/v1/orders/" + order.order_id + "/pdf";
  }
  store::CallbackJob job;
  job.tenant_id = order.tenant_id;
  job.order_id = order.order_id;
  job.url = order.callback_url;
  job.payload = body.dump();
  job.next_attempt_at = now;
  job.created_at = now;
  return job;
}

namespace {
// The key that signs a job: the order's app secret; for a notice webhook (no
// order, core/metering.h) the tenant's notify secret.
Result<SecretBytes> callback_secret(const CallbackDispatcher::Stores& stores, keys::DataProtector& protector,
                                    const store::CallbackJob& job, std::string* error) {
  if (job.order_id.empty()) {
    auto target = stores.metering.get_tenant_notify_target(job.tenant_id);
    if (!target.ok()) {
      *error = "notify target unavailable";
      return Unexpected{target.error()};
    }
    return protector.open("notify_secret:" + job.tenant_id, target->secret_ciphertext);
  }
  auto order = stores.orders.get_order(job.tenant_id, job.order_id);
  if (!order.ok()) {
    *error = "order unavailable";
    return Unexpected{order.error()};
  }
  auto app = stores.tenants.get_app(job.tenant_id, order->app_id);
  if (!app.ok()) return Unexpected{app.error()};
  return protector.open("app_secret:" + app->app_id, app->secret_ciphertext);
}
}  // namespace

Result<size_t> CallbackDispatcher::run_once(const store::WriteContext& write, size_t limit) {
  UnixSeconds now = deps_.clock.now();
  DUET_ASSIGN_OR_RETURN(auto jobs, stores_.callbacks.claim_due_callbacks(write, worker_id_, now, 60, limit));
  for (const auto& job : jobs) {
    std::string error;
    bool delivered = false;
    auto secret = callback_secret(stores_, deps_.protector, job, &error);
    {
      if (secret.ok()) {
        std::string ts = std::to_string(deps_.clock.now());
        std::string key(reinterpret_cast<const char*>(secret->data()), secret->size());
        std::string sig = sign_callback(key, ts, job.payload);
        secure_wipe(key.data(), key.size());
        auto event = nlohmann::json::parse(job.payload, nullptr, false);
        std::string event_name = event.is_object() && event.contains("event") ? event["event"].get<std::string>() : "";
        std::vector<WebhookSender::Header> headers = {{"Content-Type", "application/json"},
                                                      {"X-Duet-Timestamp", ts},
                                                      {"X-Duet-Signature", sig},
                                                      {"X-Duet-Event", event_name},
                                                      {"X-Duet-Delivery", job.job_id}};
        auto status = sender_.post(job.url, headers, job.payload, deps_.config.callback_timeout_ms);
        if (status.ok() && *status >= 200 && *status < 300) delivered = true;
        else error = status.ok() ? "HTTP " + std::to_string(*status) : status.error().message;
      } else if (error.empty()) {
        error = job.order_id.empty() ? "notify secret unavailable" : "app secret unavailable";
      }
    }
    if (delivered) {
      auto st = stores_.callbacks.mark_callback_delivered(write, job.tenant_id, job.job_id, deps_.clock.now());
      if (st.ok()) deps_.metrics.callbacks_delivered++;
      continue;
    }
    deps_.metrics.callbacks_failed++;
    // attempts counts claims including this one: backoff doubles per attempt.
    int64_t backoff = deps_.config.callback_first_backoff_seconds;
    for (int i = 1; i < job.attempts && backoff < deps_.config.callback_max_backoff_seconds; ++i) backoff *= 2;
    backoff = std::min(backoff, deps_.config.callback_max_backoff_seconds);
    UnixSeconds next = job.attempts >= deps_.config.callback_max_attempts ? INT64_MAX / 2 : now + backoff;
    (void)stores_.callbacks.mark_callback_failed(write, job.tenant_id, job.job_id, worker_id_, error.substr(0, 200),
                                                 next);
  }
  return jobs.size();
}

Result<size_t> expire_due_orders(CoreDeps& deps, const store::WriteContext& write, size_t limit) {
  UnixSeconds now = deps.clock.now();
  DUET_ASSIGN_OR_RETURN(auto expired, deps.store.expire_orders(write, now, limit, [now](const store::SignOrder& o) {
    return make_order_callback(o, now);
  }));
  deps.metrics.orders_expired += expired.size();
  return expired.size();
}

}  // namespace duet::core
