// The `duet` command line parsed against the real app (cli/app.h): required
// options, mutually exclusive options, values refused with a clear message,
// and no secret in any message. Nothing here reaches a server: every case
// fails before a connection, or runs an offline command.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "base/temp_dir_testing.h"
#include "cli/app.h"
#include "pdf/pdf_test_support.h"

namespace duet::cli {
namespace {

namespace fs = std::filesystem;

// What one run of the command line did: the CLI11 error (empty name when
// parsing and the command's callback succeeded) and what went to stdout and
// stderr (run_guarded prints a failing command's message on stderr).
struct Outcome {
  std::string error;  // CLI11 error name: RequiredError, ExcludesError, ValidationError, RuntimeError, ...
  std::string message;
  int exit_code = 0;
  std::string out, err;
  std::string all() const { return message + "\n" + out + "\n" + err; }
};

Outcome run(const std::vector<std::string>& args) {
  auto app = make_duet_app();
  std::vector<const char*> argv{"duet"};
  for (const auto& a : args) argv.push_back(a.c_str());
  std::stringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  Outcome o;
  try {
    app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    o.error = e.get_name();
    o.message = e.what();
    o.exit_code = e.get_exit_code();
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

class CliArgs : public ::testing::Test {
 protected:
  std::string file(const std::string& name, const std::string& content) { return dir_.write(name, content); }
  std::string path(const std::string& name) const { return dir_.file(name); }
  testing_support::TempDir dir_{"duet-cli-args"};
};

// ---- required options ---------------------------------------------------------

TEST_F(CliArgs, ACommandIsRequired) {
  Outcome o = run({});
  EXPECT_EQ(o.error, "RequiredError");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_EQ(run({"admin"}).error, "RequiredError");     // admin needs a subcommand
  EXPECT_EQ(run({"protocol"}).error, "RequiredError");  // so does protocol
  Outcome unknown = run({"no-such-command"});
  EXPECT_FALSE(unknown.error.empty());
  EXPECT_NE(unknown.exit_code, 0);
}

TEST_F(CliArgs, RequiredOptionsAreNamed) {
  Outcome name = run({"admin", "tenant", "create"});
  EXPECT_EQ(name.error, "RequiredError");
  EXPECT_NE(name.message.find("--name"), std::string::npos) << name.message;

  Outcome state = run({"holder", "--server", "https://127.0.0.1:1", "list"});
  EXPECT_EQ(state.error, "RequiredError");
  EXPECT_NE(state.message.find("--state"), std::string::npos) << state.message;

  Outcome pin = run({"holder", "--server", "https://127.0.0.1:1", "--state", path("s"), "enroll"});
  EXPECT_EQ(pin.error, "RequiredError");
  EXPECT_NE(pin.message.find("--pin"), std::string::npos) << pin.message;

  Outcome hw_get = run({"holder", "--server", "https://127.0.0.1:1", "--state", path("s"), "handwriting", "get"});
  EXPECT_EQ(hw_get.error, "RequiredError");
  EXPECT_NE(hw_get.message.find("--out"), std::string::npos) << hw_get.message;
  // The handwritten signature needs the PIN (docs/protocol.md §6.1).
  Outcome hw_pin = run({"holder", "--server", "https://127.0.0.1:1", "--state", path("s"), "handwriting", "get",
                        "--out", path("hw.png")});
  EXPECT_EQ(hw_pin.error, "RequiredError");
  EXPECT_NE(hw_pin.message.find("--pin"), std::string::npos) << hw_pin.message;
  Outcome hw_del = run({"holder", "--server", "https://127.0.0.1:1", "--state", path("s"), "handwriting", "delete"});
  EXPECT_EQ(hw_del.error, "RequiredError");
  EXPECT_NE(hw_del.message.find("--pin"), std::string::npos) << hw_del.message;
  Outcome hw_set = run({"holder", "--server", "https://127.0.0.1:1", "--state", path("s"), "handwriting", "set",
                        path("no-such.png")});
  EXPECT_EQ(hw_set.error, "ValidationError") << hw_set.message;

  Outcome demo = run({"protocol", "demo", "--pin", "246810", "--out", path("out")});
  EXPECT_EQ(demo.error, "RequiredError");
  EXPECT_NE(demo.message.find("--message"), std::string::npos) << demo.message;
}

TEST_F(CliArgs, AdminCommandsNeedAServerAndATokenBeforeAnyRequest) {
  // The admin options are optional for the parser (backup commands work
  // offline) and required by the commands that call the server.
  Outcome no_server = run({"admin", "tenant", "create", "--name", "Bank"});
  EXPECT_EQ(no_server.error, "RuntimeError");
  EXPECT_EQ(no_server.exit_code, 1);
  EXPECT_NE(no_server.err.find("duet admin tenant create: --server is required"), std::string::npos) << no_server.err;

  Outcome no_token = run({"admin", "--server", "https://127.0.0.1:1", "tenant", "list"});
  EXPECT_EQ(no_token.error, "RuntimeError");
  EXPECT_NE(no_token.err.find("--token-file is required"), std::string::npos) << no_token.err;
}

// ---- mutually exclusive options -------------------------------------------------

TEST_F(CliArgs, SpawnExcludesServerAndAdminToken) {
  std::string token = file("admin.token", "adm_0123\n");
  Outcome with_server = run({"demo", "--spawn", "--server", "https://127.0.0.1:1"});
  EXPECT_EQ(with_server.error, "ExcludesError");
  EXPECT_NE(with_server.message.find("--server"), std::string::npos) << with_server.message;
  Outcome with_token = run({"demo", "--spawn", "--admin-token-file", token});
  EXPECT_EQ(with_token.error, "ExcludesError");
  EXPECT_EQ(with_token.all().find("adm_0123"), std::string::npos) << "the token file's content was printed";
  EXPECT_EQ(run({"bench", "--spawn", "--server", "https://127.0.0.1:1"}).error, "ExcludesError");
}

// ---- bad values -----------------------------------------------------------------

TEST_F(CliArgs, BadValuesAreRefusedWithTheOptionNamed) {
  struct Case {
    std::vector<std::string> args;
    std::string option;
  };
  std::string msg = file("message", "hello");
  for (const Case& c : std::vector<Case>{
           {{"admin", "--timeout-ms", "0", "tenant", "list"}, "--timeout-ms"},
           {{"admin", "--timeout-ms", "soon", "tenant", "list"}, "--timeout-ms"},
           {{"admin", "--ca", path("missing.pem"), "tenant", "list"}, "--ca"},
           {{"admin", "app", "settings", "--tenant", "t", "--app", "a", "--cms-oid-style", "cades"},
            "--cms-oid-style"},
           {{"admin", "app", "settings", "--tenant", "t", "--app", "a", "--identity-mode", "trust"},
            "--identity-mode"},
           {{"admin", "tenant", "cert-identity-policy", "ten_1", "gmt0016"}, "POLICY"},
           {{"admin", "tenant", "hybrid-previews", "ten_1", "yes"}, "SETTING"},
           {{"api", "order", "qr", "ord_1", "--out", path("qr"), "--format", "gif"}, "--format"},
           {{"protocol", "demo", "--message", msg, "--pin", "246810", "--out", path("o"), "--kdf-iterations", "10"},
            "--kdf-iterations"},
           {{"demo", "--startup-timeout", "0"}, "--startup-timeout"},
           {{"demo", "--pdf", path("missing.pdf")}, "--pdf"},
           {{"api", "order", "create", "--holder", "h", "--title", "t", "--pdf", path("missing.pdf")}, "--pdf"},
       }) {
    Outcome o = run(c.args);
    EXPECT_EQ(o.error, "ValidationError") << c.args[1] << " " << o.error << ": " << o.message;
    EXPECT_NE(o.message.find(c.option), std::string::npos) << o.message;
    EXPECT_NE(o.exit_code, 0);
  }
}

TEST_F(CliArgs, PdfOrderOptions) {
  std::string pdf = file("c.pdf", "%PDF-1.7\n");
  std::string msg = file("message", "hello");
  // --pdf excludes --file; --rect takes four numbers; a placement is required.
  EXPECT_EQ(run({"api", "order", "create", "--holder", "h", "--title", "t", "--pdf", pdf, "--file", msg}).error,
            "ExcludesError");
  EXPECT_FALSE(run({"api", "order", "create", "--holder", "h", "--title", "t", "--pdf", pdf, "--page", "1", "--rect",
                    "1,2,3"})
                   .error.empty());
  Outcome no_place = run({"api", "--server", "https://127.0.0.1:1", "--app-id", "app_x", "--secret-file", msg, "order",
                          "create", "--holder", "h", "--title", "t", "--pdf", pdf});
  EXPECT_EQ(no_place.error, "RuntimeError");
  EXPECT_NE(no_place.err.find("--pdf needs --page N --rect x,y,w,h or --keyword TEXT --size w,h"), std::string::npos)
      << no_place.err;
  EXPECT_EQ(run({"api", "order", "pdf", "ord_1"}).error, "RequiredError") << "--out is required";
}

TEST_F(CliArgs, ABadPinIsRefusedWithoutEchoingIt) {
  std::string msg = file("message", "hello");
  const std::string pin(70, 'Q');  // too long: 4 to 64 bytes
  Outcome o = run({"protocol", "demo", "--message", msg, "--pin", pin, "--out", path("out"), "--kdf-iterations",
                   "1000"});
  EXPECT_EQ(o.error, "RuntimeError");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("PIN must be 4 to 64 bytes"), std::string::npos) << o.err;
  EXPECT_EQ(o.all().find("QQQQ"), std::string::npos) << o.all();
}

// ---- profiles and secrets ---------------------------------------------------------

TEST_F(CliArgs, ApiWithoutServerOrCredentialFailsWithoutTheSecret) {
  const std::string secret = "sk-very-secret-0123456789";
  std::string no_server = file("no-server.toml", "app_id = \"app_sbx_1\"\nsecret = \"" + secret + "\"\n");
  Outcome a = run({"api", "--profile", no_server, "GET", "/api/v1/holders"});
  EXPECT_EQ(a.error, "RuntimeError");
  EXPECT_NE(a.err.find("no server given (--server or a profile)"), std::string::npos) << a.err;
  EXPECT_EQ(a.all().find(secret), std::string::npos) << a.all();

  std::string secret_file = file("secret", secret + "\n");
  Outcome b = run({"api", "--server", "https://127.0.0.1:1", "--secret-file", secret_file, "GET", "/x"});
  EXPECT_EQ(b.error, "RuntimeError");
  EXPECT_NE(b.err.find("no app id given"), std::string::npos) << b.err;
  EXPECT_EQ(b.all().find(secret), std::string::npos) << b.all();

  std::string broken = file("broken.toml", "server = \"https://x\"\nsecret = \"" + secret + "\napp_id = 1\n");
  Outcome c = run({"api", "--profile", broken, "GET", "/x"});
  EXPECT_EQ(c.error, "RuntimeError");
  EXPECT_NE(c.err.find("profile " + broken), std::string::npos) << c.err;
  EXPECT_EQ(c.all().find(secret), std::string::npos) << c.all();

  Outcome d = run({"api", "--profile", path("missing.toml"), "GET", "/x"});
  EXPECT_EQ(d.error, "ValidationError");  // the file must exist
}

TEST_F(CliArgs, AnOfflineCommandRuns) {
  Outcome o = run({"protocol", "vectors"});
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.out.rfind("A.holder_id = hld_vector_1\n", 0), 0u) << o.out.substr(0, 80);
}

// ---- duet verify --pdf (offline: the chain from --chain, revocation not checked)

TEST_F(CliArgs, VerifyPdfPrintsTheReportOffline) {
  pdf::testing::TestHolder holder("张三");
  pdf::SignOptions so;
  so.signing_time = pki::now_seconds();
  Bytes signed_pdf = testing_support::ok_value(pdf::testing::sign_pdf(
      pdf::testing::make_contract(), {pdf::PagePlacement{1, {100, 100, 80, 80}}},
      pdf::SealAppearance{pdf::NameStamp{"张三"}, "张三"}, so, holder));
  std::string pdf_path = file("signed.pdf", std::string(signed_pdf.begin(), signed_pdf.end()));
  std::string chain = file("chain.pem", holder.ca->issuing_certificate.pem() + holder.ca->root_certificate.pem());

  Outcome text = run({"verify", "--pdf", pdf_path, "--chain", chain});
  EXPECT_EQ(text.error, "") << text.all();
  EXPECT_NE(text.out.find("1 signature: VALID"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("revocation:      not checked: offline (give --server"), std::string::npos) << text.out;

  Outcome js = run({"verify", "--pdf", pdf_path, "--chain", chain, "--json"});
  EXPECT_EQ(js.error, "") << js.all();
  auto j = nlohmann::json::parse(js.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << js.out;
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["format"], "pdf");
  EXPECT_EQ(j["signatures"][0]["revocation"]["status"], "not_checked");

  // One byte changed: exit 2 and the digest reported.
  Bytes changed = signed_pdf;
  std::string as_text(signed_pdf.begin(), signed_pdf.end());
  changed[as_text.find("duet test contract")] = 'D';
  std::string changed_path = file("changed.pdf", std::string(changed.begin(), changed.end()));
  Outcome bad = run({"verify", "--pdf", changed_path, "--chain", chain});
  EXPECT_EQ(bad.exit_code, 2) << bad.all();
  EXPECT_NE(bad.out.find("digest matches:  NO"), std::string::npos) << bad.out;

  // No trust anchors: not valid, and said why.
  Outcome untrusted = run({"verify", "--pdf", pdf_path});
  EXPECT_EQ(untrusted.exit_code, 2);
  EXPECT_NE(untrusted.out.find("No trusted CA given"), std::string::npos) << untrusted.out;

  // Not a PDF; --pdf with signature options; neither --pdf nor --signature.
  Outcome not_pdf = run({"verify", "--pdf", file("x.pdf", "hello"), "--chain", chain});
  EXPECT_EQ(not_pdf.exit_code, 1);
  EXPECT_NE(not_pdf.err.find("not a PDF"), std::string::npos) << not_pdf.err;
  EXPECT_EQ(run({"verify", "--pdf", pdf_path, "--signature", pdf_path}).exit_code, 1);
  Outcome none = run({"verify"});
  EXPECT_NE(none.err.find("give --signature"), std::string::npos) << none.all();
  EXPECT_EQ(run({"verify", "--signature", pdf_path, "--json"}).exit_code, 1);
}

// SLA terms, claims and statements (cli/claim_commands.cc): a refusal needs
// its reason, a pin its tenant and version, a statement its tenant, month
// and a known format.
TEST_F(CliArgs, ClaimTermsAndStatementOptions) {
  Outcome refuse = run({"admin", "sla", "claims", "refuse", "clm_x"});
  EXPECT_EQ(refuse.error, "RequiredError");
  EXPECT_NE(refuse.message.find("--reason"), std::string::npos) << refuse.message;
  Outcome pin = run({"admin", "sla", "terms", "pin", "--tenant", "ten_x"});
  EXPECT_EQ(pin.error, "RequiredError");
  EXPECT_NE(pin.message.find("--version"), std::string::npos) << pin.message;
  Outcome month = run({"admin", "statement", "--tenant", "ten_x"});
  EXPECT_EQ(month.error, "RequiredError");
  EXPECT_NE(month.message.find("--month"), std::string::npos) << month.message;
  EXPECT_EQ(run({"admin", "statement", "--tenant", "t", "--month", "2026-06", "--format", "xml"}).error,
            "ValidationError");
  EXPECT_EQ(run({"admin", "sla", "terms"}).error, "RequiredError");
}

}  // namespace
}  // namespace duet::cli
