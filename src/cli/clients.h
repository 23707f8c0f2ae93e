// The three kinds of callers of openapi.yaml, as small clients the command
// families and `duet demo` share:
//   AdminClient     /admin/v1, Authorization: Bearer <admin token>
//   BusinessClient  /api/v1, request signatures (X-Duet-App-Id/-Timestamp/-Nonce/-Signature)
//   HolderDevice    /app/v1 with the holder SDK (client::HolderClient) and a
//                   FileStateStore; the device token lives in <state>.token (0600)
// Failures are CliError (cli_common.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/cli_common.h"

namespace duet::client {
class HolderClient;
}

namespace duet::cli {

// The "consents" array that accepts every current agreement text
// (docs/consent.md), from the service's GET /app/v1/agreements answer: each
// text's SM3 is computed here and must equal the digest the service states
// (a client accepts the text it has, not a digest it was told). With
// `accepted_at` it is a business system's attestation. Fails on a bad answer.
json consents_from_agreements(const httpclient::HttpResponse& agreements, std::optional<int64_t> accepted_at);

class AdminClient {
 public:
  AdminClient(ServerOptions server, std::string token);

  // Sends a request with the admin bearer token; `body` JSON when not null.
  httpclient::HttpResponse call(const std::string& method, const std::string& path, const json& body = nullptr);
  // The same with `body` sent byte for byte (a document whose digest matters).
  httpclient::HttpResponse call_text(const std::string& method, const std::string& path, const std::string& body);

  json create_tenant(const std::string& name, std::optional<int64_t> production_active_from);
  // {"sandbox": Credential, "production": Credential}: the secrets are shown only here.
  json create_app(const std::string& tenant_id);

 private:
  Connection conn_;
  std::string token_;
};

struct AppCredential {
  std::string app_id;
  std::string secret;
};

class BusinessClient {
 public:
  BusinessClient(ServerOptions server, AppCredential credential);

  // A signed request. `path_and_query` is sent as given and signed as
  // METHOD\nPATH[?QUERY]\nTIMESTAMP\nNONCE\nhex(SM3(body)).
  httpclient::HttpResponse call(const std::string& method, const std::string& path_and_query,
                                const std::string& body = {}, const std::string& idempotency_key = {});

  // With `attest_consent` the business system attests the holder's
  // acceptance of the current texts now (docs/consent.md).
  json create_holder(const std::string& name, const std::string& id_number, const std::string& phone,
                     bool attest_consent = false);
  json get_holder(const std::string& holder_id);
  json issue_activation_code(const std::string& holder_id);
  json create_order(const json& request, const std::string& idempotency_key = {});
  json get_order(const std::string& order_id);

 private:
  Connection conn_;
  AppCredential cred_;
};

struct SignOutcome {
  json finish_response;              // {"order_id","state"}
  int attempts_left = -1;            // as answered by the session start
  std::vector<Bytes> signatures_der; // computed and checked locally, one per item
};

struct RefreshOptions {
  std::string pin;        // the PIN of the current state (checked by the service, counted)
  std::string new_pin;    // the PIN of the new state; empty: the same PIN
  uint32_t kdf_iterations = 100'000;
  std::string move_to;    // when set: the new state (and token) go to this state file, the old one is erased
};

class HolderDevice {
 public:
  // `state_path`: the FileStateStore path; the token is at state_path + ".token".
  HolderDevice(ServerOptions server, std::string state_path);

  const std::string& token_path() const { return token_path_; }

  // Redeems an activation code: key generation with the service, the share
  // wrapped under the PIN and saved, the device token saved. The holder id is
  // bound into the key-generation proofs, so the device must know it. With
  // `force` an existing enrollment in this state file is replaced.
  // Returns the activation answer without the device token.
  // With `accept_agreements` the holder accepts the current agreement texts
  // in the app (sent with the activation; docs/consent.md).
  json enroll(const std::string& holder_id, const std::string& code, const std::string& pin,
              uint32_t kdf_iterations, bool force, const std::string& otp = "", bool accept_agreements = false);
  // GET /app/v1/agreements (public).
  json agreements();

  json pending_orders();
  json order(const std::string& order_id);
  // Checks what is signed (e computed from the data of data items must equal
  // the service's e; the order's public key must be ours), then runs the
  // two-party signing, protocol v2: one session for all items with one PIN
  // proof (POST sessions; a wrong PIN is refused there, counted, with the
  // attempts left), finish locally (every signature checked), POST finish.
  SignOutcome sign(const std::string& order_id, const std::string& pin);
  // Where sign() saves the PNG of each stamped page of a PDF order
  // (<order>-<document>-page<n>.png); empty: fetched and checked, not saved.
  void set_preview_dir(std::string dir) { preview_dir_ = std::move(dir); }

  // Share refresh (docs/protocol.md §7): POST /app/v1/key/refreshes with the
  // PIN, the new state (under new_pin) replaces the old one as a pending
  // record, POST …/confirm, then the new device token is saved and the state
  // acknowledged. A PIN change is this with a new PIN. Returns a summary.
  json refresh(const RefreshOptions& options);
  // Finishes a refresh left pending (an interrupted run): the confirm is made
  // again from the new state with `pin`, the PIN the new state was made under.
  json resume_refresh(const std::string& pin);
  // Marks a pending refresh confirmed without asking the service (after its
  // answer was lost but the new token was saved).
  json acknowledge_refresh();
  json reject(const std::string& order_id);

  // Enrollment ends with a certificate: POST /app/v1/certificate-requests,
  // sign that order with the PIN (the same checks as sign()), then
  // GET /app/v1/certificate. Returns the certificate answer
  // ({certificate_pem, chain_pem, serial, not_after, …}).
  json obtain_certificate(const std::string& pin);
  json certificate();
  // POST /app/v1/certificate/revoke (keyCompromise): the share is shredded.
  json revoke_certificate();

  // The holder's handwritten-signature image (docs/pdf.md "Handwritten
  // signature"): PUT /app/v1/handwritten-signature with the PNG as the body,
  // GET it back (the normalised PNG the service keeps), DELETE it. Each one
  // with the PIN (docs/protocol.md §6.1): POST …/pin-challenges for the
  // operation (one attempt counted), the proof in the Duet-Pin-Proof header.
  json put_handwriting(ByteView png, const std::string& pin);
  Bytes get_handwriting(const std::string& pin);
  void delete_handwriting(const std::string& pin);

  // The enrolled public key, SEC1 uncompressed hex (from the local state).
  std::string public_key_hex();
  std::string holder_id();

 private:
  httpclient::HttpResponse call(const std::string& method, const std::string& path, const std::string& body = {});
  std::string token();
  // POST …/pin-challenges for `operation` and the Duet-Pin-Proof value made
  // with the PIN (and, for "put", the image).
  std::string handwriting_proof(const std::string& operation, const std::string& pin, ByteView png);
  // POST …/confirm; on success saves the new token and acknowledges.
  json confirm_refresh(client::HolderClient& hc, const std::string& refresh_id, const std::string& confirm_json);
  // A PDF item (or a hybrid preview, pages_key "pages"): GET each stamped
  // page as PNG (the holder sees what is signed).
  void preview_pages(const std::string& order_id, size_t index, const json& pdf, const std::string& what,
                     const char* pages_key = "stamped_pages");

  Connection conn_;
  std::string state_path_;
  std::string token_path_;
  std::string preview_dir_;
};

}  // namespace duet::cli
