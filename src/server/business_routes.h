// The Business API (/api/v1) of docs/api/openapi.yaml, all behind
// RequestAuth::signed_business_request (core/business_auth.h):
//   holders: create, list, get, lock/unlock, activation codes (with the QR
//     code of their duet:// link as PNG and SVG);
//   orders: create (idempotent with Idempotency-Key: 201 created, 200 a
//     repeat), list, get, cancel, the QR code of the order link;
//   certificates of a holder: list, renew, revoke;
//   POST /api/v1/verify (core/verification.h);
//   the tenant's packages and notices (core/metering.h).
#pragma once

#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

// `s` and `auth` must outlive the router.
void register_business_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

}  // namespace duet::server
