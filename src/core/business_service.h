// The Business API's domain rules (docs/api/openapi.yaml): holders, activation codes
// and sign orders, always within the calling app's tenant.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/consent.h"
#include "core/contexts.h"
#include "core/core_deps.h"
#include "core/pdf_orders.h"
#include "store/tenants.h"
#include "store/holders.h"
#include "store/orders.h"
#include "store/certificates.h"

namespace duet::core {

struct NewHolder {
  std::string name;
  std::string id_type = "resident_id";
  std::string id_number;
  std::string phone;  // optional: required only when the app sends an SMS one-time code
  // Optional in the request: when given it must equal the calling app's
  // identity_mode ("attested" | "identity_source"); the app's mode decides.
  std::string identity_verification;
  // The holder's acceptances the business system attests (core/consent.h,
  // channel business_system): required when the app's identity_mode is
  // "identity_source" (the check runs now), optional otherwise.
  std::vector<GivenConsent> consents = {};
};

// What any answer may show of a holder: personal data masked.
struct HolderView {
  std::string holder_id;
  std::string name_masked;
  std::string id_type;
  std::string id_number_masked;
  std::string phone_masked;
  store::HolderStatus status = store::HolderStatus::kActive;
  int attempts_left = 0;
  bool refresh_required = false;  // an unlock was given: the next PIN use must be a share refresh
  std::optional<std::string> public_key_hex;  // once enrolled
  std::optional<std::string> key_id;
  UnixSeconds created_at = 0;
  std::string identity_verification;  // "attested" | "identity_source" | "" (not recorded)
  std::string identity_verified_by;   // app id
  UnixSeconds identity_verified_at = 0;
  std::string identity_reference;     // the identity source's reference, if any
  // The retention rules purged the ID number and phone (core/retention.h):
  // id_type, id_number_masked and phone_masked are "" then.
  bool identity_purged = false;
  // The business system erased the holder (DELETE /api/v1/holders/{id},
  // docs/privacy.md): name_masked is "" too, identity_purged true.
  bool erased = false;
};

struct HolderPage {
  std::vector<HolderView> holders;
  std::string next_cursor;
};

struct IssuedActivationCode {
  std::string code_id;
  std::string holder_id;
  std::string code;     // shown once; only its keyed hash is kept
  UnixSeconds expires_at = 0;
  std::string uri;      // duet://activate?code=…&holder=…&server=… (the device needs the
                        // holder id before redeeming: its key-generation proof is bound to it);
                        // the HTTP layer renders it as a QR code
  std::string app_url;  // the same as an https link that opens the holder web app (docs/web.md):
                        // <public_url>/m/#/activate?code=…&holder=… (a fragment: the code
                        // never reaches a server log or a Referer)
  bool otp_required = false;  // an SMS one-time code was sent to the holder's phone
};

struct NewOrderItem {
  Bytes input;
  bool is_digest = false;  // input is e = SM3(Z_A ‖ M), 32 bytes
};

// The most documents one PDF order carries (a batch; each up to pdf_max_bytes).
inline constexpr size_t kMaxOrderDocuments = 10;

// Hybrid previews of one order (put_order_previews): at most this many pages,
// each PNG at most this large.
inline constexpr size_t kMaxOrderPreviews = 10;
inline constexpr size_t kMaxOrderPreviewBytes = size_t{1} << 20;

struct NewOrder {
  std::string holder_id;
  std::string title;
  std::string display_text;
  store::OutputFormat output = store::OutputFormat::kRaw;
  std::vector<NewOrderItem> items;         // every format but kPdf
  std::optional<int64_t> expires_in_seconds;
  std::string callback_url;
  std::string idempotency_key;
  std::vector<NewPdfDocument> documents = {};  // kPdf only: one item each (its ByteRange digest)
  OrderAppearance appearance = OrderAppearance::kNameStamp;  // kPdf only: what every document's seal shows
  // kCmsDetached only: "" or "pades" (store::SignOrder::cms_profile); "pades"
  // on another output is kInvalidArgument.
  std::string cms_profile = {};
};

class BusinessService {
 public:
  // The store areas the service uses (the daemon passes its one store::Store).
  struct Stores {
    store::TenantStore& tenants;
    store::HolderStore& holders;
    store::OrderStore& orders;
    store::CertificateStore& certificates;
    explicit Stores(store::Store& s) : tenants(s), holders(s), orders(s), certificates(s) {}
  };

  explicit BusinessService(CoreDeps deps) : deps_(deps), stores_(deps.store) {}

  // The calling app's identity_mode decides: "attested" records the app as
  // the voucher; "identity_source" requires the holder's current consents
  // first (kConsentRequired, nothing asked or written: the check needs them),
  // then asks deps.identity_source (none
  // configured or unreachable: kUnavailable; no match: kIdentityRejected and
  // no holder is created) and keeps its reference.
  //
  // Environments (docs/metering.md "Sandbox"): a holder belongs to the
  // environment of the credential that created it, and so do its activation
  // codes, keys, certificates and orders; every call below answers the
  // other environment's holders and orders as missing (kNotFound).
  Result<HolderView> create_holder(const AppContext& ctx, const NewHolder& holder);
  Result<HolderView> get_holder(const AppContext& ctx, const std::string& holder_id);
  Result<HolderPage> list_holders(const AppContext& ctx, const std::string& cursor, size_t limit);
  Result<HolderView> lock_holder(const AppContext& ctx, const std::string& holder_id);
  Result<HolderView> unlock_holder(const AppContext& ctx, const std::string& holder_id);

  // Consents (docs/consent.md). record_consents: the business system attests
  // acceptances of its environment's holder (channel business_system,
  // attested_by the app id); kInvalidArgument as core::consent_records says,
  // kNotFound for an unknown or other-environment holder. Both answer the
  // holder's recorded acceptances.
  Result<std::vector<store::HolderConsent>> record_consents(const AppContext& ctx, const std::string& holder_id,
                                                            const std::vector<GivenConsent>& consents);
  Result<std::vector<store::HolderConsent>> list_consents(const AppContext& ctx, const std::string& holder_id);

  // When the calling app has sms_otp_required, a 6-digit one-time code is
  // drawn too: its keyed hash is stored with the code (5 attempts) and it is
  // sent through deps.sms to the holder's phone (no sender: kUnavailable).
  Result<IssuedActivationCode> create_activation_code(const AppContext& ctx, const std::string& holder_id);

  // With an idempotency key, a repeat returns the first order (and sets
  // *replayed); a repeat with a different body is kConflict.
  Result<store::SignOrder> create_order(const AppContext& ctx, const NewOrder& order, bool* replayed = nullptr);
  Result<store::SignOrder> get_order(const AppContext& ctx, const std::string& order_id);
  // The signed PDF of item `index` of a kPdf order. kNotFound for another
  // tenant's or an unknown order, an order that is not a PDF order, an index
  // out of range, or a document purged by the retention rules; kConflict
  // (naming the state) before the order is signed.
  Result<Bytes> signed_pdf(const AppContext& ctx, const std::string& order_id, size_t index);
  // Hybrid cloud (docs/gateway.md "Page previews"): duet-gateway uploads
  // PNGs of the pages it stamps for a digest-only order it created, and the
  // holder app shows them. In this order: kForbidden unless the tenant's
  // hybrid_previews is on (nothing read of the pages); kNotFound for another
  // app's or tenant's order; kInvalidArgument for an order that is not a
  // single-digest cms-detached sign order; kConflict once it is no longer
  // open; then each page: 1..page_count, page_count 1..10000, at most
  // kMaxOrderPreviews pages, each a PNG (signature and IHDR) of at most
  // kMaxOrderPreviewBytes (kPayloadTooLarge) — any wrong page refuses all.
  // Replaces the order's earlier previews (a retry re-uploads the same).
  Status put_order_previews(const AppContext& ctx, const std::string& order_id, int page_count,
                            const std::vector<std::pair<int, Bytes>>& pages);
  Result<store::OrderPage> list_orders(const AppContext& ctx, const store::OrderFilter& filter);
  Result<store::SignOrder> cancel_order(const AppContext& ctx, const std::string& order_id);
  // The duet:// link a holder app opens for this order (shown as QR).
  Result<std::string> order_uri(const AppContext& ctx, const std::string& order_id);
  // The same link for an order already loaded (no store access).
  std::string order_uri_for(std::string_view order_id) const;
  // The https form of that link, opening the holder web app on the order:
  // <public_url>/m/#/sign?order=<id> (docs/web.md).
  std::string order_app_url_for(std::string_view order_id) const;

  // The tenant's holder if it belongs to the credential's environment, else
  // kNotFound exactly as for a holder that does not exist (routes that reach
  // a holder's certificates through CertificateService check with this).
  Result<store::Holder> holder_in_environment(const AppContext& ctx, std::string_view holder_id);

  // Decrypts and masks a stored holder (also used by the holder API).
  Result<HolderView> view_holder(const store::Holder& holder);

 private:
  // The holder's phone, empty when none was given.
  Result<SecretBytes> open_phone(const store::Holder& h);
  ServiceDeps deps_;  // everything but the store
  Stores stores_;
};

// The SMS one-time code of an activation code: its keyed hash (bound to the
// code id) and the number of wrong codes allowed.
inline constexpr int kActivationOtpAttempts = 5;
Bytes activation_otp_hash(const keys::DataProtector& protector, std::string_view code_id, std::string_view otp);

// Normalises an activation code as typed (case, spaces, dashes).
std::string normalize_activation_code(std::string_view code);

}  // namespace duet::core
