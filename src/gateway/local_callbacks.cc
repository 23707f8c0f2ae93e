#include "gateway/local_callbacks.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/request_signing.h"
#include "httpclient/http_client.h"

namespace duet::gateway {

LocalCallbacks::LocalCallbacks(const GatewayConfig& config, GatewayStore& store,
                               std::map<std::string, std::string, std::less<>> secrets,
                               http::MetricsRegistry& metrics)
    : config_(config), store_(store), secrets_(std::move(secrets)), metrics_(metrics) {
  metrics_.declare("duet_gateway_local_callbacks_total", http::MetricsRegistry::Type::kCounter,
                   "Callbacks to local systems, delivered or failed (a failed one is retried).");
}

std::string LocalCallbacks::event_body(const GatewayOrder& o) {
  const bool is_signed = o.state == OrderState::kSigned;
  nlohmann::json body = {{"event", is_signed ? "order.signed" : "order.failed"},
                         {"order_id", o.order_id},
                         {"state", order_state_name(o.state)},
                         {"upstream_order_id", o.upstream_order_id},
                         {"pdf_ready", is_signed && !o.signed_pdf.empty()},
                         {"pdf_url", "/api/v1/orders/" + o.order_id + "/pdf"},
                         {"occurred_at", o.updated_at}};
  if (o.state == OrderState::kFailed) body["error"] = {{"code", o.error_code}, {"message", o.error_message}};
  return body.dump();
}

void LocalCallbacks::run_once(int64_t now) {
  auto due = store_.due_callbacks(now, 16);
  if (!due.ok()) return;
  for (const std::string& id : *due) {
    auto o = store_.get_order_any(id);
    if (!o.ok()) continue;
    auto app = std::find_if(config_.local_apps.begin(), config_.local_apps.end(),
                            [&](const LocalApp& a) { return a.app_id == o->app_id; });
    auto secret = secrets_.find(o->app_id);
    if (app == config_.local_apps.end() || app->callback_url.empty() || secret == secrets_.end()) {
      (void)store_.callback_done(id);  // the app polls: nothing to deliver
      continue;
    }
    const std::string body = event_body(*o);
    const std::string ts = std::to_string(now);
    httpclient::HttpRequest req;
    req.method = "POST";
    req.url = app->callback_url;
    req.body = body;
    req.timeout_ms = 10000;
    req.headers = {{"Content-Type", "application/json"},
                   {"X-Duet-Timestamp", ts},
                   {"X-Duet-Signature", core::sign_callback(secret->second, ts, body)},
                   {"X-Duet-Event", o->state == OrderState::kSigned ? "order.signed" : "order.failed"},
                   {"X-Duet-Delivery", id + ":" + std::string(order_state_name(o->state))}};
    auto r = httpclient::perform(req);
    if (r.ok() && r->status >= 200 && r->status < 300) {
      metrics_.counter("duet_gateway_local_callbacks_total", {{"result", "delivered"}}).inc();
      (void)store_.callback_done(id);
      spdlog::info("callbacks: order {} delivered to app {}", id, o->app_id);
      continue;
    }
    metrics_.counter("duet_gateway_local_callbacks_total", {{"result", "failed"}}).inc();
    const int64_t wait =
        std::min<int64_t>(config_.retry_max_seconds, int64_t{1} << std::min<int64_t>(o->callback_attempts, 20));
    spdlog::warn("callbacks: order {} to app {}: {}; retry in {} s", id, o->app_id,
                 r.ok() ? "HTTP " + std::to_string(r->status) : std::string("no connection"), wait);
    (void)store_.callback_retry(id, now + wait);
  }
}

}  // namespace duet::gateway
