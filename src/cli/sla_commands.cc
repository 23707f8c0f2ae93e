#include "cli/sla_commands.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/cli_common.h"

namespace duet::cli {
namespace {

struct SlaOptions {
  std::string month;
  std::string tenant;
  std::string format = "text";
  std::string credit_id;
  std::string window_id;
  int64_t starts_at = 0;
  int64_t ends_at = 0;
  std::string description;
  std::string kind = "maintenance";
  int64_t rps = -1;
  // `maintenance change`: only what is given changes.
  std::optional<int64_t> new_starts_at;
  std::optional<int64_t> new_ends_at;
  std::optional<std::string> new_description;
};

std::string num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string compensation_text(const json& row) {
  std::string out;
  if (!row.contains("compensation")) return out;
  for (const auto& c : row["compensation"]) {
    if (!out.empty()) out += "; ";
    out += std::to_string(c.value("amount", int64_t{0})) + " " +
           (c.value("kind", "") == "days" ? "free days" : "free signatures");
  }
  return out;
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string yes(const json& row, const char* key) { return row.value(key, false) ? "yes" : "NO"; }

}  // namespace

std::string format_sla_report(const json& r, const std::string& format) {
  if (format == "json") return r.dump(2) + "\n";
  std::vector<std::pair<std::string, const json*>> rows;  // label, figures
  rows.emplace_back("overall", &r.at("overall"));
  for (const auto& t : r.at("tenants")) rows.emplace_back(t.value("tenant_id", ""), &t);
  std::ostringstream out;
  if (format == "csv") {
    out << "scope,tenant_id,name,availability_pct,available_minutes,unavailable_minutes,excluded_minutes,"
           "longest_outage_minutes,requests,avg_ms,max_ms,availability_met,avg_met,max_met,band,compensation\n";
    for (const auto& [label, f] : rows) {
      bool overall = label == "overall";
      const json& j = *f;
      out << (overall ? "overall" : "tenant") << ',' << (overall ? "" : csv_field(label)) << ','
          << (overall ? "" : csv_field(j.value("name", ""))) << ',' << num(j.value("availability_pct", 100.0), 4)
          << ',' << j.value("available_minutes", int64_t{0}) << ',' << j.value("unavailable_minutes", int64_t{0})
          << ',' << j.value("excluded_minutes", int64_t{0}) << ',' << j.value("longest_outage_minutes", int64_t{0})
          << ',' << j.value("requests", int64_t{0}) << ',' << num(j.value("avg_ms", 0.0), 3) << ','
          << num(j.value("max_ms", 0.0), 3) << ',' << (j.value("availability_met", false) ? "true" : "false") << ','
          << (j.value("avg_met", false) ? "true" : "false") << ',' << (j.value("max_met", false) ? "true" : "false")
          << ',' << (j["band"].is_string() ? j["band"].get<std::string>() : "") << ','
          << csv_field(compensation_text(j)) << '\n';
    }
    return out.str();
  }
  const json& t = r.at("targets");
  out << "SLA report " << r.value("month", "") << (r.value("final", false) ? " (month ended)" : " (month running)")
      << "\n";
  out << "targets: availability >= " << num(t.value("availability_pct", 99.95), 2) << " %, average <= "
      << num(t.value("avg_ms", 100.0), 0) << " ms, maximum <= " << num(t.value("max_ms", 3000.0), 0) << " ms\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-60s %12s %8s %8s %8s %10s %10s %5s  %s\n", "scope", "availability", "unavail",
                "longest", "excluded", "avg ms", "max ms", "band", "compensation");
  out << line;
  for (const auto& [label, f] : rows) {
    const json& j = *f;
    std::string scope = label == "overall" ? "overall" : label + " " + j.value("name", "");
    if (scope.size() > 60) scope = scope.substr(0, 57) + "...";
    std::string avail = num(j.value("availability_pct", 100.0), 4) + " %";
    std::snprintf(line, sizeof line, "%-60s %12s %8lld %8lld %8lld %10s %10s %5s  %s\n", scope.c_str(), avail.c_str(),
                  static_cast<long long>(j.value("unavailable_minutes", int64_t{0})),
                  static_cast<long long>(j.value("longest_outage_minutes", int64_t{0})),
                  static_cast<long long>(j.value("excluded_minutes", int64_t{0})),
                  num(j.value("avg_ms", 0.0), 1).c_str(), num(j.value("max_ms", 0.0), 1).c_str(),
                  j["band"].is_string() ? j["band"].get<std::string>().c_str() : "-",
                  compensation_text(j).c_str());
    out << line;
  }
  const json& o = r.at("overall");
  out << "\noverall: availability target " << yes(o, "availability_met") << ", average " << yes(o, "avg_met")
      << ", maximum " << yes(o, "max_met") << "\n";
  out << "unavailable minutes: signing " << o.value("signing_unavailable_minutes", int64_t{0}) << ", certificate "
      << o.value("certificate_unavailable_minutes", int64_t{0}) << " (summed, docs/sla.md \"Availability\")\n";
  if (r.contains("incidents") && !r["incidents"].empty()) {
    out << "\nincidents (response <= 15 min, fixed <= 2 h, DR switch <= 2 h):\n";
    auto promise = [](const json& p) -> std::string {
      if (!p.is_object() || p["took_seconds"].is_null())
        return p.is_object() && p["met"].is_boolean() && !p["met"].get<bool>() ? "late" : "-";
      std::string took = std::to_string(p["took_seconds"].get<int64_t>() / 60) + " min";
      return took + (p["met"].is_boolean() && p["met"].get<bool>() ? " ok" : " LATE");
    };
    for (const auto& i : r["incidents"]) {
      const json& p = i["promises"];
      std::snprintf(line, sizeof line, "%-26s %-13s %-11s %-8s started %lld  response %-12s fixed %-12s DR %s\n",
                    i.value("incident_id", "").c_str(), i.value("cause", "").c_str(), i.value("services", "").c_str(),
                    i.value("excluded", false) ? "excluded" : "counted",
                    static_cast<long long>(i.value("started_at", int64_t{0})), promise(p["response"]).c_str(),
                    promise(p["resolution"]).c_str(), promise(p["dr_switch"]).c_str());
      out << line;
    }
  }
  return out.str();
}

void add_sla_commands(CLI::App& admin, std::function<AdminClient()> connect) {
  auto o = std::make_shared<SlaOptions>();
  auto conn = std::make_shared<std::function<AdminClient()>>(std::move(connect));
  auto* sla = admin.add_subcommand("sla", "SLA: availability reports, compensation credits, maintenance, rate limits");
  sla->require_subcommand(1);
  sla->fallthrough();

  auto* report = sla->add_subcommand("report", "Monthly availability report per tenant and overall");
  report->add_option("--month", o->month, "YYYY-MM (local month of the service)")->required();
  report->add_option("--tenant", o->tenant, "Only this tenant");
  report->add_option("--format", o->format, "text | json | csv")->check(CLI::IsMember({"text", "json", "csv"}));
  report->callback([o, conn] {
    run_guarded("admin sla report", [&] {
      std::string path = "/admin/v1/sla/report?month=" + url_encode(o->month);
      if (!o->tenant.empty()) path += "&tenant=" + url_encode(o->tenant);
      AdminClient c = (*conn)();
      json r = expect_json(c.call("GET", path), {200}, "sla report");
      std::cout << format_sla_report(r, o->format);
    });
  });

  auto* credits = sla->add_subcommand("credits", "Compensation credits (proposed and approved)");
  credits->add_option("--tenant", o->tenant, "Only this tenant");
  credits->add_option("--month", o->month, "Only this month (YYYY-MM)");
  credits->callback([o, conn] {
    run_guarded("admin sla credits", [&] {
      std::string path = "/admin/v1/sla/credits?tenant=" + url_encode(o->tenant) + "&month=" + url_encode(o->month);
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("GET", path), {200}, "sla credits"));
    });
  });

  auto* approve = sla->add_subcommand("approve", "Approve a credit: grants its bonus package (once)");
  approve->add_option("CREDIT_ID", o->credit_id, "Credit id")->required();
  approve->callback([o, conn] {
    run_guarded("admin sla approve", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("POST", "/admin/v1/sla/credits/" + url_encode(o->credit_id) + "/approve"), {200},
                             "approve credit"));
    });
  });

  auto* mw = sla->add_subcommand("maintenance", "Maintenance windows (excluded when announced 3 working days ahead)");
  mw->require_subcommand(1);
  auto* add = mw->add_subcommand("add", "Announce a maintenance window (announced now)");
  add->add_option("--starts-at", o->starts_at, "Unix seconds")->required();
  add->add_option("--ends-at", o->ends_at, "Unix seconds")->required();
  add->add_option("--description", o->description, "What is done");
  add->add_option("--kind", o->kind, "maintenance | fault_drill")->check(CLI::IsMember({"maintenance", "fault_drill"}));
  add->callback([o, conn] {
    run_guarded("admin sla maintenance add", [&] {
      AdminClient c = (*conn)();
      json body{{"starts_at", o->starts_at}, {"ends_at", o->ends_at}, {"description", o->description},
                {"kind", o->kind}};
      print_json(expect_json(c.call("POST", "/admin/v1/maintenance-windows", body), {201}, "maintenance window"));
    });
  });
  auto* list = mw->add_subcommand("list", "List maintenance windows");
  list->callback([conn] {
    run_guarded("admin sla maintenance list", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("GET", "/admin/v1/maintenance-windows?from=0"), {200}, "maintenance windows"));
    });
  });
  auto* change = mw->add_subcommand(
      "change", "Move, extend or narrow a window that has not started (moved or extended: announced anew, at least 3 "
                "working days ahead); every tenant is told");
  change->add_option("WINDOW_ID", o->window_id, "Window id")->required();
  change->add_option("--starts-at", o->new_starts_at, "Unix seconds");
  change->add_option("--ends-at", o->new_ends_at, "Unix seconds");
  change->add_option("--description", o->new_description, "What is done");
  change->callback([o, conn] {
    run_guarded("admin sla maintenance change", [&] {
      if (!o->new_starts_at && !o->new_ends_at && !o->new_description)
        fail("give --starts-at, --ends-at or --description");
      AdminClient c = (*conn)();
      json body = json::object();
      if (o->new_starts_at) body["starts_at"] = *o->new_starts_at;
      if (o->new_ends_at) body["ends_at"] = *o->new_ends_at;
      if (o->new_description) body["description"] = *o->new_description;
      print_json(expect_json(c.call("PATCH", "/admin/v1/maintenance-windows/" + url_encode(o->window_id), body), {200},
                             "change maintenance window"));
    });
  });
  auto* del = mw->add_subcommand("delete", "Withdraw a window that has not started");
  del->add_option("WINDOW_ID", o->window_id, "Window id")->required();
  del->callback([o, conn] {
    run_guarded("admin sla maintenance delete", [&] {
      AdminClient c = (*conn)();
      auto resp = c.call("DELETE", "/admin/v1/maintenance-windows/" + url_encode(o->window_id));
      if (resp.status != 204) expect_json(resp, {204}, "delete maintenance window");
    });
  });

  add_sla_claim_commands(*sla, *conn);

  auto* limit = sla->add_subcommand("rate-limit", "A production tenant's request limit (show, or set with --rps)");
  limit->add_option("--tenant", o->tenant, "Tenant id")->required();
  limit->add_option("--rps", o->rps, "Requests per second; 0 = unlimited");
  limit->callback([o, conn] {
    run_guarded("admin sla rate-limit", [&] {
      AdminClient c = (*conn)();
      std::string path = "/admin/v1/tenants/" + url_encode(o->tenant) + "/rate-limit";
      if (o->rps < 0) print_json(expect_json(c.call("GET", path), {200}, "rate limit"));
      else print_json(expect_json(c.call("PUT", path, json{{"requests_per_second", o->rps}}), {200}, "rate limit"));
    });
  });
}

}  // namespace duet::cli
