#include "cli/package_commands.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/cli_common.h"

namespace duet::cli {
namespace {

struct PackageOptions {
  std::string tenant_id;
  std::string kind;
  int64_t quantity = -1;
  std::string starts_at;
  std::string note;
  std::string url;
  bool remove = false;
};

std::string tenant_path(const PackageOptions& o) { return "/admin/v1/tenants/" + url_encode(o.tenant_id); }

}  // namespace

void add_package_commands(CLI::App& admin, std::function<AdminClient()> connect) {
  auto o = std::make_shared<PackageOptions>();

  auto* pkg = admin.add_subcommand("package", "Service packages of a tenant (per_signature, per_user, unlimited)");
  pkg->require_subcommand(1);
  pkg->fallthrough();

  auto* add = pkg->add_subcommand(
      "add", "Add a package: one year from --starts-at (default: the service activation date, or now if later)");
  add->add_option("--tenant", o->tenant_id, "Tenant id")->required();
  add->add_option("--kind", o->kind, "per_signature (>= 10000), per_user (>= 1000) or unlimited")
      ->required()
      ->check(CLI::IsMember({"per_signature", "per_user", "unlimited"}));
  add->add_option("--quantity", o->quantity, "Signatures or users (not for unlimited)");
  add->add_option("--starts-at", o->starts_at, "Unix seconds or \"now\" (default: activation date or now, the later)");
  add->add_option("--note", o->note, "Free text, e.g. the purchase order");
  add->callback([o, connect] {
    run_guarded("admin package add", [&] {
      json body = {{"kind", o->kind}};
      if (o->kind != "unlimited") {
        if (o->quantity < 0) fail("--quantity is required for " + o->kind);
        body["quantity"] = o->quantity;
      }
      if (!o->starts_at.empty()) body["starts_at"] = parse_unix_time(o->starts_at);
      if (!o->note.empty()) body["note"] = o->note;
      AdminClient c = connect();
      print_json(expect_json(c.call("POST", tenant_path(*o) + "/packages", body), {201}, "add package"));
    });
  });

  auto* list = pkg->add_subcommand("list", "List a tenant's packages with used and remaining quantities");
  list->add_option("--tenant", o->tenant_id, "Tenant id")->required();
  list->callback([o, connect] {
    run_guarded("admin package list", [&] {
      AdminClient c = connect();
      print_json(expect_json(c.call("GET", tenant_path(*o) + "/packages", nullptr), {200}, "list packages"));
    });
  });

  auto* notify = admin.add_subcommand("notify-url", "Where a tenant's service notices are POSTed (webhook)");
  notify->require_subcommand(1);
  notify->fallthrough();
  auto* set = notify->add_subcommand("set", "Set the notify URL (a new signing secret is shown once)");
  set->add_option("--tenant", o->tenant_id, "Tenant id")->required();
  set->add_option("--url", o->url, "http(s) URL");
  set->add_flag("--remove", o->remove, "Remove the notify URL");
  set->callback([o, connect] {
    run_guarded("admin notify-url set", [&] {
      if (o->url.empty() == !o->remove) fail("give exactly one of --url or --remove");
      if (!o->remove) std::cerr << "note: the notify secret below is shown only once; store it now\n";
      AdminClient c = connect();
      json body = {{"notify_url", o->remove ? json(nullptr) : json(o->url)}};
      print_json(expect_json(c.call("PUT", tenant_path(*o) + "/notify-url", body), {200}, "set notify URL"));
    });
  });
  auto* get = notify->add_subcommand("get", "Show the notify URL");
  get->add_option("--tenant", o->tenant_id, "Tenant id")->required();
  get->callback([o, connect] {
    run_guarded("admin notify-url get", [&] {
      AdminClient c = connect();
      print_json(expect_json(c.call("GET", tenant_path(*o) + "/notify-url", nullptr), {200}, "get notify URL"));
    });
  });
}

}  // namespace duet::cli
