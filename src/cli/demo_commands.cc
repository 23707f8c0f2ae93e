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
#include <vector>

#include "cli/cli_common.h"
#include "cli/clients.h"
#include "cli/demo_gateway.h"
#include "cli/process.h"
#include "cli/spawned_duetd.h"
#include "core/verification.h"
#include "pdf/pdf_verifier.h"
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
  // --pdf FILE: a PDF sign order too, the result in <out>/signed.pdf (docs/pdf.md "Sign orders").
  std::string pdf_file;
  std::string pdf_keyword;  // the seal on this text; empty: page 1 at (40, 40), 120 × 80 pt
  // --gateway: the PDF through a spawned duet-gateway (docs/gateway.md) instead of duetd.
  bool gateway = false;
  std::string gateway_bin;
};

void step(int n, const std::string& actor, const std::string& what, const std::string& result) {
  std::ostringstream line;
  line << std::setw(2) << n << ". " << std::left << std::setw(10) << (actor + ":") << std::setw(30) << what << result;
  std::cout << line.str() << std::endl;
}

// A duetd on a fresh data directory, stopped (and the directory removed) at
// the end; with --keep-data DIR the directory is DIR (created with mode 0700
// if missing) and is left there, with duetd's log (stdout and stderr, the
// access log included) in DIR/duetd.log.
class SpawnedServer {
 public:
  explicit SpawnedServer(const DemoOptions& o) {
    if (o.keep_data.empty()) {
      // The data directory one level down, so that duetd's audit witness
      // (beside the data directory, docs/audit.md) goes with the temp dir.
      tmp_ = std::make_unique<TempDir>("duet-demo-server-");
      dir_ = tmp_->path() + "/data";
      std::error_code ec;
      fs::create_directory(dir_, ec);
      if (ec) fail("cannot create " + dir_ + ": " + ec.message());
      fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
    } else {
      std::error_code ec;
      dir_ = fs::absolute(o.keep_data, ec).string();
      if (ec) fail("--keep-data " + o.keep_data + ": " + ec.message());
      const bool created = fs::create_directories(dir_, ec);
      if (ec) fail("cannot create " + dir_ + ": " + ec.message());
      // Only a directory made here is narrowed: an existing one (the user's,
      // or /tmp itself) keeps its mode.
      if (created) fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
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

// Runs an openssl command for demo step `n` and prints its answer as the
// step's result; fails unless it exits 0 and says `ok_text`.
void openssl_step(int n, const std::string& what, const std::vector<std::string>& argv, const std::string& ok_text,
                  const std::string& failure) {
  ProcessResult r = run_process(argv);
  std::string verdict = r.output;
  while (!verdict.empty() && (verdict.back() == '\n' || verdict.back() == '\r')) verdict.pop_back();
  step(n, "openssl", what, verdict);
  if (r.exit_status != 0 || r.output.find(ok_text) == std::string::npos) {
    fail("openssl did not verify " + failure + " (exit " + std::to_string(r.exit_status) + ")");
  }
}

// The certificates of a PEM chain file as trust for core::verify_signature:
// self-signed ones as roots, the others as intermediates.
core::VerifyTrust read_trust_chain(const std::string& chain_path) {
  core::VerifyTrust trust;
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
  return trust;
}

// The files the demo writes, in --out or a temporary directory.
struct DemoFiles {
  explicit DemoFiles(const std::string& out)
      : message(out + "/message"),
        signature(out + "/signature.der"),
        public_key(out + "/public.pem"),
        holder_cert(out + "/holder.pem"),
        chain(out + "/ca-chain.pem"),
        p7s(out + "/signature.p7s") {}
  std::string message, signature, public_key, holder_cert, chain, p7s;
};

// What the operator and the business system set up for the holder (steps 1-4).
struct DemoHolder {
  AppCredential cred;
  std::string holder_id;
  std::string activation_code;
};

// 1-2. Operator: tenant and app (sandbox credentials work at once).
// 3-4. Business system: holder and activation code.
DemoHolder create_demo_holder(const DemoOptions& o, const ServerOptions& server, const std::string& admin_token_file) {
  AdminClient admin(server, read_secret_file(admin_token_file));
  json tenant = admin.create_tenant("demo " + utc_timestamp(), std::nullopt);
  std::string tenant_id = json_string(tenant, "tenant_id", "create tenant");
  step(1, "operator", "create tenant", tenant_id);
  json app = admin.create_app(tenant_id);
  if (!app.contains("sandbox") || !app["sandbox"].is_object()) fail("create app: the answer has no sandbox credential");
  DemoHolder h;
  h.cred = {json_string(app["sandbox"], "app_id", "create app"), json_string(app["sandbox"], "secret", "create app")};
  step(2, "operator", "create app", "sandbox " + h.cred.app_id + " (secret kept in memory, not shown)");

  BusinessClient business(server, h.cred);
  json holder = business.create_holder(o.holder_name, o.id_number, o.phone);
  h.holder_id = json_string(holder, "holder_id", "create holder");
  // The service answers masked values only (张*, 1101**********1234, 138****5678).
  step(3, "business", "create holder", h.holder_id + " (" + holder.value("name", "") + ", " +
                                           holder.value("id_number", "") + ", " + holder.value("phone", "") + ")");
  json code = business.issue_activation_code(h.holder_id);
  h.activation_code = json_string(code, "code", "issue activation code");
  step(4, "business", "issue activation code",
       code.value("code_id", "") + " (one-time, shown to the holder only; expires " +
           std::to_string(code.value("expires_at", int64_t{0})) + ")");
  return h;
}

// 5. Holder: enrollment. 6. Its certificate (PKCS#10 co-signed with the PIN).
// 7. openssl checks the certificate. Returns the device's public key (hex).
std::string enroll_with_certificate(HolderDevice& device, const DemoOptions& o, const DemoHolder& h,
                                    const DemoFiles& files) {
  // The holder accepts the subscriber agreement and the identity-check
  // consent in the app, sent with the activation (docs/consent.md).
  device.enroll(h.holder_id, h.activation_code, o.pin, o.kdf_iterations, /*force=*/false, /*otp=*/"",
                /*accept_agreements=*/true);
  std::string device_key = device.public_key_hex();
  step(5, "holder", "accept agreements, enroll (2-party keygen)", "P = " + device_key.substr(0, 24) + "...");

  json cert = device.obtain_certificate(o.pin);
  write_file(files.holder_cert, json_string(cert, "certificate_pem", "get certificate"));
  write_file(files.chain, json_string(cert, "chain_pem", "get certificate"));
  step(6, "holder", "certificate (co-signed CSR)", "serial " + cert.value("serial", "?"));
  // OpenSSL 3.0 applies -vfyopt distid to the leaf only: check the leaf's
  // signature against the issuing CA (the first certificate of the chain file).
  openssl_step(7, "verify holder.pem",
               {"openssl", "verify", "-partial_chain", "-CAfile", files.chain, "-vfyopt", "distid:1234567812345678",
                files.holder_cert},
               ": OK", "the holder certificate");
  return device_key;
}

// The signature of the first item of a signed order, from the business
// system's GET; fails when the order is not signed or has no items.
Bytes fetch_signature(BusinessClient& business, const std::string& order_id, const std::string& what,
                      const std::string& signature_what) {
  json order = business.get_order(order_id);
  std::string state = order.value("state", "?");
  if (state != "signed") fail("order " + order_id + " is " + state + ", not signed");
  if (!order.contains("items") || !order["items"].is_array() || order["items"].empty() ||
      !order["items"][0].is_object()) {
    fail("order " + order_id + ": no items in the answer");
  }
  return unwrap(from_hex(json_string(order["items"][0], "signature", what)), signature_what);
}

// 8-12. An order over the message with DER output: pending on the device,
// signed with the PIN, fetched by the business system, checked by openssl.
void sign_der_order(BusinessClient& business, HolderDevice& device, const DemoOptions& o, const json& order_request,
                    size_t message_size, const std::string& device_key, const DemoFiles& files) {
  const std::string holder_id = order_request["holder_id"];
  json order = business.create_order(order_request, "demo-" + random_hex(8));
  std::string order_id = json_string(order, "order_id", "create order");
  step(8, "business", "create order", order_id + " over " + std::to_string(message_size) + " bytes, output der");

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

  // The device checks e itself before it signs.
  SignOutcome signed_ = device.sign(order_id, o.pin);
  step(10, "holder", "sign with the PIN",
       "state " + signed_.finish_response.value("state", "?") +
           (signed_.attempts_left >= 0 ? " (attempts left " + std::to_string(signed_.attempts_left) + ")" : ""));

  Bytes der = fetch_signature(business, order_id, "get order", "signature");
  write_file(files.signature, der);
  json holder_after = business.get_holder(holder_id);
  crypto::Point pub =
      unwrap(crypto::Point::from_hex(json_string(holder_after, "public_key", "get holder")), "public key");
  if (pub.to_hex() != device_key) fail("the service's public key for " + holder_id + " is not the device's");
  write_file(files.public_key, unwrap(crypto::public_key_spki_pem(pub), "public key PEM"));
  bool same = !signed_.signatures_der.empty() && signed_.signatures_der.front() == der;
  step(11, "business", "fetch order", "state signed, " + std::to_string(der.size()) + "-byte DER signature" +
                                         (same ? " (= the device's)" : ""));

  // An independent verifier: the openssl command line.
  openssl_step(12, "dgst -sm3 -verify",
               {"openssl", "dgst", "-sm3", "-verify", files.public_key, "-sigopt", "distid:1234567812345678",
                "-signature", files.signature, files.message},
               "Verified OK", "the signature");
}

// 13. The same message as a detached CMS SignedData (signed attributes, the
// holder's certificate), co-signed like any order. 14. Verified here against
// the CA chain (OpenSSL 3.0's cms -verify cannot take the SM2 ID).
void sign_cms_order(BusinessClient& business, HolderDevice& device, const DemoOptions& o, json cms_request,
                    const std::string& message, const DemoFiles& files) {
  cms_request["output"] = "cms-detached";
  json cms_order = business.create_order(cms_request, "demo-" + random_hex(8));
  std::string cms_order_id = json_string(cms_order, "order_id", "create CMS order");
  device.sign(cms_order_id, o.pin);
  Bytes p7s = fetch_signature(business, cms_order_id, "get CMS order", "CMS signature");
  write_file(files.p7s, p7s);
  step(13, "holder", "sign a cms-detached order",
       cms_order_id + ": " + std::to_string(p7s.size()) + "-byte SignedData");

  core::VerifyRequest vin;
  vin.data = Bytes(message.begin(), message.end());
  vin.signature = p7s;
  vin.format = "cms";
  core::VerifyOutcome cv = unwrap(core::verify_signature(vin, read_trust_chain(files.chain)), "verify CMS");
  step(14, "verifier", "verify signature.p7s", cv.valid ? "valid, signer " + cv.signer_serial.value_or("?") +
                                                              ", chain ok"
                                                        : "NOT valid: " + (cv.reasons.empty() ? std::string("?")
                                                                                               : cv.reasons[0]));
  if (!cv.valid) fail("the CMS signature does not verify");
}

// 15-17. The PDF (--pdf): a sign order with output pdf, the pages previewed
// and co-signed by the device, the signed PDF fetched into <out>/signed.pdf
// and verified here (src/pdf's verifier against the CA chain).
// 17. signed.pdf written to <out> and verified here (src/pdf's verifier
// against the CA chain).
void keep_signed_pdf(const Bytes& signed_pdf, const std::string& out, const DemoFiles& files) {
  const std::string signed_path = out + "/signed.pdf";
  write_file(signed_path, signed_pdf);
  core::VerifyTrust trust = read_trust_chain(files.chain);
  pki::CmsTrust cms_trust;
  cms_trust.intermediates = trust.intermediates;
  cms_trust.roots = trust.roots;
  pdf::PdfVerification v = unwrap(pdf::verify_pdf(signed_pdf, cms_trust), "verify signed.pdf");
  if (!v.ok()) fail("signed.pdf does not verify:\n" + pdf::verification_text(v));
  step(17, "verifier", "verify signed.pdf",
       "valid, " + std::to_string(v.signatures.size()) + " signature(s), " + std::to_string(signed_pdf.size()) +
           " bytes: " + signed_path);
}

void sign_pdf_order(BusinessClient& business, HolderDevice& device, const DemoOptions& o, const std::string& holder_id,
                    const std::string& out, const DemoFiles& files) {
  std::string pdf = read_file(o.pdf_file);
  json where = o.pdf_keyword.empty()
                   ? json{{"page", 1}, {"x", 40}, {"y", 40}, {"width", 120}, {"height", 80}}
                   : json{{"keyword", o.pdf_keyword}, {"width", 120}, {"height", 80}};
  json request = {{"holder_id", holder_id},
                  {"title", "Duet demo PDF"},
                  {"display_text", "Sign " + fs::path(o.pdf_file).filename().string()},
                  {"output", "pdf"},
                  {"pdf_base64", encode_base64(as_bytes(pdf))},
                  {"placements", json::array({where})}};
  json order = business.create_order(request, "demo-" + random_hex(8));
  std::string order_id = json_string(order, "order_id", "create PDF order");
  step(15, "business", "create PDF order", order_id + " over " + std::to_string(pdf.size()) + " bytes");
  device.sign(order_id, o.pin);
  step(16, "holder", "preview pages, sign", order_id + " signed");
  auto r = business.call("GET", "/api/v1/orders/" + order_id + "/pdf");
  if (r.status != 200) fail("fetch the signed PDF: " + describe_error_response(r), kExitServer);
  keep_signed_pdf(Bytes(r.body.begin(), r.body.end()), out, files);
}

void print_checks(const DemoFiles& files) {
  std::cout << "wrote " << files.message << ", " << files.signature << ", " << files.public_key << ", "
            << files.holder_cert << ", " << files.chain << ", " << files.p7s << "\n"
            << "check: openssl cms -cmsout -print -inform DER -in " << files.p7s << "\n"
            << "check: duet verify --data " << files.message << " --signature " << files.p7s << " --chain "
            << files.chain << "\n"
            << "check: openssl dgst -sm3 -verify " << files.public_key
            << " -sigopt distid:1234567812345678 -signature " << files.signature << " " << files.message << "\n"
            << "check: openssl verify -partial_chain -CAfile " << files.chain
            << " -vfyopt distid:1234567812345678 " << files.holder_cert << "\n";
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
  const DemoFiles files(out);
  std::string message = o.message_file.empty()
                            ? "Duet demo: one SM2 signature from two parties, " + utc_timestamp() + "\n"
                            : read_file(o.message_file);
  write_file(files.message, message);

  DemoHolder holder = create_demo_holder(o, server, admin_token_file);
  BusinessClient business(server, holder.cred);
  TempDir device_dir("duet-demo-holder-");  // the device state, gone after the demo
  HolderDevice device(server, device_dir.path() + "/state");
  std::string device_key = enroll_with_certificate(device, o, holder, files);

  json order_request = {{"holder_id", holder.holder_id},
                        {"title", "Duet demo"},
                        {"display_text", "Sign the demo message (" + std::to_string(message.size()) + " bytes)"},
                        {"output", "der"},
                        {"data_base64", encode_base64(as_bytes(message))}};
  sign_der_order(business, device, o, order_request, message.size(), device_key, files);
  sign_cms_order(business, device, o, order_request, message, files);
  if (!o.pdf_file.empty() && o.gateway) {
    GatewayDemo d{o.gateway_bin, server, holder.cred, holder.holder_id, o.holder_name, o.pdf_file, o.pdf_keyword, o.pin};
    keep_signed_pdf(sign_pdf_through_gateway(d, device), out, files);
  } else if (!o.pdf_file.empty()) {
    sign_pdf_order(business, device, o, holder.holder_id, out, files);
  }
  if (!o.out_dir.empty()) print_checks(files);
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
  demo->add_option("--pdf", o->pdf_file,
                   "Also sign this PDF with the holder's seal (a PDF sign order); the result is DIR/signed.pdf. "
                   "Without --server, duetd is spawned")
      ->check(CLI::ExistingFile);
  demo->add_option("--pdf-keyword", o->pdf_keyword, "--pdf: put the seal on this text (default: page 1, lower left)");
  demo->add_flag("--gateway", o->gateway,
                 "--pdf: sign through a spawned duet-gateway (hybrid cloud: the document stays with the gateway, "
                 "only its digest goes to duetd; docs/gateway.md)");
  demo->add_option("--gateway-bin", o->gateway_bin, "--gateway: the duet-gateway binary (default: beside duet)");
  demo->callback([o] {
    run_guarded("demo", [&] {
      if (o->gateway && o->pdf_file.empty()) fail("--gateway needs --pdf FILE");
      if (!o->pdf_file.empty() && o->server.server.empty()) o->spawn = true;
      if (!o->keep_data.empty() && !o->spawn) fail("--keep-data needs --spawn");
      if (o->spawn) {
        SpawnedServer server(*o);
        try {
          run_demo(*o, server.options(), server.admin_token_file());
        } catch (const CliError& e) {
          throw CliError(e.what() + server.log_tail(), e.exit_code());
        }
      } else {
        run_demo(*o,
                 running_server(o->server, o->admin_token_file,
                                "give --server URL --admin-token-file FILE [--ca FILE], or --spawn"),
                 o->admin_token_file);
      }
      std::cout << "demo OK" << std::endl;
    });
  });
}

}  // namespace duet::cli
