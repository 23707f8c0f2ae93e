// duet audit: verification of the hash-chained audit log and export for a
// regulator (docs/audit.md).
//
//   duet audit verify --data DIR [--witness FILE] offline: DIR/duet.db opened read-only, no KEK;
//                                                the witness (default DIR.audit-witness.jsonl)
//   duet audit verify --server URL --token FILE  online, over the Admin API (auditor or
//                                                security_officer token)
//   duet audit verify --export FILE              a file written by `duet audit export`
//   duet audit export --server URL --token FILE --disclosure ID [--out FILE]
//                                                runs an approved disclosure (once; auditor)
//   duet audit disclosure request|approve|refuse|list|show   (cli/disclosure_commands.h)
//
// verify exits 0 with a summary, or 1 naming the first bad event:
//   "audit chain BROKEN at event 17: edited (event 17 was changed …)".
#include "cli/audit_commands.h"

#include <CLI/CLI.hpp>

#include <ctime>
#include <optional>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/clients.h"
#include "cli/disclosure_commands.h"
#include "core/audit_chain.h"
#include "core/audit_json.h"
#include "core/audit_witness.h"
#include "crypto/sm2_evp.h"
#include "store/audit_encoding.h"
#include "store/audit_snapshot.h"

namespace duet::cli {
namespace {

struct AuditOptions {
  ServerOptions server;
  std::string token_file;
  std::string data_dir;
  std::string export_file;
  std::string disclosure_id;
  std::string out;
  std::string witness_file;
  int64_t max_unsigned_age = -1;  // -1: the service's checkpoint_seconds + kUnsignedSlack
};

// Slack over checkpoint_seconds before an unsigned event counts as a gap:
// the worker polls at most once a second, and clocks of nodes differ.
constexpr int64_t kUnsignedSlack = 60;
constexpr int64_t kDefaultCheckpointSeconds = 300;  // [audit] checkpoint_seconds' default

std::map<std::string, crypto::Point> key_points(const std::vector<store::AuditKey>& keys) {
  std::map<std::string, crypto::Point> out;
  for (const auto& k : keys) out.emplace(k.key_id, unwrap(crypto::public_key_from_spki(k.public_key_der), "audit key"));
  return out;
}

void report(const core::AuditVerifyResult& r, const std::string& where, bool witnessed = true) {
  if (!r.ok)
    fail("audit chain BROKEN at event " + std::to_string(r.first_bad_seq) + ": " +
         std::string(core::audit_damage_name(r.damage)) + " (" + r.detail + ") in " + where);
  std::cout << "audit chain OK: " << r.events << " events (last seq " << r.last_seq << ", hash "
            << to_hex(r.last_hash) << "), " << r.checkpoints << " signed checkpoints (last at seq "
            << r.last_checkpoint_seq << ")";
  if (!r.detail.empty()) std::cout << "; note: " << r.detail;
  if (!witnessed) std::cout << "; note: no witness given: a tail cut together with its checkpoints cannot be seen";
  std::cout << "\n";
}

// The witness given with --witness (a witness file or a tenant's export).
std::optional<core::AuditWitness> read_witness(const std::string& file) {
  if (file.empty()) return std::nullopt;
  return unwrap(core::parse_audit_witness(read_file(file)), "witness " + file);
}

// --data DIR without --witness: duetd's default witness beside DIR
// ([audit] witness_file's default, server/daemon_config.h), when it exists.
std::string default_witness_file(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::string file = dir + ".audit-witness.jsonl";
  return std::ifstream(file).good() ? file : "";
}

// The age rule: nothing older than the checkpoint interval (plus slack) may
// be left unsigned, and an audit key without any checkpoint is a gap too.
void set_age_rule(core::AuditVerifyInput& in, const AuditOptions& o, int64_t checkpoint_seconds,
                  const std::vector<store::AuditKey>& keys) {
  in.now = static_cast<int64_t>(std::time(nullptr));
  in.max_unsigned_age = o.max_unsigned_age >= 0 ? o.max_unsigned_age : checkpoint_seconds + kUnsignedSlack;
  for (const auto& k : keys)
    if (in.oldest_key_created_at == 0 || k.created_at < in.oldest_key_created_at) in.oldest_key_created_at = k.created_at;
}

void verify_offline(const AuditOptions& o) {
  std::string db = o.data_dir + "/duet.db";
  store::AuditSnapshot snap = unwrap(store::read_sqlite_audit_snapshot(db), "read " + db);
  core::AuditVerifyInput in;
  in.events = std::move(snap.events);
  in.checkpoints = std::move(snap.checkpoints);
  in.keys = key_points(snap.keys);
  in.head = snap.head;
  in.witness = read_witness(o.witness_file.empty() ? default_witness_file(o.data_dir) : o.witness_file);
  set_age_rule(in, o, kDefaultCheckpointSeconds, snap.keys);
  report(core::verify_audit_chain(in), db, in.witness.has_value());
}

AdminClient connect(const AuditOptions& o) {
  if (o.server.server.empty()) fail("--server is required");
  if (o.token_file.empty()) fail("--token is required with --server");
  return AdminClient(o.server, read_secret_file(o.token_file));
}

std::vector<store::AuditEvent> fetch_events(AdminClient& admin, const std::string& query_prefix) {
  std::vector<store::AuditEvent> out;
  int64_t after = 0;
  for (;;) {
    json page = expect_json(admin.call("GET", "/admin/v1/audit/events?" + query_prefix + "limit=1000&after_seq=" +
                                                  std::to_string(after)),
                            {200}, "list audit events");
    for (const json& e : page.at("events")) out.push_back(unwrap(core::audit_event_from_json(e.dump()), "event"));
    if (page.at("next_after_seq").is_null()) break;
    after = page.at("next_after_seq").get<int64_t>();
  }
  return out;
}

struct CheckpointPage {
  std::vector<store::AuditCheckpoint> checkpoints;
  std::vector<store::AuditKey> keys;
  store::AuditCheckpoint head;
  int64_t checkpoint_seconds = kDefaultCheckpointSeconds;
  std::optional<core::AuditWitness> witness;  // the service's witness file
};

CheckpointPage fetch_checkpoints(AdminClient& admin) {
  json j = expect_json(admin.call("GET", "/admin/v1/audit/checkpoints"), {200}, "list audit checkpoints");
  CheckpointPage p;
  for (const json& c : j.at("checkpoints"))
    p.checkpoints.push_back(unwrap(core::audit_checkpoint_from_json(c.dump()), "checkpoint"));
  for (const json& k : j.at("keys")) p.keys.push_back(unwrap(core::audit_key_from_json(k.dump()), "key"));
  p.head.seq = j.at("head").at("seq").get<int64_t>();
  p.head.hash = unwrap(from_hex(j.at("head").at("hash").get<std::string>()), "head hash");
  if (j.contains("checkpoint_seconds")) p.checkpoint_seconds = j.at("checkpoint_seconds").get<int64_t>();
  if (j.contains("witness") && j.at("witness").is_object()) {
    core::AuditWitness w;
    for (const json& c : j.at("witness").at("checkpoints"))
      w.checkpoints.push_back(unwrap(core::audit_checkpoint_from_json(c.dump()), "witnessed checkpoint"));
    for (const json& k : j.at("witness").at("keys"))
      w.keys.push_back(unwrap(core::audit_key_from_json(k.dump()), "witnessed key"));
    p.witness = std::move(w);
  }
  return p;
}

void verify_online(const AuditOptions& o) {
  AdminClient admin = connect(o);
  // Checkpoints first: events appended meanwhile only extend the chain.
  CheckpointPage cps = fetch_checkpoints(admin);
  core::AuditVerifyInput in;
  in.events = fetch_events(admin, "");
  in.checkpoints = std::move(cps.checkpoints);
  in.keys = key_points(cps.keys);
  // --witness FILE (a copy the auditor keeps) wins over the service's own.
  in.witness = o.witness_file.empty() ? std::move(cps.witness) : read_witness(o.witness_file);
  set_age_rule(in, o, cps.checkpoint_seconds, cps.keys);
  report(core::verify_audit_chain(in), o.server.server, in.witness.has_value());
}

std::string link_json(const store::AuditEvent& e) {
  return json{{"type", "link"},
              {"seq", e.seq},
              {"prev_hash", to_hex(e.prev_hash)},
              {"digest", to_hex(store::audit_content_digest(e))},
              {"hash", to_hex(e.hash)}}
      .dump();
}

// Runs the approved disclosure (once: the service spends it) and ties its
// events to the chain with links and checkpoints read from the whole log.
void export_tenant(const AuditOptions& o) {
  if (o.disclosure_id.empty()) fail("--disclosure is required");
  AdminClient admin = connect(o);
  json run = expect_json(admin.call("POST", "/admin/v1/audit/disclosures/" + url_encode(o.disclosure_id) + "/run"),
                         {200}, "run disclosure");
  const std::string tenant = run.at("disclosure").at("tenant_id").get<std::string>();
  std::vector<store::AuditEvent> mine;
  for (const json& e : run.at("events")) mine.push_back(unwrap(core::audit_event_from_json(e.dump()), "event"));
  CheckpointPage cps = fetch_checkpoints(admin);
  std::ostringstream out;
  for (const auto& k : cps.keys) out << core::audit_key_json(k, true) << "\n";
  if (!mine.empty()) {
    // The run: from right after the last checkpoint before the first event
    // (or genesis) to the first checkpoint at or after the last event.
    int64_t lo = 0, hi = 0;
    for (const auto& cp : cps.checkpoints)
      if (cp.seq < mine.front().seq) lo = cp.seq;
    for (const auto& cp : cps.checkpoints)
      if (cp.seq >= mine.back().seq) {
        hi = cp.seq;
        break;
      }
    std::vector<store::AuditEvent> all;
    int64_t after = lo;
    for (;;) {
      json page = expect_json(admin.call("GET", "/admin/v1/audit/events?limit=1000&after_seq=" + std::to_string(after)),
                              {200}, "list audit events");
      bool done = page.at("next_after_seq").is_null();
      for (const json& e : page.at("events")) {
        store::AuditEvent ev = unwrap(core::audit_event_from_json(e.dump()), "event");
        if (hi != 0 && ev.seq > hi) {
          done = true;
          break;
        }
        all.push_back(std::move(ev));
      }
      if (done) break;
      after = page.at("next_after_seq").get<int64_t>();
    }
    if (hi == 0 && !all.empty()) hi = all.back().seq;
    std::set<int64_t> wanted;
    for (const auto& e : mine) wanted.insert(e.seq);
    for (const auto& e : all) {
      if (e.seq > hi) break;
      out << (wanted.count(e.seq) ? core::audit_event_json(e, true) : link_json(e)) << "\n";
    }
    // Every checkpoint from lo on, up to the newest: they chain, so the
    // tenant's copy witnesses the head the service had signed when exported.
    for (const auto& cp : cps.checkpoints)
      if (cp.seq >= lo) out << core::audit_checkpoint_json(cp, true) << "\n";
  }
  if (o.out.empty()) {
    std::cout << out.str();
  } else {
    write_file(o.out, out.str());
    std::cerr << "exported " << mine.size() << " events of " << tenant << " (disclosure " << o.disclosure_id
              << ") to " << o.out << "\n";
  }
}

void verify_export(const AuditOptions& o) {
  std::istringstream lines(read_file(o.export_file));
  core::AuditExportInput in;
  std::vector<store::AuditKey> keys;
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (line.empty()) continue;
    std::string type = unwrap(core::audit_json_type(line), "line " + std::to_string(n));
    if (type == "event") {
      in.entries.push_back({unwrap(core::audit_event_from_json(line), "line " + std::to_string(n)), false, {}});
    } else if (type == "link") {
      json j = json::parse(line);
      core::AuditExportEntry x;
      x.link = true;
      x.event.seq = j.at("seq").get<int64_t>();
      x.event.prev_hash = unwrap(from_hex(j.at("prev_hash").get<std::string>()), "prev_hash");
      x.event.hash = unwrap(from_hex(j.at("hash").get<std::string>()), "hash");
      x.digest = unwrap(from_hex(j.at("digest").get<std::string>()), "digest");
      in.entries.push_back(std::move(x));
    } else if (type == "checkpoint") {
      in.checkpoints.push_back(unwrap(core::audit_checkpoint_from_json(line), "line " + std::to_string(n)));
    } else if (type == "key") {
      keys.push_back(unwrap(core::audit_key_from_json(line), "line " + std::to_string(n)));
    } else {
      fail("line " + std::to_string(n) + ": unknown type '" + type + "'");
    }
  }
  in.keys = key_points(keys);
  report(core::verify_audit_export(in), o.export_file);
}

}  // namespace

void add_audit_commands(CLI::App& app) {
  auto o = std::make_shared<AuditOptions>();
  auto* audit = app.add_subcommand("audit", "The hash-chained audit log: verify, export for a regulator");
  audit->require_subcommand(1);

  auto* verify = audit->add_subcommand("verify", "Verify the chain and its signed checkpoints; exit 1 names the first bad event");
  verify->add_option("--data", o->data_dir, "Data directory of a duetd (reads DIR/duet.db read-only; no KEK needed)");
  add_server_options(*verify, o->server, /*server_required=*/false);
  verify->add_option("--token", o->token_file, "File with an auditor or security_officer token (with --server)");
  verify->add_option("--export", o->export_file, "A file written by `duet audit export`");
  verify->add_option("--witness", o->witness_file,
                     "An audit witness file ([audit] witness_file) or a tenant's export: everything it saw must be "
                     "there (with --data, default DIR.audit-witness.jsonl if it exists; with --server, default the "
                     "service's own witness)");
  verify->add_option("--max-unsigned-age", o->max_unsigned_age,
                     "Seconds an event may stay without a signed checkpoint (default: checkpoint_seconds + 60; "
                     "with --data, 360)")
      ->check(CLI::NonNegativeNumber);
  verify->callback([o] {
    run_guarded("audit verify", [&] {
      int modes = !o->data_dir.empty() + !o->server.server.empty() + !o->export_file.empty();
      if (modes != 1) fail("give exactly one of --data DIR, --server URL or --export FILE");
      if (!o->export_file.empty() && !o->witness_file.empty()) fail("--witness goes with --data or --server");
      if (!o->data_dir.empty()) verify_offline(*o);
      else if (!o->export_file.empty()) verify_export(*o);
      else verify_online(*o);
    });
  });

  auto* exp = audit->add_subcommand(
      "export", "Run an approved disclosure (once) and write the tenant's events of its period as JSON lines");
  add_server_options(*exp, o->server, /*server_required=*/true);
  exp->add_option("--token", o->token_file, "File with an auditor token")->required();
  exp->add_option("--disclosure", o->disclosure_id,
                  "Disclosure id (`duet audit disclosure request`, approved by a security officer)")
      ->required();
  exp->add_option("--out", o->out, "Output file (default: standard output)");
  exp->callback([o] { run_guarded("audit export", [&] { export_tenant(*o); }); });
  add_disclosure_commands(*audit);
}

}  // namespace duet::cli
