// duet audit disclosure: the four-eyes steps before a regulator's export
// (docs/audit.md "Export for a regulator"):
//
//   duet audit disclosure request --server URL --token AUDITOR --tenant T --from TIME --to TIME --purpose TEXT
//   duet audit disclosure approve ID [--reason TEXT]   (security officer, not the requester)
//   duet audit disclosure refuse ID --reason TEXT      (security officer, not the requester)
//   duet audit disclosure list | show ID               (auditor or security officer)
//
// Each prints the disclosure as JSON; the run is `duet audit export --disclosure ID`.
#include "cli/disclosure_commands.h"

#include <CLI/CLI.hpp>

#include <ctime>
#include <memory>
#include <string>

#include "cli/cli_common.h"
#include "cli/clients.h"

namespace duet::cli {
namespace {

struct DisclosureOptions {
  ServerOptions server;
  std::string token_file;
  std::string tenant;
  std::string from;
  std::string to;
  std::string purpose;
  std::string id;
  std::string reason;
};

// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" (UTC) or Unix seconds.
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

AdminClient connect(const DisclosureOptions& o) {
  if (o.token_file.empty()) fail("--token is required");
  return AdminClient(o.server, read_secret_file(o.token_file));
}

std::string path_of(const std::string& id) { return "/admin/v1/audit/disclosures/" + url_encode(id); }

}  // namespace

void add_disclosure_commands(CLI::App& audit) {
  auto o = std::make_shared<DisclosureOptions>();
  auto* d = audit.add_subcommand("disclosure",
                                 "Disclosures to a regulator: an auditor requests, a security officer approves");
  d->require_subcommand(1);
  add_server_options(*d, o->server, /*server_required=*/true);
  d->add_option("--token", o->token_file, "File with an operator token (auditor or security_officer)");

  auto* req = d->add_subcommand("request", "Request a disclosure of a tenant's events of a period (auditor)");
  req->add_option("--tenant", o->tenant, "Tenant id")->required();
  req->add_option("--from", o->from, "Start (inclusive): YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds")
      ->required();
  req->add_option("--to", o->to, "End (exclusive), same forms")->required();
  req->add_option("--purpose", o->purpose, "Who asks and on what basis (recorded, 1-2000 bytes)")->required();
  req->callback([o] {
    run_guarded("audit disclosure request", [&] {
      int64_t from = parse_time(o->from), to = parse_time(o->to);
      if (to <= from) fail("--to must be after --from");
      AdminClient c = connect(*o);
      print_json(expect_json(c.call("POST", "/admin/v1/audit/disclosures",
                                    json{{"tenant_id", o->tenant}, {"from", from}, {"to", to}, {"purpose", o->purpose}}),
                             {201}, "request disclosure"));
    });
  });

  auto* approve = d->add_subcommand("approve", "Approve a requested disclosure (security officer, not the requester)");
  approve->add_option("ID", o->id, "Disclosure id")->required();
  approve->add_option("--reason", o->reason, "Note recorded with the decision");
  approve->callback([o] {
    run_guarded("audit disclosure approve", [&] {
      AdminClient c = connect(*o);
      json body = o->reason.empty() ? json::object() : json{{"reason", o->reason}};
      print_json(expect_json(c.call("POST", path_of(o->id) + "/approve", body), {200}, "approve disclosure"));
    });
  });

  auto* refuse = d->add_subcommand("refuse", "Refuse a requested disclosure with a reason (security officer)");
  refuse->add_option("ID", o->id, "Disclosure id")->required();
  refuse->add_option("--reason", o->reason, "Why (recorded)")->required();
  refuse->callback([o] {
    run_guarded("audit disclosure refuse", [&] {
      AdminClient c = connect(*o);
      print_json(expect_json(c.call("POST", path_of(o->id) + "/refuse", json{{"reason", o->reason}}), {200},
                             "refuse disclosure"));
    });
  });

  auto* list = d->add_subcommand("list", "List disclosures, newest first");
  list->callback([o] {
    run_guarded("audit disclosure list", [&] {
      AdminClient c = connect(*o);
      print_json(expect_json(c.call("GET", "/admin/v1/audit/disclosures"), {200}, "list disclosures"));
    });
  });

  auto* show = d->add_subcommand("show", "Show one disclosure");
  show->add_option("ID", o->id, "Disclosure id")->required();
  show->callback([o] {
    run_guarded("audit disclosure show", [&] {
      AdminClient c = connect(*o);
      print_json(expect_json(c.call("GET", path_of(o->id)), {200}, "show disclosure"));
    });
  });
}

}  // namespace duet::cli
