// The Holder API's domain rules (docs/api/openapi.yaml, docs/protocol.md §4–5): the
// service's role in key generation and signing, device tokens, the attempt and
// lockout rule.
#pragma once

#include <string>
#include <vector>

#include "cosign/messages.h"
#include "core/business_service.h"
#include "core/contexts.h"
#include "core/core_deps.h"
#include "store/tenants.h"
#include "store/holders.h"
#include "store/orders.h"
#include "store/certificates.h"
#include "store/metering.h"

namespace duet::core {

struct Activation {
  std::string tenant_id;
  std::string holder_id;
  std::string device_token;  // bearer credential for /app/v1; only its hash is kept
  cosign::KeygenResponse keygen_response;
};

struct OrderForHolder {
  store::SignOrder order;
  std::vector<crypto::Digest> digests;  // e per item, for the app to check what it signs
  std::string public_key_hex;
  store::HolderKeyShare key;            // the active key (sealed share), read once per request
  // CMS outputs: DER signed attributes per item (e covers them) and the signer's certificate.
  std::vector<Bytes> signed_attributes;
  Bytes signer_cert_der;
  // PDF outputs: what is known of each item's document (its pages, the
  // stamped ones, ByteRange, /SubFilter, time) without its bytes
  // (OrderStore::get_order_document_info); the bytes are read only where
  // they are used (previews, completion).
  std::vector<store::OrderDocument> documents = {};
  // Hybrid cloud: the page previews duet-gateway uploaded for a digest-only
  // order (without their PNGs; docs/gateway.md "Page previews"); empty when
  // none — the document and its pages then stay on the premises.
  std::vector<store::OrderPreview> previews = {};
};

struct HandwrittenSignatureView {
  int64_t width = 0;   // pixels
  int64_t height = 0;
  store::UnixSeconds updated_at = 0;
};

struct SignStart {
  std::string session_id;
  std::vector<cosign::SignResponse> responses;
  int attempts_left = 0;
};

class CertificateService;
class TimestampService;

class HolderService {
 public:
  // The store areas the service uses (the daemon passes its one store::Store).
  struct Stores {
    store::TenantStore& tenants;
    store::HolderStore& holders;
    store::OrderStore& orders;
    store::CertificateStore& certificates;
    store::MeteringStore& metering;
    explicit Stores(store::Store& s) : tenants(s), holders(s), orders(s), certificates(s), metering(s) {}
  };

  // `certs` (nullable: no certificate requests then) issues the certificate
  // when a kCsr order is finished; it must outlive this object.
  // `tsa` (nullable) timestamps the CMS of PDF orders (PAdES B-T); without
  // one they are completed as B-B. Both must outlive this object.
  explicit HolderService(CoreDeps deps, CertificateService* certs = nullptr, TimestampService* tsa = nullptr)
      : deps_(deps), stores_(deps.store), certs_(certs), tsa_(tsa) {}

  // Bearer token → holder; kUnauthenticated otherwise.
  Result<HolderContext> authenticate_device(std::string_view bearer_token);

  // Redeems a one-time activation code with the device's key-generation
  // message: verifies its proof (a bad proof spends one of the code's
  // attempts), generates d2, stores the sealed share, issues a device token —
  // code use, key, token in one transaction. An earlier key of the holder is
  // revoked (re-enrollment).
  // A code issued with an SMS one-time code (the app's sms_otp_required) also
  // needs `otp`, checked before anything else is done: missing is
  // kUnauthenticated (nothing spent); wrong spends one OTP attempt and is
  // kUnauthenticated "wrong one-time code" (no key is generated, the code
  // stays usable); with no OTP attempts left, kConflict.
  //
  // Consent (docs/consent.md): after the code (and OTP) checks, `consents`
  // given by the holder app are recorded (channel holder_app, attested by the
  // holder, in their own transaction: the holder accepted whatever follows);
  // then the holder must have accepted the current texts, through either
  // channel: else kConsentRequired and nothing of the code is spent.
  Result<Activation> redeem_activation(const store::WriteContext& write, std::string_view code,
                                       const cosign::KeygenRequest& request, std::string_view otp = {},
                                       const std::vector<GivenConsent>& consents = {});

  // POST /app/v1/consents: the holder accepts texts in the app (an enrolled
  // holder accepting a new version). Answers the holder's acceptances.
  Result<std::vector<store::HolderConsent>> record_consents(const HolderContext& ctx,
                                                            const std::vector<GivenConsent>& consents);

  Result<std::vector<OrderForHolder>> pending_orders(const HolderContext& ctx, size_t limit);
  Result<OrderForHolder> order_details(const HolderContext& ctx, const std::string& order_id);

  // Page `page` (from 1) of document `item` of the holder's PDF order, as
  // prepared (the seal already drawn where it will be), rendered as PNG at
  // pdf_preview_dpi: what the app shows before the PIN is asked. kNotFound
  // for another holder's order, a non-PDF order, an unknown item; kInvalidArgument
  // for a page out of range; kConflict once the order is no longer open.
  // A digest-only order (hybrid cloud) answers the preview duet-gateway
  // uploaded for that page (item 0 only); kNotFound for a page it did not
  // upload.
  Result<Bytes> order_page_png(const HolderContext& ctx, const std::string& order_id, size_t item, int page);

  // The holder's handwritten-signature image (docs/pdf.md "Handwritten
  // signature"), one per holder, used by PDF orders whose appearance asks for
  // it. Personal data that a phone thief must not read, replace or delete:
  // every operation needs a PIN proof (docs/protocol.md §6.1), two rounds.
  //
  // Round 1, handwriting_challenge: operation "put", "get" or "delete"
  // (else kInvalidArgument); the holder needs a key (kNotFound); a locked
  // holder is kLocked and one that must refresh kRefreshRequired, nothing
  // counted; otherwise ONE attempt is committed (Store::begin_holder_pin_attempt)
  // and a fresh challenge returned, valid kHandwritingChallengeSeconds.
  //
  // Round 2, the operation with the proof. In this order: a challenge that is not
  // this holder's pending one (unknown, used, or forgiven by an unlock) is
  // kConflict; the holder locked meanwhile kLocked; an expired challenge
  // kExpired (its attempt stays counted); then the proof: wrong -> the
  // attempt fails as a signing one does (lock at the limit, alarms) and
  // kPinInvalid with attempts_left; right -> the attempt is withdrawn and the
  // operation runs. put: the image is checked (pdf/handwritten_image.h:
  // kPayloadTooLarge, kBadEncoding, kInvalidArgument, answered only after a
  // valid proof, which it spends), then sealed under "holder:<tenant>:<holder>:
  // handwritten_signature" like the holder's other personal fields,
  // replacing any earlier one; get: the PNG as kept; get and delete
  // kNotFound when none (the proof is spent all the same).
  static constexpr int64_t kHandwritingChallengeSeconds = 300;
  struct HandwritingChallengeIssued {
    cosign::HandwritingChallenge challenge;
    store::UnixSeconds expires_at = 0;
    int attempts_left = 0;  // left if the proof for this challenge is wrong
  };
  Result<HandwritingChallengeIssued> handwriting_challenge(const HolderContext& ctx, std::string_view operation);
  Result<HandwrittenSignatureView> put_handwritten_signature(const HolderContext& ctx,
                                                             const cosign::HandwritingPinProof& proof, ByteView png);
  Result<Bytes> handwritten_signature_png(const HolderContext& ctx, const cosign::HandwritingPinProof& proof);
  // The same PNG for the holder's own tenant (the Business API route the
  // on-premises gateway reads, docs/gateway.md "Appearance"): no PIN proof,
  // since the caller is the tenant's authenticated system, not the device —
  // the holder's PIN guards the image against a thief of the phone. The
  // caller checks the holder is the tenant's, in its environment.
  Result<Bytes> handwritten_signature_png_for_tenant(const HolderContext& ctx);
  Status delete_handwritten_signature(const HolderContext& ctx, const cosign::HandwritingPinProof& proof);

  // Step 2 (protocol v2) for every item of the order under one session id
  // chosen by the device. In this order: public checks (session id form, the
  // order is the holder's, open, unexpired, one request per item: nothing
  // counted); then ONE attempt is committed (Store::begin_sign_attempt: a
  // reused session id is kConflict and counts nothing, a locked holder
  // kLocked, an unlocked holder that must refresh first kRefreshRequired);
  // only then are the proofs verified against the sealed P1. A wrong PIN is
  // kPinInvalid with Error::attempts_left and no r, s2, s3 (the failure is
  // recorded and the business system alarmed); a bad item proof kBadProof
  // (no item named). A valid PIN proof resets the consecutive count.
  Result<SignStart> start_signing(const HolderContext& ctx, const std::string& order_id,
                                  const std::string& session_id, const cosign::SignSessionRequest& request);

  // Step 4: every (r, s) must verify. Valid: the order is signed (outputs
  // assembled, callback queued, attempts reset) in one transaction; for a
  // certificate request (kCsr) the certificate is issued and stored in that
  // transaction instead (no callback, not metered as a co-signature). Invalid:
  // kSignatureInvalid; the session fails and the attempt stays counted (the
  // order fails if that locked the holder).
  Result<store::SignOrder> finish_signing(const HolderContext& ctx, const std::string& order_id,
                                          const std::string& session_id,
                                          const std::vector<cosign::SignFinish>& finishes);

  Result<store::SignOrder> reject_order(const HolderContext& ctx, const std::string& order_id);

  // Share refresh (docs/protocol.md §7), run by the device holding the current
  // state and the PIN; both calls are PIN uses. refresh_id: 8 to 64
  // [A-Za-z0-9_-], chosen by the device, unique in the tenant. begin_refresh,
  // in this order: a locked holder (kLocked) or a used refresh id (kConflict)
  // is refused with nothing counted; then one attempt is committed (the
  // refresh stored abandoned); then the proof is verified: a wrong PIN is
  // kPinInvalid with attempts_left (failure recorded, business system
  // alarmed), a good one opens the refresh and resets the consecutive count.
  // The service keeps signing with d2 until confirm_refresh.
  Result<cosign::RefreshResponse> begin_refresh(const HolderContext& ctx, const std::string& refresh_id,
                                                const cosign::RefreshRequest& request);

  // Confirm, in this order: unknown/another holder's refresh kNotFound,
  // confirmed before kConflict "share refresh already confirmed", not open
  // kConflict, older than refresh_ttl_seconds kExpired (abandoned), a locked
  // holder kLocked — nothing counted; then one attempt is committed; then the
  // confirm proof is verified against the pending share's P1' (kPinInvalid
  // with attempts_left; the refresh stays open until it expires). Valid: in
  // one transaction the key's share is replaced (same key, public key and
  // certificates), the holder's device tokens revoked and a new one issued,
  // returned here (only its hash is kept), refresh_required cleared.
  Result<std::string> confirm_refresh(const HolderContext& ctx, const std::string& refresh_id,
                                      const cosign::RefreshConfirm& confirm);

 private:
  Result<OrderForHolder> for_holder(const HolderContext& ctx, store::SignOrder order);
  // Round 2's checks of a handwriting PIN proof (see above); Ok once the
  // attempt is withdrawn.
  Status check_handwriting_proof(const HolderContext& ctx, std::string_view operation,
                                 const cosign::HandwritingPinProof& proof, Bytes image_digest);
  ServiceDeps deps_;  // everything but the store
  Stores stores_;
  CertificateService* certs_ = nullptr;
  TimestampService* tsa_ = nullptr;
};

}  // namespace duet::core
