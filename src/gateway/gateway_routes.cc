#include "gateway/gateway_routes.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/pdf_orders.h"
#include "crypto/random.h"
#include "gateway/signer_name.h"
#include "server/json_body.h"
#include "server/pdf_order_body.h"

namespace duet::gateway {
namespace {

using json = nlohmann::json;
using http::Request;
using http::Response;

int64_t wall_now() { return static_cast<int64_t>(std::time(nullptr)); }

std::string new_order_id() {
  uint8_t b[16];
  crypto::SystemRandom::instance().fill(b);
  return "gwo_" + to_hex(ByteView(b, sizeof b));
}

// What a local app sees of an order. The document itself is fetched from
// pdf_url once `pdf_ready`.
json order_json(const GatewayOrder& o) {
  json j = {{"order_id", o.order_id},
            {"holder_id", o.holder_id},
            {"app_id", o.app_id},
            {"title", o.title},
            {"display_text", o.display_text},
            {"output", "pdf"},
            {"state", order_state_name(o.state)},
            {"upstream_order_id", o.upstream_order_id.empty() ? json(nullptr) : json(o.upstream_order_id)},
            {"upstream_state", o.upstream_state.empty() ? json(nullptr) : json(o.upstream_state)},
            {"sub_filter", o.sub_filter},
            {"signer_name", o.signer_name.empty() ? json(nullptr) : json(o.signer_name)},
            {"signer_name_checked", o.signer_checked},
            {"appearance", o.appearance.empty() ? json(nullptr) : json(o.appearance)},
            {"byte_range_digest", to_hex(o.digest)},
            {"pdf_ready", o.state == OrderState::kSigned && !o.signed_pdf.empty()},
            {"pdf_erased", o.state == OrderState::kSigned && o.signed_pdf.empty()},
            {"pdf_url", "/api/v1/orders/" + o.order_id + "/pdf"},
            {"created_at", o.created_at},
            {"updated_at", o.updated_at}};
  if (o.state == OrderState::kFailed) j["error"] = {{"code", o.error_code}, {"message", o.error_message}};
  // Every document (one, or a batch): its digest (its item upstream) and URL.
  json docs = json::array({json{{"index", 0}, {"byte_range_digest", to_hex(o.digest)}, {"pdf_url", j["pdf_url"]}}});
  for (const GatewayDocument& d : o.more_documents)
    docs.push_back(json{{"index", d.index},
                        {"byte_range_digest", to_hex(d.digest)},
                        {"pdf_url", "/api/v1/orders/" + o.order_id + "/pdf?document=" + std::to_string(d.index)}});
  j["document_count"] = docs.size();
  j["documents"] = std::move(docs);
  return j;
}

// Runs a handler for a local app: authenticates, turns errors into the
// public error model (never internals: the messages are the gateway's own).
template <typename F>
http::Handler local_request(GatewayServices& s, F handler) {
  return [&s, handler](const Request& req) -> Response {
    auto app = s.auth.authenticate(req, wall_now());
    if (!app.ok()) return http::error_response(app.error(), req.request_id);
    Result<Response> r = handler(req, *app);
    if (!r.ok()) return http::error_response(r.error(), req.request_id);
    return std::move(*r);
  };
}

// Sets o.signer_name (and o.signer_checked) to the CN of the holder's current
// certificate, read from duetd (docs/gateway.md "The signer's name"), or to
// the name the local system sent while duetd cannot be asked (checked by the
// outbox before the upstream create). Otherwise the refusal to answer.
std::optional<Response> resolve_signer_name(GatewayServices& s, const Request& req,
                                            const std::optional<std::string>& sent_name, GatewayOrder& o, int64_t now) {
  UpstreamRefusal refusal;
  auto cert_name = s.upstream.holder_certificate_name(o.holder_id, now, &refusal);
  if (cert_name.ok()) {
    if (sent_name && *sent_name != *cert_name)
      return http::json_error(409, kSignerNameMismatch,
                              "signer_name is not the name on the holder's certificate (send it exactly, or leave it "
                              "out)",
                              req.request_id);
    o.signer_name = *cert_name;
    o.signer_checked = true;
    return std::nullopt;
  }
  if (cert_name.code() == ErrorCode::kUnavailable) {
    // Without a name sent the gateway has no name to draw.
    if (!sent_name)
      return http::json_error(503, "unavailable",
                              "duetd cannot be reached to read the holder's certificate: retry later, or send "
                              "signer_name",
                              req.request_id);
    o.signer_name = *sent_name;
    o.signer_checked = false;
    return std::nullopt;
  }
  if (refusal.code == kNoCertificate)
    return http::json_error(409, kNoCertificate, "the holder has no valid certificate", req.request_id);
  if (refusal.status == 404)
    return http::error_response(Error{ErrorCode::kNotFound, "duetd knows no such holder for the gateway's app"},
                                req.request_id);
  spdlog::warn("gateway: duetd refused the certificate read ({} {})", refusal.status, refusal.code);
  return http::json_error(503, "unavailable", "duetd refused the gateway's request for the holder's certificate",
                          req.request_id);
}

// The holder's handwritten signature when the order's appearance asks for
// it, as duetd's PDF orders (docs/gateway.md "Appearance"): read from duetd
// now, drawn now, kept nowhere but in the stamped document. `handwriting`
// stays empty for the name stamp. Otherwise the refusal to answer.
std::optional<Response> read_handwriting(GatewayServices& s, const Request& req, core::OrderAppearance appearance,
                                         const std::string& holder_id, std::optional<Bytes>& handwriting) {
  if (appearance == core::OrderAppearance::kNameStamp) return std::nullopt;
  UpstreamRefusal refusal;
  auto png = s.upstream.handwritten_signature(holder_id, &refusal);
  if (png.ok()) {
    handwriting = std::move(*png);
    return std::nullopt;
  }
  if (png.code() == ErrorCode::kUnavailable)
    return http::json_error(503, "unavailable",
                            "duetd cannot be reached to read the holder's handwritten signature: retry later",
                            req.request_id);
  if (refusal.status != 404) {
    spdlog::warn("gateway: duetd refused the handwriting read ({} {})", refusal.status, refusal.code);
    return http::json_error(503, "unavailable", "duetd refused the gateway's request for the handwritten signature",
                            req.request_id);
  }
  if (appearance == core::OrderAppearance::kHandwritten)
    return http::error_response(Error{ErrorCode::kConflict,
                                      "the holder has no handwritten signature: the holder uploads one in the app "
                                      "first, or the order asks for appearance name_stamp or "
                                      "handwritten_or_name_stamp"},
                                req.request_id);
  return std::nullopt;  // handwritten_or_name_stamp: the name stamp
}

Result<Response> create_order(GatewayServices& s, const Request& req, const std::string& app_id) {
  DUET_ASSIGN_OR_RETURN(json body, server::parse_body(req, false));
  GatewayOrder o;
  DUET_ASSIGN_OR_RETURN(o.holder_id, server::req_string(body, "holder_id"));
  DUET_ASSIGN_OR_RETURN(o.title, server::req_string(body, "title"));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> display, server::opt_string(body, "display_text"));
  o.display_text = display.value_or("");
  // Optional: the seal shows the CN of the holder's certificate; a name sent
  // here must be exactly that (docs/gateway.md "The signer's name").
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> sent_name, server::opt_string(body, "signer_name"));
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> output, server::opt_string(body, "output"));
  if (output && *output != "pdf") return server::invalid("the gateway signs PDFs: output must be pdf");
  if (body.contains("callback_url")) return server::invalid("callback_url is not taken by the gateway: poll the order");
  // ETSI.CAdES.detached by default, like duetd's PDF orders (the upstream
  // order then has cms_profile "pades": no signingTime), or adbe.pkcs7.detached.
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> sub_filter_name, server::opt_string(body, "sub_filter"));
  pdf::SubFilter sub_filter = pdf::SubFilter::kEtsiCadesDetached;
  if (sub_filter_name) {
    auto f = core::sub_filter_from_name(*sub_filter_name);
    if (!f) return server::invalid("sub_filter must be ETSI.CAdES.detached or adbe.pkcs7.detached");
    sub_filter = *f;
  }
  DUET_ASSIGN_OR_RETURN(o.expires_in, server::opt_int(body, "expires_in"));
  if (o.expires_in && (*o.expires_in < 60 || *o.expires_in > 30 * 86400))
    return server::invalid("expires_in must be 60 to 2592000 seconds");
  if (!valid_holder_id(o.holder_id))
    return server::invalid("holder_id must be 1 to 64 letters, digits, '_' or '-'");
  if (o.title.empty() || o.title.size() > 512) return server::invalid("title must be 1 to 512 bytes");
  if (o.display_text.size() > 4096) return server::invalid("display_text must be at most 4096 bytes");

  core::CoreConfig cfg;
  cfg.pdf_max_bytes = s.config.pdf_max_bytes;
  cfg.pdf_font_path = s.config.font_path;
  core::NewOrder parsed;
  json pdf_part = body;
  for (const char* k : {"holder_id", "title", "display_text", "signer_name", "output", "expires_in", "sub_filter"})
    pdf_part.erase(k);
  DUET_TRY_STATUS(server::parse_pdf_documents(cfg, pdf_part, parsed));
  // A batch (documents: [...], docs/gateway.md "Batch orders"): one upstream
  // order over every document's digest, so one SubFilter (one CMS profile
  // upstream) for all, and all the documents together within pdf_max_bytes.
  if (body.contains("documents") && body["documents"].is_array()) {
    for (const json& d : body["documents"]) {
      if (d.is_object() && d.contains("sub_filter") && !d["sub_filter"].is_null() &&
          d["sub_filter"] != std::string(pdf::sub_filter_name(sub_filter)))
        return server::invalid("every document of a gateway batch has the order's sub_filter");
    }
  }
  size_t total = 0;
  for (core::NewPdfDocument& d : parsed.documents) {
    d.sub_filter = sub_filter;
    total += d.pdf.size();
  }
  if (total > s.config.pdf_max_bytes)
    return make_error(ErrorCode::kPayloadTooLarge, "the documents together are over gateway.pdf_max_bytes");

  const std::string key(req.header("Idempotency-Key").value_or(""));
  if (key.size() > 128) return server::invalid("Idempotency-Key too long");
  const crypto::Digest body_digest = crypto::sm3(as_bytes(req.body));
  o.order_id = new_order_id();
  o.app_id = app_id;
  o.idempotency_key = key;
  o.request_digest.assign(body_digest.begin(), body_digest.end());
  const int64_t now = wall_now();
  // The name on the seal (the holder's certificate's) and, when asked for,
  // the holder's handwritten signature: read from duetd now.
  if (auto refused = resolve_signer_name(s, req, sent_name, o, now)) return std::move(*refused);
  std::optional<Bytes> handwriting;
  if (auto refused = read_handwriting(s, req, parsed.appearance, o.holder_id, handwriting)) return std::move(*refused);
  o.appearance = handwriting ? "handwritten" : "name_stamp";
  // Stamped now, here: the seal and the reserved /Contents. Only the
  // ByteRange digest of this update will leave the gateway.
  for (size_t i = 1; i < parsed.documents.size(); ++i) {
    DUET_ASSIGN_OR_RETURN(core::PreparedOrderDocument p,
                          core::prepare_order_document(cfg, parsed.documents[i], o.signer_name, now,
                                                       static_cast<int>(i), handwriting ? &*handwriting : nullptr));
    GatewayDocument d;
    d.index = static_cast<int>(i);
    d.prepared_pdf = std::move(p.document.prepared_pdf);
    for (int k = 0; k < 4; ++k) d.byte_range[k] = p.document.byte_range[k];
    d.digest.assign(p.digest.begin(), p.digest.end());
    d.field_name = p.document.field_name;
    d.stamped_pages = p.document.stamped_pages;
    d.page_count = p.document.page_count;
    o.more_documents.push_back(std::move(d));
  }
  DUET_ASSIGN_OR_RETURN(core::PreparedOrderDocument prepared,
                        core::prepare_order_document(cfg, parsed.documents.front(), o.signer_name, now, 0,
                                                     handwriting ? &*handwriting : nullptr));
  o.prepared_pdf = std::move(prepared.document.prepared_pdf);
  for (int i = 0; i < 4; ++i) o.byte_range[i] = prepared.document.byte_range[i];
  o.digest.assign(prepared.digest.begin(), prepared.digest.end());
  o.sub_filter = prepared.document.sub_filter;
  o.signing_time = prepared.document.signing_time;
  o.field_name = prepared.document.field_name;
  o.stamped_pages = prepared.document.stamped_pages;
  o.page_count = prepared.document.page_count;
  o.next_attempt_at = now;
  o.created_at = o.updated_at = now;
  bool replayed = false;
  DUET_ASSIGN_OR_RETURN(GatewayOrder stored, s.store.create_order(o, &replayed));
  if (replayed) {
    if (!constant_time_equal(stored.request_digest, o.request_digest))
      return make_error(ErrorCode::kConflict, "Idempotency-Key reused with a different request");
    return server::json_response(200, order_json(stored));
  }
  spdlog::info("gateway: order {} prepared for app {}", stored.order_id, app_id);
  s.outbox.wake();
  return server::json_response(201, order_json(stored));
}

Result<Response> get_order(GatewayServices& s, const Request& req, const std::string& app_id) {
  DUET_ASSIGN_OR_RETURN(GatewayOrder o, s.store.get_order(app_id, req.param("order_id")));
  return server::json_response(200, order_json(o));
}

Result<Response> get_pdf(GatewayServices& s, const Request& req, const std::string& app_id) {
  DUET_ASSIGN_OR_RETURN(GatewayOrder o, s.store.get_order(app_id, req.param("order_id")));
  if (o.state != OrderState::kSigned)
    return make_error(ErrorCode::kConflict, "the order is " + std::string(order_state_name(o.state)) +
                                                "; its PDF is not signed");
  // ?document=N of a batch (from 0), as duetd's route.
  size_t index = 0;
  if (auto d = req.query_param("document"); d && !d->empty()) {
    if (d->size() > 2 || !std::all_of(d->begin(), d->end(), [](char c) { return c >= '0' && c <= '9'; }))
      return server::invalid("document must be an index from 0");
    index = static_cast<size_t>(std::stoi(*d));
  }
  if (index > o.more_documents.size()) return make_error(ErrorCode::kNotFound, "the order has no such document");
  const Bytes& pdf = index == 0 ? o.signed_pdf : o.more_documents[index - 1].signed_pdf;
  if (pdf.empty()) return make_error(ErrorCode::kNotFound, "the signed PDF was erased by the retention rule");
  Response resp = server::binary_response(200, std::string(pdf.begin(), pdf.end()), "application/pdf");
  resp.headers.set("Content-Disposition", "attachment; filename=\"" + o.order_id +
                                              (index == 0 ? std::string() : "-" + std::to_string(index)) + ".pdf\"");
  return resp;
}

// duetd's callback: verified with the upstream app secret, then the order it
// names is made due (its state is read again from duetd, not from the body).
Response callback(GatewayServices& s, const Request& req) {
  auto fail = [&](ErrorCode code, const char* message) {
    s.metrics.counter("duet_gateway_callbacks_total", {{"result", "refused"}}).inc();
    return http::error_response(Error{code, message}, req.request_id);
  };
  const auto ts = req.header("X-Duet-Timestamp");
  const auto sig = req.header("X-Duet-Signature");
  if (!ts || !sig || !s.upstream.callback_verifies(*ts, *sig, req.body, wall_now()))
    return fail(ErrorCode::kUnauthenticated, "the callback signature does not verify");
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("order_id") || !body["order_id"].is_string())
    return fail(ErrorCode::kInvalidArgument, "the callback names no order");
  auto order = s.store.order_of_upstream(body["order_id"].get<std::string>());
  if (!order.ok()) return fail(ErrorCode::kNotFound, "no gateway order has this upstream order");
  (void)s.store.wake(*order);
  s.outbox.wake();
  s.metrics.counter("duet_gateway_callbacks_total", {{"result", "accepted"}}).inc();
  return Response::empty(204);
}

Response metrics(GatewayServices& s) {
  auto counts = s.store.count_by_state();
  if (counts.ok()) {
    for (OrderState st : {OrderState::kPrepared, OrderState::kSubmitted, OrderState::kCosigned, OrderState::kSigned,
                          OrderState::kFailed}) {
      int64_t n = 0;
      for (const auto& [name, count] : *counts)
        if (name == order_state_name(st)) n = count;
      s.metrics.gauge("duet_gateway_orders", {{"state", std::string(order_state_name(st))}}).set(static_cast<double>(n));
    }
  }
  Response resp = Response::text(200, s.metrics.render());
  resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return resp;
}

}  // namespace

size_t order_body_limit(const GatewayConfig& config) { return 4 * ((config.pdf_max_bytes + 2) / 3) + 64 * 1024; }

Status register_gateway_routes(http::Router& r, GatewayServices& s) {
  s.metrics.declare("duet_gateway_orders", http::MetricsRegistry::Type::kGauge,
                    "Gateway orders in the store, by state (read at scrape time).");
  s.metrics.declare("duet_gateway_callbacks_total", http::MetricsRegistry::Type::kCounter,
                    "Callbacks from duetd, accepted or refused.");
  r.post("/api/v1/orders", local_request(s, [&s](const Request& req, const std::string& app) {
           return create_order(s, req, app);
         }));
  r.get("/api/v1/orders/{order_id}", local_request(s, [&s](const Request& req, const std::string& app) {
          return get_order(s, req, app);
        }));
  r.get("/api/v1/orders/{order_id}/pdf", local_request(s, [&s](const Request& req, const std::string& app) {
          return get_pdf(s, req, app);
        }));
  r.post("/gateway/v1/callbacks", [&s](const Request& req) { return callback(s, req); });
  r.get("/metrics", [&s](const Request&) { return metrics(s); });
  return r.set_max_body_bytes("POST", "/api/v1/orders", order_body_limit(s.config));
}

}  // namespace duet::gateway
