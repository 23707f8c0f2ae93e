// JSON forms of audit events, checkpoints and keys (docs/audit.md): the
// Admin API answers, and the JSON lines of `duet audit export` that a
// regulator re-verifies. Hashes and signatures are lowercase hex; the
// public key is its DER SubjectPublicKeyInfo in hex.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "store/records.h"

namespace duet::core {

// One JSON object (no newline); `with_type` adds "type": "event" /
// "checkpoint" / "key" (export lines).
std::string audit_event_json(const store::AuditEvent& e, bool with_type = false);
std::string audit_checkpoint_json(const store::AuditCheckpoint& cp, bool with_type = false);
std::string audit_key_json(const store::AuditKey& k, bool with_type = false);  // public part only

// The line's "type" ("event", "checkpoint", "key"), or kBadEncoding.
Result<std::string> audit_json_type(std::string_view line);
Result<store::AuditEvent> audit_event_from_json(std::string_view text);
Result<store::AuditCheckpoint> audit_checkpoint_from_json(std::string_view text);
Result<store::AuditKey> audit_key_from_json(std::string_view text);

}  // namespace duet::core
