#include "cli/demo_commands.h"

#include <CLI/CLI.hpp>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/cli_common.h"
#include "cli/clients.h"
#include "cli/process.h"
#include "cli/spawned_duetd.h"
#include "core/verification.h"
#include "pki/certificate.h"
#include "cosign/pin.h"
#include "crypto/point.h"
#include "crypto/sm2_evp.h"

namespace duet::cli {
namespace {

namespace fs = std::filesystem;

struct DemoOptions {
  ServerOptions server;
  std::string admin_token_file;
  bool spawn = false;
  std::string duetd;
  std::string out_dir;
  std::string pin = "246810";
  std::string message_file;
  uint32_t kdf_iterations = 100'000;
  int startup_timeout = 60;
  // The holder the demo creates (printed masked only, as the service answers).
  std::string holder_name = "张三";
  std::string id_number = "11010519491231002X";
  std::string phone = "13800138000";
  std::string keep_data;  // --spawn: the data directory (and duetd.log) left here instead of a temp dir
};

void step(int n, const std::string& actor, const std::string& what, const std::string& result) {
  std::ostringstream line;
  line << std::setw(2) << n << ". " << std::left << std::setw(10) << (actor + ":") << std::setw(30) << what << result;
  std::cout << line.str() << std::endl;
}

std::string str(const json& j, const char* key, std::string_view what) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
    fail(std::string(what) + ": the answer has no string \"" + key + "\"");
  }
  return j[key].get<std::string>();
}

// A duetd on a fresh data directory, stopped (and the directory removed) at
// the end; with --keep-data DIR the directory is DIR (created with mode 0700
// if missing) and is left there, with duetd's log (stdout and stderr, the
// access log included) in DIR/duetd.log.
class SpawnedServer {
 public:
  explicit SpawnedServer(const DemoOptions& o) {
    if (o.keep_data.empty()) {
      tmp_ = std::make_unique<TempDir>("duet-demo-server-");
      dir_ = tmp_->path();
    } else {
      std::error_code ec;
      dir_ = fs::absolute(o.keep_data, ec).string();
      if (ec) fail("--keep-data " + o.keep_data + ": " + ec.message());
      fs::create_directories(dir_, ec);
      if (ec) fail("cannot create " + dir_ + ": " + ec.message());
      fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    duetd_ = std::make_unique<SpawnedDuetd>(DuetdLaunch{o.duetd, dir_, o.startup_timeout, o.server.timeout_ms});
  }

  ~SpawnedServer() {
    duetd_.reset();  // "stopped duetd" first, then where its data stayed
    if (!tmp_) std::cout << "kept the data directory and duetd.log in " << dir_ << std::endl;
  }

  const ServerOptions& options() const { return duetd_->options(); }
  std::string admin_token_file() const { return duetd_->admin_token_file(); }
  std::string log_tail() const { return duetd_->log_tail(); }

 private:
  std::unique_ptr<TempDir> tmp_;  // destroyed after duetd_ (declared first); null with --keep-data
  std::string dir_;
  std::unique_ptr<SpawnedDuetd> duetd_;
};

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void run_demo(const DemoOptions& o, const ServerOptions& server, const std::string& admin_token_file) {
  unwrap(cosign::check_pin(o.pin), "--pin");
  std::cout << "duet demo against " << server.server << std::endl;

  // Output directory: --out, or a temporary one.
  std::unique_ptr<TempDir> tmp_out;
  std::string out = o.out_dir;
  if (out.empty()) {
    tmp_out = std::make_unique<TempDir>("duet-demo-out-");
    out = tmp_out->path();
  } else {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) fail("cannot create " + out + ": " + ec.message());
  }
  const std::string message_path = out + "/message";
  const std::string signature_path = out + "/signature.der";
  const std::string public_path = out + "/public.pem";

  std::string message = o.message_file.empty()
                            ? "Duet demo: one SM2 signature from two parties, " + utc_now() + "\n"
                            : read_file(o.message_file);
  write_file(message_path, message);

  // 1-2. Operator: tenant and app (sandbox credentials work at once).
  AdminClient admin(server, read_secret_file(admin_token_file));
  json tenant = admin.create_tenant("demo " + utc_now(), std::nullopt);
  std::string tenant_id = str(tenant, "tenant_id", "create tenant");
  step(1, "operator", "create tenant", tenant_id);
  json app = admin.create_app(tenant_id);
  if (!app.contains("sandbox") || !app["sandbox"].is_object()) fail("create app: the answer has no sandbox credential");
  AppCredential cred{str(app["sandbox"], "app_id", "create app"), str(app["sandbox"], "secret", "create app")};
  step(2, "operator", "create app", "sandbox " + cred.app_id + " (secret kept in memory, not shown)");

  // 3-4. Business system: holder and activation code.
  BusinessClient business(server, cred);
  json holder = business.create_holder(o.holder_name, o.id_number, o.phone);
  std::string holder_id = str(holder, "holder_id", "create holder");
  // The service answers masked values only (张*, 1101**********1234, 138****5678).
  step(3, "business", "create holder", holder_id + " (" + holder.value("name", "") + ", " +
                                           holder.value("id_number", "") + ", " + holder.value("phone", "") + ")");
  json code = business.issue_activation_code(holder_id);
  std::string activation_code = str(code, "code", "issue activation code");
  step(4, "business", "issue activation code",
       code.value("code_id", "") + " (one-time, shown to the holder only; expires " +
           std::to_string(code.value("expires_at", int64_t{0})) + ")");

  // 5. Holder: enrollment into a temporary device state.
  TempDir device_dir("duet-demo-holder-");
  HolderDevice device(server, device_dir.path() + "/state");
  json enrolled = device.enroll(holder_id, activation_code, o.pin, o.kdf_iterations, /*force=*/false);
  std::string device_key = device.public_key_hex();
  step(5, "holder", "enroll (2-party keygen)", "P = " + device_key.substr(0, 24) + "...");

  // 6. Holder: enrollment ends with a certificate (PKCS#10 co-signed with the PIN).
  const std::string holder_cert_path = out + "/holder.pem";
  const std::string chain_path = out + "/ca-chain.pem";
  json cert = device.obtain_certificate(o.pin);
  write_file(holder_cert_path, str(cert, "certificate_pem", "get certificate"));
  write_file(chain_path, str(cert, "chain_pem", "get certificate"));
  step(6, "holder", "certificate (co-signed CSR)", "serial " + cert.value("serial", "?"));
  // OpenSSL 3.0 applies -vfyopt distid to the leaf only: check the leaf's
  // signature against the issuing CA (the first certificate of the chain file).
  ProcessResult cv = run_process({"openssl", "verify", "-partial_chain", "-CAfile", chain_path, "-vfyopt",
                                  "distid:1234567812345678", holder_cert_path});
  std::string cverdict = cv.output;
  while (!cverdict.empty() && (cverdict.back() == '\n' || cverdict.back() == '\r')) cverdict.pop_back();
  step(7, "openssl", "verify holder.pem", cverdict);
  if (cv.exit_status != 0 || cv.output.find(": OK") == std::string::npos) {
    fail("openssl did not verify the holder certificate (exit " + std::to_string(cv.exit_status) + ")");
  }

  // 8. Business system: order over the message, DER output.
  json order_request = {{"holder_id", holder_id},
                        {"title", "Duet demo"},
                        {"display_text", "Sign the demo message (" + std::to_string(message.size()) + " bytes)"},
                        {"output", "der"},
                        {"data_base64", encode_base64(as_bytes(message))}};
  json order = business.create_order(order_request, "demo-" + random_hex(8));
  std::string order_id = str(order, "order_id", "create order");
  step(8, "business", "create order", order_id + " over " + std::to_string(message.size()) + " bytes, output der");

  // 9. Holder: the order is pending.
  json pending = device.pending_orders();
  bool found = false;
  size_t count = 0;
  if (pending.contains("orders") && pending["orders"].is_array()) {
    for (const json& p : pending["orders"]) {
      ++count;
      found = found || (p.is_object() && p.value("order_id", "") == order_id);
    }
  }
  if (!found) fail("the holder's pending orders do not include " + order_id);
  step(9, "holder", "list pending orders", std::to_string(count) + " pending, including " + order_id);

  // 10. Holder: check e, sign with the PIN.
  SignOutcome signed_ = device.sign(order_id, o.pin);
  step(10, "holder", "sign with the PIN",
       "state " + signed_.finish_response.value("state", "?") +
           (signed_.attempts_left >= 0 ? " (attempts left " + std::to_string(signed_.attempts_left) + ")" : ""));

  // 11. Business system: fetch the signed order.
  json final_order = business.get_order(order_id);
  std::string state = final_order.value("state", "?");
  if (state != "signed") fail("order " + order_id + " is " + state + ", not signed");
  if (!final_order.contains("items") || !final_order["items"].is_array() || final_order["items"].empty() ||
      !final_order["items"][0].is_object()) {
    fail("order " + order_id + ": no items in the answer");
  }
  Bytes der = unwrap(from_hex(str(final_order["items"][0], "signature", "get order")), "signature");
  write_file(signature_path, der);
  json holder_after = business.get_holder(holder_id);
  crypto::Point pub = unwrap(crypto::Point::from_hex(str(holder_after, "public_key", "get holder")), "public key");
  if (pub.to_hex() != device_key) fail("the service's public key for " + holder_id + " is not the device's");
  write_file(public_path, unwrap(crypto::public_key_spki_pem(pub), "public key PEM"));
  bool same = !signed_.signatures_der.empty() && signed_.signatures_der.front() == der;
  step(11, "business", "fetch order", "state signed, " + std::to_string(der.size()) + "-byte DER signature" +
                                         (same ? " (= the device's)" : ""));

  // 12. An independent verifier: the openssl command line.
  ProcessResult r = run_process({"openssl", "dgst", "-sm3", "-verify", public_path, "-sigopt",
                                 "distid:1234567812345678", "-signature", signature_path, message_path});
  std::string verdict = r.output;
  while (!verdict.empty() && (verdict.back() == '\n' || verdict.back() == '\r')) verdict.pop_back();
  step(12, "openssl", "dgst -sm3 -verify", verdict);
  if (r.exit_status != 0 || r.output.find("Verified OK") == std::string::npos) {
    fail("openssl did not verify the signature (exit " + std::to_string(r.exit_status) + ")");
  }
  // 13. The same message as a detached CMS SignedData (signed attributes,
  // the holder's certificate), co-signed like any order.
  const std::string p7s_path = out + "/signature.p7s";
  json cms_request = order_request;
  cms_request["output"] = "cms-detached";
  json cms_order = business.create_order(cms_request, "demo-" + random_hex(8));
  std::string cms_order_id = str(cms_order, "order_id", "create CMS order");
  device.sign(cms_order_id, o.pin);
  json cms_final = business.get_order(cms_order_id);
  if (cms_final.value("state", "?") != "signed") fail("order " + cms_order_id + " is not signed");
  if (!cms_final.contains("items") || !cms_final["items"].is_array() || cms_final["items"].empty()) {
    fail("order " + cms_order_id + ": no items in the answer");
  }
  Bytes p7s = unwrap(from_hex(str(cms_final["items"][0], "signature", "get CMS order")), "CMS signature");
  write_file(p7s_path, p7s);
  step(13, "holder", "sign a cms-detached order",
       cms_order_id + ": " + std::to_string(p7s.size()) + "-byte SignedData");
  // 14. Verified here against the CA chain (OpenSSL 3.0's cms -verify cannot take the SM2 ID).
  core::VerifyRequest vin;
  vin.data = Bytes(message.begin(), message.end());
  vin.signature = p7s;
  vin.format = "cms";
  core::VerifyTrust trust;
  {
    std::string chain = read_file(chain_path);
    const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
    for (size_t pos = 0;;) {
      size_t b = chain.find(begin, pos);
      if (b == std::string::npos) break;
      size_t e = chain.find(end, b);
      if (e == std::string::npos) break;
      pki::Certificate c = unwrap(pki::Certificate::parse(std::string_view(chain).substr(b, e + end.size() - b)), "chain");
      (c.subject() == c.issuer() ? trust.roots : trust.intermediates).push_back(c);
      pos = e + end.size();
    }
  }
  core::VerifyOutcome cv2 = unwrap(core::verify_signature(vin, trust), "verify CMS");
  step(14, "verifier", "verify signature.p7s", cv2.valid ? "valid, signer " + cv2.signer_serial.value_or("?") +
                                                               ", chain ok"
                                                         : "NOT valid: " + (cv2.reasons.empty() ? std::string("?")
                                                                                                 : cv2.reasons[0]));
  if (!cv2.valid) fail("the CMS signature does not verify");
  if (!o.out_dir.empty()) {
    std::cout << "wrote " << message_path << ", " << signature_path << ", " << public_path << ", "
              << holder_cert_path << ", " << chain_path << ", " << p7s_path << "\n"
              << "check: openssl cms -cmsout -print -inform DER -in " << p7s_path << "\n"
              << "check: duet verify --data " << message_path << " --signature " << p7s_path << " --chain "
              << chain_path << "\n"
              << "check: openssl dgst -sm3 -verify " << public_path
              << " -sigopt distid:1234567812345678 -signature " << signature_path << " " << message_path << "\n"
              << "check: openssl verify -partial_chain -CAfile " << chain_path
              << " -vfyopt distid:1234567812345678 " << holder_cert_path << "\n";
  }
}

}  // namespace

void add_demo_commands(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* demo = app.add_subcommand(
      "demo", "End to end against duetd: tenant, app, holder, enrollment with certificate, order, co-signature, openssl checks");
  add_server_options(*demo, o->server, /*server_required=*/false);
  add_spawn_options(*demo, o->admin_token_file, o->spawn, o->duetd);
  demo->add_option("--out", o->out_dir, "Leave message, signature.der, public.pem, holder.pem and ca-chain.pem in DIR");
  demo->add_option("--pin", o->pin, "The holder's PIN (default 246810)");
  demo->add_option("--message", o->message_file, "Sign this file instead of a generated message")
      ->check(CLI::ExistingFile);
  demo->add_option("--kdf-iterations", o->kdf_iterations, "PIN KDF iterations of the demo device")
      ->check(CLI::Range(1000u, 100000000u));
  demo->add_option("--startup-timeout", o->startup_timeout, "Seconds to wait for a spawned duetd")
      ->check(CLI::Range(1, 600));
  demo->add_option("--holder-name", o->holder_name, "Name of the holder the demo creates (shown masked)");
  demo->add_option("--id-number", o->id_number, "ID number of that holder (shown masked)");
  demo->add_option("--phone", o->phone, "Phone number of that holder (shown masked)");
  demo->add_option("--keep-data", o->keep_data,
                   "With --spawn: leave duetd's data directory and its log (duetd.log) in DIR");
  demo->callback([o] {
    run_guarded("demo", [&] {
      if (!o->keep_data.empty() && !o->spawn) fail("--keep-data needs --spawn");
      if (o->spawn) {
        SpawnedServer server(*o);
        try {
          run_demo(*o, server.options(), server.admin_token_file());
        } catch (const CliError& e) {
          throw CliError(e.what() + server.log_tail(), e.exit_code());
        }
      } else {
        if (o->server.server.empty() || o->admin_token_file.empty()) {
          fail("give --server URL --admin-token-file FILE [--ca FILE], or --spawn");
        }
        ServerOptions s = o->server;
        while (!s.server.empty() && s.server.back() == '/') s.server.pop_back();
        run_demo(*o, s, o->admin_token_file);
      }
      std::cout << "demo OK" << std::endl;
    });
  });
}

}  // namespace duet::cli
