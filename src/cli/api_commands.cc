#include "cli/api_commands.h"

#include <ctime>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/api_profile.h"
#include "cli/cli_common.h"
#include "cli/clients.h"

namespace duet::cli {
namespace {

struct ApiOptions {
  ServerOptions server;
  std::string app_id;
  std::string secret_file;
  std::string profile;

  // generic call
  std::string method;
  std::string path;
  std::string body;
  std::string idempotency_key;
  std::string output_file;

  // convenience
  std::string id;
  std::string name;
  std::string id_type;
  std::string id_number;
  std::string phone;
  std::string qr_png;
  std::string qr_svg;
  std::string holder_id;
  std::string title;
  std::string display_text;
  std::string file;
  std::string digest;
  std::string output = "raw";
  // --pdf orders (docs/pdf.md "Sign orders")
  std::vector<std::string> pdf_files;  // one: pdf_base64; several: a batch (documents)
  int page = 0;
  std::vector<double> rect;     // x,y,width,height
  std::string keyword;
  bool every = false;
  std::vector<double> offset;   // dx,dy
  std::vector<double> size;     // width,height
  std::string sub_filter;
  std::string signer_name;      // --pdf through duet-gateway: the name on the stamp
  std::string appearance;
  bool certify = false;
  int certify_permissions = 0;
  int document = 0;             // `order pdf --document`
  std::string callback;
  int64_t expires_in = 0;
  std::string state;
  std::string cursor;
  int limit = 0;
  std::string signature_out;
  std::string format = "png";
  bool attest_consent = false;  // the business system attests the holder's acceptance of the current texts
};

BusinessClient connect(const ApiOptions& o) {
  ApiTarget target = resolve_api_target(o.server, o.app_id, o.secret_file, o.profile);
  return BusinessClient(std::move(target.server), std::move(target.credential));
}

// Prints the JSON answer; a non-2xx answer fails with the server's error (exit 3).
void print_answer(const httpclient::HttpResponse& r, std::string_view what) {
  print_json(expect_json(r, {200, 201}, what));
}

std::string holder_path(const std::string& id) { return "/api/v1/holders/" + url_encode(id); }
std::string order_path(const std::string& id) { return "/api/v1/orders/" + url_encode(id); }

std::string with_query(std::string path, const std::vector<std::pair<std::string, std::string>>& params) {
  char sep = '?';
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    path += sep;
    path += k + "=" + url_encode(v);
    sep = '&';
  }
  return path;
}

void generic_call(const ApiOptions& o) {
  if (o.method.empty() || o.path.empty()) fail("give METHOD PATH (e.g. GET /api/v1/holders) or a subcommand");
  std::string method = o.method;
  for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string body = o.body;
  if (!body.empty() && body[0] == '@') body = read_file(body.substr(1));
  BusinessClient client = connect(o);
  auto r = client.call(method, o.path, body, o.idempotency_key);
  std::cout << "HTTP " << r.status << "\n";
  if (!o.output_file.empty()) {
    write_file(o.output_file, as_bytes(r.body));
    std::cout << "(" << r.body.size() << " bytes written to " << o.output_file << ")\n";
  } else {
    json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) {
      print_json(j);
    } else if (!r.body.empty()) {
      std::cout << r.body << (r.body.back() == '\n' ? "" : "\n");
    }
  }
  if (r.status < 200 || r.status >= 300) throw CliError(describe_error_response(r), kExitServer);
}

void add_holder_commands_to(CLI::App& api, const std::shared_ptr<ApiOptions>& o) {
  auto* holder = api.add_subcommand("holder", "Holders (natural persons)");
  holder->require_subcommand(1);
  holder->fallthrough();

  auto* create = holder->add_subcommand("create", "Create a holder; identity attested by the business system or checked by the identity source (the app's identity_mode)");
  create->add_option("--name", o->name, "Full name")->required();
  create->add_option("--id-number", o->id_number, "ID number")->required();
  create->add_option("--phone", o->phone, "Mobile phone number (needed only when the app sends an SMS one-time code)");
  create->add_option("--id-type", o->id_type, "ID type (default resident_id)");
  create->add_option("--idempotency-key", o->idempotency_key, "Idempotency-Key header");
  create->add_flag("--attest-consent", o->attest_consent,
                   "Attest that the holder accepted the current agreement texts in the business system now "
                   "(docs/consent.md; required by identity_source apps)");
  create->callback([o] {
    run_guarded("api holder create", [&] {
      json body = {{"name", o->name}, {"id_number", o->id_number}};
      if (!o->phone.empty()) body["phone"] = o->phone;
      if (!o->id_type.empty()) body["id_type"] = o->id_type;
      BusinessClient client = connect(*o);
      if (o->attest_consent) {
        body["consents"] = consents_from_agreements(client.call("GET", "/app/v1/agreements"),
                                                    static_cast<int64_t>(std::time(nullptr)));
      }
      print_answer(client.call("POST", "/api/v1/holders", body.dump(), o->idempotency_key), "create holder");
    });
  });

  auto* list = holder->add_subcommand("list", "List holders");
  list->add_option("--cursor", o->cursor, "Page cursor (next_cursor of the previous page)");
  list->add_option("--limit", o->limit, "Page size (1-200)")->check(CLI::Range(1, 200));
  list->callback([o] {
    run_guarded("api holder list", [&] {
      BusinessClient client = connect(*o);
      std::string path = with_query("/api/v1/holders",
                                    {{"cursor", o->cursor}, {"limit", o->limit ? std::to_string(o->limit) : ""}});
      print_answer(client.call("GET", path), "list holders");
    });
  });

  auto* get = holder->add_subcommand("get", "Show a holder (personal data masked)");
  get->add_option("ID", o->id, "Holder id")->required();
  get->callback([o] {
    run_guarded("api holder get", [&] {
      BusinessClient client = connect(*o);
      print_answer(client.call("GET", holder_path(o->id)), "get holder");
    });
  });

  auto* consents = holder->add_subcommand("consents", "Show the holder's recorded acceptances of the agreement texts");
  consents->add_option("ID", o->id, "Holder id")->required();
  consents->add_flag("--attest", o->attest_consent,
                     "First attest that the holder accepted the current texts in the business system now");
  consents->callback([o] {
    run_guarded("api holder consents", [&] {
      BusinessClient client = connect(*o);
      if (!o->attest_consent) return print_answer(client.call("GET", holder_path(o->id) + "/consents"), "consents");
      json body = {{"consents", consents_from_agreements(client.call("GET", "/app/v1/agreements"),
                                                         static_cast<int64_t>(std::time(nullptr)))}};
      print_answer(client.call("POST", holder_path(o->id) + "/consents", body.dump()), "record consents");
    });
  });

  // docs/privacy.md: destroys the holder's data key and revokes its
  // certificates; prints the purge record (the same one when run again).
  auto* erase = holder->add_subcommand("erase", "Erase a holder: data key destroyed, certificates revoked");
  erase->add_option("ID", o->id, "Holder id")->required();
  erase->callback([o] {
    run_guarded("api holder erase", [&] {
      BusinessClient client = connect(*o);
      print_answer(client.call("DELETE", holder_path(o->id)), "erase holder");
    });
  });

  for (const char* verb : {"lock", "unlock"}) {
    std::string v = verb;
    auto* cmd = holder->add_subcommand(v, v == "lock" ? "Lock a holder's key" : "Unlock a holder's key");
    cmd->add_option("ID", o->id, "Holder id")->required();
    cmd->callback([o, v] {
      run_guarded("api holder " + v, [&] {
        BusinessClient client = connect(*o);
        print_answer(client.call("POST", holder_path(o->id) + "/" + v), v + " holder");
      });
    });
  }
}

void add_order_commands_to(CLI::App& api, const std::shared_ptr<ApiOptions>& o) {
  auto* order = api.add_subcommand("order", "Sign orders");
  order->require_subcommand(1);
  order->fallthrough();

  auto* create = order->add_subcommand("create", "Create a sign order over a file or a digest");
  create->add_option("--holder", o->holder_id, "Holder id")->required();
  create->add_option("--title", o->title, "Title shown to the holder")->required();
  create->add_option("--display-text", o->display_text, "Text shown to the holder");
  auto* file = create->add_option("--file", o->file, "The data to sign (sent as data_base64)")->check(CLI::ExistingFile);
  auto* digest = create->add_option("--digest", o->digest, "e = SM3(Z_A || M) as 64 hex (sent as digest_hex)");
  auto* pdf = create->add_option("--pdf", o->pdf_files,
                                 "A PDF to stamp and sign (output pdf; with --page/--rect or --keyword); repeated: a "
                                 "batch, the same placement on each")
                  ->check(CLI::ExistingFile);
  pdf->excludes(file)->excludes(digest);
  create->add_option("--page", o->page, "--pdf: the page (from 1) of the seal's --rect")->check(CLI::PositiveNumber);
  create->add_option("--rect", o->rect, "--pdf: x,y,width,height in points from the page's lower-left corner")
      ->delimiter(',')->expected(4);
  create->add_option("--keyword", o->keyword, "--pdf: the text the seal is centred on");
  create->add_flag("--every", o->every, "--pdf: a seal on every occurrence of --keyword (default: the first)");
  create->add_option("--offset", o->offset, "--pdf: dx,dy points moving the seal from the keyword")
      ->delimiter(',')->expected(2);
  create->add_option("--size", o->size, "--pdf: width,height of the seal at the keyword")->delimiter(',')->expected(2);
  create->add_option("--sub-filter", o->sub_filter, "--pdf: ETSI.CAdES.detached (default) or adbe.pkcs7.detached");
  create->add_option("--signer-name", o->signer_name,
                     "--pdf through duet-gateway: optional; if given, exactly the CN of the holder's "
                     "certificate (docs/gateway.md)");
  create->add_option("--appearance", o->appearance,
                     "--pdf: name_stamp (default), handwritten or handwritten_or_name_stamp")
      ->check(CLI::IsMember({"name_stamp", "handwritten", "handwritten_or_name_stamp"}));
  auto* certify = create->add_flag("--certify", o->certify, "--pdf: a certification signature (DocMDP; unsigned documents only)");
  create->add_option("--certify-permissions", o->certify_permissions, "--certify: DocMDP P = 1, 2 (default) or 3")
      ->check(CLI::Range(1, 3))
      ->needs(certify);
  create->add_option("--output", o->output, "Signature format")->check(CLI::IsMember({"raw", "der", "cms-detached", "cms-attached", "pdf"}));
  create->add_option("--callback", o->callback, "Callback URL for the final state");
  create->add_option("--expires-in", o->expires_in, "Seconds until the order expires (>= 60)")
      ->check(CLI::Range(int64_t{60}, int64_t{366} * 86400));
  create->add_option("--idempotency-key", o->idempotency_key, "Idempotency-Key header");
  create->callback([o] {
    run_guarded("api order create", [&] {
      json body = {{"holder_id", o->holder_id}, {"title", o->title}, {"output", o->output}};
      if (!o->pdf_files.empty()) {
        body["output"] = "pdf";
        json where;
        if (!o->keyword.empty()) {
          if (o->size.size() != 2) fail("--keyword needs --size width,height");
          where = {{"keyword", o->keyword}, {"occurrence", o->every ? "every" : "first"},
                   {"width", o->size[0]}, {"height", o->size[1]}};
          if (o->offset.size() == 2) where.update({{"offset_x", o->offset[0]}, {"offset_y", o->offset[1]}});
        } else if (o->page > 0 && o->rect.size() == 4) {
          where = {{"page", o->page}, {"x", o->rect[0]}, {"y", o->rect[1]}, {"width", o->rect[2]}, {"height", o->rect[3]}};
        } else {
          fail("--pdf needs --page N --rect x,y,w,h or --keyword TEXT --size w,h");
        }
        if (o->pdf_files.size() == 1) {
          body["pdf_base64"] = encode_base64(as_bytes(read_file(o->pdf_files.front())));
          body["placements"] = json::array({where});
        } else {
          json documents = json::array();
          for (const std::string& f : o->pdf_files)
            documents.push_back({{"pdf_base64", encode_base64(as_bytes(read_file(f)))}, {"placements", json::array({where})}});
          body["documents"] = std::move(documents);
        }
        if (!o->sub_filter.empty()) body["sub_filter"] = o->sub_filter;
        if (!o->signer_name.empty()) body["signer_name"] = o->signer_name;
        if (!o->appearance.empty()) body["appearance"] = o->appearance;
        if (o->certify) body["certify"] = true;
        if (o->certify_permissions != 0) body["certify_permissions"] = o->certify_permissions;
      } else if (!o->file.empty()) {
        body["data_base64"] = encode_base64(as_bytes(read_file(o->file)));
      } else if (!o->digest.empty()) {
        unwrap(from_hex_exact(o->digest, 32), "--digest");
        body["digest_hex"] = o->digest;
      } else {
        fail("give --file, --digest or --pdf");
      }
      if (!o->display_text.empty()) body["display_text"] = o->display_text;
      if (!o->callback.empty()) body["callback_url"] = o->callback;
      if (o->expires_in) body["expires_in"] = o->expires_in;
      BusinessClient client = connect(*o);
      print_answer(client.call("POST", "/api/v1/orders", body.dump(), o->idempotency_key), "create order");
    });
  });

  auto* list = order->add_subcommand("list", "List orders, newest first");
  list->add_option("--holder", o->holder_id, "Only this holder's orders");
  list->add_option("--state", o->state, "Only orders in this state");
  list->add_option("--cursor", o->cursor, "Page cursor");
  list->add_option("--limit", o->limit, "Page size (1-200)")->check(CLI::Range(1, 200));
  list->callback([o] {
    run_guarded("api order list", [&] {
      BusinessClient client = connect(*o);
      std::string path = with_query("/api/v1/orders", {{"holder_id", o->holder_id},
                                                       {"state", o->state},
                                                       {"cursor", o->cursor},
                                                       {"limit", o->limit ? std::to_string(o->limit) : ""}});
      print_answer(client.call("GET", path), "list orders");
    });
  });

  auto* get = order->add_subcommand("get", "Show an order (state and signatures)");
  get->add_option("ID", o->id, "Order id")->required();
  get->add_option("--signature-out", o->signature_out, "Write the first item's signature (binary) to FILE");
  get->callback([o] {
    run_guarded("api order get", [&] {
      BusinessClient client = connect(*o);
      json j = expect_json(client.call("GET", order_path(o->id)), {200}, "get order");
      print_json(j);
      if (!o->signature_out.empty()) {
        const json* sig = nullptr;
        if (j.contains("items") && j["items"].is_array() && !j["items"].empty() && j["items"][0].is_object() &&
            j["items"][0].contains("signature") && j["items"][0]["signature"].is_string()) {
          sig = &j["items"][0]["signature"];
        }
        if (!sig) fail("order " + o->id + " has no signature yet (state " + j.value("state", "?") + ")");
        write_file(o->signature_out, unwrap(from_hex(sig->get<std::string>()), "signature"));
      }
    });
  });

  auto* signed_pdf = order->add_subcommand("pdf", "Save the signed PDF of an order with output pdf");
  signed_pdf->add_option("ID", o->id, "Order id")->required();
  signed_pdf->add_option("--out", o->output_file, "File to write")->required();
  signed_pdf->add_option("--document", o->document, "The document of a batch (from 0)")->check(CLI::NonNegativeNumber);
  signed_pdf->callback([o] {
    run_guarded("api order pdf", [&] {
      BusinessClient client = connect(*o);
      std::string path = order_path(o->id) + "/pdf" + (o->document > 0 ? "?document=" + std::to_string(o->document) : "");
      auto r = client.call("GET", path);
      if (r.status != 200) fail("order pdf: " + describe_error_response(r), kExitServer);
      write_file(o->output_file, as_bytes(r.body));
      std::cout << "wrote " << o->output_file << " (" << r.body.size() << " bytes)\n";
    });
  });

  auto* cancel = order->add_subcommand("cancel", "Cancel a pending order");
  cancel->add_option("ID", o->id, "Order id")->required();
  cancel->callback([o] {
    run_guarded("api order cancel", [&] {
      BusinessClient client = connect(*o);
      print_answer(client.call("POST", order_path(o->id) + "/cancel"), "cancel order");
    });
  });

  auto* qr = order->add_subcommand("qr", "Save the order's duet:// link as a QR code");
  qr->add_option("ID", o->id, "Order id")->required();
  qr->add_option("--out", o->output_file, "Image file to write")->required();
  qr->add_option("--format", o->format, "png or svg")->check(CLI::IsMember({"png", "svg"}));
  qr->callback([o] {
    run_guarded("api order qr", [&] {
      BusinessClient client = connect(*o);
      auto r = client.call("GET", order_path(o->id) + "/qr?format=" + o->format);
      if (r.status != 200) fail("order qr: " + describe_error_response(r), kExitServer);
      write_file(o->output_file, as_bytes(r.body));
      std::cout << "wrote " << o->output_file << " (" << r.body.size() << " bytes)\n";
    });
  });
}

}  // namespace

void add_api_commands(CLI::App& app) {
  auto o = std::make_shared<ApiOptions>();
  auto* api = app.add_subcommand(
      "api", "Business API (/api/v1) with signed requests: METHOD PATH, or a convenience subcommand");
  api->fallthrough();
  add_server_options(*api, o->server, /*server_required=*/false);
  api->add_option("--app-id", o->app_id, "App id (X-Duet-App-Id)");
  api->add_option("--secret-file", o->secret_file, "File with the app secret")->check(CLI::ExistingFile);
  api->add_option("--profile", o->profile,
                  "TOML or JSON file with server, app_id, secret or secret_file, ca (command-line options win)")
      ->check(CLI::ExistingFile);
  api->add_option("METHOD", o->method, "HTTP method of a generic call (GET, POST, ...)");
  api->add_option("PATH", o->path, "Path and query, e.g. /api/v1/orders?state=signed");
  api->add_option("--body", o->body, "Request body: JSON text, or @FILE");
  api->add_option("--idempotency-key", o->idempotency_key, "Idempotency-Key header");
  api->add_option("--output", o->output_file, "Write the raw answer body to FILE instead of printing it");

  add_holder_commands_to(*api, o);
  add_order_commands_to(*api, o);

  auto* code = api->add_subcommand("activation-code", "Issue a one-time activation code for a holder");
  code->add_option("HOLDER_ID", o->id, "Holder id")->required();
  code->add_option("--qr-png", o->qr_png, "Write the QR code as PNG to FILE");
  code->add_option("--qr-svg", o->qr_svg, "Write the QR code as SVG to FILE");
  code->callback([o] {
    run_guarded("api activation-code", [&] {
      BusinessClient client = connect(*o);
      json j = expect_json(client.call("POST", holder_path(o->id) + "/activation-codes"), {201, 200},
                           "issue activation code");
      if (!o->qr_png.empty()) {
        if (!j.contains("qr_png_base64") || !j["qr_png_base64"].is_string()) fail("the answer has no qr_png_base64");
        write_file(o->qr_png, base64_decode(j["qr_png_base64"].get<std::string>()));
      }
      if (!o->qr_svg.empty()) {
        if (!j.contains("qr_svg") || !j["qr_svg"].is_string()) fail("the answer has no qr_svg");
        write_file(o->qr_svg, j["qr_svg"].get<std::string>());
      }
      // The images are long; say where they went instead.
      if (j.contains("qr_png_base64")) j["qr_png_base64"] = o->qr_png.empty() ? "(omitted; --qr-png FILE)" : o->qr_png;
      if (j.contains("qr_svg")) j["qr_svg"] = o->qr_svg.empty() ? "(omitted; --qr-svg FILE)" : o->qr_svg;
      print_json(j);
    });
  });

  api->callback([o, api] {
    if (!api->get_subcommands().empty()) return;
    run_guarded("api", [&] { generic_call(*o); });
  });
}

}  // namespace duet::cli
