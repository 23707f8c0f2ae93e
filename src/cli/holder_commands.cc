#include "cli/holder_commands.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/cli_common.h"
#include "cli/clients.h"

namespace duet::cli {
namespace {

struct HolderOptions {
  ServerOptions server;
  std::string state_file;

  std::string holder_id;
  std::string uri;
  std::string code;
  std::string otp;
  std::string pin;
  uint32_t kdf_iterations = 100'000;
  bool force = false;
  bool no_certificate = false;
  bool accept_agreements = false;
  bool request_certificate = false;
  std::string order_id;
  std::string signature_out;
  std::string pages_dir;
  std::string new_pin;
  std::string move_to;
  bool resume = false;
  bool acknowledge = false;
  std::string handwriting_file;
};

HolderDevice device(const HolderOptions& o) { return HolderDevice(o.server, o.state_file); }

// The value of `key` in the query of an activation link
// (duet://activate?code=C&holder=H&server=S); empty when absent.
std::string activation_link_param(const std::string& uri, const std::string& key) {
  auto q = uri.find('?');
  if (q == std::string::npos) return "";
  std::string query = uri.substr(q + 1);
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return "";
}

// `holder enroll`: two-party key generation, then (unless --no-certificate) a
// certificate co-signed with the PIN, written next to the state file.
json run_enroll(HolderOptions& o) {
  if (!o.uri.empty()) {  // take code and holder from the link unless given explicitly
    if (o.code.empty()) o.code = activation_link_param(o.uri, "code");
    if (o.holder_id.empty()) o.holder_id = activation_link_param(o.uri, "holder");
  }
  if (o.code.empty() || o.holder_id.empty()) {
    throw CLI::ValidationError("holder enroll", "give --uri, or both --code and --holder-id");
  }
  HolderDevice d = device(o);
  json answer = d.enroll(o.holder_id, o.code, o.pin, o.kdf_iterations, o.force, o.otp, o.accept_agreements);
  if (!o.no_certificate) {
    // Enrollment ends with a certificate: a PKCS#10 request co-signed with the PIN.
    json cert = d.obtain_certificate(o.pin);
    std::string cert_path = o.state_file + ".cert.pem";
    std::string chain_path = o.state_file + ".chain.pem";
    write_file(cert_path, cert["certificate_pem"].get<std::string>());
    write_file(chain_path, cert["chain_pem"].get<std::string>());
    answer["certificate"] = {{"cert_id", cert.value("cert_id", "")},
                             {"serial", cert.value("serial", "")},
                             {"not_after", cert.value("not_after", int64_t{0})},
                             {"certificate_file", cert_path},
                             {"chain_file", chain_path}};
  }
  return answer;
}

// `holder change-pin` and `holder refresh`.
void add_refresh_commands(CLI::App& holder, const std::shared_ptr<HolderOptions>& o) {
  // A PIN change is a share refresh with the new PIN (never a local re-wrap:
  // two wraps of one share under two PINs could be tested offline).
  auto* change_pin = holder.add_subcommand(
      "change-pin", "Change the PIN: a share refresh whose new state is wrapped under the new PIN (the old PIN is "
                    "checked by the service and counts as an attempt)");
  change_pin->add_option("--pin", o->pin, "The current PIN")->required();
  change_pin->add_option("--new-pin", o->new_pin, "The new PIN (4 to 64 bytes)")->required();
  change_pin->add_option("--kdf-iterations", o->kdf_iterations, "PBKDF2-HMAC-SM3 iterations wrapping the new share")
      ->check(CLI::Range(1000u, 100000000u));
  change_pin->callback([o] {
    run_guarded("holder change-pin", [&] {
      if (o->new_pin == o->pin) throw CLI::ValidationError("holder change-pin", "--new-pin equals --pin");
      RefreshOptions r{.pin = o->pin, .new_pin = o->new_pin, .kdf_iterations = o->kdf_iterations, .move_to = {}};
      print_json(device(*o).refresh(r));
    });
  });

  auto* refresh = holder.add_subcommand(
      "refresh", "Share refresh: new shares for the same key (after an unlock, or to move to a new device with "
                 "--move-to); --resume finishes one that was interrupted");
  refresh->add_option("--pin", o->pin, "The PIN (with --resume: the PIN of the new state, i.e. the new PIN)");
  refresh->add_option("--new-pin", o->new_pin, "Wrap the new state under this PIN instead (a PIN change)");
  refresh->add_option("--move-to", o->move_to,
                      "Write the new state (and its token) to this state file, for a new device, and erase the old "
                      "one");
  refresh->add_option("--kdf-iterations", o->kdf_iterations, "PBKDF2-HMAC-SM3 iterations wrapping the new share")
      ->check(CLI::Range(1000u, 100000000u));
  refresh->add_flag("--resume", o->resume, "Finish the pending refresh: confirm it again (needs --pin)");
  refresh->add_flag("--acknowledge", o->acknowledge,
                    "Mark the pending refresh done without asking the service (its answer was lost after the new "
                    "token was saved)");
  refresh->callback([o] {
    run_guarded("holder refresh", [&] {
      HolderDevice d = device(*o);
      if (o->acknowledge) {
        print_json(d.acknowledge_refresh());
        return;
      }
      if (o->pin.empty()) throw CLI::ValidationError("holder refresh", "--pin is required");
      if (o->resume) {
        print_json(d.resume_refresh(o->pin));
        return;
      }
      RefreshOptions r{.pin = o->pin, .new_pin = o->new_pin, .kdf_iterations = o->kdf_iterations,
                       .move_to = o->move_to};
      print_json(d.refresh(r));
    });
  });
}

// `holder certificate`: show it, or request one with the PIN; written next to the state file.
void add_certificate_command(CLI::App& holder, const std::shared_ptr<HolderOptions>& o) {
  auto* certificate = holder.add_subcommand(
      "certificate", "Show the holder's certificate; with --request, request one and co-sign it with the PIN");
  certificate->add_flag("--request", o->request_certificate, "Request a certificate for the key (needs --pin)");
  certificate->add_option("--pin", o->pin, "The PIN (with --request)");
  certificate->callback([o] {
    run_guarded("holder certificate", [&] {
      HolderDevice d = device(*o);
      json cert;
      if (o->request_certificate) {
        if (o->pin.empty()) throw CLI::ValidationError("holder certificate", "--request needs --pin");
        cert = d.obtain_certificate(o->pin);
      } else {
        cert = d.certificate();
      }
      write_file(o->state_file + ".cert.pem", cert.value("certificate_pem", ""));
      write_file(o->state_file + ".chain.pem", cert.value("chain_pem", ""));
      cert["certificate_file"] = o->state_file + ".cert.pem";
      cert["chain_file"] = o->state_file + ".chain.pem";
      print_json(cert);
    });
  });
}

}  // namespace

void add_holder_commands(CLI::App& app) {
  auto o = std::make_shared<HolderOptions>();
  auto* holder = app.add_subcommand("holder", "A holder device: enroll, list, check, sign or reject orders (/app/v1)");
  holder->require_subcommand(1);
  holder->fallthrough();
  add_server_options(*holder, o->server);
  holder->add_option("--state", o->state_file,
                     "Device state file (the PIN-wrapped key share); the device token is kept in FILE.token")
      ->required();

  auto* enroll = holder->add_subcommand("enroll", "Redeem an activation code: two-party key generation");
  enroll->add_option("--uri", o->uri, "The activation link (duet://activate?code=…&holder=…), e.g. from the QR code");
  enroll->add_option("--holder-id", o->holder_id,
                     "The holder id the code was issued for (bound into the key-generation proofs)");
  enroll->add_option("--code", o->code, "Activation code, e.g. ABCD-EFGH-JKMN");
  enroll->add_option("--otp", o->otp, "The 6-digit one-time code sent by SMS (when the app requires one)");
  enroll->add_option("--pin", o->pin, "New PIN (4 to 64 bytes); never stored or sent")->required();
  enroll->add_option("--kdf-iterations", o->kdf_iterations, "PBKDF2-HMAC-SM3 iterations wrapping the share")
      ->check(CLI::Range(1000u, 100000000u));
  enroll->add_flag("--accept-agreements", o->accept_agreements,
                   "The holder accepts the current subscriber agreement and identity-check consent "
                   "(`duet holder agreements` shows them); needed unless the business system attested them");
  enroll->add_flag("--force", o->force, "Replace an enrollment already in the state file");
  enroll->add_flag("--no-certificate", o->no_certificate,
                   "Stop after key generation (no certificate request; `duet holder certificate` later)");
  enroll->callback([o] { run_guarded("holder enroll", [&] { print_json(run_enroll(*o)); }); });

  auto* agreements = holder->add_subcommand("agreements", "Show the agreement texts a holder accepts (versions, SM3)");
  agreements->callback([o] { run_guarded("holder agreements", [&] { print_json(device(*o).agreements()); }); });

  auto* orders = holder->add_subcommand("orders", "List pending orders");
  orders->callback([o] { run_guarded("holder orders", [&] { print_json(device(*o).pending_orders()); }); });

  auto* show = holder->add_subcommand("show", "Show what an order asks to sign");
  show->add_option("ORDER", o->order_id, "Order id")->required();
  show->callback([o] { run_guarded("holder show", [&] { print_json(device(*o).order(o->order_id)); }); });

  auto* sign = holder->add_subcommand("sign", "Check the order's digests, then co-sign it with the PIN");
  sign->add_option("ORDER", o->order_id, "Order id")->required();
  sign->add_option("--pin", o->pin, "The PIN")->required();
  sign->add_option("--signature-out", o->signature_out, "Write the first item's signature (DER) to FILE");
  sign->add_option("--pages-dir", o->pages_dir,
                   "PDF orders: save the PNG of each stamped page here (they are always fetched and checked)");
  sign->callback([o] {
    run_guarded("holder sign", [&] {
      HolderDevice d = device(*o);
      d.set_preview_dir(o->pages_dir);
      SignOutcome out = d.sign(o->order_id, o->pin);
      json j = out.finish_response;
      if (out.attempts_left >= 0) j["attempts_left"] = out.attempts_left;
      json sigs = json::array();
      for (const Bytes& s : out.signatures_der) sigs.push_back(to_hex(s));
      j["signatures_der"] = sigs;
      print_json(j);
      if (!o->signature_out.empty() && !out.signatures_der.empty()) {
        write_file(o->signature_out, out.signatures_der.front());
      }
    });
  });

  add_refresh_commands(*holder, o);
  add_certificate_command(*holder, o);

  auto* revoke = holder->add_subcommand("revoke", "Revoke this holder's certificate and key (lost device)");
  revoke->callback([o] {
    run_guarded("holder revoke", [&] { print_json(device(*o).revoke_certificate()); });
  });

  auto* hw = holder->add_subcommand("handwriting",
                                    "The handwritten-signature image PDF orders can show (PNG with transparency)");
  hw->require_subcommand(1);
  auto* hw_set = hw->add_subcommand("set", "Upload FILE (PNG), replacing the image kept before");
  hw_set->add_option("FILE", o->handwriting_file, "The PNG")->required()->check(CLI::ExistingFile);
  hw_set->add_option("--pin", o->pin, "The PIN (checked by the service, counted like a signature's)")->required();
  hw_set->callback([o] {
    run_guarded("holder handwriting set", [&] {
      print_json(device(*o).put_handwriting(as_bytes(read_file(o->handwriting_file)), o->pin));
    });
  });
  auto* hw_get = hw->add_subcommand("get", "Save the kept image (the service's normalised PNG) to FILE");
  hw_get->add_option("--out", o->handwriting_file, "Where to write the PNG")->required();
  hw_get->add_option("--pin", o->pin, "The PIN (checked by the service, counted like a signature's)")->required();
  hw_get->callback([o] {
    run_guarded("holder handwriting get", [&] {
      Bytes png = device(*o).get_handwriting(o->pin);
      write_file(o->handwriting_file, png);
      print_json(json{{"file", o->handwriting_file}, {"bytes", png.size()}});
    });
  });
  auto* hw_delete = hw->add_subcommand("delete", "Delete the kept image");
  hw_delete->add_option("--pin", o->pin, "The PIN (checked by the service, counted like a signature's)")->required();
  hw_delete->callback([o] {
    run_guarded("holder handwriting delete", [&] {
      device(*o).delete_handwriting(o->pin);
      print_json(json{{"deleted", true}});
    });
  });

  auto* reject = holder->add_subcommand("reject", "Decline to sign an order");
  reject->add_option("ORDER", o->order_id, "Order id")->required();
  reject->callback([o] { run_guarded("holder reject", [&] { print_json(device(*o).reject(o->order_id)); }); });
}

}  // namespace duet::cli
