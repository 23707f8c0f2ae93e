// The Holder API (/app/v1) of docs/api/openapi.yaml: what a holder's device
// calls. POST /app/v1/activations goes through
// RequestAuth::unauthenticated_holder_request (the activation code in the
// body is the credential); every other route through
// RequestAuth::device_token_request. Every answer is Cache-Control: no-store.
//   activation (key generation), pending orders, an order's details,
//   signing sessions (start, finish: docs/protocol.md §5), reject,
//   share refresh (§7: begin, confirm), the holder's certificate
//   (request, current, revoke own).
#pragma once

#include "http/router.h"
#include "server/api_services.h"
#include "server/request_auth.h"

namespace duet::server {

// `s` and `auth` must outlive the router.
void register_holder_routes(http::Router& r, const ApiServices& s, RequestAuth& auth);

}  // namespace duet::server
