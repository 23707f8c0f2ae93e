#include "core/audit_checkpoint_webhook.h"

#include <algorithm>
#include <vector>

#include "core/audit_json.h"
#include "core/request_signing.h"

namespace duet::core {

std::string checkpoint_webhook_body(const store::AuditCheckpoint& cp, const store::AuditKey& key) {
  return audit_key_json(key, true) + "\n" + audit_checkpoint_json(cp, true) + "\n";
}

Result<CheckpointWebhook::Round> CheckpointWebhook::run_once(size_t limit) {
  DUET_TRY_STATUS(deliveries_.queue_checkpoint_deliveries(clock_.now()));
  Round round;
  for (size_t i = 0; i < limit; ++i) {
    DUET_ASSIGN_OR_RETURN(std::optional<store::CheckpointDelivery> next, deliveries_.next_checkpoint_delivery());
    const UnixSeconds now = clock_.now();
    if (!next || next->next_at > now) break;
    DUET_ASSIGN_OR_RETURN(std::vector<store::AuditCheckpoint> cps, audit_.list_audit_checkpoints(next->seq, next->seq));
    if (cps.empty()) return make_error(ErrorCode::kInternal, "a queued checkpoint is not stored");
    DUET_ASSIGN_OR_RETURN(std::vector<store::AuditKey> keys, audit_.list_audit_keys());
    auto key = std::find_if(keys.begin(), keys.end(), [&](const store::AuditKey& k) { return k.key_id == cps[0].key_id; });
    if (key == keys.end()) return make_error(ErrorCode::kInternal, "a checkpoint's audit key is not stored");
    const std::string body = checkpoint_webhook_body(cps[0], *key);
    const std::string ts = std::to_string(now);
    std::vector<WebhookSender::Header> headers = {{"Content-Type", "application/x-ndjson"},
                                                  {"X-Duet-Timestamp", ts},
                                                  {"X-Duet-Signature", sign_callback(config_.secret, ts, body)},
                                                  {"X-Duet-Event", "audit.checkpoint"},
                                                  {"X-Duet-Delivery", "audit-checkpoint-" + std::to_string(next->seq)}};
    Result<int> status = sender_.post(config_.url, headers, body, config_.timeout_ms);
    if (status.ok() && *status >= 200 && *status < 300) {
      DUET_TRY_STATUS(deliveries_.record_checkpoint_delivery(next->seq, true, "", clock_.now(), 0));
      ++round.delivered;
      continue;
    }
    // attempts counts this one too: the backoff doubles per failed attempt.
    int64_t backoff = config_.first_backoff_seconds;
    for (int64_t a = 0; a < next->attempts && backoff < config_.max_backoff_seconds; ++a) backoff *= 2;
    backoff = std::min(backoff, config_.max_backoff_seconds);
    std::string error = status.ok() ? "HTTP " + std::to_string(*status) : "not delivered: " + status.error().message;
    DUET_TRY_STATUS(deliveries_.record_checkpoint_delivery(next->seq, false, error, now, now + backoff));
    round.failed = true;
    break;
  }
  return round;
}

}  // namespace duet::core
