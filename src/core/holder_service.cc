#include "core/holder_service.h"
#include "core/holder_fields.h"
#include "core/holder_pin_use.h"

#include "core/callbacks.h"
#include "core/certificate_service.h"
#include "core/holder_alarms.h"
#include "core/pin_attempt_rule.h"
#include "core/cms_orders.h"
#include "core/pdf_admission.h"
#include "core/pdf_orders.h"
#include "core/timestamp_service.h"
#include "pdf/page_render.h"
#include "cosign/keygen.h"
#include "cosign/refresh.h"
#include "cosign/sign.h"
#include "crypto/sm2.h"
#include "store/ids.h"

namespace duet::core {
namespace {

bool valid_session_id(const std::string& s) {
  if (s.size() < 8 || s.size() > 64) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

Result<crypto::Digest> item_digest(const crypto::Point& pub, const store::SignItem& item) {
  if (item.input_is_digest) {
    crypto::Digest e{};
    if (item.input.size() != e.size()) return make_error(ErrorCode::kInternal, "stored digest has a bad size");
    std::copy(item.input.begin(), item.input.end(), e.begin());
    return e;
  }
  return crypto::sm2_digest(pub, item.input);
}

bool open_state(store::OrderState s) { return s == store::OrderState::kPending || s == store::OrderState::kSigning; }

PinAttemptPolicy pin_policy(const CoreConfig& c) {
  return PinAttemptPolicy{c.max_failed_attempts, c.pin_failure_budget, c.pin_budget_window_seconds};
}

// The policy for a PIN use on behalf of `app_id` (the order's app, or the app
// that created the holder): its own failure budget if an operator set one.
PinAttemptPolicy pin_policy_for(store::TenantStore& tenants, const CoreConfig& config, std::string_view tenant_id,
                                std::string_view app_id) {
  PinAttemptPolicy policy = pin_policy(config);
  if (app_id.empty()) return policy;
  auto app = tenants.get_app(tenant_id, app_id);
  if (app.ok() && app->pin_failure_budget) policy.budget = *app->pin_failure_budget;
  return policy;
}

}  // namespace

// (Declared in core/holder_pin_use.h from here to the end of this block.)
// A refresh has no order: the app that created (vouched for) the holder.
PinAttemptPolicy holder_pin_policy(const HolderService::Stores& stores, const CoreConfig& config, std::string_view tenant_id,
                                   std::string_view holder_id) {
  auto holder = stores.holders.get_holder(tenant_id, holder_id);
  return pin_policy_for(stores.tenants, config, tenant_id, holder.ok() ? std::string_view(holder->identity_verified_by) : "");
}

std::string share_context(const store::HolderKeyShare& key) { return "key_share:" + key.tenant_id + ":" + key.key_id; }

// OpenedShare (core/holder_pin_use.h): the release of anything computed
// with a share is conditional on the key still holding those bytes
// (Store::accept_sign_attempt / accept_refresh_attempt).
// Opens a key's sealed share. A record sealed before protocol v2 holds no
// P1: it is computed once and the share sealed again with it (best effort: a
// refresh that replaced the share meanwhile wins, and the next use retries).
Result<OpenedShare> open_share(store::HolderStore& holders, keys::DataProtector& protector,
                               const store::WriteContext& write, const store::HolderKeyShare& key) {
  DUET_ASSIGN_OR_RETURN(SecretBytes sealed, protector.open(share_context(key), key.service_share_ciphertext));
  DUET_ASSIGN_OR_RETURN(cosign::ServiceKeyShare share, cosign::ServiceKeyShare::parse(sealed.view()));
  Bytes current = key.service_share_ciphertext;
  if (!share.p1) {
    DUET_ASSIGN_OR_RETURN(crypto::Point p1, share.p1_or_derive());
    share.p1 = p1;
    DUET_ASSIGN_OR_RETURN(SecretBytes v2, share.serialize());
    auto resealed = protector.seal(share_context(key), v2.view());
    if (resealed.ok() &&
        holders.reseal_key_share(write, key.tenant_id, key.key_id, key.service_share_ciphertext, *resealed).ok()) {
      current = *resealed;
    }
  }
  return OpenedShare{std::move(share), std::move(current)};
}

// The error a failed PIN proof answers, with what is left.
Unexpected pin_error(ErrorCode code, std::string message, int attempts_left) {
  Error e{code, std::move(message)};
  e.attempts_left = attempts_left;
  return Unexpected{std::move(e)};
}

// A PIN proof of a use without an order failed at `step` ("refresh",
// "refresh_confirm", "handwriting"):
// the counted attempt recorded as a failure — locking the holder, with its
// alarms, when the rule says so — and the wrong-PIN answer with what is left.
Unexpected refresh_pin_failure(HolderService::Stores& stores, ServiceDeps& deps, const HolderContext& ctx,
                               const std::string& attempt_id, const store::PinAttemptCounters& counted,
                               const PinAttemptPolicy& policy, const char* step, UnixSeconds now) {
  const int left = pin_attempts_left(counted, policy);
  const bool lock = locks_after_failure(counted, policy);
  if (lock) deps.metrics.holder_locks++;
  Status recorded = stores.orders.fail_pin_attempt(
      ctx.write, ctx.tenant_id, attempt_id, lock, "",
      pin_failure_alarms(stores.metering, ctx.tenant_id, ctx.holder_id, nullptr, step, left, lock, now), std::nullopt,
      now);
  if (!recorded.ok()) return Unexpected{recorded.error()};
  return pin_error(ErrorCode::kPinInvalid, "the PIN is wrong", left);
}

Result<HolderContext> HolderService::authenticate_device(std::string_view bearer) {
  if (bearer.empty() || bearer.size() > 200) return make_error(ErrorCode::kUnauthenticated, "missing device token");
  Bytes hash = deps_.protector.keyed_hash("device_token", as_bytes(bearer));
  auto token = stores_.holders.find_device_token(hash);
  if (!token.ok()) {
    if (token.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kUnauthenticated, "unknown device token");
    return Unexpected{token.error()};
  }
  DUET_ASSIGN_OR_RETURN(store::Tenant tenant, stores_.tenants.get_tenant(token->tenant_id));
  if (tenant.suspended) return make_error(ErrorCode::kTenantSuspended, "the tenant is suspended");
  HolderContext ctx{token->tenant_id, token->holder_id};
  ctx.environment = token->holder_environment;
  return ctx;
}

Result<Activation> HolderService::redeem_activation(const store::WriteContext& write, std::string_view code,
                                                    const cosign::KeygenRequest& request, std::string_view otp,
                                                    const std::vector<GivenConsent>& consents) {
  std::string normalized = normalize_activation_code(code);
  if (normalized.size() != 12) return make_error(ErrorCode::kNotFound, "unknown activation code");
  Bytes hash = deps_.protector.keyed_hash("activation_code", as_bytes(normalized));
  auto rec = stores_.holders.find_activation_code(hash);
  if (!rec.ok()) {
    if (rec.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kNotFound, "unknown activation code");
    return Unexpected{rec.error()};
  }
  UnixSeconds now = deps_.clock.now();
  if (rec->used_at) return make_error(ErrorCode::kConflict, "activation code already used");
  if (rec->expires_at <= now) return make_error(ErrorCode::kExpired, "activation code expired");
  if (rec->attempts_left <= 0) return make_error(ErrorCode::kConflict, "activation code has no attempts left");
  if (!rec->otp_hash.empty()) {
    if (rec->otp_attempts_left <= 0) {
      return make_error(ErrorCode::kConflict, "no one-time code attempts left; ask for a new activation code");
    }
    if (otp.empty()) return make_error(ErrorCode::kUnauthenticated, "the SMS one-time code (otp) is required");
    Bytes got = activation_otp_hash(deps_.protector, rec->code_id, otp.size() > 16 ? otp.substr(0, 16) : otp);
    if (otp.size() != 6 || !constant_time_equal(got, rec->otp_hash)) {
      auto left = stores_.holders.spend_otp_attempt(write, rec->tenant_id, rec->code_id);
      if (!left.ok()) {
        if (left.code() == ErrorCode::kConflict) {
          return make_error(ErrorCode::kConflict, "no one-time code attempts left; ask for a new activation code");
        }
        return Unexpected{left.error()};
      }
      return make_error(ErrorCode::kUnauthenticated, "wrong one-time code");
    }
  }

  // The holder's acceptances, given now or recorded before (docs/consent.md).
  if (!consents.empty()) {
    DUET_ASSIGN_OR_RETURN(std::vector<store::HolderConsent> records,
                          consent_records(consents, ConsentChannel::kHolderApp, rec->tenant_id, rec->holder_id,
                                          rec->holder_id, now));
    DUET_TRY_STATUS(stores_.holders.record_consents(write, rec->tenant_id, rec->holder_id, records));
  }
  DUET_ASSIGN_OR_RETURN(std::vector<store::HolderConsent> recorded,
                        stores_.holders.list_consents(rec->tenant_id, rec->holder_id));
  DUET_TRY_STATUS(require_current_consents(recorded));

  auto keyed = cosign::ServiceKeygen::respond(rec->holder_id, request, deps_.rng);
  if (!keyed.ok()) {
    if (keyed.code() == ErrorCode::kBadProof) {
      (void)stores_.holders.spend_activation_attempt(write, rec->tenant_id, rec->code_id);
    }
    return Unexpected{keyed.error()};
  }
  auto& [share, response] = *keyed;
  store::ActivationCompletion c;
  c.tenant_id = rec->tenant_id;
  c.code_id = rec->code_id;
  c.now = now;
  c.key.tenant_id = rec->tenant_id;
  c.key.key_id = store::new_id("key_");
  c.key.holder_id = rec->holder_id;
  c.key.public_key_hex = share.public_key.to_hex();
  c.key.created_at = now;
  DUET_ASSIGN_OR_RETURN(SecretBytes serialized, share.serialize());
  DUET_ASSIGN_OR_RETURN(c.key.service_share_ciphertext,
                        deps_.protector.seal("key_share:" + c.key.tenant_id + ":" + c.key.key_id, serialized.view()));
  Bytes token_raw(32);
  deps_.rng.fill(token_raw);
  std::string token = "dtk_" + to_hex(token_raw);
  secure_wipe(token_raw.data(), token_raw.size());
  c.token.tenant_id = rec->tenant_id;
  c.token.holder_id = rec->holder_id;
  c.token.token_hash = deps_.protector.keyed_hash("device_token", as_bytes(token));
  c.token.created_at = now;
  DUET_TRY_STATUS(stores_.holders.complete_activation(write, c));
  deps_.metrics.enrollments++;
  // Re-key: complete_activation revoked the holder's older keys and tokens;
  // their still-good certificates are revoked now (superseded). Idempotent and
  // retried by the holder's next certificate request, so a failure here does
  // not fail the enrollment (the new device already holds its key share).
  if (certs_ != nullptr)
    (void)certs_->supersede_stale_certificates(write, c.tenant_id, c.key.holder_id, c.key.key_id, now);
  return Activation{rec->tenant_id, rec->holder_id, token, response};
}

Result<std::vector<store::HolderConsent>> HolderService::record_consents(const HolderContext& ctx,
                                                                         const std::vector<GivenConsent>& consents) {
  if (consents.empty()) return make_error(ErrorCode::kInvalidArgument, "consents must name at least one text");
  DUET_ASSIGN_OR_RETURN(std::vector<store::HolderConsent> records,
                        consent_records(consents, ConsentChannel::kHolderApp, ctx.tenant_id, ctx.holder_id,
                                        ctx.holder_id, deps_.clock.now()));
  DUET_TRY_STATUS(stores_.holders.record_consents(ctx.write, ctx.tenant_id, ctx.holder_id, records));
  return stores_.holders.list_consents(ctx.tenant_id, ctx.holder_id);
}

Result<OrderForHolder> HolderService::for_holder(const HolderContext& ctx, store::SignOrder order) {
  // Another holder's order is indistinguishable from a missing one.
  if (order.holder_id != ctx.holder_id) return make_error(ErrorCode::kNotFound, "no such order");
  auto key = stores_.holders.get_active_holder_key(ctx.tenant_id, ctx.holder_id);
  if (!key.ok()) {
    // Revoked (certificate revocation shreds the share) or never enrolled.
    if (key.code() == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kConflict, "the holder has no active key (revoked or not enrolled)");
    }
    return Unexpected{key.error()};
  }
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, crypto::Point::from_hex(key->public_key_hex));
  OrderForHolder out{std::move(order), {}, key->public_key_hex, *key, {}, {}, {}, {}};
  if (out.order.output_format == store::OutputFormat::kPdf) {
    DUET_ASSIGN_OR_RETURN(store::Certificate c, stores_.certificates.get_certificate(ctx.tenant_id, out.order.signer_cert_id));
    if (c.key_id != key->key_id) {
      return make_error(ErrorCode::kConflict, "the order's certificate is not of the holder's active key");
    }
    DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::parse(c.der));
    for (size_t i = 0; i < out.order.items.size(); ++i) {
      // Without the document's bytes: e depends on the ByteRange digest (the
      // item's input), the /SubFilter and the time only.
      DUET_ASSIGN_OR_RETURN(store::OrderDocument doc, stores_.orders.get_order_document_info(
                                                          ctx.tenant_id, out.order.order_id, static_cast<int>(i)));
      DUET_ASSIGN_OR_RETURN(CmsItemPlan plan, pdf_item_plan(cert, doc, out.order.items[i]));
      out.digests.push_back(plan.e);
      out.signed_attributes.push_back(std::move(plan.signed_attributes));
      out.documents.push_back(std::move(doc));
    }
    out.signer_cert_der = std::move(c.der);
    return out;
  }
  if (is_cms_output(out.order.output_format)) {
    DUET_ASSIGN_OR_RETURN(store::Certificate c, stores_.certificates.get_certificate(ctx.tenant_id, out.order.signer_cert_id));
    if (c.key_id != key->key_id) {
      return make_error(ErrorCode::kConflict, "the order's certificate is not of the holder's active key");
    }
    DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::parse(c.der));
    for (const auto& item : out.order.items) {
      DUET_ASSIGN_OR_RETURN(CmsItemPlan plan, cms_item_plan(cert, out.order, item));
      out.digests.push_back(plan.e);
      out.signed_attributes.push_back(std::move(plan.signed_attributes));
    }
    out.signer_cert_der = std::move(c.der);
    if (out.order.output_format == store::OutputFormat::kCmsDetached && out.order.items.size() == 1 &&
        out.order.items[0].input_is_digest) {
      DUET_ASSIGN_OR_RETURN(out.previews, stores_.orders.list_order_previews(ctx.tenant_id, out.order.order_id));
    }
    return out;
  }
  for (const auto& item : out.order.items) {
    DUET_ASSIGN_OR_RETURN(crypto::Digest e, item_digest(pub, item));
    out.digests.push_back(e);
  }
  return out;
}

Result<std::vector<OrderForHolder>> HolderService::pending_orders(const HolderContext& ctx, size_t limit) {
  DUET_ASSIGN_OR_RETURN(auto orders, stores_.orders.list_open_orders(ctx.tenant_id, ctx.holder_id, deps_.clock.now(),
                                                                  std::clamp<size_t>(limit, 1, 100)));
  std::vector<OrderForHolder> out;
  if (orders.empty()) return out;
  auto key = stores_.holders.get_active_holder_key(ctx.tenant_id, ctx.holder_id);
  if (!key.ok()) {
    if (key.code() == ErrorCode::kNotFound) return out;  // nothing can be signed without a key
    return Unexpected{key.error()};
  }
  for (auto& o : orders) {
    DUET_ASSIGN_OR_RETURN(OrderForHolder v, for_holder(ctx, std::move(o)));
    out.push_back(std::move(v));
  }
  return out;
}

Result<OrderForHolder> HolderService::order_details(const HolderContext& ctx, const std::string& order_id) {
  DUET_ASSIGN_OR_RETURN(store::SignOrder o, stores_.orders.get_order(ctx.tenant_id, order_id));
  return for_holder(ctx, std::move(o));
}

Result<SignStart> HolderService::start_signing(const HolderContext& ctx, const std::string& order_id,
                                               const std::string& session_id,
                                               const cosign::SignSessionRequest& request) {
  if (!valid_session_id(session_id)) {
    return make_error(ErrorCode::kInvalidArgument, "session_id must be 8 to 64 characters [A-Za-z0-9_-]");
  }
  // Public checks first: none of them needs the PIN, so none counts.
  DUET_ASSIGN_OR_RETURN(OrderForHolder o, order_details(ctx, order_id));
  UnixSeconds now = deps_.clock.now();
  // A locked holder hears "locked" whatever became of the order (a lockout
  // fails the order it happened on); the store checks again atomically.
  DUET_ASSIGN_OR_RETURN(store::Holder holder, stores_.holders.get_holder(ctx.tenant_id, ctx.holder_id));
  if (holder.status == store::HolderStatus::kLocked) return pin_error(ErrorCode::kLocked, "the holder is locked", 0);
  if (holder.refresh_required) {
    return make_error(ErrorCode::kRefreshRequired, "a share refresh must run before the next signature");
  }
  if (!open_state(o.order.state)) return make_error(ErrorCode::kConflict, "the order is not open for signing");
  if (o.order.expires_at <= now) return make_error(ErrorCode::kConflict, "the order has expired");
  if (request.items.size() != o.order.items.size()) {
    return make_error(ErrorCode::kInvalidArgument, "one sign request per order item is required");
  }

  // One attempt, committed before any work that depends on the PIN.
  const PinAttemptPolicy policy = pin_policy_for(stores_.tenants, deps_.config, ctx.tenant_id, o.order.app_id);
  const std::string attempt_id = store::new_id("pat_");
  store::SignSession session;
  session.tenant_id = ctx.tenant_id;
  session.session_id = session_id;
  session.order_id = order_id;
  session.holder_id = ctx.holder_id;
  session.created_at = session.updated_at = now;
  auto counted = stores_.orders.begin_sign_attempt(ctx.write, session, attempt_id, now - policy.window_seconds,
                                                   pin_attempt_rule(policy), now);
  if (!counted.ok()) {
    if (counted.code() == ErrorCode::kLocked) return pin_error(ErrorCode::kLocked, "the holder is locked", 0);
    return Unexpected{counted.error()};
  }
  deps_.metrics.sign_attempts++;

  auto fail = [&](ErrorCode code, std::string message) -> Unexpected {
    const int left = pin_attempts_left(*counted, policy);
    const bool lock = locks_after_failure(*counted, policy);
    if (lock) deps_.metrics.holder_locks++;
    deps_.metrics.failed_signatures++;
    store::SignOrder failed = o.order;
    failed.state = store::OrderState::kFailed;
    Status recorded = stores_.orders.fail_pin_attempt(
        ctx.write, ctx.tenant_id, attempt_id, lock, session_id,
        pin_failure_alarms(stores_.metering, ctx.tenant_id, ctx.holder_id, &o.order, "sign", left, lock, now),
        make_order_callback(failed, now), now);
    if (!recorded.ok()) return Unexpected{recorded.error()};
    return pin_error(code, std::move(message), left);
  };

  DUET_ASSIGN_OR_RETURN(OpenedShare opened, open_share(stores_.holders, deps_.protector, ctx.write, o.key));
  const cosign::ServiceKeyShare& share = opened.share;
  DUET_ASSIGN_OR_RETURN(crypto::Point p1, share.p1_or_derive());
  auto verified = cosign::ServiceSigner::verify_session(
      p1, cosign::SignSessionContext{order_id, session_id, o.digests}, request);
  if (!verified.ok()) {
    if (verified.code() == ErrorCode::kPinInvalid) return fail(ErrorCode::kPinInvalid, "the PIN is wrong");
    if (verified.code() == ErrorCode::kBadProof) {
      return fail(ErrorCode::kBadProof, "a sign request's proof does not verify");
    }
    return Unexpected{verified.error()};
  }
  DUET_ASSIGN_OR_RETURN(std::vector<cosign::SignResponse> responses,
                        cosign::ServiceSigner::respond(share, *verified, deps_.rng));
  std::vector<std::string> r_values;
  for (const auto& resp : responses) r_values.push_back(resp.r.to_hex());
  // Released only if the key still holds the share these answers came from.
  DUET_TRY_STATUS(stores_.orders.accept_sign_attempt(ctx.write, ctx.tenant_id, session_id, attempt_id, r_values, now,
                                                     o.key.key_id, opened.sealed));

  SignStart out;
  out.session_id = session_id;
  out.responses = std::move(responses);
  out.attempts_left = pin_attempts_left(counters_after_verified(*counted), policy);
  return out;
}

Result<store::SignOrder> HolderService::finish_signing(const HolderContext& ctx, const std::string& order_id,
                                                       const std::string& session_id,
                                                       const std::vector<cosign::SignFinish>& finishes) {
  DUET_ASSIGN_OR_RETURN(store::SignSession session, stores_.orders.get_sign_session(ctx.tenant_id, session_id));
  if (session.holder_id != ctx.holder_id || session.order_id != order_id) {
    return make_error(ErrorCode::kNotFound, "no such signing session");
  }
  if (session.state != store::SessionState::kOpen) return make_error(ErrorCode::kConflict, "the session is closed");
  DUET_ASSIGN_OR_RETURN(OrderForHolder o, order_details(ctx, order_id));
  if (finishes.size() != o.order.items.size() || session.r_values.size() != finishes.size()) {
    return make_error(ErrorCode::kInvalidArgument, "one finish per order item is required");
  }
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, crypto::Point::from_hex(o.public_key_hex));
  std::optional<pki::Certificate> cms_cert;
  const bool pdf_output = o.order.output_format == store::OutputFormat::kPdf;
  if (is_cms_output(o.order.output_format) || pdf_output) {
    DUET_ASSIGN_OR_RETURN(pki::Certificate c, pki::Certificate::parse(o.signer_cert_der));
    cms_cert.emplace(std::move(c));
  }
  std::vector<Bytes> outputs;
  std::vector<crypto::Sm2Signature> verified;
  bool all_valid = true;
  for (size_t i = 0; i < finishes.size(); ++i) {
    DUET_ASSIGN_OR_RETURN(crypto::Scalar r, crypto::Scalar::from_hex_nonzero(session.r_values[i]));
    cosign::SignContext sc{order_id, session_id, o.digests[i]};
    auto sig = cosign::ServiceSigner::finish(pub, sc, r, finishes[i]);
    if (!sig.ok()) {
      all_valid = false;
      break;
    }
    verified.push_back(*sig);
    if (pdf_output) {
      DUET_ASSIGN_OR_RETURN(Bytes cms,
                            pdf_item_assemble(*cms_cert, o.documents[i], o.order.items[i], o.digests[i], *sig));
      outputs.push_back(std::move(cms));
    } else if (cms_cert) {
      DUET_ASSIGN_OR_RETURN(Bytes cms, cms_item_assemble(*cms_cert, o.order, o.order.items[i], o.digests[i], *sig));
      outputs.push_back(std::move(cms));
    } else if (o.order.output_format == store::OutputFormat::kDer) {
      outputs.push_back(sig->to_der());
    } else {
      Bytes raw(sig->r.bytes().begin(), sig->r.bytes().end());
      raw.insert(raw.end(), sig->s.bytes().begin(), sig->s.bytes().end());
      outputs.push_back(std::move(raw));
    }
  }
  UnixSeconds now = deps_.clock.now();
  if (!all_valid) {
    deps_.metrics.failed_signatures++;
    store::SignOrder failed = o.order;
    failed.state = store::OrderState::kFailed;
    auto state =
        stores_.orders.fail_sign_session(ctx.write, ctx.tenant_id, session_id, make_order_callback(failed, now), now);
    if (!state.ok()) return Unexpected{state.error()};
    return make_error(ErrorCode::kSignatureInvalid,
                      *state == store::OrderState::kFailed
                          ? "the signature does not verify; the holder is now locked and the order failed"
                          : "the signature does not verify (wrong PIN?)");
  }
  if (o.order.kind == store::OrderKind::kCsr) {
    // The certificate is issued and stored with the order's completion; no
    // callback, not metered as a co-signature.
    if (certs_ == nullptr) return make_error(ErrorCode::kUnavailable, "certificate issuance is not configured");
    DUET_TRY_STATUS(
        certs_->issue_for_csr_order(ctx.write, o.order, session_id, verified.front(), outputs.front(), now));
    deps_.metrics.certificates_issued++;
    return stores_.orders.get_order(ctx.tenant_id, order_id);
  }
  std::vector<Bytes> signed_pdfs;
  std::optional<PdfSlots> slots;  // the prepared and signed documents are in memory until stored
  if (pdf_output) {
    DUET_ASSIGN_OR_RETURN(PdfSlots taken, PdfSlots::take(deps_.metrics, deps_.config, ctx.tenant_id, outputs.size()));
    slots.emplace(std::move(taken));
    // PAdES B-T: the signature timestamped by the built-in unit, then the CMS
    // written into the reserve. Nothing is stored until every PDF is built.
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (tsa_ != nullptr) {
        DUET_ASSIGN_OR_RETURN(outputs[i], tsa_->stamp_signature(outputs[i], now));
      }
      // The document's bytes are read here only, once per completion.
      DUET_ASSIGN_OR_RETURN(store::OrderDocument doc,
                            stores_.orders.get_order_document(ctx.tenant_id, order_id, static_cast<int>(i)));
      DUET_ASSIGN_OR_RETURN(Bytes signed_pdf, pdf_embed(doc, o.order.items[i], outputs[i]));
      signed_pdfs.push_back(std::move(signed_pdf));
    }
  }
  store::SignOrder signed_order = o.order;
  signed_order.state = store::OrderState::kSigned;
  for (size_t i = 0; i < outputs.size(); ++i) signed_order.items[i].signature = outputs[i];
  signed_order.updated_at = now;
  if (pdf_output) {
    DUET_TRY_STATUS(stores_.orders.finish_document_order(ctx.write, ctx.tenant_id, order_id, session_id, outputs,
                                                         signed_pdfs, make_order_callback(signed_order, now), now));
  } else {
    DUET_TRY_STATUS(stores_.orders.finish_order(ctx.write, ctx.tenant_id, order_id, session_id, outputs,
                                                make_order_callback(signed_order, now), now));
  }
  deps_.metrics.cosignatures += outputs.size();
  return signed_order;  // exactly what finish_order wrote; no second read
}

Result<Bytes> HolderService::order_page_png(const HolderContext& ctx, const std::string& order_id, size_t item,
                                            int page) {
  DUET_ASSIGN_OR_RETURN(store::SignOrder o, stores_.orders.get_order(ctx.tenant_id, order_id));
  // Another holder's order is indistinguishable from a missing one.
  if (o.holder_id != ctx.holder_id || o.kind != store::OrderKind::kSign) {
    return make_error(ErrorCode::kNotFound, "no such order");
  }
  if (item >= o.items.size()) return make_error(ErrorCode::kNotFound, "the order has no such document");
  if (o.output_format != store::OutputFormat::kPdf) {
    // Hybrid cloud: only what duet-gateway uploaded, never rendered here
    // (duetd has no document to render).
    if (o.output_format != store::OutputFormat::kCmsDetached || item != 0)
      return make_error(ErrorCode::kNotFound, "the order has no PDF");
    if (!open_state(o.state) || o.expires_at <= deps_.clock.now()) {
      return make_error(ErrorCode::kConflict, "the order is not open for signing");
    }
    auto preview = stores_.orders.get_order_preview(ctx.tenant_id, order_id, page);
    if (!preview.ok()) {
      if (preview.code() == ErrorCode::kNotFound)
        return make_error(ErrorCode::kNotFound, "no preview of that page (kept on premises)");
      return Unexpected{preview.error()};
    }
    return std::move(preview->png);
  }
  if (!open_state(o.state) || o.expires_at <= deps_.clock.now()) {
    return make_error(ErrorCode::kConflict, "the order is not open for signing");
  }
  DUET_ASSIGN_OR_RETURN(PdfSlots slot, PdfSlots::take(deps_.metrics, deps_.config, ctx.tenant_id));
  DUET_ASSIGN_OR_RETURN(store::OrderDocument doc,
                        stores_.orders.get_order_document(ctx.tenant_id, order_id, static_cast<int>(item)));
  if (page < 1 || page > doc.page_count) {
    return make_error(ErrorCode::kInvalidArgument, "page must be 1 to " + std::to_string(doc.page_count));
  }
  pdf::RenderOptions ro;
  ro.dpi = deps_.config.pdf_preview_dpi;
  // The prepared document may exceed the original limit by its update.
  ro.max_pdf_bytes = doc.prepared_pdf.size();
  return pdf::render_page_png(doc.prepared_pdf, page, ro);
}


Result<store::SignOrder> HolderService::reject_order(const HolderContext& ctx, const std::string& order_id) {
  DUET_ASSIGN_OR_RETURN(store::SignOrder o, stores_.orders.get_order(ctx.tenant_id, order_id));
  if (o.holder_id != ctx.holder_id) return make_error(ErrorCode::kNotFound, "no such order");
  UnixSeconds now = deps_.clock.now();
  store::SignOrder after = o;
  after.state = store::OrderState::kRejected;
  DUET_TRY_STATUS(
      stores_.orders.reject_order(ctx.write, ctx.tenant_id, order_id, make_order_callback(after, now), now));
  return stores_.orders.get_order(ctx.tenant_id, order_id);
}

Result<cosign::RefreshResponse> HolderService::begin_refresh(const HolderContext& ctx, const std::string& refresh_id,
                                                             const cosign::RefreshRequest& request) {
  if (!valid_session_id(refresh_id)) {
    return make_error(ErrorCode::kInvalidArgument, "refresh_id must be 8 to 64 characters [A-Za-z0-9_-]");
  }
  DUET_ASSIGN_OR_RETURN(store::HolderKeyShare key, stores_.holders.get_active_holder_key(ctx.tenant_id, ctx.holder_id));
  UnixSeconds now = deps_.clock.now();
  const PinAttemptPolicy policy = holder_pin_policy(stores_, deps_.config, ctx.tenant_id, ctx.holder_id);
  const std::string attempt_id = store::new_id("pat_");
  store::ShareRefresh rec;
  rec.tenant_id = ctx.tenant_id;
  rec.refresh_id = refresh_id;
  rec.key_id = key.key_id;
  rec.holder_id = ctx.holder_id;
  rec.created_at = now;
  // Locked holders and used refresh ids are refused inside, before counting.
  auto counted = stores_.orders.begin_refresh_attempt(ctx.write, rec, attempt_id, now - policy.window_seconds,
                                                      pin_attempt_rule(policy), now);
  if (!counted.ok()) {
    if (counted.code() == ErrorCode::kLocked) return pin_error(ErrorCode::kLocked, "the holder is locked", 0);
    return Unexpected{counted.error()};
  }
  DUET_ASSIGN_OR_RETURN(OpenedShare opened, open_share(stores_.holders, deps_.protector, ctx.write, key));
  auto responded = cosign::ServiceRefresh::respond(opened.share, ctx.holder_id, refresh_id, request, deps_.rng);
  if (!responded.ok()) {
    if (responded.code() != ErrorCode::kPinInvalid) return Unexpected{responded.error()};
    return refresh_pin_failure(stores_, deps_, ctx, attempt_id, *counted, policy, "refresh", now);
  }
  auto& [pending, response] = *responded;
  DUET_ASSIGN_OR_RETURN(SecretBytes serialized, pending.serialize());
  // Sealed under the key's own context: it replaces the share in place.
  DUET_ASSIGN_OR_RETURN(Bytes sealed_pending, deps_.protector.seal(share_context(key), serialized.view()));
  DUET_TRY_STATUS(stores_.orders.accept_refresh_attempt(ctx.write, ctx.tenant_id, refresh_id, attempt_id,
                                                        sealed_pending, now, key.key_id, opened.sealed));
  return response;
}

Result<std::string> HolderService::confirm_refresh(const HolderContext& ctx, const std::string& refresh_id,
                                                   const cosign::RefreshConfirm& confirm) {
  if (!valid_session_id(refresh_id)) return make_error(ErrorCode::kNotFound, "unknown refresh");
  UnixSeconds now = deps_.clock.now();
  {
    // The device-facing answers of the public refusals (the store refuses
    // the same again atomically, before counting).
    auto rec = stores_.orders.get_share_refresh(ctx.tenant_id, refresh_id);
    if (!rec.ok()) {
      if (rec.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kNotFound, "unknown refresh");
      return Unexpected{rec.error()};
    }
    if (rec->holder_id != ctx.holder_id) return make_error(ErrorCode::kNotFound, "unknown refresh");
    if (rec->state == store::RefreshState::kConfirmed) {
      return make_error(ErrorCode::kConflict, "share refresh already confirmed");
    }
    if (rec->state != store::RefreshState::kOpen) return make_error(ErrorCode::kConflict, "the refresh is not open");
  }
  const PinAttemptPolicy policy = holder_pin_policy(stores_, deps_.config, ctx.tenant_id, ctx.holder_id);
  const std::string attempt_id = store::new_id("pat_");
  // Unknown, used, expired refreshes and locked holders are refused inside,
  // before counting.
  auto counted = stores_.orders.begin_confirm_attempt(ctx.write, ctx.tenant_id, ctx.holder_id, refresh_id, attempt_id,
                                                      now - deps_.config.refresh_ttl_seconds,
                                                      now - policy.window_seconds, pin_attempt_rule(policy), now);
  if (!counted.ok()) {
    if (counted.code() == ErrorCode::kLocked) return pin_error(ErrorCode::kLocked, "the holder is locked", 0);
    if (counted.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kNotFound, "unknown refresh");
    if (counted.code() == ErrorCode::kExpired) return make_error(ErrorCode::kExpired, "the share refresh has expired");
    return Unexpected{counted.error()};
  }
  DUET_ASSIGN_OR_RETURN(store::ShareRefresh rec, stores_.orders.get_share_refresh(ctx.tenant_id, refresh_id));
  DUET_ASSIGN_OR_RETURN(SecretBytes sealed,
                        deps_.protector.open("key_share:" + ctx.tenant_id + ":" + rec.key_id,
                                             rec.pending_share_ciphertext));
  DUET_ASSIGN_OR_RETURN(cosign::ServiceKeyShare pending, cosign::ServiceKeyShare::parse(sealed.view()));
  Status proved = cosign::ServiceRefresh::confirm(pending, ctx.holder_id, refresh_id, confirm);
  if (!proved.ok()) {
    if (proved.code() != ErrorCode::kPinInvalid) return Unexpected{proved.error()};
    return refresh_pin_failure(stores_, deps_, ctx, attempt_id, *counted, policy, "refresh_confirm", now);
  }

  Bytes token_raw(32);
  deps_.rng.fill(token_raw);
  std::string token = "dtk_" + to_hex(token_raw);
  secure_wipe(token_raw.data(), token_raw.size());
  store::DeviceToken t;
  t.tenant_id = ctx.tenant_id;
  t.holder_id = ctx.holder_id;
  t.token_hash = deps_.protector.keyed_hash("device_token", as_bytes(token));
  t.created_at = now;
  DUET_TRY_STATUS(stores_.orders.confirm_share_refresh(ctx.write, ctx.tenant_id, refresh_id, attempt_id, t, now));
  return token;
}

}  // namespace duet::core
