// Records and core views as the JSON objects of docs/api/openapi.yaml (one
// mapper per schema, shared by the routes that answer with it). The metering
// area's objects are in server/metering_views.h, the audit log's in
// core/audit_json.h.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/admin_service.h"
#include "core/business_service.h"
#include "core/certificate_service.h"
#include "core/holder_service.h"
#include "core/retention.h"
#include "core/verification.h"
#include "store/records.h"

namespace duet::server {

// The value, or null.
nlohmann::json nullable(const std::optional<std::string>& v);

// Tenant {tenant_id, name, production_active_from, suspended, created_at, signature_v1_cutoff,
// cert_identity_policy}.
nlohmann::json tenant_json(const store::Tenant& t);
// AppCredential {app_id, secret, environment}: the secret is shown this once.
nlohmann::json credential_json(const core::IssuedCredential& c);
// App {app_id, environment, created_at, identity_mode, sms_otp_required, cms_oid_style, pin_failure_budget}.
nlohmann::json app_json(const store::App& a);
// Holder (masked personal data, key and identity-check state).
nlohmann::json holder_json(const core::HolderView& h);
// ActivationCode {code_id, holder_id, code, expires_at, uri, qr_png_base64, qr_svg, otp_required}:
// the QR code of `c.uri` rendered by the caller as PNG and SVG.
nlohmann::json activation_code_json(const core::IssuedActivationCode& c, const Bytes& qr_png,
                                    const std::string& qr_svg);
// Order (Business API view) with `uri`, the duet:// link of the order.
// `uri`: the duet:// link; `app_url`: its https form for the holder web app.
nlohmann::json order_json(const store::SignOrder& o, const std::string& uri, const std::string& app_url);
// {order_id, state}: the answer of the Holder API's order transitions.
nlohmann::json order_state_json(const store::SignOrder& o);
// The certificate request of a renewal {order_id, holder_id, key_id, kind, state, created_at, expires_at}.
nlohmann::json certificate_request_json(const store::SignOrder& o);
// HolderOrder: what the device shows and signs (e, data, CMS signed attributes per item).
nlohmann::json holder_order_json(const core::OrderForHolder& h);
// Certificate {cert_id, …, status, revocation_reason, certificate_pem, chain_pem}.
nlohmann::json certificate_json(const core::CertificateView& v);
// VerifyResult of POST /api/v1/verify.
nlohmann::json verify_outcome_json(const core::VerifyOutcome& v);
// RetentionSettings as in force, with their source ("config" or "api").
nlohmann::json retention_json(const core::EffectiveRetention& e);
// Operator {name, role, created_at, revoked_at} (never the token).
nlohmann::json operator_json(const store::AdminToken& t);

}  // namespace duet::server
