#include "store/audit_encoding.h"

#include "crypto/sm3.h"

namespace duet::store {
namespace {

void put_u64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_framed(Bytes& out, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

Bytes audit_genesis_hash() { return Bytes(kAuditHashSize, 0); }

Bytes audit_canonical(const AuditEvent& e) {
  Bytes out;
  out.reserve(16 + 9 * 4 + e.tenant_id.size() + e.actor_type.size() + e.actor_id.size() + e.action.size() +
              e.target.size() + e.outcome.size() + e.address.size() + e.request_id.size() + e.details.size());
  put_u64(out, static_cast<uint64_t>(e.seq));
  put_u64(out, static_cast<uint64_t>(e.at));
  for (const std::string* s : {&e.tenant_id, &e.actor_type, &e.actor_id, &e.action, &e.target, &e.outcome,
                               &e.address, &e.request_id, &e.details})
    put_framed(out, *s);
  return out;
}

Bytes audit_content_digest(const AuditEvent& e) {
  crypto::Digest d = crypto::sm3(audit_canonical(e));
  return Bytes(d.begin(), d.end());
}

Bytes audit_link_hash(ByteView prev_hash, ByteView digest) {
  Bytes head;
  put_framed(head, kAuditHashDomain);
  crypto::Sm3 h;
  h.update(head).update(prev_hash).update(digest);
  crypto::Digest d = h.final();
  return Bytes(d.begin(), d.end());
}

Bytes audit_event_hash(ByteView prev_hash, const AuditEvent& e) {
  return audit_link_hash(prev_hash, audit_content_digest(e));
}

Bytes audit_checkpoint_message(int64_t seq, ByteView hash, UnixSeconds signed_at, std::string_view key_id) {
  Bytes out;
  put_framed(out, kAuditCheckpointDomain);
  put_u64(out, static_cast<uint64_t>(seq));
  out.insert(out.end(), hash.begin(), hash.end());
  put_u64(out, static_cast<uint64_t>(signed_at));
  put_framed(out, key_id);
  return out;
}

Bytes audit_checkpoint_message(const AuditCheckpoint& cp) {
  if (cp.prev_hash.empty()) return audit_checkpoint_message(cp.seq, cp.hash, cp.signed_at, cp.key_id);
  Bytes out;
  put_framed(out, kAuditCheckpointDomainV2);
  put_u64(out, static_cast<uint64_t>(cp.seq));
  out.insert(out.end(), cp.hash.begin(), cp.hash.end());
  put_u64(out, static_cast<uint64_t>(cp.signed_at));
  put_framed(out, cp.key_id);
  out.insert(out.end(), cp.prev_hash.begin(), cp.prev_hash.end());
  return out;
}

Bytes audit_checkpoint_hash(const AuditCheckpoint& cp) {
  crypto::Digest d = crypto::sm3(audit_checkpoint_message(cp));
  return Bytes(d.begin(), d.end());
}

}  // namespace duet::store
