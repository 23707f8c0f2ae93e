// The gateway's HTTP API (docs/gateway.md "Local API", the same shape as
// duetd's Business API for PDF sign orders): POST /api/v1/orders,
// GET /api/v1/orders/{order_id}, GET /api/v1/orders/{order_id}/pdf for the
// local apps (signed requests); POST /gateway/v1/callbacks for duetd's
// callbacks (signed with the tenant's app secret upstream); GET /metrics.
// /healthz and /readyz are the http layer's.
#pragma once

#include "gateway/gateway_config.h"
#include "gateway/gateway_store.h"
#include "gateway/local_auth.h"
#include "gateway/outbox.h"
#include "gateway/upstream.h"
#include "http/metrics.h"
#include "http/router.h"

namespace duet::gateway {

struct GatewayServices {
  const GatewayConfig& config;
  GatewayStore& store;
  LocalAuth& auth;
  Upstream& upstream;
  Outbox& outbox;
  http::MetricsRegistry& metrics;
};

// The request body limit of POST /api/v1/orders: the base64 of
// gateway.pdf_max_bytes plus 64 KiB.
size_t order_body_limit(const GatewayConfig& config);

Status register_gateway_routes(http::Router& r, GatewayServices& s);

}  // namespace duet::gateway
