#include "cli/admin_commands.h"

#include <charconv>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "cli/backup_commands.h"
#include "cli/cli_common.h"
#include "cli/clients.h"
#include "cli/package_commands.h"
#include "cli/sla_commands.h"
#include "cli/incident_commands.h"
#include "cli/notice_commands.h"
#include "cli/portal_user_commands.h"

namespace duet::cli {
namespace {

struct AdminOptions {
  ServerOptions server;
  std::string token_file;

  // tenant / app arguments
  std::string name;
  std::string active_from;
  std::string tenant_id;
  std::string app_id;
  // app settings
  std::string identity_mode;
  std::string sms_otp;  // "" | "on" | "off"
  std::string cms_oid_style;
  std::string pin_failure_budget;  // "" | "default" | a number
  // tenant settings
  std::string cert_identity_policy;  // "none" | "gmt0015"
  std::string hybrid_previews;       // "on" | "off"
};

// The API subcommands need --token-file; the local ones (backup, restore) do not.
AdminClient connect(const AdminOptions& o) {
  if (o.server.server.empty()) fail("--server is required for this command");
  if (o.token_file.empty()) fail("--token-file is required for this command");
  return AdminClient(o.server, read_secret_file(o.token_file));
}

// Sends the request and prints the JSON answer; a non-2xx answer fails (exit 3).
void call_and_print(const AdminOptions& o, const std::string& method, const std::string& path, const json& body,
                    std::initializer_list<int> ok, std::string_view what) {
  AdminClient admin = connect(o);
  print_json(expect_json(admin.call(method, path, body), ok, what));
}

std::string tenant_path(const AdminOptions& o) { return "/admin/v1/tenants/" + url_encode(o.tenant_id); }

// `admin tenant suspend|resume ID`: POST …/tenants/{id}/<verb>, no body.
void add_tenant_state_command(CLI::App& tenant, const std::shared_ptr<AdminOptions>& o, const std::string& verb,
                              const std::string& help) {
  auto* cmd = tenant.add_subcommand(verb, help);
  cmd->add_option("ID", o->tenant_id, "Tenant id")->required();
  cmd->callback([o, verb] {
    run_guarded("admin tenant " + verb,
                [&] { call_and_print(*o, "POST", tenant_path(*o) + "/" + verb, nullptr, {200}, verb + " tenant"); });
  });
}

// `admin tenant …`: create, list, get, activate, signature-v1-cutoff, cert-identity-policy,
// suspend, resume.
void add_tenant_commands(CLI::App& admin, const std::shared_ptr<AdminOptions>& o) {
  auto* tenant = admin.add_subcommand("tenant", "Tenants");
  tenant->require_subcommand(1);
  tenant->fallthrough();

  auto* create = tenant->add_subcommand("create", "Create a tenant");
  create->add_option("--name", o->name, "Tenant name")->required();
  create->add_option("--active-from", o->active_from,
                     "Unix seconds or \"now\": when production credentials start working (default: not yet)");
  create->callback([o] {
    run_guarded("admin tenant create", [&] {
      json body = {{"name", o->name}};
      body["production_active_from"] = o->active_from.empty() ? json(nullptr) : json(parse_unix_time(o->active_from));
      call_and_print(*o, "POST", "/admin/v1/tenants", body, {201, 200}, "create tenant");
    });
  });

  auto* list = tenant->add_subcommand("list", "List tenants");
  list->callback([o] {
    run_guarded("admin tenant list",
                [&] { call_and_print(*o, "GET", "/admin/v1/tenants", nullptr, {200}, "list tenants"); });
  });

  auto* get = tenant->add_subcommand("get", "Show a tenant");
  get->add_option("ID", o->tenant_id, "Tenant id")->required();
  get->callback([o] {
    run_guarded("admin tenant get", [&] { call_and_print(*o, "GET", tenant_path(*o), nullptr, {200}, "get tenant"); });
  });

  auto* activate = tenant->add_subcommand("activate", "Set the date from which production credentials work");
  activate->add_option("ID", o->tenant_id, "Tenant id")->required();
  activate->add_option("--from", o->active_from, "Unix seconds or \"now\"")->required();
  activate->callback([o] {
    run_guarded("admin tenant activate", [&] {
      json body = {{"production_active_from", parse_unix_time(o->active_from)}};
      call_and_print(*o, "POST", tenant_path(*o) + "/activation", body, {200}, "activate tenant");
    });
  });

  // Request-signature v1 refused from this date (a notice tells the tenant).
  auto* cutoff = tenant->add_subcommand("signature-v1-cutoff",
                                        "Set the date from which the tenant's request-signature v1 is refused");
  cutoff->add_option("ID", o->tenant_id, "Tenant id")->required();
  cutoff->add_option("--at", o->active_from, "Unix seconds or \"now\"")->required();
  cutoff->callback([o] {
    run_guarded("admin tenant signature-v1-cutoff", [&] {
      json body = {{"signature_v1_cutoff", parse_unix_time(o->active_from)}};
      call_and_print(*o, "POST", tenant_path(*o) + "/signature-v1-cutoff", body, {200}, "set signature v1 cut-off");
    });
  });

  // What new holder certificates carry of the ID number (docs/pki.md).
  auto* identity = tenant->add_subcommand(
      "cert-identity-policy", "Set what new holder certificates carry of the ID number (none | gmt0015)");
  identity->add_option("ID", o->tenant_id, "Tenant id")->required();
  identity->add_option("POLICY", o->cert_identity_policy,
                       "none: no ID number; gmt0015: the GM/T 0015 identity-code extension")
      ->required()
      ->check(CLI::IsMember({"none", "gmt0015"}));
  identity->callback([o] {
    run_guarded("admin tenant cert-identity-policy", [&] {
      json body = {{"cert_identity_policy", o->cert_identity_policy}};
      call_and_print(*o, "POST", tenant_path(*o) + "/cert-identity-policy", body, {200},
                     "set certificate identity policy");
    });
  });

  // Whether duet-gateway may upload page previews (docs/gateway.md "Page previews").
  auto* previews = tenant->add_subcommand(
      "hybrid-previews", "Allow or refuse page previews uploaded by the tenant's duet-gateway (on | off)");
  previews->add_option("ID", o->tenant_id, "Tenant id")->required();
  previews->add_option("SETTING", o->hybrid_previews,
                       "on: the gateway's PNGs of the stamped pages are kept by duetd and shown to the holder; "
                       "off (the default): refused, the pages stay on the premises")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  previews->callback([o] {
    run_guarded("admin tenant hybrid-previews", [&] {
      json body = {{"enabled", o->hybrid_previews == "on"}};
      call_and_print(*o, "POST", tenant_path(*o) + "/hybrid-previews", body, {200}, "set hybrid previews");
    });
  });

  add_tenant_state_command(*tenant, o, "suspend", "Suspend a tenant (every call answered 403 tenant_suspended)");
  add_tenant_state_command(*tenant, o, "resume", "Resume a suspended tenant");
}

// The body of POST …/apps/{app}/settings: only the settings given (absent
// ones keep their value).
json app_settings_body(const AdminOptions& o) {
  json body = json::object();  // absent settings keep their value
  if (o.pin_failure_budget == "default") {
    body["pin_failure_budget"] = nullptr;
  } else if (!o.pin_failure_budget.empty()) {
    int budget = 0;
    auto [end, ec] = std::from_chars(o.pin_failure_budget.data(),
                                     o.pin_failure_budget.data() + o.pin_failure_budget.size(), budget);
    if (ec != std::errc() || end != o.pin_failure_budget.data() + o.pin_failure_budget.size()) {
      fail("--pin-failure-budget must be a number or 'default'");
    }
    body["pin_failure_budget"] = budget;
  }
  if (!o.identity_mode.empty()) body["identity_mode"] = o.identity_mode;
  if (!o.sms_otp.empty()) body["sms_otp_required"] = o.sms_otp == "on";
  if (!o.cms_oid_style.empty()) body["cms_oid_style"] = o.cms_oid_style;
  return body;
}

// `admin app …`: create, list, rotate, settings.
void add_app_commands(CLI::App& admin, const std::shared_ptr<AdminOptions>& o) {
  auto* appcmd = admin.add_subcommand("app", "App credentials of a tenant");
  appcmd->require_subcommand(1);
  appcmd->fallthrough();

  auto* app_create = appcmd->add_subcommand(
      "create", "Create an app: sandbox and production credentials (the secrets are shown this once)");
  app_create->add_option("--tenant", o->tenant_id, "Tenant id")->required();
  app_create->callback([o] {
    run_guarded("admin app create", [&] {
      std::cerr << "note: the secrets below are shown only once; store them now\n";
      call_and_print(*o, "POST", tenant_path(*o) + "/apps", nullptr, {201, 200}, "create app");
    });
  });

  auto* app_list = appcmd->add_subcommand("list", "List a tenant's app credentials (never their secrets)");
  app_list->add_option("--tenant", o->tenant_id, "Tenant id")->required();
  app_list->callback([o] {
    run_guarded("admin app list",
                [&] { call_and_print(*o, "GET", tenant_path(*o) + "/apps", nullptr, {200}, "list apps"); });
  });

  auto* rotate = appcmd->add_subcommand("rotate", "Replace an app credential's secret (the old one stops at once)");
  rotate->add_option("--tenant", o->tenant_id, "Tenant id")->required();
  rotate->add_option("--app", o->app_id, "App id")->required();
  rotate->callback([o] {
    run_guarded("admin app rotate", [&] {
      std::cerr << "note: the new secret below is shown only once; store it now\n";
      call_and_print(*o, "POST", tenant_path(*o) + "/apps/" + url_encode(o->app_id) + "/rotate-secret", nullptr,
                     {200, 201}, "rotate secret");
    });
  });

  auto* settings = appcmd->add_subcommand(
      "settings", "Certificate-issuance settings of one app credential (sandbox and production are separate)");
  settings->add_option("--tenant", o->tenant_id, "Tenant id")->required();
  settings->add_option("--app", o->app_id, "App id")->required();
  settings->add_option("--identity-mode", o->identity_mode, "attested | identity_source")
      ->check(CLI::IsMember({"attested", "identity_source"}));
  settings->add_option("--sms-otp", o->sms_otp, "on | off: activation needs an SMS one-time code")
      ->check(CLI::IsMember({"on", "off"}));
  settings->add_option("--cms-oid-style", o->cms_oid_style, "pkcs7 | gmt")->check(CLI::IsMember({"pkcs7", "gmt"}));
  settings->add_option("--pin-failure-budget", o->pin_failure_budget,
                       "Failed PIN uses in the budget window that lock a holder's key (>= the consecutive limit), "
                       "or 'default' for the service's setting");
  settings->callback([o] {
    run_guarded("admin app settings", [&] {
      call_and_print(*o, "POST", tenant_path(*o) + "/apps/" + url_encode(o->app_id) + "/settings",
                     app_settings_body(*o), {200}, "app settings");
    });
  });
}

}  // namespace

void add_admin_commands(CLI::App& app) {
  auto o = std::make_shared<AdminOptions>();
  auto* admin = app.add_subcommand("admin", "Operator Admin API (/admin/v1): tenants and app credentials");
  admin->require_subcommand(1);
  admin->fallthrough();
  add_server_options(*admin, o->server, /*server_required=*/false);
  admin->add_option("--token-file", o->token_file, "File with the admin token (<data_dir>/admin.token)")
      ->check(CLI::ExistingFile);
  add_backup_commands(*admin);
  add_sla_commands(*admin, [o] { return connect(*o); });
  add_incident_commands(*admin, [o] { return connect(*o); });
  add_notice_commands(*admin, [o] { return connect(*o); });
  add_statement_commands(*admin, [o] { return connect(*o); });
  add_package_commands(*admin, [o] { return connect(*o); });
  add_portal_user_commands(*admin, [o] { return connect(*o); });

  add_tenant_commands(*admin, o);
  add_app_commands(*admin, o);
}

}  // namespace duet::cli
