// duet audit: verification of the hash-chained audit log and export for a
// regulator (docs/audit.md).
//
//   duet audit verify --data DIR                 offline: DIR/duet.db opened read-only, no KEK
//   duet audit verify --server URL --token FILE  online, over the Admin API (auditor or
//                                                security_officer token)
//   duet audit verify --export FILE              a file written by `duet audit export`
//   duet audit export --server URL --token FILE --tenant T --from TIME --to TIME [--out FILE]
//
// verify exits 0 with a summary, or 1 naming the first bad event:
//   "audit chain BROKEN at event 17: edited (event 17 was changed …)".
#include "cli/audit_commands.h"

#include <CLI/CLI.hpp>

#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/clients.h"
#include "core/audit_chain.h"
#include "core/audit_json.h"
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
  std::string tenant;
  std::string from;
  std::string to;
  std::string out;
};

// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ", "now" or Unix seconds.
int64_t parse_time(const std::string& text) {
  if (text.size() >= 10 && text[4] == '-' && text[7] == '-') {
    std::tm tm{};
    const char* end = nullptr;
    if (text.size() == 10) end = strptime(text.c_str(), "%Y-%m-%d", &tm);
    else end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end != '\0') fail("bad time '" + text + "' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds)");
    return static_cast<int64_t>(timegm(&tm));
  }
  return parse_unix_time(text);
}

std::map<std::string, crypto::Point> key_points(const std::vector<store::AuditKey>& keys) {
  std::map<std::string, crypto::Point> out;
  for (const auto& k : keys) out.emplace(k.key_id, unwrap(crypto::public_key_from_spki(k.public_key_der), "audit key"));
  return out;
}

void report(const core::AuditVerifyResult& r, const std::string& where) {
  if (!r.ok)
    fail("audit chain BROKEN at event " + std::to_string(r.first_bad_seq) + ": " +
         std::string(core::audit_damage_name(r.damage)) + " (" + r.detail + ") in " + where);
  std::cout << "audit chain OK: " << r.events << " events (last seq " << r.last_seq << ", hash "
            << to_hex(r.last_hash) << "), " << r.checkpoints << " signed checkpoints (last at seq "
            << r.last_checkpoint_seq << ")";
  if (!r.detail.empty()) std::cout << "; note: " << r.detail;
  std::cout << "\n";
}

void verify_offline(const AuditOptions& o) {
  std::string db = o.data_dir + "/duet.db";
  store::AuditSnapshot snap = unwrap(store::read_sqlite_audit_snapshot(db), "read " + db);
  core::AuditVerifyInput in;
  in.events = std::move(snap.events);
  in.checkpoints = std::move(snap.checkpoints);
  in.keys = key_points(snap.keys);
  in.head = snap.head;
  report(core::verify_audit_chain(in), db);
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
};

CheckpointPage fetch_checkpoints(AdminClient& admin) {
  json j = expect_json(admin.call("GET", "/admin/v1/audit/checkpoints"), {200}, "list audit checkpoints");
  CheckpointPage p;
  for (const json& c : j.at("checkpoints"))
    p.checkpoints.push_back(unwrap(core::audit_checkpoint_from_json(c.dump()), "checkpoint"));
  for (const json& k : j.at("keys")) p.keys.push_back(unwrap(core::audit_key_from_json(k.dump()), "key"));
  p.head.seq = j.at("head").at("seq").get<int64_t>();
  p.head.hash = unwrap(from_hex(j.at("head").at("hash").get<std::string>()), "head hash");
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
  report(core::verify_audit_chain(in), o.server.server);
}

std::string link_json(const store::AuditEvent& e) {
  return json{{"type", "link"},
              {"seq", e.seq},
              {"prev_hash", to_hex(e.prev_hash)},
              {"digest", to_hex(store::audit_content_digest(e))},
              {"hash", to_hex(e.hash)}}
      .dump();
}

void export_tenant(const AuditOptions& o) {
  if (o.tenant.empty() || o.from.empty() || o.to.empty()) fail("--tenant, --from and --to are required");
  int64_t from = parse_time(o.from), to = parse_time(o.to);
  if (to <= from) fail("--to must be after --from");
  AdminClient admin = connect(o);
  CheckpointPage cps = fetch_checkpoints(admin);
  std::vector<store::AuditEvent> mine = fetch_events(
      admin, "tenant=" + url_encode(o.tenant) + "&from=" + std::to_string(from) + "&to=" + std::to_string(to) + "&");
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
    for (const auto& cp : cps.checkpoints)
      if (cp.seq == lo || (cp.seq > lo && cp.seq <= hi)) out << core::audit_checkpoint_json(cp, true) << "\n";
  }
  if (o.out.empty()) {
    std::cout << out.str();
  } else {
    write_file(o.out, out.str());
    std::cerr << "exported " << mine.size() << " events of " << o.tenant << " to " << o.out << "\n";
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
  verify->callback([o] {
    run_guarded("audit verify", [&] {
      int modes = !o->data_dir.empty() + !o->server.server.empty() + !o->export_file.empty();
      if (modes != 1) fail("give exactly one of --data DIR, --server URL or --export FILE");
      if (!o->data_dir.empty()) verify_offline(*o);
      else if (!o->export_file.empty()) verify_export(*o);
      else verify_online(*o);
    });
  });

  auto* exp = audit->add_subcommand("export", "Write a tenant's events of a period as JSON lines for a regulator");
  add_server_options(*exp, o->server, /*server_required=*/true);
  exp->add_option("--token", o->token_file, "File with an auditor or security_officer token")->required();
  exp->add_option("--tenant", o->tenant, "Tenant id")->required();
  exp->add_option("--from", o->from, "Start (inclusive): YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds")->required();
  exp->add_option("--to", o->to, "End (exclusive), same forms")->required();
  exp->add_option("--out", o->out, "Output file (default: standard output)");
  exp->callback([o] { run_guarded("audit export", [&] { export_tenant(*o); }); });
}

}  // namespace duet::cli
