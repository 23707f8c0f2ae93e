#include "cli/portal_user_commands.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "cli/cli_common.h"

namespace duet::cli {

namespace {
struct PortalUserOptions {
  std::string tenant, user, login, password_file, role = "member";
};

std::string users_path(const PortalUserOptions& o) {
  return "/admin/v1/tenants/" + url_encode(o.tenant) + "/portal-users";
}
}  // namespace

void add_portal_user_commands(CLI::App& admin, std::function<AdminClient()> connect) {
  auto o = std::make_shared<PortalUserOptions>();
  auto conn = std::make_shared<std::function<AdminClient()>>(std::move(connect));
  auto* pu = admin.add_subcommand("portal-user", "Users of the tenant portal: create, list, disable, enable, reset");
  pu->require_subcommand(1);

  auto* create = pu->add_subcommand("create", "Create a portal user (the password is read from a file, never argv)");
  create->add_option("--tenant", o->tenant, "Tenant id")->required();
  create->add_option("--login", o->login, "Login (e-mail address or name)")->required();
  create->add_option("--password-file", o->password_file, "File holding the initial password (12+ bytes)")
      ->required()
      ->check(CLI::ExistingFile);
  create->add_option("--role", o->role, "admin | member")->check(CLI::IsMember({"admin", "member"}));
  create->callback([o, conn] {
    run_guarded("admin portal-user create", [&] {
      json body{{"login", o->login}, {"password", read_secret_file(o->password_file)}, {"role", o->role}};
      print_json(expect_json((*conn)().call("POST", users_path(*o), body), {201}, "create portal user"));
    });
  });

  auto* list = pu->add_subcommand("list", "List a tenant's portal users");
  list->add_option("--tenant", o->tenant, "Tenant id")->required();
  list->callback([o, conn] {
    run_guarded("admin portal-user list",
                [&] { print_json(expect_json((*conn)().call("GET", users_path(*o)), {200}, "list portal users")); });
  });

  for (const std::string verb : {"disable", "enable"}) {
    auto* cmd = pu->add_subcommand(verb, verb == "disable"
                                             ? "Disable a portal user: every session ends at once, sign-in refused"
                                             : "Enable a disabled portal user again");
    cmd->add_option("--tenant", o->tenant, "Tenant id")->required();
    cmd->add_option("--user", o->user, "User id (usr_...)")->required();
    cmd->callback([o, conn, verb] {
      run_guarded("admin portal-user " + verb, [&] {
        auto r = (*conn)().call("POST", users_path(*o) + "/" + url_encode(o->user) + "/" + verb);
        if (r.status != 204) (void)expect_json(r, {204}, verb + " portal user");
        print_json(json{{"user_id", o->user}, {"state", verb == "disable" ? "disabled" : "enabled"}});
      });
    });
  }

  auto* reset = pu->add_subcommand("reset", "Issue a one-time password reset token (shown once, 24 hours)");
  reset->add_option("--tenant", o->tenant, "Tenant id")->required();
  reset->add_option("--user", o->user, "User id (usr_...)")->required();
  reset->callback([o, conn] {
    run_guarded("admin portal-user reset", [&] {
      std::cerr << "note: the reset token below is shown only once; hand it to the person, who sets a new password "
                   "at /portal/#/reset\n";
      print_json(expect_json((*conn)().call("POST", users_path(*o) + "/" + url_encode(o->user) + "/password-reset"),
                             {201}, "password reset"));
    });
  });
}

}  // namespace duet::cli
