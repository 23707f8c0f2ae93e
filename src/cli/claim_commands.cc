// `duet admin sla terms …` and `duet admin sla claims …` (issue 14 item 4):
// versioned SLA-terms documents, the version a tenant pins, and the
// verification and decision of compensation claims, through the Admin API
// (server/claim_routes.h).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/cli_common.h"
#include "cli/sla_commands.h"

namespace duet::cli {
namespace {

struct StatementOptions {
  std::string tenant;
  std::string month;
  std::string format = "json";
};

struct ClaimOptions {
  std::string file;
  std::string version;
  std::string tenant;
  std::string claim_id;
  std::string reason;
};

}  // namespace

void add_sla_claim_commands(CLI::App& sla, std::function<AdminClient()> connect) {
  auto o = std::make_shared<ClaimOptions>();
  auto conn = std::make_shared<std::function<AdminClient()>>(std::move(connect));

  auto* terms = sla.add_subcommand("terms", "Versioned SLA-terms documents (compensation table, tiers, rules)");
  terms->require_subcommand(1);
  auto* add = terms->add_subcommand("add", "Record a terms document (its bytes and SM3 digest; immutable)");
  add->add_option("FILE", o->file, "The JSON document, e.g. docs/sla-terms/v1.json")->required();
  add->callback([o, conn] {
    run_guarded("admin sla terms add", [&] {
      std::string doc = read_file(o->file);
      AdminClient c = (*conn)();
      print_json(expect_json(c.call_text("POST", "/admin/v1/sla/terms", doc), {201}, "record terms"));
    });
  });
  auto* list = terms->add_subcommand("list", "Recorded versions");
  list->callback([conn] {
    run_guarded("admin sla terms list", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("GET", "/admin/v1/sla/terms"), {200}, "terms"));
    });
  });
  auto* show = terms->add_subcommand("show", "One version with its document");
  show->add_option("VERSION", o->version, "Version")->required();
  show->callback([o, conn] {
    run_guarded("admin sla terms show", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("GET", "/admin/v1/sla/terms/" + url_encode(o->version)), {200}, "terms"));
    });
  });
  auto* pin = terms->add_subcommand("pin", "Pin the version a tenant's contract uses");
  pin->add_option("--tenant", o->tenant, "Tenant id")->required();
  pin->add_option("--version", o->version, "Version")->required();
  pin->callback([o, conn] {
    run_guarded("admin sla terms pin", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("PUT", "/admin/v1/tenants/" + url_encode(o->tenant) + "/sla-terms",
                                    json{{"version", o->version}}),
                             {200}, "pin terms"));
    });
  });

  auto* claims = sla.add_subcommand("claims", "Compensation claims filed by tenants: list, verify, approve, refuse");
  claims->require_subcommand(1);
  auto* ls = claims->add_subcommand("list", "Claims, newest first");
  ls->add_option("--tenant", o->tenant, "Only this tenant");
  ls->callback([o, conn] {
    run_guarded("admin sla claims list", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("GET", "/admin/v1/sla/claims?tenant=" + url_encode(o->tenant)), {200}, "claims"));
    });
  });
  auto* get = claims->add_subcommand("show", "A claim with the month's figures and credits (verification)");
  get->add_option("CLAIM_ID", o->claim_id, "Claim id")->required();
  get->callback([o, conn] {
    run_guarded("admin sla claims show", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("GET", "/admin/v1/sla/claims/" + url_encode(o->claim_id)), {200}, "claim"));
    });
  });
  auto* approve = claims->add_subcommand("approve", "Approve: grants the month's credits as bonus packages (once)");
  approve->add_option("CLAIM_ID", o->claim_id, "Claim id")->required();
  approve->add_option("--reason", o->reason, "Note recorded with the decision");
  approve->callback([o, conn] {
    run_guarded("admin sla claims approve", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("POST", "/admin/v1/sla/claims/" + url_encode(o->claim_id) + "/approve",
                                    json{{"reason", o->reason}}),
                             {200}, "approve claim"));
    });
  });
  auto* refuse = claims->add_subcommand("refuse", "Refuse with a reason (shown to the tenant)");
  refuse->add_option("CLAIM_ID", o->claim_id, "Claim id")->required();
  refuse->add_option("--reason", o->reason, "Why")->required();
  refuse->callback([o, conn] {
    run_guarded("admin sla claims refuse", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("POST", "/admin/v1/sla/claims/" + url_encode(o->claim_id) + "/refuse",
                                    json{{"reason", o->reason}}),
                             {200}, "refuse claim"));
    });
  });
}

void add_statement_commands(CLI::App& admin, std::function<AdminClient()> connect) {
  auto o = std::make_shared<StatementOptions>();
  auto conn = std::make_shared<std::function<AdminClient()>>(std::move(connect));
  auto* st = admin.add_subcommand("statement", "A tenant's monthly usage statement (package movements, credits)");
  st->add_option("--tenant", o->tenant, "Tenant id")->required();
  st->add_option("--month", o->month, "YYYY-MM (local month of the service)")->required();
  st->add_option("--format", o->format, "json | csv")->check(CLI::IsMember({"json", "csv"}));
  st->callback([o, conn] {
    run_guarded("admin statement", [&] {
      AdminClient c = (*conn)();
      auto r = c.call("GET", "/admin/v1/tenants/" + url_encode(o->tenant) + "/statements/" + url_encode(o->month) +
                                 "?format=" + o->format);
      if (o->format == "json") {
        print_json(expect_json(r, {200}, "statement"));
        return;
      }
      if (r.status != 200) expect_json(r, {200}, "statement");
      std::cout << r.body;
    });
  });
}

}  // namespace duet::cli
