#include "server/business_routes.h"

#include "core/pdf_admission.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "base/base64.h"
#include "core/holder_erasure.h"
#include "core/pdf_verification.h"
#include "core/views.h"
#include "qr/qr_code.h"
#include "server/consent_json.h"
#include "server/json_body.h"
#include "server/json_mapping.h"
#include "server/metering_views.h"
#include "server/pdf_order_body.h"

namespace duet::server {

using http::Request;
using http::Response;
using json = nlohmann::json;

namespace {

std::string holder_of(const Request& req) { return std::string(req.param("holder_id")); }
std::string order_of(const Request& req) { return std::string(req.param("order_id")); }

Response order_response(const ApiServices& s, int status, const store::SignOrder& o) {
  return json_response(status,
                       order_json(o, s.business.order_uri_for(o.order_id), s.business.order_app_url_for(o.order_id)));
}

// One item of a new order: data_base64 (at most the item limit) or digest_hex.
Result<core::NewOrderItem> parse_item(const core::CoreConfig& cfg, const json& obj, const std::string& prefix) {
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> data, opt_string(obj, "data_base64", prefix));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> digest, opt_string(obj, "digest_hex", prefix));
  if (data.has_value() == digest.has_value())
    return invalid((prefix.empty() ? std::string("an order") : prefix) + " needs exactly one of data_base64, digest_hex" +
                   (prefix.empty() ? " or items" : ""));
  core::NewOrderItem item;
  if (data) {
    if (data->size() > 4 * ((cfg.order_max_item_bytes + 2) / 3))
      return invalid(field_name(prefix, "data_base64") + " is larger than the item limit");
    auto bytes = decode_base64(*data);
    if (!bytes) return make_error(ErrorCode::kBadEncoding, field_name(prefix, "data_base64") + " is not valid base64");
    item.input = std::move(*bytes);
  } else {
    auto bytes = from_hex_exact(*digest, 32);
    if (!bytes.ok()) return make_error(ErrorCode::kBadEncoding, field_name(prefix, "digest_hex") + " must be 64 hex characters");
    item.input = std::move(*bytes);
    item.is_digest = true;
  }
  return item;
}

// The items of a new order: one in the body itself, or the `items` array.
Status parse_order_items(const core::CoreConfig& cfg, const json& body, core::NewOrder& o) {
  bool has_items = body.contains("items") && !body["items"].is_null();
  bool has_single = (body.contains("data_base64") && !body["data_base64"].is_null()) ||
                    (body.contains("digest_hex") && !body["digest_hex"].is_null());
  if (has_items == has_single) return invalid("an order needs exactly one of data_base64, digest_hex or items");
  if (!has_items) {
    DUET_ASSIGN_OR_RETURN(core::NewOrderItem item, parse_item(cfg, body, ""));
    o.items.push_back(std::move(item));
    return Status::Ok();
  }
  DUET_ASSIGN_OR_RETURN(const json* items, req_array(body, "items"));
  if (items->empty() || items->size() > cfg.order_max_items)
    return invalid("items must hold 1 to " + std::to_string(cfg.order_max_items) + " entries");
  for (size_t i = 0; i < items->size(); ++i) {
    std::string prefix = "items[" + std::to_string(i) + "]";
    if (!(*items)[i].is_object()) return invalid(prefix + " must be an object");
    DUET_ASSIGN_OR_RETURN(core::NewOrderItem item, parse_item(cfg, (*items)[i], prefix));
    o.items.push_back(std::move(item));
  }
  return Status::Ok();
}

Result<core::NewOrder> parse_order(const core::CoreConfig& cfg, const Request& req) {
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
  core::NewOrder o;
  DUET_ASSIGN_OR_RETURN(o.holder_id, req_string(body, "holder_id"));
  DUET_ASSIGN_OR_RETURN(o.title, req_string(body, "title"));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> display, opt_string(body, "display_text"));
  o.display_text = display.value_or("");
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> output, opt_string(body, "output"));
  if (output) {
    auto f = core::output_format_from_name(*output);
    if (!f) return invalid("output must be raw, der, cms-detached, cms-attached or pdf");
    o.output = *f;
  }
  if (o.output == store::OutputFormat::kPdf) {
    DUET_TRY_STATUS(parse_pdf_documents(cfg, body, o));
  } else {
    DUET_TRY_STATUS(parse_order_items(cfg, body, o));
  }
  // The signed attributes' profile of a cms-detached order: "cms" (the
  // default, with signingTime) or "pades" (without: PAdES baseline).
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> profile, opt_string(body, "cms_profile"));
  if (profile && *profile != "cms" && *profile != "pades") return invalid("cms_profile must be cms or pades");
  if (profile && *profile == "pades") o.cms_profile = "pades";
  DUET_ASSIGN_OR_RETURN(o.expires_in_seconds, opt_int(body, "expires_in"));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> cb, opt_string(body, "callback_url"));
  o.callback_url = cb.value_or("");
  auto idempotency_key = req.header("Idempotency-Key");
  o.idempotency_key = idempotency_key ? std::string(*idempotency_key) : std::string();
  return o;
}

Result<Response> create_holder(const ApiServices& s, const Request& req, const core::AppContext& ctx) {
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
  core::NewHolder h;
  DUET_ASSIGN_OR_RETURN(h.name, req_string(body, "name"));
  DUET_ASSIGN_OR_RETURN(h.id_number, req_string(body, "id_number"));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> phone, opt_string(body, "phone"));
  h.phone = phone.value_or("");  // only an SMS check needs it (the service decides)
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> id_type, opt_string(body, "id_type"));
  if (id_type) h.id_type = *id_type;
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> iv, opt_string(body, "identity_verification"));
  if (iv) {
    if (*iv != "attested" && *iv != "identity_source")
      return invalid("identity_verification must be attested or identity_source");
    h.identity_verification = *iv;
  }
  DUET_ASSIGN_OR_RETURN(h.consents, parse_consents(body));
  DUET_ASSIGN_OR_RETURN(core::HolderView v, s.business.create_holder(ctx, h));
  return json_response(201, holder_json(v));
}

// The activation code with its link's QR code (PNG and SVG); shown once.
Result<Response> create_activation_code(const ApiServices& s, const Request& req, const core::AppContext& ctx) {
  DUET_ASSIGN_OR_RETURN(core::IssuedActivationCode c, s.business.create_activation_code(ctx, holder_of(req)));
  DUET_ASSIGN_OR_RETURN(qr::QrCode code, qr::encode_qr(c.uri));
  DUET_ASSIGN_OR_RETURN(Bytes png, qr::to_png(code));
  Response resp = json_response(201, activation_code_json(c, png, qr::to_svg(code)));
  resp.headers.set("Cache-Control", "no-store");
  return resp;
}

void holder_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.post("/api/v1/holders", auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) {
    return create_holder(s, req, ctx);
  }));
  r.get("/api/v1/holders",
        auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(size_t limit, parse_limit(req, 50));
          DUET_ASSIGN_OR_RETURN(core::HolderPage page,
                                s.business.list_holders(ctx, req.query_param("cursor").value_or(""), limit));
          json arr = json::array();
          for (const auto& h : page.holders) arr.push_back(holder_json(h));
          return json_response(200, json{{"holders", std::move(arr)}, {"next_cursor", page.next_cursor}});
        }));
  r.get("/api/v1/holders/{holder_id}",
        auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::HolderView v, s.business.get_holder(ctx, holder_of(req)));
          return json_response(200, holder_json(v));
        }));
  for (bool lock : {true, false}) {
    r.post(lock ? "/api/v1/holders/{holder_id}/lock" : "/api/v1/holders/{holder_id}/unlock",
           auth.signed_business_request([&s, lock](const Request& req, const core::AppContext& ctx) -> Result<Response> {
             DUET_ASSIGN_OR_RETURN(core::HolderView v, lock ? s.business.lock_holder(ctx, holder_of(req))
                                                            : s.business.unlock_holder(ctx, holder_of(req)));
             return json_response(200, holder_json(v));
           }));
  }
  // The holder's acceptances of the agreement texts (docs/consent.md): the
  // business system attests them, or shows what is recorded.
  r.post("/api/v1/holders/{holder_id}/consents",
         auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
           if (!body.contains("consents")) return invalid("field 'consents' is required");
           DUET_ASSIGN_OR_RETURN(std::vector<core::GivenConsent> given, parse_consents(body));
           DUET_ASSIGN_OR_RETURN(auto recorded, s.business.record_consents(ctx, holder_of(req), given));
           return json_response(200, consents_json(holder_of(req), recorded));
         }));
  r.get("/api/v1/holders/{holder_id}/consents",
        auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(auto recorded, s.business.list_consents(ctx, holder_of(req)));
          return json_response(200, consents_json(holder_of(req), recorded));
        }));
  r.post("/api/v1/holders/{holder_id}/activation-codes",
         auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) {
           return create_activation_code(s, req, ctx);
         }));
  // The holder's handwritten-signature image for the tenant's own systems:
  // the on-premises gateway draws it on documents that never reach duetd
  // (docs/gateway.md "Appearance"). The PNG as kept (normalised, opened from
  // its seal); audited like every Business API request. 404 for a holder of
  // another tenant or environment and for a holder without one; 409 once
  // the holder was erased.
  r.get("/api/v1/holders/{holder_id}/handwritten-signature",
        auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(store::Holder h, s.business.holder_in_environment(ctx, holder_of(req)));
          if (h.name_ciphertext.empty()) return make_error(ErrorCode::kConflict, "the holder was erased");
          core::HolderContext holder{ctx.tenant_id, h.holder_id, ctx.write, ctx.environment};
          DUET_ASSIGN_OR_RETURN(Bytes png, s.holders.handwritten_signature_png_for_tenant(holder));
          Response resp = binary_response(200, std::string(png.begin(), png.end()), "image/png");
          resp.headers.set("Cache-Control", "no-store");
          return resp;
        }));
}

Result<Response> list_orders(const ApiServices& s, const Request& req, const core::AppContext& ctx) {
  store::OrderFilter f;
  DUET_ASSIGN_OR_RETURN(f.limit, parse_limit(req, 50));
  if (auto h = req.query_param("holder_id"); h && !h->empty()) f.holder_id = *h;
  if (auto st = req.query_param("state"); st && !st->empty()) {
    auto state = core::order_state_from_name(*st);
    if (!state) return invalid("state must be one of pending, signing, signed, rejected, expired, cancelled, failed");
    f.state = *state;
  }
  f.cursor = req.query_param("cursor").value_or("");
  DUET_ASSIGN_OR_RETURN(store::OrderPage page, s.business.list_orders(ctx, f));
  json arr = json::array();
  for (const auto& o : page.orders) {
    arr.push_back(order_json(o, s.business.order_uri_for(o.order_id), s.business.order_app_url_for(o.order_id)));
  }
  return json_response(200, json{{"orders", std::move(arr)}, {"next_cursor", page.next_cursor}});
}

// GET /api/v1/orders/{order_id}/qr?format=png|svg: the order link as an image.
Result<Response> order_qr(const ApiServices& s, const Request& req, const core::AppContext& ctx) {
  std::string format = req.query_param("format").value_or("png");
  if (format != "png" && format != "svg") return invalid("format must be png or svg");
  DUET_ASSIGN_OR_RETURN(std::string uri, s.business.order_uri(ctx, order_of(req)));
  DUET_ASSIGN_OR_RETURN(qr::QrCode code, qr::encode_qr(uri));
  if (format == "svg") return binary_response(200, qr::to_svg(code), "image/svg+xml");
  DUET_ASSIGN_OR_RETURN(Bytes png, qr::to_png(code));
  return binary_response(200, std::string(png.begin(), png.end()), "image/png");
}

// POST /api/v1/orders/{order_id}/previews (hybrid cloud, docs/gateway.md
// "Page previews"): {"page_count": N, "pages": [{"page": p, "png_base64": …}]}.
Result<Response> put_order_previews(const ApiServices& s, const Request& req, const core::AppContext& ctx) {
  DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
  DUET_ASSIGN_OR_RETURN(int64_t page_count, req_int(body, "page_count"));
  if (page_count < 1 || page_count > 10000) return invalid("page_count must be 1 to 10000");
  DUET_ASSIGN_OR_RETURN(const json* pages, req_array(body, "pages"));
  if (pages->empty() || pages->size() > core::kMaxOrderPreviews)
    return invalid("pages must hold 1 to " + std::to_string(core::kMaxOrderPreviews) + " previews");
  std::vector<std::pair<int, Bytes>> in;
  for (size_t i = 0; i < pages->size(); ++i) {
    const std::string prefix = "pages[" + std::to_string(i) + "]";
    if (!(*pages)[i].is_object()) return invalid(prefix + " must be an object");
    DUET_ASSIGN_OR_RETURN(int64_t page, req_int((*pages)[i], "page"));
    if (page < 1 || page > page_count) return invalid(prefix + ".page must be 1 to page_count");
    DUET_ASSIGN_OR_RETURN(std::string b64, req_string((*pages)[i], "png_base64"));
    if (b64.size() > 4 * ((core::kMaxOrderPreviewBytes + 2) / 3))
      return make_error(ErrorCode::kPayloadTooLarge, prefix + ".png_base64 is larger than the preview limit");
    auto png = decode_base64(b64);
    if (!png) return make_error(ErrorCode::kBadEncoding, prefix + ".png_base64 is not valid base64");
    in.emplace_back(static_cast<int>(page), std::move(*png));
  }
  DUET_TRY_STATUS(s.business.put_order_previews(ctx, order_of(req), static_cast<int>(page_count), in));
  json listed = json::array();
  for (const auto& [page, png] : in) listed.push_back(page);
  return json_response(200, json{{"order_id", order_of(req)}, {"page_count", page_count}, {"pages", listed}});
}

void order_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.post("/api/v1/orders",
         auth.signed_business_request(
             [&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
               DUET_ASSIGN_OR_RETURN(core::NewOrder in, parse_order(s.deps.config, req));
               bool replayed = false;
               DUET_ASSIGN_OR_RETURN(store::SignOrder o, s.business.create_order(ctx, in, &replayed));
               return order_response(s, replayed ? 200 : 201, o);
             },
             NonceAt::kWithFirstWrite));
  r.get("/api/v1/orders", auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) {
    return list_orders(s, req, ctx);
  }));
  // The signed PDF (?document=N of a batch, from 0).
  r.get("/api/v1/orders/{order_id}/pdf",
        auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          size_t index = 0;
          if (auto d = req.query_param("document"); d && !d->empty()) {
            if (d->size() > 2 || !std::all_of(d->begin(), d->end(), [](char c) { return c >= '0' && c <= '9'; }))
              return invalid("document must be an index from 0");
            index = static_cast<size_t>(std::stoi(std::string(*d)));
          }
          DUET_ASSIGN_OR_RETURN(Bytes pdf, s.business.signed_pdf(ctx, order_of(req), index));
          Response resp = binary_response(200, std::string(pdf.begin(), pdf.end()), "application/pdf");
          resp.headers.set("Content-Disposition", "attachment; filename=\"" + order_of(req) + ".pdf\"");
          resp.headers.set("Cache-Control", "no-store");
          return resp;
        }));
  r.get("/api/v1/orders/{order_id}",
        auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(store::SignOrder o, s.business.get_order(ctx, order_of(req)));
          return order_response(s, 200, o);
        }));
  r.post("/api/v1/orders/{order_id}/cancel",
         auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(store::SignOrder o, s.business.cancel_order(ctx, order_of(req)));
           return order_response(s, 200, o);
         }));
  r.get("/api/v1/orders/{order_id}/qr", auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) {
    return order_qr(s, req, ctx);
  }));
  r.post("/api/v1/orders/{order_id}/previews",
         auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) {
           return put_order_previews(s, req, ctx);
         }));
}

// The revocation reason of a body: an RFC 5280 CRLReason name or number; 0 (unspecified) when absent.
Result<int> parse_revocation_reason(const json& body) {
  auto it = body.find("reason");
  if (it == body.end() || it->is_null()) return 0;
  std::optional<int> parsed;
  if (it->is_string()) parsed = core::revocation_reason_from_name(it->get<std::string>());
  else if (it->is_number_integer()) parsed = core::revocation_reason_from_name(std::to_string(it->get<int64_t>()));
  else return invalid("field 'reason' must be a string or an integer");
  if (!parsed) return invalid("reason must be an RFC 5280 CRLReason name (e.g. keyCompromise) or number");
  return *parsed;
}

// The purge record of an erasure (docs/privacy.md): ids, field names,
// counts, serials and times only.
json erasure_json(const store::HolderErasure& e) {
  auto words = [](const std::string& text) {
    json out = json::array();
    size_t at = 0;
    while (at < text.size()) {
      size_t end = text.find(' ', at);
      if (end == std::string::npos) end = text.size();
      if (end > at) out.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    return out;
  };
  return json{{"holder_id", e.holder_id},
              {"erased", true},
              {"erased_at", e.erased_at},
              {"erased_by", e.erased_by},
              {"destroyed", words(e.destroyed)},
              {"revoked_certificates", words(e.revoked_certificates)},
              {"retained", json{{"records", json::array({"certificates", "issuance_and_revocation_records",
                                                         "orders", "consents"})},
                                {"until", e.retain_until == 0 ? json(nullptr) : json(e.retain_until)}}}};
}

void certificate_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  // Erasure (docs/privacy.md): the holder's data key destroyed, its
  // certificates revoked, what art. 24 keeps kept; idempotent (the same
  // purge record again). Needs the CA (revocation): 503 while it is not ready.
  r.del("/api/v1/holders/{holder_id}",
        auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
          DUET_ASSIGN_OR_RETURN(store::Holder h, s.business.holder_in_environment(ctx, holder_of(req)));
          DUET_ASSIGN_OR_RETURN(store::HolderErasure e,
                                core::erase_holder(ctx, h, *cs, s.deps.store, s.deps.rng, s.deps.metrics,
                                                   s.deps.clock.now()));
          return json_response(200, erasure_json(e));
        }));
  r.get("/api/v1/holders/{holder_id}/certificates",
        auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
          DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
          DUET_TRY_STATUS(s.business.holder_in_environment(ctx, holder_of(req)));
          DUET_ASSIGN_OR_RETURN(std::vector<core::CertificateView> list,
                                cs->list_certificates(ctx.tenant_id, holder_of(req)));
          json arr = json::array();
          for (const auto& v : list) arr.push_back(certificate_json(v));
          return json_response(200, json{{"certificates", std::move(arr)}});
        }));
  // Renewal: a new certificate of the holder's active key. The answer is the
  // certificate request the holder signs with the usual session routes
  // (201 created, 200 the open one again); the previous certificate stays
  // valid until it expires.
  r.post("/api/v1/holders/{holder_id}/certificates/renew",
         auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
           DUET_TRY_STATUS(s.business.holder_in_environment(ctx, holder_of(req)));
           core::HolderContext holder{ctx.tenant_id, holder_of(req), ctx.write};
           bool replayed = false;
           DUET_ASSIGN_OR_RETURN(store::SignOrder o, cs->request_certificate(holder, &replayed, /*renewal=*/true));
           return json_response(replayed ? 200 : 201, certificate_request_json(o));
         }));
  r.post("/api/v1/holders/{holder_id}/certificates/{cert_id}/revoke",
         auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
           DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
           DUET_ASSIGN_OR_RETURN(json body, parse_body(req, true));
           DUET_ASSIGN_OR_RETURN(int reason, parse_revocation_reason(body));
           DUET_TRY_STATUS(s.business.holder_in_environment(ctx, holder_of(req)));
           DUET_ASSIGN_OR_RETURN(core::CertificateView v,
                                 cs->revoke(ctx.write, ctx.tenant_id, holder_of(req), std::string(req.param("cert_id")),
                                            reason, s.deps.clock.now()));
           return json_response(200, certificate_json(v));
         }));
}

// The signed input of POST /api/v1/verify: data_base64 or digest_hex (or
// neither, for a CMS with attached content), and the signature as hex or base64.
Status parse_verify_input(const json& body, core::VerifyRequest& in) {
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> data, opt_string(body, "data_base64"));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> digest, opt_string(body, "digest_hex"));
  if (data && digest) return invalid("give one of data_base64, digest_hex, not both");
  if (data) {
    auto bytes = decode_base64(*data);
    if (!bytes) return make_error(ErrorCode::kBadEncoding, "data_base64 is not valid base64");
    in.data = std::move(*bytes);
  } else if (digest) {
    auto bytes = from_hex_exact(*digest, 32);
    if (!bytes.ok()) return make_error(ErrorCode::kBadEncoding, "digest_hex must be 64 hex characters");
    crypto::Digest d{};
    std::copy(bytes->begin(), bytes->end(), d.begin());
    in.digest = d;
  }
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> sig_hex, opt_string(body, "signature_hex"));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> sig_b64, opt_string(body, "signature_base64"));
  if (sig_hex.has_value() == sig_b64.has_value()) return invalid("give exactly one of signature_hex, signature_base64");
  if (sig_hex) {
    auto bytes = from_hex(*sig_hex);
    if (!bytes.ok()) return make_error(ErrorCode::kBadEncoding, "signature_hex is not valid hex");
    in.signature = std::move(*bytes);
  } else {
    auto bytes = decode_base64(*sig_b64);
    if (!bytes) return make_error(ErrorCode::kBadEncoding, "signature_base64 is not valid base64");
    in.signature = std::move(*bytes);
  }
  if (in.signature.empty()) return invalid("the signature is empty");
  return Status::Ok();
}

// The claimed signer of POST /api/v1/verify: format, public key, certificate.
Status parse_verify_signer(const json& body, core::VerifyRequest& in) {
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> format, opt_string(body, "format"));
  in.format = format.value_or("der");
  if (in.format != "raw" && in.format != "der" && in.format != "cms") return invalid("format must be raw, der or cms");
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> pub, opt_string(body, "public_key_hex"));
  if (pub) {
    auto p = crypto::Point::from_hex(*pub);
    if (!p.ok()) return make_error(p.code(), "public_key_hex: " + p.error().message);
    in.public_key = *p;
  }
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> pem, opt_string(body, "certificate_pem"));
  if (pem) {
    auto c = pki::Certificate::parse(std::string_view(*pem));
    if (!c.ok()) return make_error(ErrorCode::kBadEncoding, "certificate_pem does not parse");
    in.certificate = *c;
  }
  return Status::Ok();
}

// What a signature is verified against: the caller's environment's CA only
// (issue 14 item 1; docs/pki.md "The sandbox CA"), with the revocation state
// of the certificates it issued. Before the CA is loaded: no anchors.
core::VerifyTrust verify_trust(const ApiServices& s, store::AppEnvironment environment) {
  if (s.certs == nullptr || !s.certs->ready()) return {};
  return s.certs->trust_for(environment);
}

// The media type of a header value, lower case, without parameters.
std::string media_type(std::optional<std::string_view> value) {
  std::string t(value.value_or("").substr(0, value.value_or("").find(';')));
  std::erase_if(t, [](char c) { return c == ' ' || c == '\t'; });
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return t;
}

// The request body limit of POST /api/v1/verify: a PDF of pdf.max_bytes as
// base64 in JSON, plus room for the rest of the object.
size_t verify_body_limit(const core::CoreConfig& cfg) { return 4 * ((cfg.pdf_max_bytes + 2) / 3) + 64 * 1024; }

// The PDF report of POST /api/v1/verify: the document errors get fixed
// texts (the parser's own words stay in the server), the report is JSON, or
// the text report with Accept: text/plain.
Result<Response> verify_pdf_response(const ApiServices& s, const Request& req, const core::AppContext& ctx,
                                     ByteView pdf) {
  // One document in flight while it is parsed and checked (core/pdf_admission.h).
  DUET_ASSIGN_OR_RETURN(core::PdfSlots slot, core::PdfSlots::take(s.deps.metrics, s.deps.config, ctx.tenant_id));
  auto v = core::verify_pdf_document(pdf, verify_trust(s, ctx.environment), s.deps.config.pdf_max_bytes, "");
  if (!v.ok()) {
    switch (v.code()) {
      case ErrorCode::kPayloadTooLarge:
        return make_error(v.code(), "the PDF is larger than pdf.max_bytes (" + std::to_string(s.deps.config.pdf_max_bytes) +
                                        " bytes)");
      case ErrorCode::kNotPdf:
        return make_error(v.code(), "the document is not a PDF (no %PDF- header)");
      case ErrorCode::kPdfEncrypted:
        return make_error(v.code(), "the PDF is encrypted");
      default:
        return make_error(ErrorCode::kPdfMalformed, "the PDF does not parse");
    }
  }
  if (media_type(req.header("Accept")) == "text/plain") {
    return binary_response(200, pdf::verification_text(*v), "text/plain; charset=utf-8");
  }
  return Response::json(200, core::pdf_verification_json(*v));
}

// {"pdf_base64"} alone: the PDF of a JSON verify request.
Result<Bytes> pdf_of_json(const core::CoreConfig& cfg, const json& body) {
  for (const char* other : {"data_base64", "digest_hex", "signature_hex", "signature_base64", "public_key_hex",
                            "certificate_pem"}) {
    if (body.contains(other) && !body[other].is_null()) return invalid(std::string("pdf_base64 goes alone, without ") + other);
  }
  if (body.contains("format") && !body["format"].is_null() && body["format"] != "pdf")
    return invalid("format must be pdf (or absent) with pdf_base64");
  DUET_ASSIGN_OR_RETURN(std::string b64, req_string(body, "pdf_base64"));
  if (b64.size() > 4 * ((cfg.pdf_max_bytes + 2) / 3)) {
    return make_error(ErrorCode::kPayloadTooLarge,
                      "the PDF is larger than pdf.max_bytes (" + std::to_string(cfg.pdf_max_bytes) + " bytes)");
  }
  auto bytes = decode_base64(b64);
  if (!bytes) return make_error(ErrorCode::kBadEncoding, "pdf_base64 is not valid base64");
  return std::move(*bytes);
}

void verify_and_metering_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  r.post("/api/v1/verify", auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
    if (media_type(req.header("Content-Type")) == "application/pdf")
      return verify_pdf_response(s, req, ctx, as_bytes(req.body));
    DUET_ASSIGN_OR_RETURN(json body, parse_body(req, false));
    if (body.contains("pdf_base64")) {
      DUET_ASSIGN_OR_RETURN(Bytes pdf, pdf_of_json(s.deps.config, body));
      return verify_pdf_response(s, req, ctx, pdf);
    }
    core::VerifyRequest in;
    DUET_TRY_STATUS(parse_verify_input(body, in));
    DUET_TRY_STATUS(parse_verify_signer(body, in));
    DUET_ASSIGN_OR_RETURN(core::VerifyOutcome v, core::verify_signature(in, verify_trust(s, ctx.environment)));
    return json_response(200, verify_outcome_json(v));
  }));
  r.get("/api/v1/packages", auth.signed_business_request([&s](const Request&, const core::AppContext& ctx) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(std::vector<store::Package> ps, s.metering.tenant_packages(ctx));
    json arr = json::array();
    for (const auto& p : ps) arr.push_back(package_json(p, s.metering.now()));
    return json_response(200, json{{"packages", std::move(arr)}});
  }));
  r.get("/api/v1/notices", auth.signed_business_request([&s](const Request& req, const core::AppContext& ctx) -> Result<Response> {
    DUET_ASSIGN_OR_RETURN(size_t limit, parse_limit(req, 50));
    DUET_ASSIGN_OR_RETURN(std::vector<store::Notice> ns, s.metering.tenant_notices(ctx, limit));
    json arr = json::array();
    for (const auto& n : ns) arr.push_back(notice_json(n));
    return json_response(200, json{{"notices", std::move(arr)}});
  }));
}

}  // namespace

void register_business_routes(http::Router& r, const ApiServices& s, RequestAuth& auth) {
  holder_routes(r, s, auth);
  order_routes(r, s, auth);
  certificate_routes(r, s, auth);
  verify_and_metering_routes(r, s, auth);
  // A PDF (pdf.max_bytes, as base64 in JSON) is larger than the other bodies.
  if (Status st = r.set_max_body_bytes("POST", "/api/v1/verify", verify_body_limit(s.deps.config)); !st.ok()) std::abort();
  // Hybrid previews: kMaxOrderPreviews PNGs as base64, and the JSON around them.
  constexpr size_t kPreviewBodyLimit = core::kMaxOrderPreviews * 4 * ((core::kMaxOrderPreviewBytes + 2) / 3) + 64 * 1024;
  if (Status st = r.set_max_body_bytes("POST", "/api/v1/orders/{order_id}/previews", kPreviewBodyLimit); !st.ok())
    std::abort();
}

}  // namespace duet::server
