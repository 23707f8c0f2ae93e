#include "core/holder_alarms.h"

#include <nlohmann/json.hpp>

namespace duet::core {

std::vector<store::CallbackJob> pin_failure_alarms(store::MeteringStore& metering, std::string_view tenant_id,
                                                   std::string_view holder_id, const store::SignOrder* order,
                                                   std::string_view use, int attempts_left, bool locked,
                                                   UnixSeconds now) {
  nlohmann::json body = {{"event", locked ? "holder.locked" : "holder.pin_failed"},
                         {"holder_id", holder_id},
                         {"use", use},
                         {"order_id", order != nullptr ? nlohmann::json(order->order_id) : nlohmann::json(nullptr)},
                         {"attempts_left", attempts_left},
                         {"occurred_at", now}};
  std::vector<store::CallbackJob> jobs;
  auto job_for = [&](std::string url, std::string order_id) {
    store::CallbackJob job;
    job.tenant_id = std::string(tenant_id);
    job.order_id = std::move(order_id);
    job.url = std::move(url);
    job.payload = body.dump();
    job.next_attempt_at = now;
    job.created_at = now;
    jobs.push_back(std::move(job));
  };
  if (order != nullptr && !order->callback_url.empty()) job_for(order->callback_url, order->order_id);
  // The notify target is optional; a store error reading it must not stop
  // the failure from being recorded (the attempt is already counted).
  auto target = metering.get_tenant_notify_target(tenant_id);
  if (target.ok() && !target->url.empty()) job_for(target->url, "");
  return jobs;
}

}  // namespace duet::core
