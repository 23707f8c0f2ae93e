#include "server/json_mapping.h"

#include "base/base64.h"
#include "core/views.h"

namespace duet::server {

using json = nlohmann::json;

json nullable(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

namespace {

json text_or_null(const std::string& v) { return v.empty() ? json(nullptr) : json(v); }

template <typename T>
json value_or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

}  // namespace

json tenant_json(const store::Tenant& t) {
  return json{{"tenant_id", t.tenant_id},
              {"name", t.name},
              {"production_active_from", value_or_null(t.production_active_from)},
              {"suspended", t.suspended},
              {"created_at", t.created_at},
              {"signature_v1_cutoff", value_or_null(t.signature_v1_cutoff)},
              {"cert_identity_policy", t.cert_identity_policy},
              {"hybrid_previews", t.hybrid_previews}};
}

json credential_json(const core::IssuedCredential& c) {
  return json{{"app_id", c.app_id}, {"secret", c.secret}, {"environment", core::environment_name(c.environment)}};
}

json app_json(const store::App& a) {
  return json{{"app_id", a.app_id},
              {"environment", core::environment_name(a.environment)},
              {"created_at", a.created_at},
              {"identity_mode", a.identity_mode},
              {"sms_otp_required", a.sms_otp_required},
              {"cms_oid_style", a.cms_oid_style},
              {"pin_failure_budget", value_or_null(a.pin_failure_budget)}};
}

json holder_json(const core::HolderView& h) {
  return json{{"holder_id", h.holder_id},
              {"name", h.name_masked},
              {"id_type", h.id_type},
              {"id_number", h.id_number_masked},
              {"phone", h.phone_masked},
              {"status", core::holder_status_name(h.status)},
              {"attempts_left", h.attempts_left},
              {"refresh_required", h.refresh_required},
              {"public_key", nullable(h.public_key_hex)},
              {"key_id", nullable(h.key_id)},
              {"created_at", h.created_at},
              {"identity_verification", text_or_null(h.identity_verification)},
              {"identity_verified_by", text_or_null(h.identity_verified_by)},
              {"identity_verified_at", h.identity_verified_at == 0 ? json(nullptr) : json(h.identity_verified_at)},
              {"identity_reference", text_or_null(h.identity_reference)},
              {"identity_purged", h.identity_purged},
              {"erased", h.erased}};
}

json activation_code_json(const core::IssuedActivationCode& c, const Bytes& qr_png, const std::string& qr_svg) {
  return json{{"code_id", c.code_id},
              {"holder_id", c.holder_id},
              {"code", c.code},
              {"expires_at", c.expires_at},
              {"uri", c.uri},
              {"app_url", c.app_url},
              {"qr_png_base64", encode_base64(qr_png)},
              {"qr_svg", qr_svg},
              {"otp_required", c.otp_required}};
}

json order_json(const store::SignOrder& o, const std::string& uri, const std::string& app_url) {
  json items = json::array();
  for (size_t i = 0; i < o.items.size(); ++i) {
    const auto& it = o.items[i];
    json item{{"kind", it.input_is_digest ? "digest" : "data"},
              {"size", it.input.size()},
              {"signature", it.signature.empty() ? json(nullptr) : json(to_hex(it.signature))},
              {"signature_base64", it.signature.empty() ? json(nullptr) : json(encode_base64(it.signature))}};
    if (o.output_format == store::OutputFormat::kPdf) {
      // The signature is the PDF's CMS; the document itself is fetched.
      item["pdf_url"] = "/api/v1/orders/" + o.order_id + "/pdf" + (i == 0 ? "" : "?document=" + std::to_string(i));
    }
    items.push_back(std::move(item));
  }
  json out{{"order_id", o.order_id},
           {"holder_id", o.holder_id},
           {"app_id", o.app_id},
           {"title", o.title},
           {"display_text", o.display_text},
           {"output", core::output_format_name(o.output_format)},
           {"state", core::order_state_name(o.state)},
           {"items", std::move(items)},
           {"expires_at", o.expires_at},
           {"created_at", o.created_at},
           {"updated_at", o.updated_at},
           {"callback_url", o.callback_url},
           {"uri", uri},
           {"app_url", app_url}};
  if (o.output_format == store::OutputFormat::kCmsDetached)
    out["cms_profile"] = o.cms_profile.empty() ? "cms" : o.cms_profile;
  return out;
}

json order_state_json(const store::SignOrder& o) {
  return json{{"order_id", o.order_id}, {"state", core::order_state_name(o.state)}};
}

json certificate_request_json(const store::SignOrder& o) {
  return json{{"order_id", o.order_id},
              {"holder_id", o.holder_id},
              {"key_id", o.key_id},
              {"kind", "certificate_request"},
              {"state", core::order_state_name(o.state)},
              {"created_at", o.created_at},
              {"expires_at", o.expires_at}};
}

json holder_order_json(const core::OrderForHolder& h) {
  json items = json::array();
  for (size_t i = 0; i < h.order.items.size(); ++i) {
    json item{{"e", i < h.digests.size() ? to_hex(h.digests[i]) : std::string()}};
    if (!h.order.items[i].input_is_digest) item["data_base64"] = encode_base64(h.order.items[i].input);
    if (i < h.signed_attributes.size()) {
      // CMS: e covers these; the device checks messageDigest = SM3(data) in them.
      item["signed_attributes_base64"] = encode_base64(h.signed_attributes[i]);
      // A digest item (the content stays with the caller, e.g. duet-gateway):
      // the messageDigest the device is shown and checks.
      if (h.order.items[i].input_is_digest && i >= h.documents.size())
        item["content_digest"] = to_hex(h.order.items[i].input);
    }
    if (h.order.items.size() == 1 && h.order.items[i].input_is_digest && h.documents.empty() &&
        h.order.output_format == store::OutputFormat::kCmsDetached) {
      // Hybrid cloud (docs/gateway.md "Page previews"): the pages duet-gateway
      // uploaded, fetched as PNG like a PDF order's; none: kept on premises.
      if (h.previews.empty()) {
        item["preview"] = json{{"available", false}, {"reason", "kept_on_premises"}};
      } else {
        json pages = json::array();
        for (const auto& p : h.previews) pages.push_back(p.page);
        item["preview"] = json{{"available", true},
                               {"page_count", h.previews.front().page_count},
                               {"pages", std::move(pages)},
                               {"pages_url", "/app/v1/orders/" + h.order.order_id + "/documents/0/pages/{page}"}};
      }
    }
    if (i < h.documents.size()) {
      // PDF: e covers the signed attributes, whose messageDigest is this
      // item's ByteRange digest; the pages are fetched as PNG.
      const store::OrderDocument& d = h.documents[i];
      item["pdf"] = json{{"byte_range_digest", to_hex(h.order.items[i].input)},
                         {"page_count", d.page_count},
                         {"stamped_pages", d.stamped_pages},
                         {"sub_filter", d.sub_filter},
                         {"pages_url", "/app/v1/orders/" + h.order.order_id + "/documents/" + std::to_string(i) +
                                           "/pages/{page}"}};
    }
    items.push_back(std::move(item));
  }
  return json{{"order_id", h.order.order_id},
              {"kind", h.order.kind == store::OrderKind::kCsr ? "certificate_request" : "sign"},
              {"title", h.order.title},
              {"display_text", h.order.display_text},
              {"state", core::order_state_name(h.order.state)},
              {"output", core::output_format_name(h.order.output_format)},
              {"expires_at", h.order.expires_at},
              {"public_key", h.public_key_hex},
              {"items", std::move(items)}};
}

json certificate_json(const core::CertificateView& v) {
  const store::Certificate& c = v.record;
  return json{{"cert_id", c.cert_id},
              {"holder_id", c.holder_id},
              {"key_id", c.key_id},
              {"serial", c.serial_hex},
              {"issuer_id", c.issuer_id},
              {"status", c.revoked ? "revoked" : "good"},
              {"not_before", c.not_before},
              {"not_after", c.not_after},
              {"revoked_at", value_or_null(c.revoked_at)},
              {"revocation_reason",
               c.revoked ? json(std::string(core::revocation_reason_name(c.revocation_reason))) : json(nullptr)},
              {"created_at", c.created_at},
              {"certificate_pem", v.certificate_pem},
              {"chain_pem", v.chain_pem}};
}

json verify_outcome_json(const core::VerifyOutcome& v) {
  json signer = nullptr;
  if (v.signer_serial) signer = json{{"serial", *v.signer_serial}, {"subject", v.signer_subject.value_or("")}};
  json revoked = v.revoked_at_signing_time == "unknown" ? json("unknown") : json(v.revoked_at_signing_time == "true");
  return json{{"valid", v.valid},
              {"reasons", v.reasons},
              {"signer", signer},
              {"revoked_at_signing_time", revoked},
              {"chain_ok", value_or_null(v.chain_ok)},
              {"signing_time", value_or_null(v.signing_time)}};
}

json retention_json(const core::EffectiveRetention& e) {
  const store::RetentionSettings& s = e.settings;
  return json{{"order_payload_days", s.order_payload_days},
              {"identity_days", s.identity_days},
              {"expired_key_days", s.expired_key_days},
              {"interval_seconds", s.interval_seconds},
              {"source", e.source},
              {"updated_at", s.updated_at == 0 ? json(nullptr) : json(s.updated_at)},
              {"updated_by", text_or_null(s.updated_by)}};
}

json operator_json(const store::AdminToken& t) {
  return json{{"name", t.name},
              {"role", t.role},
              {"created_at", t.created_at},
              {"revoked_at", value_or_null(t.revoked_at)}};
}

}  // namespace duet::server
