#include "cli/incident_commands.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "cli/cli_common.h"

namespace duet::cli {
namespace {

struct IncidentOptions {
  std::string incident_id, tenant, services, cause, description;
  std::string started_at, response_started_at, resolved_at, dr_switched_at;
  std::string from, to;
};

// A time option: Unix seconds or "now"; with `clearable`, "none" clears it (JSON null).
void put_time(json& body, const char* key, const std::string& value, bool clearable) {
  if (value.empty()) return;
  if (clearable && value == "none") body[key] = nullptr;
  else body[key] = parse_unix_time(value);
}

void add_fields(CLI::App* cmd, IncidentOptions* o, bool creating) {
  cmd->add_option("--services", o->services, "signing | certificate | both")
      ->check(CLI::IsMember({"signing", "certificate", "both"}));
  cmd->add_option("--cause", o->cause,
                  "service (our fault, counted) | customer_side | third_party (both excluded from availability)")
      ->check(CLI::IsMember({"service", "customer_side", "third_party"}));
  cmd->add_option("--description", o->description, "What happened (shown to tenants: no personal data)");
  const char* clear = creating ? "" : "; \"none\" clears";
  cmd->add_option("--started-at", o->started_at, "Unix seconds or \"now\"");
  cmd->add_option("--response-started-at", o->response_started_at,
                  std::string("When work on it started (Unix seconds or \"now\"") + clear + ")");
  cmd->add_option("--resolved-at", o->resolved_at, std::string("When service was restored") + clear);
  cmd->add_option("--dr-switched-at", o->dr_switched_at,
                  std::string("When service was switched to disaster recovery") + clear);
}

json fields_body(const IncidentOptions& o, bool creating) {
  json body = json::object();
  if (!o.services.empty()) body["services"] = o.services;
  if (!o.cause.empty()) body["cause"] = o.cause;
  if (!o.description.empty()) body["description"] = o.description;
  put_time(body, "started_at", o.started_at, false);
  put_time(body, "response_started_at", o.response_started_at, !creating);
  put_time(body, "resolved_at", o.resolved_at, !creating);
  put_time(body, "dr_switched_at", o.dr_switched_at, !creating);
  return body;
}

}  // namespace

void add_incident_commands(CLI::App& admin, std::function<AdminClient()> connect) {
  auto o = std::make_shared<IncidentOptions>();
  auto conn = std::make_shared<std::function<AdminClient()>>(std::move(connect));
  auto* inc = admin.add_subcommand("incident", "Incidents: causes, exclusions from availability, response times");
  inc->require_subcommand(1);

  auto* add = inc->add_subcommand("add", "Record an incident");
  add->add_option("--tenant", o->tenant, "The one tenant it concerns (required for customer_side)");
  add_fields(add, o.get(), true);
  add->get_option("--services")->required();
  add->get_option("--cause")->required();
  add->get_option("--description")->required();
  add->get_option("--started-at")->required();
  add->callback([o, conn] {
    run_guarded("admin incident add", [&] {
      json body = fields_body(*o, true);
      if (!o->tenant.empty()) body["tenant_id"] = o->tenant;
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("POST", "/admin/v1/incidents", body), {201}, "incident"));
    });
  });

  auto* update = inc->add_subcommand("update", "Change an incident (times, cause, services, description)");
  update->add_option("INCIDENT_ID", o->incident_id, "Incident id")->required();
  add_fields(update, o.get(), false);
  update->callback([o, conn] {
    run_guarded("admin incident update", [&] {
      json body = fields_body(*o, false);
      if (body.empty()) fail("nothing to change: give at least one option");
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("PATCH", "/admin/v1/incidents/" + url_encode(o->incident_id), body), {200},
                             "incident"));
    });
  });

  auto* get = inc->add_subcommand("get", "Show one incident");
  get->add_option("INCIDENT_ID", o->incident_id, "Incident id")->required();
  get->callback([o, conn] {
    run_guarded("admin incident get", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("GET", "/admin/v1/incidents/" + url_encode(o->incident_id)), {200}, "incident"));
    });
  });

  auto* list = inc->add_subcommand("list", "Incidents overlapping a period (default: the last 31 days)");
  list->add_option("--tenant", o->tenant, "Only every tenant's and this tenant's");
  list->add_option("--from", o->from, "Unix seconds or \"now\"");
  list->add_option("--to", o->to, "Unix seconds or \"now\"");
  list->callback([o, conn] {
    run_guarded("admin incident list", [&] {
      std::string path = "/admin/v1/incidents?tenant=" + url_encode(o->tenant);
      if (!o->from.empty()) path += "&from=" + std::to_string(parse_unix_time(o->from));
      if (!o->to.empty()) path += "&to=" + std::to_string(parse_unix_time(o->to));
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("GET", path), {200}, "incidents"));
    });
  });
}

}  // namespace duet::cli
