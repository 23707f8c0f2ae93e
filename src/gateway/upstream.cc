#include "gateway/upstream.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "core/request_signing.h"
#include "crypto/random.h"
#include "gateway/signer_name.h"
#include "pdf/pdf_signer.h"
#include "pki/timestamp.h"

namespace duet::gateway {
namespace {

using json = nlohmann::json;

std::string nonce_hex() {
  uint8_t b[12];
  crypto::SystemRandom::instance().fill(b);
  return to_hex(ByteView(b, sizeof b));
}

bool transient(int status) { return status == 429 || status >= 500; }

// The outcome of an answer that is not the expected one.
Unexpected refused(const httpclient::HttpResponse& r, std::string_view what, UpstreamRefusal* refusal) {
  if (transient(r.status))
    return make_error(ErrorCode::kUnavailable, std::string(what) + ": duetd answered " + std::to_string(r.status));
  UpstreamRefusal out{r.status, "upstream_error", "duetd answered " + std::to_string(r.status)};
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    if (j["error"].contains("code") && j["error"]["code"].is_string()) out.code = j["error"]["code"];
    if (j["error"].contains("message") && j["error"]["message"].is_string()) out.message = j["error"]["message"];
  }
  if (refusal != nullptr) *refusal = out;
  return make_error(ErrorCode::kConflict, std::string(what) + ": duetd refused it (" + out.code + ")");
}

Result<UpstreamOrder> order_of(const std::string& body, size_t expected_items) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("order_id") || !j["order_id"].is_string() || !j.contains("state") ||
      !j["state"].is_string())
    return make_error(ErrorCode::kUnavailable, "duetd's order answer does not parse");
  UpstreamOrder o{j["order_id"], j["state"], {}, {}};
  if (o.state == "signed") {
    const json& items = j.contains("items") ? j["items"] : json();
    if (!items.is_array() || items.size() != expected_items)
      return make_error(ErrorCode::kUnavailable, "duetd's signed order does not have the order's items");
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_object() || !items[i].contains("signature_base64") || !items[i]["signature_base64"].is_string())
        return make_error(ErrorCode::kUnavailable, "duetd's signed order carries no signature");
      auto sig = decode_base64(items[i]["signature_base64"].get<std::string>());
      if (!sig || sig->empty()) return make_error(ErrorCode::kUnavailable, "duetd's signature is not base64");
      if (i == 0) o.signature = std::move(*sig);
      else o.more_signatures.push_back(std::move(*sig));
    }
  }
  return o;
}

}  // namespace

Upstream::Upstream(const GatewayConfig& config, std::string secret) : config_(config), secret_(std::move(secret)) {}

httpclient::HttpRequest Upstream::request_to(const std::string& method, const std::string& path) const {
  httpclient::HttpRequest req;
  req.method = method;
  std::string base = config_.upstream_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  req.url = base + path;
  req.timeout_ms = config_.upstream_timeout_ms;
  if (!config_.upstream_ca_file.empty()) req.ca_file = config_.upstream_ca_file;
  return req;
}

Result<httpclient::HttpResponse> Upstream::signed_call(const std::string& method, const std::string& path,
                                                       const std::string& body, const std::string& idempotency_key) {
  const std::string timestamp = std::to_string(static_cast<int64_t>(std::time(nullptr)));
  const std::string nonce = nonce_hex();
  const std::string signature = core::sign_request_v2(secret_, {.method = method,
                                                                .path = path,
                                                                .query = "",
                                                                .timestamp = timestamp,
                                                                .nonce = nonce,
                                                                .idempotency_key = idempotency_key,
                                                                .body = body});
  httpclient::HttpRequest req = request_to(method, path);
  req.headers = {{"X-Duet-App-Id", config_.upstream_app_id},
                 {"X-Duet-Timestamp", timestamp},
                 {"X-Duet-Nonce", nonce},
                 {std::string(core::kSignatureVersionHeader), std::string(core::kSignatureVersion2)},
                 {"X-Duet-Signature", signature}};
  if (!idempotency_key.empty()) req.headers.emplace_back("Idempotency-Key", idempotency_key);
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.body = body;
  auto r = httpclient::perform(req);
  if (!r.ok()) return make_error(ErrorCode::kUnavailable, "duetd cannot be reached");
  return r;
}

Result<httpclient::HttpResponse> Upstream::plain_call(const std::string& method, const std::string& path,
                                                      const std::string& content_type, const std::string& body) {
  httpclient::HttpRequest req = request_to(method, path);
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
  req.body = body;
  auto r = httpclient::perform(req);
  if (!r.ok()) return make_error(ErrorCode::kUnavailable, "duetd cannot be reached");
  return r;
}

Result<UpstreamOrder> Upstream::create_order(const GatewayOrder& o, UpstreamRefusal* refusal) {
  // Only the ByteRange digest describes the document. The title and the
  // display text are the order's text, which the holder is shown.
  json body = {{"holder_id", o.holder_id},
               {"title", o.title},
               {"display_text", o.display_text},
               {"output", "cms-detached"}};
  if (o.more_documents.empty()) {
    body["digest_hex"] = to_hex(o.digest);
  } else {
    // A batch: one digest item per document, one confirmation by the holder.
    json items = json::array({json{{"digest_hex", to_hex(o.digest)}}});
    for (const GatewayDocument& d : o.more_documents) items.push_back(json{{"digest_hex", to_hex(d.digest)}});
    body["items"] = std::move(items);
  }
  // ETSI.CAdES.detached (PAdES baseline) forbids the signingTime attribute
  // that duetd's default CMS profile signs; adbe.pkcs7.detached allows it.
  if (o.sub_filter == pdf::sub_filter_name(pdf::SubFilter::kEtsiCadesDetached)) body["cms_profile"] = "pades";
  if (o.expires_in) body["expires_in"] = *o.expires_in;
  if (!config_.callback_url.empty()) body["callback_url"] = config_.callback_url;
  DUET_ASSIGN_OR_RETURN(httpclient::HttpResponse r,
                        signed_call("POST", "/api/v1/orders", body.dump(), upstream_key(o.order_id)));
  if (r.status != 200 && r.status != 201) return refused(r, "create the upstream order", refusal);
  return order_of(r.body, 1 + o.more_documents.size());
}

Status Upstream::put_previews(const std::string& upstream_order_id, int64_t page_count,
                              const std::vector<std::pair<int, Bytes>>& pages, UpstreamRefusal* refusal) {
  json list = json::array();
  for (const auto& [page, png] : pages) list.push_back(json{{"page", page}, {"png_base64", encode_base64(png)}});
  json body = {{"page_count", page_count}, {"pages", std::move(list)}};
  DUET_ASSIGN_OR_RETURN(httpclient::HttpResponse r,
                        signed_call("POST", "/api/v1/orders/" + upstream_order_id + "/previews", body.dump(), ""));
  if (r.status != 200) return refused(r, "upload the previews", refusal);
  return Status::Ok();
}

Result<std::string> Upstream::holder_certificate_name(const std::string& holder_id, int64_t now,
                                                    UpstreamRefusal* refusal) {
  if (!valid_holder_id(holder_id)) return make_error(ErrorCode::kInvalidArgument, "not a holder id");
  DUET_ASSIGN_OR_RETURN(httpclient::HttpResponse r,
                        signed_call("GET", "/api/v1/holders/" + holder_id + "/certificates", "", ""));
  if (r.status != 200) return refused(r, "read the holder's certificates", refusal);
  auto name = current_certificate_name(r.body, now);
  if (name.ok() || name.code() == ErrorCode::kUnavailable) return name;
  UpstreamRefusal out{409, std::string(kNoCertificate), "the holder has no valid certificate with a name"};
  if (refusal != nullptr) *refusal = out;
  return make_error(ErrorCode::kConflict, out.message);
}

Result<Bytes> Upstream::handwritten_signature(const std::string& holder_id, UpstreamRefusal* refusal) {
  if (!valid_holder_id(holder_id)) return make_error(ErrorCode::kInvalidArgument, "not a holder id");
  DUET_ASSIGN_OR_RETURN(httpclient::HttpResponse r,
                        signed_call("GET", "/api/v1/holders/" + holder_id + "/handwritten-signature", "", ""));
  if (r.status != 200) return refused(r, "read the holder's handwritten signature", refusal);
  return Bytes(r.body.begin(), r.body.end());
}

Result<UpstreamOrder> Upstream::get_order(const std::string& upstream_order_id, size_t items,
                                          UpstreamRefusal* refusal) {
  DUET_ASSIGN_OR_RETURN(httpclient::HttpResponse r, signed_call("GET", "/api/v1/orders/" + upstream_order_id, "", ""));
  if (r.status != 200) return refused(r, "read the upstream order", refusal);
  return order_of(r.body, items);
}

Result<Bytes> Upstream::timestamp_token(const crypto::Digest& imprint) {
  pki::TimestampRequest tr;
  tr.imprint.assign(imprint.begin(), imprint.end());
  tr.cert_req = true;
  uint8_t nonce[8];
  crypto::SystemRandom::instance().fill(nonce);
  nonce[0] &= 0x7f;
  tr.nonce = Bytes(nonce, nonce + sizeof nonce);
  DUET_ASSIGN_OR_RETURN(Bytes der, pki::encode_timestamp_request(tr));
  DUET_ASSIGN_OR_RETURN(httpclient::HttpResponse r, plain_call("POST", "/pki/tsa", "application/timestamp-query",
                                                               std::string(der.begin(), der.end())));
  if (r.status != 200) return make_error(ErrorCode::kUnavailable, "duetd's TSA answered " + std::to_string(r.status));
  auto token = pki::timestamp_token_of_response(as_bytes(r.body));
  if (!token.ok()) return make_error(ErrorCode::kUnavailable, "duetd's TSA granted no token");
  return token;
}

Result<std::string> Upstream::ca_chain_pem() {
  DUET_ASSIGN_OR_RETURN(httpclient::HttpResponse r, plain_call(
      "GET", config_.upstream_environment == "sandbox" ? "/pki/sandbox/ca/chain.pem" : "/pki/ca/chain.pem", "", ""));
  if (r.status != 200) return make_error(ErrorCode::kUnavailable, "duetd's CA chain answered " + std::to_string(r.status));
  return r.body;
}

bool Upstream::callback_verifies(std::string_view timestamp, std::string_view signature, std::string_view body,
                                 int64_t now) const {
  int64_t ts = 0;
  for (char ch : timestamp) {
    if (ch < '0' || ch > '9' || ts > (int64_t{1} << 40)) return false;
    ts = ts * 10 + (ch - '0');
  }
  if (timestamp.empty() || ts < now - config_.request_window_seconds || ts > now + config_.request_window_seconds)
    return false;
  const std::string want = core::sign_callback(secret_, timestamp, body);
  std::string got(signature);
  for (char& ch : got) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return constant_time_equal(as_bytes(want), as_bytes(got));
}

}  // namespace duet::gateway
