#include "core/business_auth.h"

#include <charconv>

#include "core/request_signing.h"

namespace duet::core {

Result<AppContext> authenticate_business_request(CoreDeps& deps, const SignedRequest& r, store::PendingNonce* defer) {
  auto unauth = [](const char* why) { return make_error(ErrorCode::kUnauthenticated, why); };
  if (r.app_id.empty() || r.timestamp.empty() || r.nonce.empty() || r.signature.empty()) {
    return unauth("missing X-Duet-App-Id, X-Duet-Timestamp, X-Duet-Nonce or X-Duet-Signature");
  }
  if (r.nonce.size() < 8 || r.nonce.size() > 64) return unauth("nonce must be 8 to 64 characters");
  const bool v2 = r.signature_version == kSignatureVersion2;
  if (!v2 && !r.signature_version.empty()) return unauth("unsupported X-Duet-Signature-Version (use 2)");
  int64_t ts = 0;
  auto [p, ec] = std::from_chars(r.timestamp.data(), r.timestamp.data() + r.timestamp.size(), ts);
  if (ec != std::errc() || p != r.timestamp.data() + r.timestamp.size()) return unauth("timestamp is not an integer");
  UnixSeconds now = deps.clock.now();
  if (ts < now - deps.config.request_window_seconds || ts > now + deps.config.request_window_seconds) {
    return unauth("timestamp outside the allowed window");
  }
  auto app = deps.store.find_app(r.app_id);
  if (!app.ok()) {
    if (app.code() == ErrorCode::kNotFound) return unauth("unknown app");
    return Unexpected{app.error()};
  }
  DUET_ASSIGN_OR_RETURN(SecretBytes secret, deps.protector.open("app_secret:" + app->app_id, app->secret_ciphertext));
  std::string key(reinterpret_cast<const char*>(secret.data()), secret.size());
  const RequestFields fields{.method = r.method,
                             .path = r.path,
                             .query = r.query,
                             .timestamp = r.timestamp,
                             .nonce = r.nonce,
                             .idempotency_key = r.idempotency_key,
                             .body = r.body};
  std::string expected = v2 ? sign_request_v2(key, fields)
                            : sign_request(key, r.method, r.path, r.query, r.timestamp, r.nonce, r.body);
  secure_wipe(key.data(), key.size());
  std::string given = r.signature;
  for (char& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!constant_time_equal(as_bytes(expected), as_bytes(given))) return unauth("signature does not match");

  DUET_ASSIGN_OR_RETURN(store::Tenant tenant, deps.store.get_tenant(app->tenant_id));
  if (tenant.suspended) return make_error(ErrorCode::kTenantSuspended, "the tenant is suspended");
  if (defer != nullptr) {
    *defer = store::PendingNonce{app->tenant_id, app->app_id, r.nonce, now, false};
  } else {
    store::PendingNonce nonce{app->tenant_id, app->app_id, r.nonce, now, false};
    DUET_TRY_STATUS(record_deferred_nonce(deps, nonce));
  }
  // After the signature: only the app itself learns that its tenant's v1
  // cut-off has passed. The nonce is spent like any refused signed request.
  if (!v2 && tenant.signature_v1_cutoff && now >= *tenant.signature_v1_cutoff)
    return make_error(ErrorCode::kUnauthenticated, std::string(kSignatureV1RetiredMessage));
  if (app->environment == store::AppEnvironment::kProduction &&
      (!tenant.production_active_from || now < *tenant.production_active_from)) {
    return make_error(ErrorCode::kServiceNotActive, "production service is not active for this tenant yet");
  }
  return AppContext{app->tenant_id, app->app_id, app->environment};
}

Status record_deferred_nonce(CoreDeps& deps, store::PendingNonce& nonce) {
  if (nonce.recorded || nonce.nonce.empty()) return Status::Ok();
  auto inserted = deps.store.insert_nonce({}, nonce.tenant_id, nonce.app_id, nonce.nonce, nonce.seen_at);
  if (!inserted.ok()) {
    if (inserted.code() == ErrorCode::kConflict) return make_error(ErrorCode::kUnauthenticated, "nonce already used");
    return Unexpected{inserted.error()};
  }
  nonce.recorded = true;
  return Status::Ok();
}

}  // namespace duet::core
