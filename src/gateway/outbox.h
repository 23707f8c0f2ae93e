// The outbox worker (docs/gateway.md "The state machine"): one thread that
// moves each gateway order forward, one upstream call at a time, from the
// state recorded in the store — so a restart of the gateway resumes exactly
// where the last committed state says, and a restart of duetd is one more
// failed call, retried with backoff.
//
//   prepared  --POST /api/v1/orders (Idempotency-Key)--> submitted
//   submitted --GET the upstream order: signed-->         cosigned (the CMS kept)
//   cosigned  --POST /pki/tsa, embed, verify-->           signed   (the signed PDF kept)
//   any of the three --a final refusal, the holder's rejection, expiry--> failed
//
// The upstream create is idempotent (its key is derived from the order id,
// which is committed before the first call), so a crash between the call and
// the commit of `submitted` re-sends the same key and gets the same upstream
// order: one order and one metered co-signature per gateway order.
// A verified callback from duetd only makes an order due now; the state it
// reports is read again from duetd (polling is the same path).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gateway/gateway_config.h"
#include "gateway/gateway_store.h"
#include "gateway/local_callbacks.h"
#include "gateway/upstream.h"
#include "http/metrics.h"
#include "pki/cms.h"

namespace duet::gateway {

class Outbox {
 public:
  // `callbacks` (may be null) delivers the local callbacks after each round.
  Outbox(const GatewayConfig& config, GatewayStore& store, Upstream& upstream, http::MetricsRegistry& metrics,
         LocalCallbacks* callbacks = nullptr);
  ~Outbox();  // stop()
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  void start();
  void stop();
  // Something is due now (a new order, a callback).
  void wake();
  // One round over the due orders (the thread's loop body).
  void run_once(int64_t now);

 private:
  void advance(const GatewayOrder& o, int64_t now);
  void submit(const GatewayOrder& o, int64_t now);
  // For an order accepted while duetd was unreachable (signer_checked
  // false): true once its signer_name is found to be the CN of the holder's
  // certificate; otherwise the order is failed (signer_name_mismatch,
  // no_certificate, not_found) or retried later, and false.
  bool check_signer(const GatewayOrder& o, int64_t now);
  // Hybrid previews after the upstream create (gateway.upload_previews):
  // false when the step must be retried (duetd unreachable); a refusal or a
  // page that does not render leaves the order without previews.
  bool upload_previews(const GatewayOrder& o, const std::string& upstream_order_id);
  void poll(const GatewayOrder& o, int64_t now);
  void finish(const GatewayOrder& o, int64_t now);
  // One document of an order as finish() signs it (document 0 from the order
  // row, the others from its batch documents).
  struct DocumentParts {
    const Bytes& prepared_pdf;
    const std::array<uint64_t, 4>& byte_range;
    const Bytes& digest;
    const std::string& field_name;
    const Bytes& cms;
  };
  // The signed PDF of one document, or why not: retry (duetd's TSA or CA
  // chain unreachable) or fail_code and message (the order fails).
  struct Embedded {
    Bytes pdf;
    bool retry = false;
    std::string fail_code;
    std::string message;
  };
  Embedded embed_and_check(const GatewayOrder& o, const DocumentParts& d);
  void retry_later(const GatewayOrder& o, int64_t now, std::string_view why);
  void fail(const GatewayOrder& o, std::string_view code, std::string_view message, int64_t now);
  Result<pki::CmsTrust> trust();

  const GatewayConfig& config_;
  GatewayStore& store_;
  Upstream& upstream_;
  http::MetricsRegistry& metrics_;
  LocalCallbacks* callbacks_;
  std::optional<pki::CmsTrust> trust_;  // duetd's CA chain, fetched once
  int64_t last_retention_run_ = 0;  // the worker thread's; 0: not run yet

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace duet::gateway
