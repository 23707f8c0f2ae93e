// The audit checkpoint webhook (issue 14 item 7; docs/audit.md "The
// checkpoint webhook"): every new signed checkpoint is also POSTed to an
// external party ([audit] checkpoint_webhook_url), so a copy of the signed
// head lives where whoever administers the database cannot reach it.
//
// Body (Content-Type application/x-ndjson): the witness lines of the
// checkpoint's key and of the checkpoint (core/audit_json.h), each ended by
// "\n" — a party that appends every body it accepts to a file has a witness
// file for `duet audit verify --witness FILE`. Headers as the business
// webhooks' (core/callbacks.h): X-Duet-Timestamp, X-Duet-Signature =
// hex(HMAC-SM3(secret, TIMESTAMP \n hex(SM3(body)))), X-Duet-Event
// audit.checkpoint, X-Duet-Delivery "audit-checkpoint-<seq>". The checkpoint
// carries its own SM2 signature besides.
//
// Deliveries go out in seq order, at least once; 2xx counts as delivered,
// anything else is retried with a doubling backoff (first_backoff_seconds
// up to max_backoff_seconds) without end, the order kept (a failed one
// holds the later ones back). Every attempt is recorded in the store
// (store/audit_checkpoint_deliveries.h).
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "core/callbacks.h"
#include "core/clock.h"
#include "store/audit.h"
#include "store/audit_checkpoint_deliveries.h"

namespace duet::core {

struct CheckpointWebhookConfig {
  std::string url;     // https:// (http:// only for loopback tests, checked by the daemon's config)
  std::string secret;  // the HMAC-SM3 key (from [audit] checkpoint_webhook_secret_file)
  int timeout_ms = 5000;
  int64_t first_backoff_seconds = 5;
  int64_t max_backoff_seconds = 600;
};

// The body POSTed for `cp` signed by `key`.
std::string checkpoint_webhook_body(const store::AuditCheckpoint& cp, const store::AuditKey& key);

class CheckpointWebhook {
 public:
  CheckpointWebhook(store::AuditCheckpointDeliveryStore& deliveries, store::AuditStore& audit, WebhookSender& sender,
                    const Clock& clock, CheckpointWebhookConfig config)
      : deliveries_(deliveries), audit_(audit), sender_(sender), clock_(clock), config_(std::move(config)) {}

  struct Round {
    size_t delivered = 0;
    bool failed = false;  // an attempt failed (recorded; retried after its backoff)
  };
  // Queues the checkpoints signed since the last round and sends the due
  // ones in seq order, up to `limit`; stops at the first failure.
  Result<Round> run_once(size_t limit = 32);

 private:
  store::AuditCheckpointDeliveryStore& deliveries_;
  store::AuditStore& audit_;
  WebhookSender& sender_;
  const Clock& clock_;
  CheckpointWebhookConfig config_;
};

}  // namespace duet::core
