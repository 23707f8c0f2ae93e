// The canonical encoding and hash of audit events and checkpoints
// (docs/audit.md is the normative text). Lives in the store layer because
// every backend computes the chain hash inside the append transaction;
// core/audit_chain.h builds the verifier on it.
//
//   canonical(e) = u64(seq) ‖ i64(at) ‖ f(tenant_id) ‖ f(actor_type) ‖ f(actor_id)
//                  ‖ f(action) ‖ f(target) ‖ f(outcome) ‖ f(address)
//                  ‖ f(request_id) ‖ f(details)
//   digest(e)    = SM3(canonical(e))
//   hash(e)      = SM3(f("duet-audit-v1") ‖ prev_hash ‖ digest(e))
//   checkpoint   = f("duet-audit-checkpoint-v1") ‖ u64(seq) ‖ hash ‖ i64(signed_at) ‖ f(key_id)
//
// u64/i64: 8 bytes big-endian (two's complement); f(v): 4-byte big-endian
// length then the UTF-8 bytes. The first event's prev_hash is 32 zero bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "store/records.h"

namespace duet::store {

inline constexpr std::string_view kAuditHashDomain = "duet-audit-v1";
inline constexpr std::string_view kAuditCheckpointDomain = "duet-audit-checkpoint-v1";
inline constexpr size_t kAuditHashSize = 32;

// 32 zero bytes: the prev_hash of event 1.
Bytes audit_genesis_hash();
// canonical(e) as above (e.prev_hash and e.hash are not part of it).
Bytes audit_canonical(const AuditEvent& e);
// SM3(canonical(e)).
Bytes audit_content_digest(const AuditEvent& e);
// SM3(f(domain) ‖ prev_hash ‖ digest).
Bytes audit_link_hash(ByteView prev_hash, ByteView digest);
// audit_link_hash(prev_hash, audit_content_digest(e)).
Bytes audit_event_hash(ByteView prev_hash, const AuditEvent& e);
// The message an audit checkpoint signature covers.
Bytes audit_checkpoint_message(int64_t seq, ByteView hash, UnixSeconds signed_at, std::string_view key_id);

}  // namespace duet::store
