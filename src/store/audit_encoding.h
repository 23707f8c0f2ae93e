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
//   checkpoint v1 = f("duet-audit-checkpoint-v1") ‖ u64(seq) ‖ hash ‖ i64(signed_at) ‖ f(key_id)
//   checkpoint v2 = f("duet-audit-checkpoint-v2") ‖ u64(seq) ‖ hash ‖ i64(signed_at) ‖ f(key_id)
//                   ‖ prev_checkpoint_hash
//   checkpoint_hash(cp) = SM3(checkpoint message of cp)
//
// v2 checkpoints chain to each other: prev_checkpoint_hash is the
// checkpoint_hash of the checkpoint before (by seq), 32 zero bytes for the
// first one. v1 checkpoints (signed before the chaining, prev empty) keep
// verifying under their own message.
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
inline constexpr std::string_view kAuditCheckpointDomainV2 = "duet-audit-checkpoint-v2";
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
// The message a v1 audit checkpoint signature covers.
Bytes audit_checkpoint_message(int64_t seq, ByteView hash, UnixSeconds signed_at, std::string_view key_id);
// The message cp's signature covers: v2 when cp.prev_hash is set, else v1.
Bytes audit_checkpoint_message(const AuditCheckpoint& cp);
// SM3 of that message: what the next checkpoint names as its prev_hash.
Bytes audit_checkpoint_hash(const AuditCheckpoint& cp);

}  // namespace duet::store
