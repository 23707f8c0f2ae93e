// The PKI distribution points (/pki, no authentication, not audited:
// RequestAuth::public_request), what certificates name in their AIA and CRL
// distribution point extensions (core/certificate_service.h):
//   GET  /pki/ca/{ca_id}.pem|.cer|.der   a CA certificate; chain.pem the current chain
//   GET  /pki/crl/{ca_id}.crl            the CA's CRL (application/pkix-crl)
//   POST /pki/ocsp                       OCSP responder (application/ocsp-request → -response)
// 503 unavailable while the CA is not loaded.
#pragma once

#include "http/router.h"
#include "server/api_services.h"

namespace duet::server {

// `s` must outlive the router.
void register_pki_routes(http::Router& r, const ApiServices& s);

}  // namespace duet::server
