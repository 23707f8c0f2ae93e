#include "server/holder_routes.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "cosign/handwriting_pin.h"
#include "cosign/wire.h"
#include "pdf/handwritten_image.h"
#include "server/consent_json.h"
#include "server/json_body.h"
#include "server/json_mapping.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

namespace {

std::string order_of(const Request& req) { return std::string(req.param("order_id")); }

// POST /app/v1/activations {code, keygen, otp?, consents?}: redeems the activation code
// with the device's key-generation request; answers the device token.
Result<Response> redeem_activation(const ApiServices& s, const Request& req, const store::WriteContext& write) {
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
  DUET_ASSIGN_OR_RETURN(std::string code, req_string(body, "code"));
  DUET_ASSIGN_OR_RETURN(const json* kg, req_object(body, "keygen"));
  DUET_ASSIGN_OR_RETURN(cosign::KeygenRequest kreq, parse_wire(*kg, &cosign::parse_keygen_request, "keygen"));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> otp, opt_string(body, "otp"));
  DUET_ASSIGN_OR_RETURN(std::vector<core::GivenConsent> consents, parse_consents(body));
  DUET_ASSIGN_OR_RETURN(core::Activation a,
                        s.holders.redeem_activation(write, code, kreq, otp.value_or(""), consents));
  return json_response(201, json{{"holder_id", a.holder_id},
                                 {"device_token", a.device_token},
                                 {"keygen", wire_message_json(cosign::to_json(a.keygen_response))}});
}

// POST …/sessions: protocol v2, the items and the session's PIN proof (a v1
// body without pin_proof is 426 client_upgrade_required).
Result<Response> start_session(const ApiServices& s, const Request& req, const core::HolderContext& ctx) {
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
  DUET_ASSIGN_OR_RETURN(std::string session_id, req_string(body, "session_id"));
  auto parsed = cosign::parse_sign_session_request(body.dump(), s.deps.config.order_max_items);
  if (!parsed.ok()) return Unexpected{parsed.error()};
  DUET_ASSIGN_OR_RETURN(core::SignStart start, s.holders.start_signing(ctx, order_of(req), session_id, *parsed));
  json arr = json::array();
  for (const auto& resp : start.responses) arr.push_back(wire_message_json(cosign::to_json(resp)));
  return json_response(201, json{{"session_id", start.session_id},
                                 {"attempts_left", start.attempts_left},
                                 {"items", std::move(arr)}});
}

// POST …/sessions/{session_id}/finish: the final step per item; a
// certificate request's answer comes with the new certificate.
Result<Response> finish_session(const ApiServices& s, const Request& req, const core::HolderContext& ctx) {
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
  DUET_ASSIGN_OR_RETURN(const json* items, req_array(body, "items"));
  if (items->size() > s.deps.config.order_max_items) return invalid("too many items");
  std::vector<cosign::SignFinish> finishes;
  for (size_t i = 0; i < items->size(); ++i) {
    DUET_ASSIGN_OR_RETURN(cosign::SignFinish f,
                          parse_wire((*items)[i], &cosign::parse_sign_finish, "items[" + std::to_string(i) + "]"));
    finishes.push_back(std::move(f));
  }
  DUET_ASSIGN_OR_RETURN(store::SignOrder o, s.holders.finish_signing(ctx, order_of(req),
                                                                    std::string(req.param("session_id")), finishes));
  json out = order_state_json(o);
  if (o.kind == store::OrderKind::kCsr && s.certs != nullptr) {
    // Enrollment ends with a certificate: it comes with the finish answer.
    DUET_ASSIGN_OR_RETURN(core::CertificateView v, s.certs->certificate_for_key(ctx.tenant_id, ctx.holder_id, o.key_id));
    out["certificate"] = certificate_json(v);
    out["certificate_pem"] = v.certificate_pem;
    out["chain_pem"] = v.chain_pem;
  }
  return json_response(200, out);
}

void order_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.get("/app/v1/orders", auth.device_token_request([&s](const Request&, const core::HolderContext& ctx) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(std::vector<core::OrderForHolder> orders, s.holders.pending_orders(ctx, 100));
    json arr = json::array();
    for (const auto& o : orders) arr.push_back(holder_order_json(o));
    return json_response(200, json{{"orders", std::move(arr)}});
  }));
  r.get("/app/v1/orders/{order_id}",
        auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::OrderForHolder o, s.holders.order_details(ctx, order_of(req)));
          return json_response(200, holder_order_json(o));
        }));
  // A page of a PDF order's document as PNG, the seal drawn where it goes.
  r.get("/app/v1/orders/{order_id}/documents/{document}/pages/{page}",
        auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
          auto small_number = [](std::string_view t) -> std::optional<int> {
            if (t.empty() || t.size() > 6) return std::nullopt;
            int v = 0;
            for (char c : t) {
              if (c < '0' || c > '9') return std::nullopt;
              v = v * 10 + (c - '0');
            }
            return v;
          };
          auto document = small_number(req.param("document"));
          auto page = small_number(req.param("page"));
          if (!document) return invalid("document must be an index from 0");
          if (!page) return invalid("page must be a number from 1");
          DUET_ASSIGN_OR_RETURN(Bytes png, s.holders.order_page_png(ctx, order_of(req), static_cast<size_t>(*document), *page));
          Response resp = binary_response(200, std::string(png.begin(), png.end()), "image/png");
          resp.headers.set("Cache-Control", "no-store");
          return resp;
        }));
  r.post("/app/v1/orders/{order_id}/sessions",
         auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) {
           return start_session(s, req, ctx);
         }));
  r.post("/app/v1/orders/{order_id}/sessions/{session_id}/finish",
         auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) {
           return finish_session(s, req, ctx);
         }));
  r.post("/app/v1/orders/{order_id}/reject",
         auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(store::SignOrder o, s.holders.reject_order(ctx, order_of(req)));
           return json_response(200, order_state_json(o));
         }));
}

// Share refresh (docs/protocol.md §7): move the holder to a new phone while
// the old one (and the PIN) is present.
void refresh_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.post("/app/v1/key/refreshes",
         auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(std::string refresh_id, req_string(body, "refresh_id"));
           DUET_ASSIGN_OR_RETURN(const json* rq, req_object(body, "request"));
           DUET_ASSIGN_OR_RETURN(cosign::RefreshRequest request,
                                 parse_wire(*rq, &cosign::parse_refresh_request, "request"));
           DUET_ASSIGN_OR_RETURN(cosign::RefreshResponse response, s.holders.begin_refresh(ctx, refresh_id, request));
           return json_response(201, json{{"refresh_id", refresh_id},
                                          {"response", wire_message_json(cosign::to_json(response))}});
         }));
  r.post("/app/v1/key/refreshes/{refresh_id}/confirm",
         auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(const json* cf, req_object(body, "confirm"));
           DUET_ASSIGN_OR_RETURN(cosign::RefreshConfirm confirm,
                                 parse_wire(*cf, &cosign::parse_refresh_confirm, "confirm"));
           DUET_ASSIGN_OR_RETURN(std::string token,
                                 s.holders.confirm_refresh(ctx, std::string(req.param("refresh_id")), confirm));
           return json_response(200, json{{"device_token", token}});
         }));
}

void certificate_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.post("/app/v1/certificate-requests",
         auth.device_token_request([&s](const Request&, const core::HolderContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
           bool replayed = false;
           DUET_ASSIGN_OR_RETURN(store::SignOrder o, cs->request_certificate(ctx, &replayed));
           DUET_ASSIGN_OR_RETURN(core::OrderForHolder h, s.holders.order_details(ctx, o.order_id));
           return json_response(replayed ? 200 : 201, holder_order_json(h));
         }));
  r.get("/app/v1/certificate", auth.device_token_request([&s](const Request&, const core::HolderContext& ctx) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
    DUET_ASSIGN_OR_RETURN(core::CertificateView v, cs->current_certificate(ctx));
    return json_response(200, certificate_json(v));
  }));
  r.post("/app/v1/certificate/revoke",
         auth.device_token_request([&s](const Request&, const core::HolderContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
           DUET_TRY_STATUS(cs->revoke_own(ctx, s.deps.clock.now()));
           return json_response(200, json{{"holder_id", ctx.holder_id}, {"revoked", true}, {"reason", "keyCompromise"}});
         }));
}

// The holder's handwritten-signature image (docs/pdf.md "Handwritten
// signature"): PUT the PNG itself as the body (Content-Type: image/png), GET
// it back, DELETE it. Each behind a PIN proof (docs/protocol.md §6.1): first
// POST …/pin-challenges {"operation"} (one attempt counted), then the
// operation with the proof in the Duet-Pin-Proof header.
constexpr const char* kHandwritingPath = "/app/v1/handwritten-signature";
constexpr const char* kPinProofHeader = "Duet-Pin-Proof";

// Content-Type image/png, in any case, parameters ignored.
bool is_png_media_type(std::optional<std::string_view> value) {
  std::string t(value.value_or("").substr(0, value.value_or("").find(';')));
  std::erase_if(t, [](char c) { return c == ' ' || c == '\t'; });
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return t == "image/png";
}

// The Duet-Pin-Proof header. Absent: what an app from before the PIN gate
// sends, answered 426 client_upgrade_required (nothing counted).
Result<cosign::HandwritingPinProof> pin_proof_of(const Request& req) {
  std::optional<std::string_view> header = req.header(kPinProofHeader);
  if (!header || header->empty()) {
    return make_error(ErrorCode::kClientUpgradeRequired,
                      "the handwritten signature needs a PIN proof (POST /app/v1/handwritten-signature/pin-challenges, "
                      "then the Duet-Pin-Proof header): update the holder app");
  }
  auto proof = cosign::parse_handwriting_pin_proof(*header);
  if (!proof.ok()) return make_error(proof.code(), std::string("header Duet-Pin-Proof: ") + proof.error().message);
  return proof;
}

void handwriting_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.post(std::string(kHandwritingPath) + "/pin-challenges",
         auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           DUET_ASSIGN_OR_RETURN(std::string operation, req_string(body, "operation"));
           DUET_ASSIGN_OR_RETURN(core::HolderService::HandwritingChallengeIssued c,
                                 s.holders.handwriting_challenge(ctx, operation));
           Response resp = json_response(201, json{{"challenge_id", c.challenge.challenge_id},
                                                   {"operation", c.challenge.operation},
                                                   {"expires_at", c.expires_at},
                                                   {"attempts_left", c.attempts_left}});
           resp.headers.set("Cache-Control", "no-store");
           return resp;
         }));
  r.put(kHandwritingPath,
        auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
          if (!is_png_media_type(req.header("Content-Type"))) {
            return invalid("send the handwritten signature as the body, Content-Type: image/png");
          }
          DUET_ASSIGN_OR_RETURN(cosign::HandwritingPinProof proof, pin_proof_of(req));
          DUET_ASSIGN_OR_RETURN(core::HandwrittenSignatureView v,
                                s.holders.put_handwritten_signature(ctx, proof, as_bytes(req.body)));
          return json_response(200, json{{"holder_id", ctx.holder_id},
                                         {"width", v.width},
                                         {"height", v.height},
                                         {"updated_at", v.updated_at}});
        }));
  r.get(kHandwritingPath,
        auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(cosign::HandwritingPinProof proof, pin_proof_of(req));
          DUET_ASSIGN_OR_RETURN(Bytes png, s.holders.handwritten_signature_png(ctx, proof));
          Response resp = binary_response(200, std::string(png.begin(), png.end()), "image/png");
          resp.headers.set("Cache-Control", "no-store");
          return resp;
        }));
  r.del(kHandwritingPath,
        auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(cosign::HandwritingPinProof proof, pin_proof_of(req));
          DUET_TRY_STATUS(s.holders.delete_handwritten_signature(ctx, proof));
          return Response::empty(204);
        }));
  // The image's own limit plus room, so that an image over it is answered
  // payload_too_large by the check, not cut off by the server's body limit.
  if (Status st = r.set_max_body_bytes("PUT", kHandwritingPath, pdf::kMaxHandwrittenPngBytes + 64 * 1024); !st.ok())
    std::abort();
}

}  // namespace

void register_holder_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.post("/app/v1/activations",
         auth.unauthenticated_holder_request(
             [&s](const Request& req, const store::WriteContext& write) { return redeem_activation(s, req, write); }));
  // The agreement texts a holder accepts (docs/consent.md): public, so that
  // the app can show them before it holds any credential.
  r.get("/app/v1/agreements", RequestAuth::public_request([](const Request& req) -> Result<Response> {
          bool with_text = req.query_param("text").value_or("true") != "false";
          return json_response(200, agreements_json(with_text));
        }));
  r.post("/app/v1/consents",
         auth.device_token_request([&s](const Request& req, const core::HolderContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           if (!body.contains("consents")) return invalid("field 'consents' is required");
           DUET_ASSIGN_OR_RETURN(std::vector<core::GivenConsent> given, parse_consents(body));
           DUET_ASSIGN_OR_RETURN(auto recorded, s.holders.record_consents(ctx, given));
           return json_response(200, consents_json(ctx.holder_id, recorded));
         }));
  order_routes(r, s, auth);
  refresh_routes(r, s, auth);
  certificate_routes(r, s, auth);
  handwriting_routes(r, s, auth);
}

}  // namespace duet::server
