#include "cli/notice_commands.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "cli/cli_common.h"

namespace duet::cli {

namespace {
struct NoticeOptions {
  std::string tenant, email;
  bool clear = false;
  int limit = 50;
};
}  // namespace

void add_notice_commands(CLI::App& admin, std::function<AdminClient()> connect) {
  auto o = std::make_shared<NoticeOptions>();
  auto conn = std::make_shared<std::function<AdminClient()>>(std::move(connect));
  auto* notice = admin.add_subcommand("notice", "Notices that reach people: contact e-mail, delivery record");
  notice->require_subcommand(1);

  auto* contact = notice->add_subcommand("contact-email", "Show, set (--email) or remove (--clear) a tenant's contact address");
  contact->add_option("TENANT_ID", o->tenant, "Tenant id")->required();
  contact->add_option("--email", o->email, "The address notices are mailed to");
  contact->add_flag("--clear", o->clear, "Remove the address (notices are then not mailed)");
  contact->callback([o, conn] {
    run_guarded("admin notice contact-email", [&] {
      if (!o->email.empty() && o->clear) fail("give --email or --clear, not both");
      AdminClient c = (*conn)();
      std::string path = "/admin/v1/tenants/" + url_encode(o->tenant) + "/contact-email";
      if (o->email.empty() && !o->clear) {
        print_json(expect_json(c.call("GET", path), {200}, "contact e-mail"));
      } else {
        json body{{"email", o->clear ? json(nullptr) : json(o->email)}};
        print_json(expect_json(c.call("PUT", path, body), {200}, "contact e-mail"));
      }
    });
  });

  auto* mails = notice->add_subcommand("mails", "The e-mail delivery of a tenant's notices, newest first");
  mails->add_option("TENANT_ID", o->tenant, "Tenant id")->required();
  mails->add_option("--limit", o->limit, "At most this many")->check(CLI::Range(1, 200));
  mails->callback([o, conn] {
    run_guarded("admin notice mails", [&] {
      AdminClient c = (*conn)();
      print_json(expect_json(c.call("GET", "/admin/v1/tenants/" + url_encode(o->tenant) + "/notice-mails?limit=" +
                                               std::to_string(o->limit)),
                             {200}, "notice mails"));
    });
  });
}

}  // namespace duet::cli
