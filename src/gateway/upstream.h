// The gateway's client of duetd (docs/gateway.md "What leaves the premises"):
// signed Business API requests with the tenant's app credentials
// (core/request_signing.h, v2, the Idempotency-Key signed too), the RFC 3161
// endpoint and the CA chain. What it sends about a document is its ByteRange
// SM3 digest and, to the TSA, the SM3 of the signature value — never bytes of
// the document.
//
// Errors: kUnavailable for what a retry may cure (no connection, a timeout,
// 5xx, 429: the outbox tries again later); anything else is duetd's answer
// to this very request and final (its error code and message are kept).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/sm3.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_store.h"
#include "httpclient/http_client.h"

namespace duet::gateway {

struct UpstreamOrder {
  std::string order_id;
  std::string state;  // duetd's: pending, signing, signed, rejected, expired, cancelled, failed
  Bytes signature;    // item 0's signature (the co-signed CMS) once signed
  std::vector<Bytes> more_signatures;  // items 1… of a batch order, once signed
};

// A final refusal of duetd: the public code and message it answered.
struct UpstreamRefusal {
  int status = 0;
  std::string code;
  std::string message;
};

class Upstream {
 public:
  Upstream(const GatewayConfig& config, std::string secret);

  // POST /api/v1/orders: a digest-only detached CMS order over the order's
  // ByteRange digest (a batch: one item per document, in order), Idempotency-Key upstream_key(order_id) — a repeat after
  // a crash names the first upstream order. A final refusal fills *refusal.
  Result<UpstreamOrder> create_order(const GatewayOrder& o, UpstreamRefusal* refusal);
  // POST /api/v1/orders/{id}/previews (hybrid previews, docs/gateway.md
  // "Page previews"): PNGs of stamped pages, (page, png) pairs. Replaces
  // what an earlier attempt uploaded, so a retry is harmless. A final refusal
  // (forbidden: the tenant has not enabled previews) fills *refusal.
  Status put_previews(const std::string& upstream_order_id, int64_t page_count,
                      const std::vector<std::pair<int, Bytes>>& pages, UpstreamRefusal* refusal);
  // GET /api/v1/holders/{id}/certificates: the subject CN of the holder's
  // current certificate (signer_name.h). A final refusal fills *refusal:
  // duetd's (not_found for a holder it does not know for this app), or
  // status 409 and code no_certificate when the holder has no valid one.
  // `holder_id` must pass valid_holder_id().
  Result<std::string> holder_certificate_name(const std::string& holder_id, int64_t now, UpstreamRefusal* refusal);
  // GET /api/v1/holders/{id}/handwritten-signature: the holder's
  // handwritten-signature PNG as duetd keeps it. A final refusal fills
  // *refusal (404 not_found: the holder has none). `holder_id` must pass
  // valid_holder_id().
  Result<Bytes> handwritten_signature(const std::string& holder_id, UpstreamRefusal* refusal);
  // GET /api/v1/orders/{id}; `items` is the number of documents the order has.
  Result<UpstreamOrder> get_order(const std::string& upstream_order_id, size_t items, UpstreamRefusal* refusal);
  // POST /pki/tsa: a token over the SM3 imprint (certReq set).
  Result<Bytes> timestamp_token(const crypto::Digest& imprint);
  // GET /pki/ca/chain.pem.
  Result<std::string> ca_chain_pem();

  // A callback of duetd: X-Duet-Signature = HMAC-SM3 over timestamp and body
  // with the app secret, the timestamp within the request window.
  bool callback_verifies(std::string_view timestamp, std::string_view signature, std::string_view body,
                         int64_t now) const;

 private:
  Result<httpclient::HttpResponse> signed_call(const std::string& method, const std::string& path,
                                               const std::string& body, const std::string& idempotency_key);
  Result<httpclient::HttpResponse> plain_call(const std::string& method, const std::string& path,
                                              const std::string& content_type, const std::string& body);
  httpclient::HttpRequest request_to(const std::string& method, const std::string& path) const;

  const GatewayConfig& config_;
  std::string secret_;
};

}  // namespace duet::gateway
