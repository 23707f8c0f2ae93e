// The audit chain verifier (core/audit_chain.h) on synthetic chains: each kind
// of damage names the right first bad event; export verification.
#include <gtest/gtest.h>

#include "core/audit_chain.h"
#include "core/audit_test_event.h"
#include "core/audit_json.h"
#include "crypto/sm2_evp.h"
#include "store/audit_encoding.h"

namespace duet::core {
namespace {

using store::AuditCheckpoint;
using store::AuditEvent;

// A valid chain of n events (seq 1..n) as the store would build it.
std::vector<AuditEvent> chain(int n) {
  std::vector<AuditEvent> out;
  Bytes prev = store::audit_genesis_hash();
  for (int i = 1; i <= n; ++i) {
    AuditEvent e = sample_audit_event(i, i % 2 ? "ten_a" : "ten_b");
    e.seq = i;
    e.prev_hash = prev;
    e.hash = store::audit_event_hash(prev, e);
    prev = e.hash;
    out.push_back(e);
  }
  return out;
}

// Inserts `row` at seq 4 (index 3) and renumbers the rows after it, as a
// forger would.
void insert_renumbered(std::vector<AuditEvent>& c, const AuditEvent& row) {
  for (size_t i = 3; i < c.size(); ++i) c[i].seq += 1;
  c.insert(c.begin() + 3, row);
}

struct Signer {
  crypto::Scalar d = crypto::Scalar::random_nonzero(crypto::SystemRandom::instance());
  crypto::Point p = *crypto::Point::mul_base(d);
  AuditCheckpoint sign(const AuditEvent& e, const std::string& key_id = "audk_t") const {
    AuditCheckpoint cp{e.seq, e.hash, 1'700'001'000, key_id, {}};
    cp.signature = *crypto::evp_sm2_sign(d, store::audit_checkpoint_message(cp.seq, cp.hash, cp.signed_at, key_id));
    return cp;
  }
  std::map<std::string, crypto::Point> keys() const { return {{"audk_t", p}}; }
};

AuditVerifyResult verify(std::vector<AuditEvent> events, std::vector<AuditCheckpoint> cps = {},
                         const Signer* s = nullptr, std::optional<int64_t> head_seq = std::nullopt) {
  AuditVerifyInput in;
  in.events = std::move(events);
  in.checkpoints = std::move(cps);
  if (s) in.keys = s->keys();
  if (head_seq) {
    AuditCheckpoint h;
    h.seq = *head_seq;
    for (const auto& e : in.events)
      if (e.seq == *head_seq) h.hash = e.hash;
    in.head = h;
  }
  return verify_audit_chain(in);
}

void expect_bad(const AuditVerifyResult& r, int64_t seq, AuditDamage d) {
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, seq) << r.detail;
  EXPECT_EQ(audit_damage_name(r.damage), audit_damage_name(d)) << r.detail;
}

TEST(AuditChain, UntouchedChainVerifies) {
  Signer s;
  auto c = chain(20);
  auto r = verify(c, {s.sign(c[9]), s.sign(c[19])}, &s, 20);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.events, 20);
  EXPECT_EQ(r.last_seq, 20);
  EXPECT_EQ(r.checkpoints, 2);
  EXPECT_EQ(r.last_checkpoint_seq, 20);
  EXPECT_TRUE(verify({}).ok);
}

TEST(AuditChain, EditedFieldIsNamed) {
  for (int field = 0; field < 11; ++field) {
    auto c = chain(10);
    AuditEvent& e = c[6];  // seq 7
    switch (field) {
      case 0: e.at += 1; break;
      case 1: e.tenant_id = "ten_x"; break;
      case 2: e.actor_type = "operator"; break;
      case 3: e.actor_id += "x"; break;
      case 4: e.action = "GET /x"; break;
      case 5: e.target = ""; break;
      case 6: e.outcome = "forbidden"; break;
      case 7: e.address = "1.2.3.4"; break;
      case 8: e.request_id = "r"; break;
      case 9: e.details = "{}"; break;
      case 10: e.hash[0] ^= 1; break;
    }
    SCOPED_TRACE(field);
    expect_bad(verify(c, {}, nullptr, 10), 7, AuditDamage::kEdited);
  }
}

TEST(AuditChain, EditedAndRehashedEventIsNamedByTheBrokenLink) {
  auto c = chain(10);
  c[3].outcome = "ok-ish";
  c[3].hash = store::audit_event_hash(c[3].prev_hash, c[3]);  // the forger recomputes the hash
  expect_bad(verify(c), 4, AuditDamage::kEdited);
}

TEST(AuditChain, DeletedEventIsNamed) {
  auto c = chain(10);
  c.erase(c.begin() + 4);  // seq 5 gone
  expect_bad(verify(c), 5, AuditDamage::kDeleted);
  // Renumbered to hide the gap.
  auto d = chain(10);
  d.erase(d.begin() + 4);
  for (size_t i = 4; i < d.size(); ++i) d[i].seq -= 1;
  expect_bad(verify(d), 5, AuditDamage::kDeleted);
}

TEST(AuditChain, TailCutIsNamedByHeadOrCheckpoint) {
  Signer s;
  auto c = chain(10);
  AuditCheckpoint cp = s.sign(c[9]);
  auto cut = c;
  cut.pop_back();
  AuditVerifyInput in;
  in.events = cut;
  in.head = AuditCheckpoint{10, c[9].hash, 0, "", {}};
  auto r = verify_audit_chain(in);
  expect_bad(r, 10, AuditDamage::kDeleted);
  expect_bad(verify(cut, {cp}, &s), 10, AuditDamage::kDeleted);
}

TEST(AuditChain, InsertedEventIsNamed) {
  // Forged row at seq 4, originals renumbered up, forger even links it.
  auto c = chain(10);
  AuditEvent forged = sample_audit_event(99);
  forged.seq = 4;
  forged.prev_hash = c[2].hash;
  forged.hash = store::audit_event_hash(forged.prev_hash, forged);
  insert_renumbered(c, forged);
  expect_bad(verify(c), 4, AuditDamage::kInserted);
  // A forged row with a junk hash, originals renumbered.
  auto d = chain(10);
  AuditEvent junk = sample_audit_event(98);
  junk.seq = 4;
  junk.prev_hash = Bytes(32, 7);
  junk.hash = Bytes(32, 8);
  insert_renumbered(d, junk);
  expect_bad(verify(d), 4, AuditDamage::kInserted);
  // Appended beyond the recorded head.
  auto t = chain(10);
  AuditEvent extra = sample_audit_event(97);
  extra.seq = 11;
  extra.prev_hash = t.back().hash;
  extra.hash = store::audit_event_hash(extra.prev_hash, extra);
  t.push_back(extra);
  AuditVerifyInput in;
  in.events = t;
  in.head = AuditCheckpoint{10, t[9].hash, 0, "", {}};
  expect_bad(verify_audit_chain(in), 11, AuditDamage::kInserted);
}

TEST(AuditChain, SwappedEventsAreNamed) {
  auto c = chain(10);
  std::swap(c[5], c[6]);  // events 6 and 7 exchange places (their seq values swapped)
  std::swap(c[5].seq, c[6].seq);
  expect_bad(verify(c), 6, AuditDamage::kReordered);
  // Far apart.
  auto d = chain(30);
  std::swap(d[2], d[20]);
  std::swap(d[2].seq, d[20].seq);
  expect_bad(verify(d), 3, AuditDamage::kReordered);
}

TEST(AuditChain, ForgedCheckpointIsNamed) {
  Signer s, other;
  auto c = chain(10);
  AuditCheckpoint good = s.sign(c[4]);
  AuditCheckpoint forged = other.sign(c[7]);  // signed with another key under our key id
  expect_bad(verify(c, {good, forged}, &s), 8, AuditDamage::kBadCheckpoint);
  AuditCheckpoint altered = s.sign(c[7]);
  altered.signed_at += 1;
  expect_bad(verify(c, {good, altered}, &s), 8, AuditDamage::kBadCheckpoint);
  AuditCheckpoint unknown = s.sign(c[7], "audk_other");
  expect_bad(verify(c, {unknown}, &s), 8, AuditDamage::kBadCheckpoint);
  // A consistent rewrite of the whole chain is caught by the signed checkpoint.
  auto rewritten = chain(10);
  rewritten[1].outcome = "not_found";
  Bytes prev = store::audit_genesis_hash();
  for (auto& e : rewritten) {
    e.prev_hash = prev;
    e.hash = store::audit_event_hash(prev, e);
    prev = e.hash;
  }
  expect_bad(verify(rewritten, {s.sign(c[4])}, &s), 5, AuditDamage::kCheckpointMismatch);
}

TEST(AuditChain, FirstBadEventWinsAcrossKinds) {
  Signer s;
  auto c = chain(10);
  AuditCheckpoint forged = s.sign(c[8]);
  forged.signature.back() ^= 1;
  c[2].target = "x";  // edit at 3, bad checkpoint at 9
  expect_bad(verify(c, {forged}, &s), 3, AuditDamage::kEdited);
}

TEST(AuditChain, ExportWithLinksVerifiesAndDetectsEdits) {
  Signer s;
  auto c = chain(12);
  // Tenant ten_a = odd seqs; run from after checkpoint 2 to checkpoint 10.
  std::vector<AuditCheckpoint> cps = {s.sign(c[1]), s.sign(c[9])};
  AuditExportInput in;
  in.keys = s.keys();
  in.checkpoints = cps;
  for (int seq = 3; seq <= 10; ++seq) {
    AuditExportEntry x;
    x.event = c[seq - 1];
    if (x.event.tenant_id != "ten_a") {
      x.link = true;
      x.digest = store::audit_content_digest(x.event);
      AuditEvent stripped;
      stripped.seq = x.event.seq;
      stripped.prev_hash = x.event.prev_hash;
      stripped.hash = x.event.hash;
      x.event = stripped;
    }
    in.entries.push_back(x);
  }
  auto r = verify_audit_export(in);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.events, 4);  // 3, 5, 7, 9
  EXPECT_TRUE(r.detail.empty());
  auto edited = in;
  edited.entries[2].event.outcome = "forbidden";  // seq 5
  expect_bad(verify_audit_export(edited), 5, AuditDamage::kEdited);
  auto dropped = in;
  dropped.entries.erase(dropped.entries.begin() + 1);  // the link at 4
  expect_bad(verify_audit_export(dropped), 4, AuditDamage::kDeleted);
  auto unanchored = in;
  unanchored.checkpoints = {cps[1]};
  expect_bad(verify_audit_export(unanchored), 3, AuditDamage::kDeleted);
}

}  // namespace
}  // namespace duet::core
