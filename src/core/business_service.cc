#include "core/business_service.h"
#include "core/holder_fields.h"

#include "core/pdf_admission.h"

#include <algorithm>

#include "core/callbacks.h"
#include "core/cms_orders.h"
#include "core/masking.h"
#include "core/views.h"
#include "crypto/sm3.h"
#include "store/ids.h"
#include "store/store_error.h"

namespace duet::core {
namespace {

constexpr std::string_view kCodeAlphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789";  // no I, L, O, U, 0, 1

std::string to_string(const SecretBytes& s) { return std::string(reinterpret_cast<const char*>(s.data()), s.size()); }

Status check_text(const std::string& value, size_t max, const char* field, bool required) {
  if (required && value.empty()) return make_error(ErrorCode::kInvalidArgument, std::string(field) + " is required");
  if (value.size() > max) return make_error(ErrorCode::kInvalidArgument, std::string(field) + " is too long");
  for (unsigned char c : value) {
    if (c < 0x20 && c != '\n' && c != '\t') {
      return make_error(ErrorCode::kInvalidArgument, std::string(field) + " contains control characters");
    }
  }
  return Status::Ok();
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The holder web app under the public base URL (server/web_routes.h mounts it at /m/).
std::string web_app_base(std::string_view public_url) {
  while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
  return std::string(public_url) + "/m/";
}

// `ttl`: the lifetime the request asks for (its expires_in or the default).
bool same_order_body(const store::SignOrder& a, const NewOrder& b, int64_t ttl) {
  if (a.holder_id != b.holder_id || a.title != b.title || a.display_text != b.display_text ||
      a.output_format != b.output || a.callback_url != b.callback_url || a.expires_at - a.created_at != ttl ||
      (a.signer_cert_id.empty() ? false : a.cms_profile != b.cms_profile)) {
    return false;
  }
  if (a.output_format == store::OutputFormat::kPdf) return a.items.size() == b.documents.size();
  if (a.items.size() != b.items.size()) return false;
  for (size_t i = 0; i < a.items.size(); ++i) {
    if (a.items[i].input != b.items[i].input || a.items[i].input_is_digest != b.items[i].is_digest) return false;
  }
  return true;
}

// A replayed PDF order: each stored document must extend the document sent
// now (an incremental update keeps the original as a byte-for-byte prefix;
// the update itself differs, its time being the first request's), with the
// same /SubFilter and the seal on the same pages as the request's own
// preparation (`prepared`) gives. (The seal's rectangle and look within a
// page, and a certification, are not compared: they live only in the bytes
// of the update.)
bool same_documents(store::OrderStore& orders, const store::SignOrder& a, const NewOrder& b,
                    const std::vector<store::OrderDocument>& prepared) {
  if (a.output_format != store::OutputFormat::kPdf) return true;
  for (size_t i = 0; i < b.documents.size(); ++i) {
    auto d = orders.get_order_document(a.tenant_id, a.order_id, static_cast<int>(i));
    if (!d.ok()) return false;
    const Bytes& sent = b.documents[i].pdf;
    if (d->prepared_pdf.size() <= sent.size() || !std::equal(sent.begin(), sent.end(), d->prepared_pdf.begin()))
      return false;
    if (i < prepared.size() &&
        (d->sub_filter != prepared[i].sub_filter || d->stamped_pages != prepared[i].stamped_pages))
      return false;
  }
  return true;
}

}  // namespace

Bytes activation_otp_hash(const keys::DataProtector& protector, std::string_view code_id, std::string_view otp) {
  std::string v = std::string(code_id) + ":" + std::string(otp);
  Bytes out = protector.keyed_hash("activation_otp", as_bytes(v));
  secure_wipe(v.data(), v.size());
  return out;
}

std::string normalize_activation_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

namespace {
// An erased holder (docs/privacy.md) stays addressable (its view, consents,
// certificates, the erasure again) but takes no new work.
Status refuse_erased(const store::Holder& h) {
  if (h.name_ciphertext.empty()) return make_error(ErrorCode::kConflict, "the holder was erased");
  return Status::Ok();
}
}  // namespace

Result<SecretBytes> BusinessService::open_phone(const store::Holder& h) {
  if (h.phone_ciphertext.empty()) return SecretBytes{};
  HolderFields fields{stores_.holders, deps_.protector, deps_.rng, deps_.clock};
  return fields.open(h.tenant_id, h.holder_id, "phone", h.phone_ciphertext);
}

Result<HolderView> BusinessService::view_holder(const store::Holder& h) {
  HolderView v;
  v.holder_id = h.holder_id;
  // Erased (docs/privacy.md): every sealed field is empty and the data key
  // is gone (a name is required at creation, so an empty one means erased);
  // the view shows ids, state and times only.
  v.erased = h.name_ciphertext.empty();
  HolderFields fields{stores_.holders, deps_.protector, deps_.rng, deps_.clock};
  if (!v.erased) {
    DUET_ASSIGN_OR_RETURN(SecretBytes name, fields.open(h.tenant_id, h.holder_id, "name", h.name_ciphertext));
    v.name_masked = mask_name(to_string(name));
  }
  // An empty ID number ciphertext: purged by the retention rules
  // (core/retention.h), which purge the phone with it. An empty phone
  // ciphertext alone: no phone was given (only an SMS check needs one).
  v.identity_purged = h.id_number_ciphertext.empty();
  if (!v.identity_purged) {
    DUET_ASSIGN_OR_RETURN(SecretBytes id_number,
                          fields.open(h.tenant_id, h.holder_id, "id_number", h.id_number_ciphertext));
    DUET_ASSIGN_OR_RETURN(SecretBytes phone, open_phone(h));
    std::string idn = to_string(id_number);
    auto colon = idn.find(':');  // stored as "<type>:<number>"
    v.id_type = colon == std::string::npos ? "" : idn.substr(0, colon);
    v.id_number_masked = mask_id_number(colon == std::string::npos ? idn : idn.substr(colon + 1));
    secure_wipe(idn.data(), idn.size());
    std::string ph = to_string(phone);
    v.phone_masked = mask_phone(ph);
    secure_wipe(ph.data(), ph.size());
  }
  v.status = h.status;
  v.attempts_left = h.status == store::HolderStatus::kLocked
                        ? 0
                        : std::max(0, deps_.config.max_failed_attempts - h.failed_attempts);
  v.refresh_required = h.refresh_required;
  v.created_at = h.created_at;
  v.identity_verification = h.identity_verification;
  v.identity_verified_by = h.identity_verified_by;
  v.identity_verified_at = h.identity_verified_at;
  v.identity_reference = h.identity_reference;
  auto key = stores_.holders.get_active_holder_key(h.tenant_id, h.holder_id);
  if (key.ok()) {
    v.public_key_hex = key->public_key_hex;
    v.key_id = key->key_id;
  } else if (key.code() != ErrorCode::kNotFound) {
    return Unexpected{key.error()};
  }
  return v;
}

Result<HolderView> BusinessService::create_holder(const AppContext& ctx, const NewHolder& in) {
  DUET_TRY_STATUS(check_text(in.name, 100, "name", true));
  DUET_TRY_STATUS(check_text(in.id_type, 32, "id_type", true));
  DUET_TRY_STATUS(check_text(in.id_number, 64, "id_number", true));
  // Data minimisation: the phone only where an SMS check uses it (below).
  DUET_TRY_STATUS(check_text(in.phone, 32, "phone", false));
  if (!in.identity_verification.empty() && in.identity_verification != "attested" &&
      in.identity_verification != "identity_source") {
    return make_error(ErrorCode::kInvalidArgument, "identity_verification must be attested or identity_source");
  }
  for (char c : in.id_type) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      return make_error(ErrorCode::kInvalidArgument, "id_type must be letters, digits or _");
    }
  }
  for (char c : in.phone) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == ' ')) {
      return make_error(ErrorCode::kInvalidArgument, "phone must be digits");
    }
  }
  DUET_ASSIGN_OR_RETURN(store::App app, stores_.tenants.get_app(ctx.tenant_id, ctx.app_id));
  if (in.phone.empty() && app.sms_otp_required) {
    return make_error(ErrorCode::kInvalidArgument,
                      "phone is required: the app sends an SMS one-time code at activation");
  }
  if (!in.identity_verification.empty() && in.identity_verification != app.identity_mode) {
    return make_error(ErrorCode::kInvalidArgument,
                      "identity_verification must match the app's identity mode (" + app.identity_mode + ")");
  }
  store::Holder h;
  h.tenant_id = ctx.tenant_id;
  h.holder_id = store::new_id("hld_");
  ctx.write.name_audit_target("holder_id", h.holder_id);
  h.identity_verification = app.identity_mode;
  h.identity_verified_by = ctx.app_id;
  h.environment = ctx.environment;
  // The consents arrive with the holder (the business system attests them);
  // checked before the identity source sees anything.
  DUET_ASSIGN_OR_RETURN(std::vector<store::HolderConsent> consents,
                        consent_records(in.consents, ConsentChannel::kBusinessSystem, ctx.tenant_id, h.holder_id,
                                        ctx.app_id, deps_.clock.now()));
  if (app.identity_mode == "identity_source") {
    if (deps_.identity_source == nullptr) {
      return make_error(ErrorCode::kUnavailable, "no identity source is configured");
    }
    DUET_TRY_STATUS(require_current_consents(consents));
    // The source is asked before anything is written, outside any transaction.
    IdentityClaim claim{in.name, in.id_type, in.id_number, in.phone};
    auto verdict = deps_.identity_source->verify(claim);
    secure_wipe(claim.name.data(), claim.name.size());
    secure_wipe(claim.id_number.data(), claim.id_number.size());
    secure_wipe(claim.phone.data(), claim.phone.size());
    if (!verdict.ok()) {
      return make_error(ErrorCode::kUnavailable, "the identity source is unavailable");
    }
    if (!verdict->match) {
      std::string why = verdict->reason.empty() ? "" : " (" + verdict->reason + ")";
      return make_error(ErrorCode::kIdentityRejected, "the identity source does not confirm this identity" + why);
    }
    h.identity_reference = verdict->reference;
  }
  // Sealed under the new holder's own data key (core/holder_fields.h), so
  // erasing the holder destroys them everywhere.
  HolderFields fields{stores_.holders, deps_.protector, deps_.rng, deps_.clock};
  std::string id_full = in.id_type + ":" + in.id_number;
  DUET_ASSIGN_OR_RETURN(h.name_ciphertext, fields.seal(h.tenant_id, h.holder_id, "name", as_bytes(in.name)));
  DUET_ASSIGN_OR_RETURN(h.id_number_ciphertext, fields.seal(h.tenant_id, h.holder_id, "id_number", as_bytes(id_full)));
  if (!in.phone.empty()) {
    DUET_ASSIGN_OR_RETURN(h.phone_ciphertext, fields.seal(h.tenant_id, h.holder_id, "phone", as_bytes(in.phone)));
  }
  h.lookup_hash = deps_.protector.keyed_hash("holder_identity", as_bytes(ctx.tenant_id + "\n" + id_full));
  secure_wipe(id_full.data(), id_full.size());
  h.created_at = deps_.clock.now();
  h.identity_verified_at = h.created_at;
  auto st = stores_.holders.create_holder_with_consents(ctx.write, h, consents);
  if (!st.ok()) {
    if (st.code() == ErrorCode::kConflict) {
      return make_error(ErrorCode::kConflict, "a holder with this identity already exists in the tenant");
    }
    return Unexpected{st.error()};
  }
  return view_holder(h);
}

Result<std::vector<store::HolderConsent>> BusinessService::record_consents(const AppContext& ctx,
                                                                           const std::string& holder_id,
                                                                           const std::vector<GivenConsent>& given) {
  DUET_ASSIGN_OR_RETURN(store::Holder h, holder_in_environment(ctx, holder_id));
  DUET_TRY_STATUS(refuse_erased(h));
  if (given.empty()) return make_error(ErrorCode::kInvalidArgument, "consents must name at least one text");
  DUET_ASSIGN_OR_RETURN(std::vector<store::HolderConsent> records,
                        consent_records(given, ConsentChannel::kBusinessSystem, ctx.tenant_id, h.holder_id,
                                        ctx.app_id, deps_.clock.now()));
  DUET_TRY_STATUS(stores_.holders.record_consents(ctx.write, ctx.tenant_id, h.holder_id, records));
  return stores_.holders.list_consents(ctx.tenant_id, h.holder_id);
}

Result<std::vector<store::HolderConsent>> BusinessService::list_consents(const AppContext& ctx,
                                                                         const std::string& holder_id) {
  DUET_ASSIGN_OR_RETURN(store::Holder h, holder_in_environment(ctx, holder_id));
  return stores_.holders.list_consents(ctx.tenant_id, h.holder_id);
}

Result<store::Holder> BusinessService::holder_in_environment(const AppContext& ctx, std::string_view holder_id) {
  DUET_ASSIGN_OR_RETURN(store::Holder h, stores_.holders.get_holder(ctx.tenant_id, holder_id));
  // The same error, word for word, as a holder id that does not exist.
  if (h.environment != ctx.environment) return store::store_error(store::StoreError::kNotFound, "holder not found");
  return h;
}

Result<HolderView> BusinessService::get_holder(const AppContext& ctx, const std::string& holder_id) {
  DUET_ASSIGN_OR_RETURN(store::Holder h, holder_in_environment(ctx, holder_id));
  return view_holder(h);
}

Result<HolderPage> BusinessService::list_holders(const AppContext& ctx, const std::string& cursor, size_t limit) {
  limit = std::clamp<size_t>(limit, 1, 200);
  DUET_ASSIGN_OR_RETURN(auto holders,
                        stores_.holders.list_holders(ctx.tenant_id, cursor, limit + 1, ctx.environment));
  HolderPage page;
  for (size_t i = 0; i < holders.size() && i < limit; ++i) {
    DUET_ASSIGN_OR_RETURN(HolderView v, view_holder(holders[i]));
    page.holders.push_back(std::move(v));
  }
  if (holders.size() > limit) page.next_cursor = holders[limit - 1].holder_id;
  return page;
}

Result<HolderView> BusinessService::lock_holder(const AppContext& ctx, const std::string& holder_id) {
  DUET_TRY_STATUS(holder_in_environment(ctx, holder_id));
  DUET_TRY_STATUS(stores_.holders.lock_holder(ctx.write, ctx.tenant_id, holder_id));
  return get_holder(ctx, holder_id);
}

Result<HolderView> BusinessService::unlock_holder(const AppContext& ctx, const std::string& holder_id) {
  DUET_ASSIGN_OR_RETURN(store::Holder h, holder_in_environment(ctx, holder_id));
  DUET_TRY_STATUS(refuse_erased(h));
  DUET_TRY_STATUS(stores_.holders.unlock_holder(ctx.write, ctx.tenant_id, holder_id));
  return get_holder(ctx, holder_id);
}

Result<IssuedActivationCode> BusinessService::create_activation_code(const AppContext& ctx,
                                                                     const std::string& holder_id) {
  DUET_ASSIGN_OR_RETURN(store::Holder h, holder_in_environment(ctx, holder_id));
  DUET_TRY_STATUS(refuse_erased(h));
  DUET_ASSIGN_OR_RETURN(store::App app, stores_.tenants.get_app(ctx.tenant_id, ctx.app_id));
  if (app.sms_otp_required && deps_.sms == nullptr) {
    return make_error(ErrorCode::kUnavailable, "no SMS sender is configured");
  }
  // Re-key (a forgotten PIN, a lost phone): the holder already has a key, so the
  // identity is checked again before a new enrollment can start.
  auto existing_key = stores_.holders.get_active_holder_key(ctx.tenant_id, h.holder_id);
  if (!existing_key.ok() && existing_key.code() != ErrorCode::kNotFound) return Unexpected{existing_key.error()};
  const bool identity_purged = h.id_number_ciphertext.empty();
  if (identity_purged && ((existing_key.ok() && app.identity_mode == "identity_source") || app.sms_otp_required)) {
    return make_error(ErrorCode::kConflict,
                      "the holder's ID number and phone were purged by the retention rules; they cannot be "
                      "checked or messaged again");
  }
  if (app.sms_otp_required && h.phone_ciphertext.empty()) {
    return make_error(ErrorCode::kConflict,
                      "the holder has no phone number for the SMS one-time code the app requires");
  }
  if (existing_key.ok() && app.identity_mode == "identity_source") {
    if (deps_.identity_source == nullptr) return make_error(ErrorCode::kUnavailable, "no identity source is configured");
    HolderFields fields{stores_.holders, deps_.protector, deps_.rng, deps_.clock};
    DUET_ASSIGN_OR_RETURN(SecretBytes name, fields.open(h.tenant_id, h.holder_id, "name", h.name_ciphertext));
    DUET_ASSIGN_OR_RETURN(SecretBytes id_full,
                          fields.open(h.tenant_id, h.holder_id, "id_number", h.id_number_ciphertext));
    DUET_ASSIGN_OR_RETURN(SecretBytes phone, open_phone(h));
    std::string idn = to_string(id_full);
    auto colon = idn.find(':');
    IdentityClaim claim{to_string(name), colon == std::string::npos ? "" : idn.substr(0, colon),
                        colon == std::string::npos ? idn : idn.substr(colon + 1), to_string(phone)};
    secure_wipe(idn.data(), idn.size());
    auto verdict = deps_.identity_source->verify(claim);
    secure_wipe(claim.name.data(), claim.name.size());
    secure_wipe(claim.id_number.data(), claim.id_number.size());
    secure_wipe(claim.phone.data(), claim.phone.size());
    if (!verdict.ok()) return make_error(ErrorCode::kUnavailable, "the identity source is unavailable");
    if (!verdict->match) {
      return make_error(ErrorCode::kIdentityRejected, "the identity source no longer confirms this identity");
    }
  }
  // 12 characters of a 30-letter alphabet: ~59 bits, typed as XXXX-XXXX-XXXX.
  std::string code;
  Bytes rnd(12);
  deps_.rng.fill(rnd);
  for (size_t i = 0; i < 12; ++i) {
    // 256 % 30 = 16: reject-free mapping would bias; draw again for values >= 240.
    uint8_t b = rnd[i];
    while (b >= 240) {
      Bytes one(1);
      deps_.rng.fill(one);
      b = one[0];
    }
    code += kCodeAlphabet[b % kCodeAlphabet.size()];
  }
  IssuedActivationCode out;
  out.code = code.substr(0, 4) + "-" + code.substr(4, 4) + "-" + code.substr(8, 4);
  store::ActivationCode rec;
  rec.tenant_id = ctx.tenant_id;
  rec.code_id = store::new_id("act_");
  ctx.write.name_audit_target("code_id", rec.code_id);
  rec.holder_id = h.holder_id;
  rec.code_hash = deps_.protector.keyed_hash("activation_code", as_bytes(code));
  rec.created_at = deps_.clock.now();
  rec.expires_at = rec.created_at + deps_.config.activation_code_ttl_seconds;
  rec.attempts_left = deps_.config.activation_code_attempts;
  std::string otp;
  if (app.sms_otp_required) {
    // Six uniform decimal digits (rejection sampling over 32-bit draws).
    uint32_t v = 0;
    do {
      Bytes four(4);
      deps_.rng.fill(four);
      v = (uint32_t{four[0]} << 24) | (uint32_t{four[1]} << 16) | (uint32_t{four[2]} << 8) | four[3];
    } while (v >= 4294000000u);  // 4294000000 = 4294 * 10^6
    otp = std::to_string(v % 1000000u);
    otp.insert(0, 6 - otp.size(), '0');
    rec.otp_hash = activation_otp_hash(deps_.protector, rec.code_id, otp);
    rec.otp_attempts_left = kActivationOtpAttempts;
  }
  DUET_TRY_STATUS(stores_.holders.create_activation_code(ctx.write, rec));
  if (!otp.empty()) {
    // Sent after the code is stored, outside the transaction. A failed send
    // leaves a code nobody can redeem; the business system asks for another.
    DUET_ASSIGN_OR_RETURN(SecretBytes phone, open_phone(h));
    std::string text = "Duet activation code for " + h.holder_id + ": " + otp;
    Status sent = deps_.sms->send(to_string(phone), text);
    secure_wipe(text.data(), text.size());
    secure_wipe(otp.data(), otp.size());
    if (!sent.ok()) return make_error(ErrorCode::kUnavailable, "the SMS one-time code could not be sent");
  }
  out.code_id = rec.code_id;
  out.holder_id = h.holder_id;
  out.expires_at = rec.expires_at;
  out.uri = "duet://activate?code=" + out.code + "&holder=" + h.holder_id + "&server=" +
            url_encode(deps_.config.public_url);
  out.app_url = web_app_base(deps_.config.public_url) + "#/activate?code=" + url_encode(out.code) +
                "&holder=" + url_encode(h.holder_id);
  out.otp_required = app.sms_otp_required;
  return out;
}

Result<store::SignOrder> BusinessService::create_order(const AppContext& ctx, const NewOrder& in, bool* replayed) {
  if (replayed != nullptr) *replayed = false;
  const CoreConfig& cfg = deps_.config;
  DUET_TRY_STATUS(check_text(in.title, cfg.title_max_chars * 4, "title", true));
  DUET_TRY_STATUS(check_text(in.display_text, cfg.display_text_max_bytes, "display_text", false));
  if (in.output == store::OutputFormat::kPdf) {
    if (!in.items.empty()) return make_error(ErrorCode::kInvalidArgument, "a PDF order carries documents, not items");
    if (in.documents.empty() || in.documents.size() > kMaxOrderDocuments) {
      return make_error(ErrorCode::kInvalidArgument,
                        "a PDF order has 1 to " + std::to_string(kMaxOrderDocuments) + " documents");
    }
  } else if (!in.documents.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "documents need output pdf");
  } else if (in.items.empty() || in.items.size() > cfg.order_max_items) {
    return make_error(ErrorCode::kInvalidArgument,
                      "an order has 1 to " + std::to_string(cfg.order_max_items) + " items");
  }
  for (const auto& item : in.items) {
    if (item.is_digest && item.input.size() != 32) {
      return make_error(ErrorCode::kInvalidArgument, "a digest must be 32 bytes (SM3)");
    }
    if (!item.is_digest && item.input.size() > cfg.order_max_item_bytes) {
      return make_error(ErrorCode::kInvalidArgument, "an item's data is larger than the limit");
    }
  }
  int64_t ttl = in.expires_in_seconds.value_or(cfg.order_default_ttl_seconds);
  if (ttl < 60 || ttl > cfg.order_max_ttl_seconds) {
    return make_error(ErrorCode::kInvalidArgument, "expires_in must be 60 seconds to " +
                                                       std::to_string(cfg.order_max_ttl_seconds) + " seconds");
  }
  if (!in.callback_url.empty() && (in.callback_url.size() > 2048 || (in.callback_url.rfind("http://", 0) != 0 &&
                                                                     in.callback_url.rfind("https://", 0) != 0))) {
    return make_error(ErrorCode::kInvalidArgument, "callback_url must be an http(s) URL");
  }
  if (in.idempotency_key.size() > 128) return make_error(ErrorCode::kInvalidArgument, "Idempotency-Key too long");
  // The holder must exist in this tenant and environment and have a key to sign with.
  DUET_ASSIGN_OR_RETURN(store::Holder holder, holder_in_environment(ctx, in.holder_id));
  DUET_TRY_STATUS(refuse_erased(holder));
  auto key = stores_.holders.get_active_holder_key(ctx.tenant_id, holder.holder_id);
  if (!key.ok()) {
    if (key.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kConflict, "the holder is not enrolled");
    return Unexpected{key.error()};
  }
  if (!in.cms_profile.empty() && (in.cms_profile != "pades" || in.output != store::OutputFormat::kCmsDetached))
    return make_error(ErrorCode::kInvalidArgument, "cms_profile pades needs output cms-detached");
  UnixSeconds now = deps_.clock.now();
  std::optional<store::Certificate> signer_cert;
  std::string oid_style;
  if (is_cms_output(in.output) || in.output == store::OutputFormat::kPdf) {
    for (const auto& item : in.items) {
      if (item.is_digest && in.output == store::OutputFormat::kCmsAttached) {
        return make_error(ErrorCode::kInvalidArgument, "cms-attached needs data_base64 (a digest cannot be attached)");
      }
    }
    // The signer's certificate: the newest good one of the active key now.
    DUET_ASSIGN_OR_RETURN(auto certs, stores_.certificates.list_holder_certificates(ctx.tenant_id, holder.holder_id));
    for (const auto& c : certs) {
      if (c.key_id == key->key_id && !c.revoked && c.not_before <= now && now < c.not_after) {
        signer_cert = c;
        break;
      }
    }
    if (!signer_cert) {
      return make_error(ErrorCode::kConflict, "CMS outputs need the holder's current certificate; the holder has none");
    }
    DUET_ASSIGN_OR_RETURN(store::App app, stores_.tenants.get_app(ctx.tenant_id, ctx.app_id));
    // A PDF's CMS uses the algorithm OIDs PDF readers know (pdf/pdf_signer.h).
    oid_style = in.output == store::OutputFormat::kPdf ? "pkcs7" : app.cms_oid_style;
  }
  store::SignOrder o;
  o.tenant_id = ctx.tenant_id;
  o.order_id = store::new_id("ord_");  // named in the audit event by the store, unless an idempotent replay
  o.app_id = ctx.app_id;
  o.environment = ctx.environment;
  o.holder_id = holder.holder_id;
  o.title = in.title;
  o.display_text = in.display_text;
  o.output_format = in.output;
  for (const auto& item : in.items) o.items.push_back(store::SignItem{item.input, item.is_digest, {}});
  o.created_at = o.updated_at = now;
  std::vector<store::OrderDocument> documents;
  std::optional<PdfSlots> slots;  // held until the order is stored (the prepared documents are in memory)
  if (in.output == store::OutputFormat::kPdf) {
    DUET_ASSIGN_OR_RETURN(PdfSlots taken, PdfSlots::take(deps_.metrics, cfg, ctx.tenant_id, in.documents.size()));
    slots.emplace(std::move(taken));
    // Every document is prepared (and so checked) before anything is
    // written; the seal is the holder's name stamp, dated the order's creation.
    HolderFields fields{stores_.holders, deps_.protector, deps_.rng, deps_.clock};
    // The holder's handwritten signature, when the order's appearance asks
    // for it (docs/pdf.md "Handwritten signature"): "handwritten" without
    // one is refused here, before anything is written; the business system
    // asks the holder to upload one, or orders the name stamp.
    std::optional<Bytes> handwriting;
    if (in.appearance != OrderAppearance::kNameStamp) {
      auto stored = stores_.holders.get_handwritten_signature(holder.tenant_id, holder.holder_id);
      if (stored.ok()) {
        DUET_ASSIGN_OR_RETURN(SecretBytes png, fields.open(holder.tenant_id, holder.holder_id, "handwritten_signature",
                                                          stored->sealed_png));
        handwriting = Bytes(png.view().begin(), png.view().end());
      } else if (stored.code() != ErrorCode::kNotFound) {
        return Unexpected{stored.error()};
      } else if (in.appearance == OrderAppearance::kHandwritten) {
        return make_error(ErrorCode::kConflict,
                          "the holder has no handwritten signature: the holder uploads one in the app first "
                          "(PUT /app/v1/handwritten-signature), or the order asks for appearance name_stamp or "
                          "handwritten_or_name_stamp");
      }
    }
    DUET_ASSIGN_OR_RETURN(SecretBytes name_bytes,
                          fields.open(holder.tenant_id, holder.holder_id, "name", holder.name_ciphertext));
    std::string name = to_string(name_bytes);
    for (size_t i = 0; i < in.documents.size(); ++i) {
      auto prepared = prepare_order_document(cfg, in.documents[i], name, now, static_cast<int>(i),
                                             handwriting ? &*handwriting : nullptr);
      if (!prepared.ok()) {
        secure_wipe(name.data(), name.size());
        if (in.documents.size() == 1) return Unexpected{prepared.error()};
        return make_error(prepared.code(), "documents[" + std::to_string(i) + "]: " + prepared.error().message);
      }
      o.items.push_back(store::SignItem{Bytes(prepared->digest.begin(), prepared->digest.end()), true, {}});
      prepared->document.tenant_id = o.tenant_id;
      prepared->document.order_id = o.order_id;
      documents.push_back(std::move(prepared->document));
    }
    secure_wipe(name.data(), name.size());
    if (handwriting) secure_wipe(handwriting->data(), handwriting->size());
  }
  o.expires_at = o.created_at + ttl;
  if (signer_cert) {
    o.signer_cert_id = signer_cert->cert_id;
    o.cms_oid_style = oid_style;
    o.cms_profile = in.cms_profile;
    // The signed attributes (and so every item's e) are fixed now: build them
    // once to refuse what cannot be signed before the order exists.
    DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::parse(signer_cert->der));
    if (o.output_format == store::OutputFormat::kPdf) {
      for (size_t i = 0; i < o.items.size(); ++i) DUET_TRY_STATUS(pdf_item_plan(cert, documents[i], o.items[i]));
    } else {
      for (const auto& item : o.items) DUET_TRY_STATUS(cms_item_plan(cert, o, item));
    }
  }
  o.callback_url = in.callback_url;
  o.idempotency_key = in.idempotency_key;
  DUET_ASSIGN_OR_RETURN(store::SignOrder stored,
                        o.output_format == store::OutputFormat::kPdf
                            ? stores_.orders.create_document_order(ctx.write, o, documents)
                            : stores_.orders.create_order(ctx.write, o));
  if (stored.order_id != o.order_id) {
    if (!same_order_body(stored, in, ttl) || !same_documents(stores_.orders, stored, in, documents)) {
      return make_error(ErrorCode::kConflict, "Idempotency-Key reused with a different request");
    }
    if (replayed != nullptr) *replayed = true;
  }
  return stored;
}

namespace {
// Certificate requests (kCsr) belong to enrollment, not to the business
// system's orders: they are neither listed nor shown nor cancellable here;
// nor are the other environment's orders.
Result<store::SignOrder> business_order(store::OrderStore& st, const AppContext& ctx, const std::string& order_id) {
  DUET_ASSIGN_OR_RETURN(store::SignOrder o, st.get_order(ctx.tenant_id, order_id));
  if (o.kind != store::OrderKind::kSign || o.environment != ctx.environment) {
    return make_error(ErrorCode::kNotFound, "no such order");
  }
  return o;
}
}  // namespace

Result<store::SignOrder> BusinessService::get_order(const AppContext& ctx, const std::string& order_id) {
  return business_order(stores_.orders, ctx, order_id);
}

Status BusinessService::put_order_previews(const AppContext& ctx, const std::string& order_id, int page_count,
                                           const std::vector<std::pair<int, Bytes>>& pages) {
  DUET_ASSIGN_OR_RETURN(store::Tenant tenant, stores_.tenants.get_tenant(ctx.tenant_id));
  if (!tenant.hybrid_previews) {
    return make_error(ErrorCode::kForbidden,
                      "hybrid previews are not enabled for this tenant (an operator enables them); "
                      "the pages stay on the premises");
  }
  DUET_ASSIGN_OR_RETURN(store::SignOrder o, business_order(stores_.orders, ctx, order_id));
  if (o.app_id != ctx.app_id) return make_error(ErrorCode::kNotFound, "no such order");
  if (o.kind != store::OrderKind::kSign || o.output_format != store::OutputFormat::kCmsDetached ||
      o.items.size() != 1 || !o.items[0].input_is_digest) {
    return make_error(ErrorCode::kInvalidArgument, "previews belong to a digest-only cms-detached order");
  }
  if ((o.state != store::OrderState::kPending && o.state != store::OrderState::kSigning) ||
      o.expires_at <= deps_.clock.now()) {
    return make_error(ErrorCode::kConflict, "the order is " + std::string(order_state_name(o.state)) +
                                                "; previews are taken only while it is open");
  }
  if (page_count < 1 || page_count > 10000) return make_error(ErrorCode::kInvalidArgument, "page_count must be 1 to 10000");
  if (pages.empty() || pages.size() > kMaxOrderPreviews) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pages must hold 1 to " + std::to_string(kMaxOrderPreviews) + " previews");
  }
  const UnixSeconds now = deps_.clock.now();
  std::vector<store::OrderPreview> rows;
  for (const auto& [page, png] : pages) {
    if (page < 1 || page > page_count) return make_error(ErrorCode::kInvalidArgument, "a page is outside 1..page_count");
    for (const auto& r : rows)
      if (r.page == page) return make_error(ErrorCode::kInvalidArgument, "a page is given twice");
    if (png.size() > kMaxOrderPreviewBytes) {
      return make_error(ErrorCode::kPayloadTooLarge,
                        "a preview is larger than " + std::to_string(kMaxOrderPreviewBytes) + " bytes");
    }
    // A PNG: the signature, then an IHDR chunk of 13 bytes with a nonzero size.
    static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const bool png_like = png.size() >= 33 && std::equal(kSignature, kSignature + 8, png.begin()) &&
                          png[8] == 0 && png[9] == 0 && png[10] == 0 && png[11] == 13 &&
                          std::string(png.begin() + 12, png.begin() + 16) == "IHDR" &&
                          (png[16] | png[17] | png[18] | png[19]) != 0 && (png[20] | png[21] | png[22] | png[23]) != 0;
    if (!png_like) return make_error(ErrorCode::kBadEncoding, "a preview is not a PNG");
    rows.push_back(store::OrderPreview{ctx.tenant_id, order_id, page, page_count, png, now});
  }
  return stores_.orders.put_order_previews(ctx.write, ctx.tenant_id, order_id, rows);
}

Result<Bytes> BusinessService::signed_pdf(const AppContext& ctx, const std::string& order_id, size_t index) {
  DUET_ASSIGN_OR_RETURN(store::SignOrder o, business_order(stores_.orders, ctx, order_id));
  if (o.output_format != store::OutputFormat::kPdf) return make_error(ErrorCode::kNotFound, "the order has no PDF");
  if (index >= o.items.size()) return make_error(ErrorCode::kNotFound, "the order has no such document");
  if (o.state != store::OrderState::kSigned) {
    return make_error(ErrorCode::kConflict,
                      "the order is " + std::string(order_state_name(o.state)) + "; its PDF is not signed");
  }
  auto d = stores_.orders.get_order_document(ctx.tenant_id, order_id, static_cast<int>(index));
  if (!d.ok()) {
    if (d.code() == ErrorCode::kNotFound)
      return make_error(ErrorCode::kNotFound, "the document was erased by the retention rules");
    return Unexpected{d.error()};
  }
  if (d->signed_pdf.empty()) return make_error(ErrorCode::kInternal, "a signed order's PDF is missing");
  return std::move(d->signed_pdf);
}

Result<store::OrderPage> BusinessService::list_orders(const AppContext& ctx, const store::OrderFilter& filter) {
  store::OrderFilter f = filter;
  f.limit = std::clamp<size_t>(f.limit, 1, 200);
  f.environment = ctx.environment;
  return stores_.orders.list_orders(ctx.tenant_id, f);
}

Result<store::SignOrder> BusinessService::cancel_order(const AppContext& ctx, const std::string& order_id) {
  DUET_ASSIGN_OR_RETURN(store::SignOrder o, business_order(stores_.orders, ctx, order_id));
  UnixSeconds now = deps_.clock.now();
  store::SignOrder after = o;
  after.state = store::OrderState::kCancelled;
  DUET_TRY_STATUS(
      stores_.orders.cancel_order(ctx.write, ctx.tenant_id, order_id, make_order_callback(after, now), now));
  return stores_.orders.get_order(ctx.tenant_id, order_id);
}

Result<std::string> BusinessService::order_uri(const AppContext& ctx, const std::string& order_id) {
  DUET_ASSIGN_OR_RETURN(store::SignOrder o, business_order(stores_.orders, ctx, order_id));
  return order_uri_for(o.order_id);
}

std::string BusinessService::order_app_url_for(std::string_view order_id) const {
  return web_app_base(deps_.config.public_url) + "#/sign?order=" + url_encode(order_id);
}

std::string BusinessService::order_uri_for(std::string_view order_id) const {
  return "duet://sign?order=" + std::string(order_id) + "&server=" + url_encode(deps_.config.public_url);
}

}  // namespace duet::core
