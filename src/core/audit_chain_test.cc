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
    AuditCheckpoint cp{e.seq, e.hash, 1'700'001'000, key_id, {}, {}};
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
  in.head = AuditCheckpoint{10, c[9].hash, 0, "", {}, {}};
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
  in.head = AuditCheckpoint{10, t[9].hash, 0, "", {}, {}};
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

// Chained (v2) checkpoints, each naming its predecessor's checkpoint_hash.
std::vector<AuditCheckpoint> chained(const Signer& s, const std::vector<AuditEvent>& c, std::vector<size_t> at,
                                     int64_t signed_at = 1'700'001'000) {
  std::vector<AuditCheckpoint> out;
  Bytes prev = store::audit_genesis_hash();
  for (size_t i : at) {
    AuditCheckpoint cp{c[i].seq, c[i].hash, signed_at, "audk_t", {}, prev};
    cp.signature = *crypto::evp_sm2_sign(s.d, store::audit_checkpoint_message(cp));
    prev = store::audit_checkpoint_hash(cp);
    out.push_back(cp);
  }
  return out;
}

AuditWitness witness_of(const Signer& s, std::vector<AuditCheckpoint> cps) {
  AuditWitness w;
  w.keys.push_back({"audk_t", *crypto::public_key_spki_der(s.p), {}, 1});
  w.checkpoints = std::move(cps);
  return w;
}

TEST(AuditChain, ChainedCheckpointsVerifyAndADroppedOneIsNamed) {
  Signer s;
  auto c = chain(30);
  auto cps = chained(s, c, {9, 19, 29});
  AuditVerifyResult r = verify(c, cps, &s, 30);
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.checkpoints, 3);
  // Dropped from the middle: the next one names a checkpoint that is not there.
  expect_bad(verify(c, {cps[0], cps[2]}, &s, 30), 30, AuditDamage::kCheckpointDeleted);
  // Dropped first: the second does not start the chain.
  expect_bad(verify(c, {cps[1], cps[2]}, &s, 30), 20, AuditDamage::kCheckpointDeleted);
  // An altered prev_hash breaks the signature.
  auto bent = cps;
  bent[1].prev_hash = Bytes(32, 1);
  EXPECT_FALSE(verify(c, bent, &s, 30).ok);
  // A v1 checkpoint after chained ones is refused.
  expect_bad(verify(c, {cps[0], s.sign(c[29])}, &s, 30), 30, AuditDamage::kCheckpointMismatch);
  // v1 checkpoints before the first chained one are fine; that one names the last v1.
  AuditCheckpoint old = s.sign(c[4]);
  AuditCheckpoint next{c[9].seq, c[9].hash, 1'700'001'000, "audk_t", {}, store::audit_checkpoint_hash(old)};
  next.signature = *crypto::evp_sm2_sign(s.d, store::audit_checkpoint_message(next));
  AuditVerifyResult mixed = verify(c, {old, next}, &s, 30);
  EXPECT_TRUE(mixed.ok) << mixed.detail;
}

TEST(AuditChain, WitnessCatchesATailCutWithItsCheckpoints) {
  Signer s;
  auto c = chain(30);
  auto cps = chained(s, c, {9, 19, 29});
  AuditVerifyInput in;
  in.events = c;
  in.checkpoints = cps;
  in.keys = s.keys();
  in.witness = witness_of(s, cps);
  AuditVerifyResult ok = verify_audit_chain(in);
  ASSERT_TRUE(ok.ok) << ok.detail;
  // Events 21..30 and the checkpoint at 30 deleted, head moved back: the
  // database alone is consistent, the witness is not.
  AuditVerifyInput cut = in;
  cut.events.resize(20);
  cut.checkpoints.pop_back();
  cut.head = AuditCheckpoint{20, c[19].hash, 0, "", {}, {}};
  AuditVerifyInput alone = cut;
  alone.witness.reset();
  EXPECT_TRUE(verify_audit_chain(alone).ok);
  expect_bad(verify_audit_chain(cut), 21, AuditDamage::kDeleted);
  // Only the last checkpoint deleted (events kept): named as a checkpoint deletion.
  AuditVerifyInput nocp = in;
  nocp.checkpoints.pop_back();
  expect_bad(verify_audit_chain(nocp), 30, AuditDamage::kCheckpointDeleted);
  // A checkpoint re-signed by a key the witness does not know.
  Signer rogue;
  AuditVerifyInput forged = in;
  forged.keys = rogue.keys();
  forged.checkpoints = chained(rogue, c, {9, 19, 29});
  EXPECT_FALSE(verify_audit_chain(forged).ok);
}

TEST(AuditChain, OldUnsignedEventsAndAKeyWithoutCheckpointFail) {
  Signer s;
  auto c = chain(10);  // at = 1'700'000'000 + i
  AuditVerifyInput in;
  in.events = c;
  in.keys = s.keys();
  in.now = 1'700'000'000 + 100;
  in.max_unsigned_age = 360;
  EXPECT_TRUE(verify_audit_chain(in).ok);  // young events, no key date
  in.max_unsigned_age = 95;                // events 1..5 are older than that
  expect_bad(verify_audit_chain(in), 1, AuditDamage::kNotCheckpointed);
  in.checkpoints = chained(s, c, {6});     // covers 1..7
  AuditVerifyResult covered = verify_audit_chain(in);
  EXPECT_TRUE(covered.ok) << covered.detail;
  // Everything deleted but the key: a key older than the age, no checkpoint.
  AuditVerifyInput empty;
  empty.keys = s.keys();
  empty.now = 1'700'000'000 + 1000;
  empty.max_unsigned_age = 360;
  empty.oldest_key_created_at = 1'700'000'000;
  expect_bad(verify_audit_chain(empty), 1, AuditDamage::kNotCheckpointed);
  empty.oldest_key_created_at = 1'700'000'900;
  EXPECT_TRUE(verify_audit_chain(empty).ok);
}

TEST(AuditChain, WitnessParsesExportLinesAndToleratesATornTail) {
  std::string text =
      "{\"type\":\"key\",\"key_id\":\"k\",\"public_key_der\":\"00\",\"created_at\":1}\n"
      "{\"type\":\"event\",\"seq\":1}\n"
      "{\"type\":\"checkpoint\",\"seq\":3,\"hash\":\"00\",\"signed_at\":2,\"key_id\":\"k\",\"signature\":\"01\","
      "\"prev_hash\":\"02\"}\n"
      "{\"type\":\"checkp";
  auto w = parse_audit_witness(text);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->keys.size(), 1u);
  ASSERT_EQ(w->checkpoints.size(), 1u);
  EXPECT_EQ(w->checkpoints[0].prev_hash, Bytes{2});
  // A cut line that duetd ended before its next one is skipped too.
  const std::string cp_line =
      "{\"type\":\"checkpoint\",\"seq\":3,\"hash\":\"00\",\"signed_at\":2,\"key_id\":\"k\",\"signature\":\"01\"}\n";
  auto ended = parse_audit_witness("{\"type\":\"checkpoint\",\"se\n" + cp_line);
  ASSERT_TRUE(ended.ok()) << ended.error().to_string();
  EXPECT_EQ(ended->checkpoints.size(), 1u);
  // A whole line that is not a witness line is refused, naming it.
  auto bad = parse_audit_witness("{\"type\":\"checkp\n{}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("line 2"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace duet::core
