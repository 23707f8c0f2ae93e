#include "cli/clients.h"

#include <algorithm>

#include "crypto/sm3.h"

#include <sys/stat.h>

#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

#include "client/holder_client.h"
#include "client/state_store.h"
#include "core/request_signing.h"
#include "cosign/pin.h"
#include "crypto/point.h"
#include "crypto/sm2_evp.h"

namespace duet::cli {

namespace {

std::string seg(const std::string& id) { return url_encode(id); }

}  // namespace

// ---- AdminClient -------------------------------------------------------------

AdminClient::AdminClient(ServerOptions server, std::string token) : conn_(std::move(server)), token_(std::move(token)) {}

httpclient::HttpResponse AdminClient::call(const std::string& method, const std::string& path, const json& body) {
  return conn_.send(method, path, {{"Authorization", "Bearer " + token_}}, body.is_null() ? std::string() : body.dump());
}

httpclient::HttpResponse AdminClient::call_text(const std::string& method, const std::string& path,
                                                const std::string& body) {
  return conn_.send(method, path, {{"Authorization", "Bearer " + token_}}, body);
}

json AdminClient::create_tenant(const std::string& name, std::optional<int64_t> production_active_from) {
  json body = {{"name", name}};
  body["production_active_from"] = production_active_from ? json(*production_active_from) : json(nullptr);
  return expect_json(call("POST", "/admin/v1/tenants", body), {201, 200}, "create tenant");
}

json AdminClient::create_app(const std::string& tenant_id) {
  return expect_json(call("POST", "/admin/v1/tenants/" + seg(tenant_id) + "/apps"), {201, 200}, "create app");
}

// ---- BusinessClient ----------------------------------------------------------

BusinessClient::BusinessClient(ServerOptions server, AppCredential credential)
    : conn_(std::move(server)), cred_(std::move(credential)) {
  if (cred_.app_id.empty()) fail("no app id given (--app-id)");
  if (cred_.secret.empty()) fail("no app secret given (--secret-file)");
}

httpclient::HttpResponse BusinessClient::call(const std::string& method, const std::string& path_and_query,
                                              const std::string& body, const std::string& idempotency_key) {
  if (path_and_query.empty() || path_and_query[0] != '/') fail("the path must start with '/': " + path_and_query);
  std::string path = path_and_query;
  std::string query;
  if (size_t q = path.find('?'); q != std::string::npos) {
    query = path.substr(q + 1);
    path.resize(q);
  }
  std::string timestamp = std::to_string(static_cast<int64_t>(std::time(nullptr)));
  std::string nonce = random_hex(8);
  // Request-signature v2: the Idempotency-Key (empty when none is sent) is signed too.
  std::string signature = core::sign_request_v2(cred_.secret, {.method = method,
                                                               .path = path,
                                                               .query = query,
                                                               .timestamp = timestamp,
                                                               .nonce = nonce,
                                                               .idempotency_key = idempotency_key,
                                                               .body = body});
  httpclient::HeaderList headers = {
      {"X-Duet-App-Id", cred_.app_id},
      {"X-Duet-Timestamp", timestamp},
      {"X-Duet-Nonce", nonce},
      {std::string(core::kSignatureVersionHeader), std::string(core::kSignatureVersion2)},
      {"X-Duet-Signature", signature},
  };
  if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
  return conn_.send(method, path_and_query, std::move(headers), body);
}

json consents_from_agreements(const httpclient::HttpResponse& agreements, std::optional<int64_t> accepted_at) {
  json answer = expect_json(agreements, {200}, "agreement texts");
  if (!answer.contains("agreements") || !answer["agreements"].is_array()) fail("agreement texts: no \"agreements\"");
  json consents = json::array();
  for (const json& a : answer["agreements"]) {
    if (!a.value("current", false)) continue;
    std::string text = a.value("text", "");
    std::string stated = a.value("text_sm3", "");
    crypto::Digest d = crypto::sm3(as_bytes(text));
    if (to_hex(ByteView(d.data(), d.size())) != stated) {
      fail("agreement texts: the SM3 of " + a.value("document", "?") + " is not the digest the service states");
    }
    json c = {{"document", a.value("document", "")}, {"version", a.value("version", "")}, {"text_sm3", stated}};
    if (accepted_at) c["accepted_at"] = *accepted_at;
    consents.push_back(std::move(c));
  }
  if (consents.empty()) fail("agreement texts: the service lists no current text");
  return consents;
}

json BusinessClient::create_holder(const std::string& name, const std::string& id_number, const std::string& phone,
                                   bool attest_consent) {
  json body = {{"name", name}, {"id_number", id_number}, {"phone", phone}};
  if (attest_consent) {
    body["consents"] = consents_from_agreements(conn_.send("GET", "/app/v1/agreements", {}),
                                                static_cast<int64_t>(std::time(nullptr)));
  }
  return expect_json(call("POST", "/api/v1/holders", body.dump()), {201, 200}, "create holder");
}

json BusinessClient::get_holder(const std::string& holder_id) {
  return expect_json(call("GET", "/api/v1/holders/" + seg(holder_id)), {200}, "get holder");
}

json BusinessClient::issue_activation_code(const std::string& holder_id) {
  return expect_json(call("POST", "/api/v1/holders/" + seg(holder_id) + "/activation-codes"), {201, 200},
                     "issue activation code");
}

json BusinessClient::create_order(const json& request, const std::string& idempotency_key) {
  return expect_json(call("POST", "/api/v1/orders", request.dump(), idempotency_key), {201, 200}, "create order");
}

json BusinessClient::get_order(const std::string& order_id) {
  return expect_json(call("GET", "/api/v1/orders/" + seg(order_id)), {200}, "get order");
}

// ---- HolderDevice ------------------------------------------------------------

namespace {

client::HolderClient open_holder(const std::string& state_path) {
  return client::HolderClient(std::make_unique<client::FileStateStore>(state_path));
}

}  // namespace

HolderDevice::HolderDevice(ServerOptions server, std::string state_path)
    : conn_(std::move(server)), state_path_(std::move(state_path)), token_path_(state_path_ + ".token") {}

std::string HolderDevice::token() {
  std::error_code ec;
  if (!std::filesystem::exists(token_path_, ec)) {
    fail("not enrolled: no device token at " + token_path_ + " (run `duet holder enroll` first)");
  }
  return read_secret_file(token_path_);
}

httpclient::HttpResponse HolderDevice::call(const std::string& method, const std::string& path,
                                            const std::string& body) {
  return conn_.send(method, path, {{"Authorization", "Bearer " + token()}}, body);
}

std::string HolderDevice::public_key_hex() {
  client::HolderClient hc = open_holder(state_path_);
  return unwrap(hc.public_key_hex(), "holder state " + state_path_);
}

std::string HolderDevice::holder_id() {
  client::HolderClient hc = open_holder(state_path_);
  return unwrap(hc.holder_id(), "holder state " + state_path_);
}

json HolderDevice::agreements() {
  return expect_json(conn_.send("GET", "/app/v1/agreements", {}), {200}, "agreement texts");
}

json HolderDevice::enroll(const std::string& holder_id, const std::string& code, const std::string& pin,
                          uint32_t kdf_iterations, bool force, const std::string& otp, bool accept_agreements) {
  // Check the PIN before the one-time code is spent.
  unwrap(cosign::check_pin(pin), "PIN");
  client::HolderClient hc = open_holder(state_path_);
  unwrap(hc.set_kdf_iterations(kdf_iterations), "KDF iterations");
  bool enrolled = unwrap(hc.is_enrolled(), "holder state " + state_path_);
  if (enrolled) {
    if (!force) fail(state_path_ + " already holds an enrollment (use --force to replace it)");
    unwrap(hc.forget(), "erase the old state");
  }
  std::string keygen_request = unwrap(hc.begin_enrollment(holder_id), "key generation");
  json body = {{"code", code}, {"keygen", json::parse(keygen_request)}};
  if (!otp.empty()) body["otp"] = otp;  // the SMS one-time code, when the app requires one
  // The holder accepts the texts in the app; the service records them before
  // anything else of the activation (docs/consent.md).
  if (accept_agreements) body["consents"] = consents_from_agreements(conn_.send("GET", "/app/v1/agreements", {}), {});
  // Unauthenticated: the code is the credential.
  auto response = conn_.send("POST", "/app/v1/activations", {}, body.dump());
  json answer = expect_json(response, {201, 200}, "redeem activation code");
  std::string answered_holder = json_string(answer, "holder_id", "redeem activation code");
  std::string device_token = json_string(answer, "device_token", "redeem activation code");
  if (answered_holder != holder_id) {
    fail("the activation code belongs to holder " + answered_holder + ", not " + holder_id +
         " (the key-generation proof is bound to the holder id)");
  }
  if (!answer.contains("keygen") || !answer["keygen"].is_object()) {
    fail("redeem activation code: the server's answer has no \"keygen\"");
  }
  // Verifies the service's proof, wraps d1 under the PIN and saves the state.
  unwrap(hc.complete_enrollment(answer["keygen"].dump(), pin), "complete key generation");
  write_file(token_path_, device_token, /*private_file=*/true);
  answer.erase("device_token");
  answer["device_token_file"] = token_path_;
  answer["state_file"] = state_path_;
  return answer;
}

json HolderDevice::pending_orders() {
  return expect_json(call("GET", "/app/v1/orders"), {200}, "list orders");
}

json HolderDevice::order(const std::string& order_id) {
  return expect_json(call("GET", "/app/v1/orders/" + seg(order_id)), {200}, "get order");
}

json HolderDevice::reject(const std::string& order_id) {
  return expect_json(call("POST", "/app/v1/orders/" + seg(order_id) + "/reject"), {200}, "reject order");
}

json HolderDevice::certificate() {
  return expect_json(call("GET", "/app/v1/certificate"), {200}, "get certificate");
}

json HolderDevice::revoke_certificate() {
  return expect_json(call("POST", "/app/v1/certificate/revoke"), {200}, "revoke certificate");
}

json HolderDevice::obtain_certificate(const std::string& pin) {
  json request = expect_json(call("POST", "/app/v1/certificate-requests"), {201, 200}, "request certificate");
  std::string order_id = json_string(request, "order_id", "request certificate");
  SignOutcome signed_ = sign(order_id, pin);
  std::string state = signed_.finish_response.value("state", "");
  if (state != "signed") fail("certificate request " + order_id + " is " + state + ", not signed");
  json cert = certificate();
  json_string(cert, "certificate_pem", "get certificate");
  json_string(cert, "chain_pem", "get certificate");
  return cert;
}

namespace {

// The service refused a PIN use or a signature: a message a person
// understands (what happened, what to do), exit 3. The SDK maps the error
// body to its code and keeps the attempts left.
[[noreturn]] void refused(client::HolderClient& hc, const httpclient::HttpResponse& r, const std::string& what) {
  Error e = hc.service_error(r.body);
  std::string msg;
  switch (e.code) {
    case ErrorCode::kPinInvalid: {
      int left = hc.last_attempts_left();
      msg = "wrong PIN: the service refused it";
      if (left == 0) {
        msg += "; that was the last attempt, the key is now locked (the business system can unlock it)";
      } else if (left > 0) {
        msg += " (" + std::to_string(left) + (left == 1 ? " attempt" : " attempts") + " left before the key locks)";
      }
      break;
    }
    case ErrorCode::kLocked:
      msg = "the key is locked after too many wrong PINs: the business system must unlock it, then run "
            "`duet holder refresh` before signing again";
      break;
    case ErrorCode::kClientUpgradeRequired:
      msg = "the service no longer accepts this client's protocol version: upgrade duet (the holder app)";
      break;
    case ErrorCode::kRefreshRequired:
      msg = "the key was unlocked by the business system: run `duet holder refresh --pin PIN` before signing again";
      break;
    default:
      msg = describe_error_response(r);
      break;
  }
  fail(what + ": " + msg, kExitServer);
}

bool ok_status(const httpclient::HttpResponse& r, std::initializer_list<int> ok) {
  for (int s : ok) {
    if (r.status == s) return true;
  }
  return false;
}

json parse_json_body(const httpclient::HttpResponse& r, const std::string& what) {
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) fail(what + ": the server's answer is not a JSON object");
  return j;
}

}  // namespace

void HolderDevice::preview_pages(const std::string& order_id, size_t index, const json& pdf, const std::string& what,
                                 const char* pages_key) {
  if (!pdf.contains(pages_key) || !pdf[pages_key].is_array() || pdf[pages_key].empty()) {
    fail(what + ": the document names no stamped page");
  }
  static constexpr unsigned char kPngMagic[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  for (const json& p : pdf[pages_key]) {
    if (!p.is_number_integer()) fail(what + ": a stamped page is not a number");
    const std::string page = std::to_string(p.get<int64_t>());
    auto r = call("GET", "/app/v1/orders/" + seg(order_id) + "/documents/" + std::to_string(index) + "/pages/" + page);
    if (!ok_status(r, {200})) fail(what + ": page " + page + " could not be fetched (HTTP " + std::to_string(r.status) + ")");
    if (r.body.size() < sizeof kPngMagic || std::memcmp(r.body.data(), kPngMagic, sizeof kPngMagic) != 0) {
      fail(what + ": page " + page + " is not a PNG image");
    }
    if (!preview_dir_.empty()) {
      write_file(preview_dir_ + "/" + order_id + "-" + std::to_string(index) + "-page" + page + ".png",
                 ByteView(reinterpret_cast<const uint8_t*>(r.body.data()), r.body.size()));
    }
  }
}

SignOutcome HolderDevice::sign(const std::string& order_id, const std::string& pin) {
  json o = order(order_id);
  if (!o.contains("items") || !o["items"].is_array() || o["items"].empty()) {
    fail("order " + order_id + ": the server's answer has no items");
  }
  std::string state = o.value("state", "");
  if (!state.empty() && state != "pending" && state != "signing") {
    fail("order " + order_id + " is " + state + ", nothing to sign");
  }
  client::HolderClient hc = open_holder(state_path_);
  // The order must be for this device's key.
  std::string mine = unwrap(hc.public_key_hex(), "holder state " + state_path_);
  if (o.contains("public_key") && o["public_key"].is_string()) {
    std::string theirs = o["public_key"].get<std::string>();
    for (char& c : theirs) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (theirs != mine) fail("order " + order_id + " is for another key than this device's");
  }

  // Every item's e, checked against what is shown where the order shows it.
  std::vector<crypto::Digest> digests;
  size_t index = 0;
  for (const json& item : o["items"]) {
    std::string what = "order " + order_id + " item " + std::to_string(index);
    std::string e_hex = json_string(item, "e", what);
    Bytes e_bytes = unwrap(from_hex_exact(e_hex, 32), what + ": e");
    crypto::Digest e{};
    std::copy(e_bytes.begin(), e_bytes.end(), e.begin());
    if (item.contains("signed_attributes_base64") && item["signed_attributes_base64"].is_string()) {
      // CMS and PDF outputs: the device computes e itself from the signed
      // attributes, after checking their messageDigest against what it is
      // shown: SM3(data), or a PDF's ByteRange digest (its pages fetched and
      // checked to be images before the PIN is used).
      Bytes attrs = base64_decode(item["signed_attributes_base64"].get<std::string>());
      crypto::Digest md{};
      if (item.contains("pdf") && item["pdf"].is_object()) {
        Bytes d = unwrap(from_hex_exact(json_string(item["pdf"], "byte_range_digest", what), 32),
                         what + ": byte_range_digest");
        std::copy(d.begin(), d.end(), md.begin());
        preview_pages(order_id, index, item["pdf"], what);
      } else if (item.contains("data_base64") && item["data_base64"].is_string()) {
        md = crypto::sm3(base64_decode(item["data_base64"].get<std::string>()));
      } else if (item.contains("content_digest") && item["content_digest"].is_string()) {
        // Detached CMS over a digest (a document kept by duet-gateway): the
        // digest shown is what messageDigest must say.
        Bytes d = unwrap(from_hex_exact(item["content_digest"].get<std::string>(), 32), what + ": content_digest");
        std::copy(d.begin(), d.end(), md.begin());
        // Hybrid previews: the pages the tenant's gateway uploaded, fetched
        // and checked like a PDF order's; none: kept on premises.
        if (item.contains("preview") && item["preview"].is_object() && item["preview"].value("available", false))
          preview_pages(order_id, index, item["preview"], what, "pages");
      } else {
        fail(what + ": signed attributes without the data or document they cover; refusing to sign");
      }
      auto mine_e = hc.signed_attributes_digest(attrs, md);
      if (!mine_e.ok()) fail(what + ": " + mine_e.error().message + "; refusing to sign");
      if (*mine_e != e) fail(what + ": the service's e is not SM3(Z_A || signed attributes); refusing to sign");
      e = *mine_e;
    } else if (item.contains("data_base64") && item["data_base64"].is_string()) {
      // Compute e from what is shown rather than trusting the service's e.
      Bytes data = base64_decode(item["data_base64"].get<std::string>());
      crypto::Digest mine_e = unwrap(hc.message_digest(data), what + ": digest");
      if (mine_e != e) fail(what + ": the service's e is not SM3(Z_A || data); refusing to sign");
    }
    digests.push_back(e);
    ++index;
  }

  // One session for the whole order: one PIN unwrap, one PIN proof.
  std::string session_id = "ses_" + random_hex(16);
  std::string request = unwrap(hc.begin_signing(order_id, session_id, std::move(digests), pin),
                               "order " + order_id + ": start signing");
  json start_body = json::parse(request);
  start_body["session_id"] = session_id;
  auto started = call("POST", "/app/v1/orders/" + seg(order_id) + "/sessions", start_body.dump());
  if (!ok_status(started, {201, 200})) refused(hc, started, "sign order " + order_id);
  auto r = hc.complete_signing(started.body);
  if (!r.ok()) {
    std::string msg = r.error().to_string();
    if (r.code() == ErrorCode::kSignatureInvalid) {
      msg = "the service's answer does not give a valid signature (nothing was sent back): " + msg;
    }
    fail("sign order " + order_id + ": " + msg);
  }
  SignOutcome out;
  out.attempts_left = hc.last_attempts_left();
  out.signatures_der = std::move(r->signatures_der);
  out.finish_response =
      expect_json(call("POST", "/app/v1/orders/" + seg(order_id) + "/sessions/" + seg(session_id) + "/finish",
                       r->finish_json),
                  {200, 201}, "finish signing");
  return out;
}

// ---- Share refresh -----------------------------------------------------------

json HolderDevice::confirm_refresh(client::HolderClient& hc, const std::string& refresh_id,
                                   const std::string& confirm_json) {
  json body = {{"confirm", json::parse(confirm_json)}};
  auto answer = call("POST", "/app/v1/key/refreshes/" + seg(refresh_id) + "/confirm", body.dump());
  if (!ok_status(answer, {200, 201})) {
    if (answer.status == 409) {
      fail("confirm refresh " + refresh_id + ": " + describe_error_response(answer) +
               ". If the service accepted it before (its answer lost) and " + token_path_ +
               " holds the new token, run `duet holder refresh --acknowledge`; otherwise enroll this device again",
           kExitServer);
    }
    refused(hc, answer, "confirm refresh " + refresh_id + " (it stays pending: `duet holder refresh --resume --pin "
                        "<PIN of the new state>`)");
  }
  json j = parse_json_body(answer, "confirm refresh");
  std::string device_token = json_string(j, "device_token", "confirm refresh");
  // The token first: the service revoked the old one. A crash before the
  // acknowledgement leaves the refresh pending with the new token saved
  // (`duet holder refresh --acknowledge`).
  write_file(token_path_, device_token, /*private_file=*/true);
  unwrap(hc.acknowledge_refresh(), "acknowledge refresh");
  return json{{"refresh_id", refresh_id}, {"state", "confirmed"}, {"state_file", state_path_},
              {"device_token_file", token_path_}};
}

json HolderDevice::refresh(const RefreshOptions& options) {
  const std::string& new_pin = options.new_pin.empty() ? options.pin : options.new_pin;
  unwrap(cosign::check_pin(options.pin), "PIN");
  unwrap(cosign::check_pin(new_pin), "new PIN");
  client::HolderClient hc = open_holder(state_path_);
  unwrap(hc.set_kdf_iterations(options.kdf_iterations), "KDF iterations");
  auto pending = unwrap(hc.pending_refresh(), "holder state " + state_path_);
  if (pending) {
    fail("refresh " + *pending + " is pending: finish it first with `duet holder refresh --resume --pin <PIN of the "
         "new state>`");
  }
  const bool pin_change = new_pin != options.pin;
  std::string refresh_id = "rfr_" + random_hex(12);
  std::string request = pin_change ? unwrap(hc.begin_pin_change(refresh_id, options.pin), "start PIN change")
                                   : unwrap(hc.begin_refresh(refresh_id, options.pin), "start refresh");
  json body = {{"refresh_id", refresh_id}, {"request", json::parse(request)}};
  auto answer = call("POST", "/app/v1/key/refreshes", body.dump());
  if (!ok_status(answer, {201, 200})) refused(hc, answer, pin_change ? "change PIN" : "refresh");
  // The new state (under new_pin) replaces the old one here, pending.
  std::string confirm = unwrap(hc.complete_refresh(answer.body, new_pin), "refresh");
  json out = confirm_refresh(hc, refresh_id, confirm);
  out["pin_changed"] = pin_change;
  if (!options.move_to.empty()) {
    // To a new phone: the state and the token move, nothing stays behind
    // (the old file is overwritten and removed).
    client::FileStateStore from(state_path_), to(options.move_to);
    auto blob = unwrap(from.load(), "read " + state_path_);
    if (!blob) fail("no state at " + state_path_);
    unwrap(to.save(blob->view()), "write " + options.move_to);
    write_file(options.move_to + ".token", read_secret_file(token_path_), /*private_file=*/true);
    unwrap(from.erase(), "erase " + state_path_);
    std::error_code ec;
    std::filesystem::remove(token_path_, ec);
    out["state_file"] = options.move_to;
    out["device_token_file"] = options.move_to + ".token";
    out["moved_from"] = state_path_;
  }
  return out;
}

json HolderDevice::resume_refresh(const std::string& pin) {
  unwrap(cosign::check_pin(pin), "PIN");
  client::HolderClient hc = open_holder(state_path_);
  auto pending = unwrap(hc.pending_refresh(), "holder state " + state_path_);
  if (!pending) fail("no refresh is pending in " + state_path_);
  std::string confirm = unwrap(hc.confirm_pending_refresh(pin), "confirm refresh " + *pending);
  return confirm_refresh(hc, *pending, confirm);
}

json HolderDevice::acknowledge_refresh() {
  client::HolderClient hc = open_holder(state_path_);
  auto pending = unwrap(hc.pending_refresh(), "holder state " + state_path_);
  if (!pending) fail("no refresh is pending in " + state_path_);
  unwrap(hc.acknowledge_refresh(), "acknowledge refresh");
  return json{{"refresh_id", *pending}, {"state", "acknowledged"}, {"state_file", state_path_}};
}

// The handwritten signature (docs/protocol.md §6.1): each operation a PIN use.
std::string HolderDevice::handwriting_proof(const std::string& operation, const std::string& pin, ByteView png) {
  // Checked before the challenge counts an attempt.
  unwrap(cosign::check_pin(pin), "PIN");
  client::HolderClient hc = open_holder(state_path_);
  auto r = call("POST", "/app/v1/handwritten-signature/pin-challenges", json{{"operation", operation}}.dump());
  if (r.status != 201) refused(hc, r, "PIN challenge (" + operation + ")");
  return unwrap(hc.handwriting_pin_proof(r.body, pin, png), "PIN proof");
}

json HolderDevice::put_handwriting(ByteView png, const std::string& pin) {
  std::string proof = handwriting_proof("put", pin, png);
  auto r = conn_.send("PUT", "/app/v1/handwritten-signature",
                      {{"Authorization", "Bearer " + token()}, {"Content-Type", "image/png"}, {"Duet-Pin-Proof", proof}},
                      std::string(png.begin(), png.end()));
  if (r.status != 200) {
    client::HolderClient hc = open_holder(state_path_);
    refused(hc, r, "upload the handwritten signature");
  }
  return expect_json(r, {200}, "upload the handwritten signature");
}

Bytes HolderDevice::get_handwriting(const std::string& pin) {
  std::string proof = handwriting_proof("get", pin, {});
  auto r = conn_.send("GET", "/app/v1/handwritten-signature",
                      {{"Authorization", "Bearer " + token()}, {"Duet-Pin-Proof", proof}}, {});
  if (r.status != 200) {
    client::HolderClient hc = open_holder(state_path_);
    refused(hc, r, "get the handwritten signature");
  }
  return Bytes(r.body.begin(), r.body.end());
}

void HolderDevice::delete_handwriting(const std::string& pin) {
  std::string proof = handwriting_proof("delete", pin, {});
  auto r = conn_.send("DELETE", "/app/v1/handwritten-signature",
                      {{"Authorization", "Bearer " + token()}, {"Duet-Pin-Proof", proof}}, {});
  if (r.status != 204) {
    client::HolderClient hc = open_holder(state_path_);
    refused(hc, r, "delete the handwritten signature");
  }
}

}  // namespace duet::cli
