#include "core/audit_chain.h"

#include <algorithm>

#include "crypto/sm2_evp.h"

namespace duet::core {
namespace {

using store::AuditCheckpoint;
using store::AuditEvent;

// How far from its position an event's original seq is searched for when
// explaining damage (renumbered rows after an insertion or deletion).
constexpr int64_t kSearchWindow = 64;

bool consistent_as(const AuditEvent& e, int64_t seq) {
  AuditEvent c = e;
  c.seq = seq;
  return store::audit_event_hash(e.prev_hash, c) == e.hash;
}

// The seq an event's own hash was computed with: its stored seq, or one near
// `around` (it was renumbered); nullopt when its content or hash was changed.
std::optional<int64_t> original_seq(const AuditEvent& e, int64_t around) {
  if (consistent_as(e, e.seq)) return e.seq;
  for (int64_t d = 0; d <= kSearchWindow; ++d) {
    if (around - d >= 1 && consistent_as(e, around - d)) return around - d;
    if (d > 0 && consistent_as(e, around + d)) return around + d;
  }
  return std::nullopt;
}

struct Finding {
  int64_t seq = 0;
  AuditDamage damage = AuditDamage::kNone;
  std::string detail;
};

// Explains the first event (index i) that does not continue the chain
// (expected seq s, expected prev hash `prev`).
Finding classify(const std::vector<AuditEvent>& ev, size_t i, int64_t s, const Bytes& prev) {
  const AuditEvent& e = ev[i];
  std::optional<int64_t> o = original_seq(e, s);
  auto later_belongs_at = [&](int64_t seq, size_t max_ahead) {
    for (size_t j = i + 1; j < ev.size() && j <= i + max_ahead; ++j) {
      auto oj = original_seq(ev[j], s + static_cast<int64_t>(j - i));
      if (oj && *oj == seq) return true;
    }
    return false;
  };
  const std::string at = "event " + std::to_string(s);
  if (e.seq > s && (!o || *o == e.seq))
    return {s, AuditDamage::kDeleted, at + " is missing (the next stored event is " + std::to_string(e.seq) + ")"};
  if (o && *o == s) {
    // Self-consistent at its place, but it does not link to its predecessor.
    if (later_belongs_at(s, 1))
      return {s, AuditDamage::kInserted, at + " was not appended by the service (the next event belongs at its place)"};
    if (e.prev_hash == prev)  // cannot happen (the caller checked), kept for clarity
      return {s, AuditDamage::kEdited, at + " does not continue the chain"};
    if (s > 1)
      return {s - 1, AuditDamage::kEdited,
              "event " + std::to_string(s - 1) + " was changed (event " + std::to_string(s) +
                  " does not link to it)"};
    return {s, AuditDamage::kEdited, at + " does not link to the chain's start"};
  }
  if (o && *o < s)
    return {*o, AuditDamage::kInserted,
            "event " + std::to_string(*o) + " was inserted (the original event " + std::to_string(*o) +
                " now appears at " + std::to_string(e.seq) + ")"};
  if (o && *o > s) {
    if (later_belongs_at(s, static_cast<size_t>(kSearchWindow)))
      return {s, AuditDamage::kReordered,
              at + " is out of order (the event appended as " + std::to_string(*o) + " is stored there)"};
    return {s, AuditDamage::kDeleted,
            at + " was deleted (later events were renumbered: " + std::to_string(*o) + " is stored as " +
                std::to_string(e.seq) + ")"};
  }
  // The hash does not match the content at any nearby seq.
  if (later_belongs_at(s, 1))
    return {s, AuditDamage::kInserted, at + " was not appended by the service (the next event belongs at its place)"};
  return {s, AuditDamage::kEdited, at + " was changed (its hash does not match its content)"};
}

// The keys checkpoints are verified with: the witness's when it lists any
// (a key added to the store alone could sign a rewritten chain), else the
// store's.
std::map<std::string, crypto::Point> trusted_keys(const AuditVerifyInput& in) {
  if (!in.witness || in.witness->keys.empty()) return in.keys;
  std::map<std::string, crypto::Point> out;
  for (const store::AuditKey& k : in.witness->keys) {
    auto p = crypto::public_key_from_spki(k.public_key_der);
    if (p.ok()) out.emplace(k.key_id, *p);
  }
  return out;
}

// Chained (v2) checkpoints, by seq, each name the checkpoint before them
// (32 zero bytes for the first ever); an unchained (v1) one may only come
// before them. Reported at the checkpoint whose link is broken.
template <typename Note>
void check_checkpoint_links(const AuditVerifyInput& in, Note&& note) {
  Bytes expected = store::audit_genesis_hash();
  bool chained = false;
  bool first = true;
  for (const AuditCheckpoint& cp : in.checkpoints) {
    const bool skip = first && in.start_seq > 1;  // a range: its first predecessor is not given
    first = false;
    if (cp.prev_hash.empty()) {
      if (chained)
        note(Finding{cp.seq, AuditDamage::kCheckpointMismatch,
                     "the checkpoint at " + std::to_string(cp.seq) + " is unchained but follows chained ones"});
    } else {
      if (!skip && cp.prev_hash != expected)
        note(Finding{cp.seq, AuditDamage::kCheckpointDeleted,
                     "a checkpoint before the one at " + std::to_string(cp.seq) +
                         " is missing (it names a predecessor that is not there)"});
      chained = true;
    }
    expected = store::audit_checkpoint_hash(cp);
  }
}

// Everything the witness saw must still be there: its events (up to its
// newest checkpoint) and each checkpoint, unchanged.
template <typename Note>
void check_witness(const AuditVerifyInput& in, const AuditWitness& w, int64_t last_event_seq, Note&& note) {
  for (const AuditCheckpoint& seen : w.checkpoints) {
    if (seen.seq < in.start_seq) continue;
    if (seen.seq > last_event_seq) {
      note(Finding{last_event_seq + 1, AuditDamage::kDeleted,
                   "events " + std::to_string(last_event_seq + 1) + " to " + std::to_string(seen.seq) +
                       ", seen by the witness, are missing (the chain's tail was cut)"});
      return;
    }
    auto it = std::find_if(in.checkpoints.begin(), in.checkpoints.end(),
                           [&](const AuditCheckpoint& cp) { return cp.seq == seen.seq; });
    if (it == in.checkpoints.end()) {
      note(Finding{seen.seq, AuditDamage::kCheckpointDeleted,
                   "the checkpoint at " + std::to_string(seen.seq) + ", seen by the witness, is missing"});
    } else if (it->hash != seen.hash || it->signature != seen.signature || it->prev_hash != seen.prev_hash ||
               it->signed_at != seen.signed_at || it->key_id != seen.key_id) {
      note(Finding{seen.seq, AuditDamage::kCheckpointMismatch,
                   "the checkpoint at " + std::to_string(seen.seq) + " differs from the one the witness saw"});
    }
  }
}

}  // namespace

std::string_view audit_damage_name(AuditDamage d) {
  switch (d) {
    case AuditDamage::kNone: return "none";
    case AuditDamage::kEdited: return "edited";
    case AuditDamage::kDeleted: return "deleted";
    case AuditDamage::kInserted: return "inserted";
    case AuditDamage::kReordered: return "reordered";
    case AuditDamage::kBadCheckpoint: return "bad_checkpoint_signature";
    case AuditDamage::kCheckpointMismatch: return "checkpoint_mismatch";
    case AuditDamage::kCheckpointDeleted: return "checkpoint_deleted";
    case AuditDamage::kNotCheckpointed: return "not_checkpointed";
  }
  return "unknown";
}

Status verify_audit_checkpoint(const AuditCheckpoint& cp, const std::map<std::string, crypto::Point>& keys) {
  auto k = keys.find(cp.key_id);
  if (k == keys.end()) return make_error(ErrorCode::kNotFound, "unknown audit key");
  if (cp.hash.size() != store::kAuditHashSize) return make_error(ErrorCode::kSignatureInvalid, "malformed checkpoint");
  if (!cp.prev_hash.empty() && cp.prev_hash.size() != store::kAuditHashSize)
    return make_error(ErrorCode::kSignatureInvalid, "malformed checkpoint");
  return crypto::evp_sm2_verify(k->second, store::audit_checkpoint_message(cp), cp.signature);
}

AuditVerifyResult verify_audit_chain(const AuditVerifyInput& in) {
  AuditVerifyResult r;
  std::optional<Finding> chain_bad;
  int64_t expected = in.start_seq;
  Bytes prev = in.start_hash;
  const std::vector<AuditEvent>& ev = in.events;
  for (size_t i = 0; i < ev.size(); ++i) {
    const AuditEvent& e = ev[i];
    if (in.head && e.seq > in.head->seq && e.seq == expected && e.prev_hash == prev) {
      chain_bad = Finding{e.seq, AuditDamage::kInserted,
                          "event " + std::to_string(e.seq) + " lies beyond the recorded chain head"};
      break;
    }
    if (e.seq == expected && e.prev_hash == prev && consistent_as(e, e.seq)) {
      ++r.events;
      r.last_seq = e.seq;
      prev = e.hash;
      ++expected;
      continue;
    }
    chain_bad = classify(ev, i, expected, prev);
    break;
  }
  r.last_hash = prev;
  if (!chain_bad && in.head) {
    if (in.head->seq > r.last_seq)
      chain_bad = Finding{r.last_seq + 1, AuditDamage::kDeleted,
                          "the chain head is at " + std::to_string(in.head->seq) + " but the last event is " +
                              std::to_string(r.last_seq)};
    else if (in.head->seq == r.last_seq && r.last_seq >= in.start_seq && in.head->hash != prev)
      chain_bad = Finding{r.last_seq, AuditDamage::kEdited, "the chain head's hash differs from the last event's"};
  }

  std::optional<Finding> cp_bad;
  auto note_cp = [&](Finding f) {
    if (!cp_bad || f.seq < cp_bad->seq) cp_bad = std::move(f);
  };
  const std::map<std::string, crypto::Point> keys = trusted_keys(in);
  check_checkpoint_links(in, note_cp);
  for (const AuditCheckpoint& cp : in.checkpoints) {
    Status sig = verify_audit_checkpoint(cp, keys);
    if (!sig.ok()) {
      note_cp({cp.seq, AuditDamage::kBadCheckpoint,
               "the checkpoint at " + std::to_string(cp.seq) + " has a bad signature (" + sig.error().message + ")"});
      continue;
    }
    ++r.checkpoints;
    r.last_checkpoint_seq = std::max(r.last_checkpoint_seq, cp.seq);
    if (cp.seq < in.start_seq) continue;
    auto it = std::find_if(ev.begin(), ev.end(), [&](const AuditEvent& e) { return e.seq == cp.seq; });
    if (it == ev.end())
      note_cp({cp.seq, AuditDamage::kDeleted, "event " + std::to_string(cp.seq) + ", signed by a checkpoint, is missing"});
    else if (it->hash != cp.hash)
      note_cp({cp.seq, AuditDamage::kCheckpointMismatch,
               "event " + std::to_string(cp.seq) + " differs from the signed checkpoint"});
  }

  if (in.witness) check_witness(in, *in.witness, ev.empty() ? in.start_seq - 1 : ev.back().seq, note_cp);
  if (in.now) {
    const store::UnixSeconds cutoff = *in.now - in.max_unsigned_age;
    for (const AuditEvent& e : ev) {
      if (e.seq <= r.last_checkpoint_seq || e.at >= cutoff) continue;
      note_cp({e.seq, AuditDamage::kNotCheckpointed,
               "event " + std::to_string(e.seq) + " is older than " + std::to_string(in.max_unsigned_age) +
                   " s and no signed checkpoint covers it (checkpoints were removed, or the service stopped signing)"});
      break;
    }
    if (r.checkpoints == 0 && in.oldest_key_created_at != 0 && in.oldest_key_created_at < cutoff)
      note_cp({1, AuditDamage::kNotCheckpointed,
               "the audit key is older than " + std::to_string(in.max_unsigned_age) +
                   " s but there is no signed checkpoint"});
  }

  std::optional<Finding> first = chain_bad;
  if (cp_bad && (!first || cp_bad->seq < first->seq)) first = cp_bad;
  if (first) {
    r.ok = false;
    r.first_bad_seq = first->seq;
    r.damage = first->damage;
    r.detail = first->detail;
  }
  return r;
}

AuditVerifyResult verify_audit_export(const AuditExportInput& in) {
  AuditVerifyResult r;
  auto bad = [&](int64_t seq, AuditDamage d, std::string detail) {
    r.ok = false;
    r.first_bad_seq = seq;
    r.damage = d;
    r.detail = std::move(detail);
    return r;
  };
  std::map<int64_t, const AuditCheckpoint*> signed_cps;
  const AuditCheckpoint* before = nullptr;
  for (const AuditCheckpoint& cp : in.checkpoints) {
    if (!verify_audit_checkpoint(cp, in.keys).ok())
      return bad(cp.seq, AuditDamage::kBadCheckpoint,
                 "the checkpoint at " + std::to_string(cp.seq) + " has a bad signature");
    // The export's checkpoints run without a gap from the first onward.
    if (before && !cp.prev_hash.empty() && cp.prev_hash != store::audit_checkpoint_hash(*before))
      return bad(cp.seq, AuditDamage::kCheckpointDeleted,
                 "a checkpoint before the one at " + std::to_string(cp.seq) + " is missing from the export");
    before = &cp;
    signed_cps[cp.seq] = &cp;
    ++r.checkpoints;
    r.last_checkpoint_seq = std::max(r.last_checkpoint_seq, cp.seq);
  }
  if (in.entries.empty()) return r;
  const AuditEvent& first = in.entries.front().event;
  Bytes prev;
  if (first.seq == 1) {
    prev = store::audit_genesis_hash();
  } else {
    auto it = signed_cps.find(first.seq - 1);
    if (it == signed_cps.end())
      return bad(first.seq, AuditDamage::kDeleted,
                 "the export does not start right after a signed checkpoint (no checkpoint at " +
                     std::to_string(first.seq - 1) + ")");
    prev = it->second->hash;
  }
  int64_t expected = first.seq;
  for (const AuditExportEntry& x : in.entries) {
    const AuditEvent& e = x.event;
    const std::string at = "event " + std::to_string(expected);
    if (e.seq > expected) return bad(expected, AuditDamage::kDeleted, at + " is missing from the export");
    if (e.seq < expected) return bad(e.seq, AuditDamage::kInserted, "event " + std::to_string(e.seq) + " appears twice");
    Bytes digest = x.link ? x.digest : store::audit_content_digest(e);
    if (store::audit_link_hash(e.prev_hash, digest) != e.hash)
      return bad(e.seq, AuditDamage::kEdited, at + " was changed (its hash does not match its content)");
    if (e.prev_hash != prev)
      return bad(e.seq, e.seq > first.seq ? AuditDamage::kEdited : AuditDamage::kCheckpointMismatch,
                 at + " does not link to its predecessor");
    auto cp = signed_cps.find(e.seq);
    if (cp != signed_cps.end() && cp->second->hash != e.hash)
      return bad(e.seq, AuditDamage::kCheckpointMismatch, at + " differs from the signed checkpoint");
    prev = e.hash;
    if (!x.link) ++r.events;
    r.last_seq = e.seq;
    ++expected;
  }
  r.last_hash = prev;
  if (signed_cps.find(r.last_seq) == signed_cps.end())
    r.detail = "events after the last checkpoint (up to " + std::to_string(r.last_seq) +
               ") are not covered by a signature yet";
  return r;
}

}  // namespace duet::core
