#include "server/workers.h"

#include <unistd.h>

#include <algorithm>

#include "base/bytes.h"
#include "crypto/random.h"
#include "httpclient/http_client.h"
#include "server/log.h"
#include "store/write_context.h"

namespace duet::server {

struct CurlWebhookSender::Impl {
  httpclient::HttpClient client;
  bool public_addresses_only = false;
};

CurlWebhookSender::CurlWebhookSender(bool public_addresses_only) : impl_(std::make_unique<Impl>()) {
  impl_->public_addresses_only = public_addresses_only;
}
CurlWebhookSender::~CurlWebhookSender() = default;

Result<int> CurlWebhookSender::post(const std::string& url, const std::vector<Header>& headers,
                                    const std::string& body, int timeout_ms) {
  httpclient::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("User-Agent", "duetd-webhook/1");
  for (const auto& h : headers) req.headers.emplace_back(h.name, h.value);
  req.body = body;
  req.timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
  req.max_response_bytes = 64 * 1024;  // the answer is not read beyond its status
  req.public_addresses_only = impl_->public_addresses_only;
  DUET_ASSIGN_OR_RETURN(httpclient::HttpResponse resp, impl_->client.perform(req));
  return resp.status;
}

namespace {
std::string default_worker_id() {
  uint8_t rnd[4] = {};
  (void)crypto::SystemRandom::instance().fill(std::span<uint8_t>(rnd, sizeof rnd));
  return "duetd-" + std::to_string(::getpid()) + "-" + to_hex(ByteView(rnd, sizeof rnd));
}
}  // namespace

Workers::Workers(core::CoreDeps deps, WorkerOptions options, std::unique_ptr<core::WebhookSender> sender)
    : deps_(deps), options_(std::move(options)), sender_(std::move(sender)) {
  if (options_.worker_id.empty()) options_.worker_id = default_worker_id();
  if (!sender_) sender_ = std::make_unique<CurlWebhookSender>(options_.callback_public_addresses_only);
  dispatcher_ = std::make_unique<core::CallbackDispatcher>(deps_, *sender_, options_.worker_id);
}

Workers::~Workers() { stop(); }

void Workers::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  threads_.emplace_back([this] { loop("callbacks", options_.callback_poll, &Workers::dispatch_callbacks); });
  threads_.emplace_back([this] { loop("expiry", options_.expiry_interval, &Workers::expire_orders); });
  threads_.emplace_back([this] { loop("nonce_prune", options_.nonce_prune_interval, &Workers::prune_nonces); });
  threads_.emplace_back([this] { loop("notices", options_.notice_interval, &Workers::sweep_notices); });
  if (options_.certs != nullptr) {
    threads_.emplace_back([this] { loop("crl_refresh", options_.crl_check_interval, &Workers::refresh_crls); });
  }
  if (options_.retention != nullptr) {
    threads_.emplace_back([this] { loop("retention", options_.retention_poll, &Workers::run_retention); });
  }
}

void Workers::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

bool Workers::wait_for(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return stopping_; });
  return !stopping_;
}

void Workers::loop(const char* name, std::chrono::milliseconds interval, Step step) {
  log_event("info", "worker_started", {{"worker", name}});
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    try {
      // Sweeps over shared state run on one node at a time (several duetd on
      // one store): each round first takes or renews the store lease
      // "timer.<name>" for a few intervals; a node that cannot skips the
      // round, and takes over once the holder stops renewing (it died). The
      // sweeps would also be correct on every node at once (conditional
      // updates), the lease only saves the duplicate work. Callbacks are not
      // leased here: each job has its own lease (claim_due_callbacks).
      // Retention takes its own lease. Taken without the round's audit event
      // below, so a renewal is not an audited change.
      std::string_view n(name);
      if (n == "expiry" || n == "notices" || n == "crl_refresh" || n == "nonce_prune") {
        int64_t ttl = std::max<int64_t>(5, 3 * std::chrono::duration_cast<std::chrono::seconds>(interval).count());
        auto held =
            deps_.store.try_acquire_lease({}, "timer." + std::string(n), options_.worker_id, deps_.clock.now(), ttl);
        if (!held.ok() || !*held) {
          if (!wait_for(interval)) break;
          continue;
        }
      }
      // Audit (docs/audit.md): each write transaction of a sweep that changes
      // rows carries a "system" event (the expiry sweep one per expired order,
      // with its tenant; retention appends its own per purge; forgetting old
      // replay nonces is not audited).
      if (n == "nonce_prune" || n == "retention") {
        (this->*step)(store::WriteContext{});
      } else {
        store::AuditEvent e;
        e.at = deps_.clock.now();
        e.actor_type = "system";
        e.actor_id = options_.worker_id;
        e.action = "worker." + std::string(n);
        e.outcome = "ok";
        store::PendingAuditEvent pending{std::move(e)};
        (this->*step)(store::WriteContext{&pending, nullptr});
      }
    } catch (const std::exception& e) {
      log_event("error", "worker_exception", {{"worker", name}, {"message", e.what()}});
    } catch (...) {
      log_event("error", "worker_exception", {{"worker", name}});
    }
    if (!wait_for(interval)) break;
  }
  log_event("info", "worker_stopped", {{"worker", name}});
}

void Workers::dispatch_callbacks(const store::WriteContext& write) {
  // Drain what is due, batch by batch, but give stop() a chance between batches.
  for (int round = 0; round < 64; ++round) {
    auto n = dispatcher_->run_once(write, options_.callback_batch);
    if (!n.ok()) {
      log_event("warn", "callback_dispatch_failed",
                {{"code", std::string(error_code_name(n.code()))}, {"message", n.error().message}});
      return;
    }
    if (*n < options_.callback_batch) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
  }
}

void Workers::expire_orders(const store::WriteContext& write) {
  auto n = core::expire_due_orders(deps_, write);
  if (!n.ok()) {
    log_event("warn", "expiry_sweep_failed",
              {{"code", std::string(error_code_name(n.code()))}, {"message", n.error().message}});
  } else if (*n > 0) {
    log_event("info", "orders_expired", {{"count", std::to_string(*n)}});
  }
}

void Workers::prune_nonces(const store::WriteContext& write) {
  auto n = deps_.store.prune_nonces(write, deps_.clock.now() - 2 * deps_.config.request_window_seconds);
  if (!n.ok()) {
    log_event("warn", "nonce_prune_failed",
              {{"code", std::string(error_code_name(n.code()))}, {"message", n.error().message}});
  }
}

void Workers::sweep_notices(const store::WriteContext& write) {
  auto n = core::sweep_package_notices(deps_, write);
  if (!n.ok()) {
    log_event("warn", "notice_sweep_failed",
              {{"code", std::string(error_code_name(n.code()))}, {"message", n.error().message}});
  } else if (*n > 0) {
    log_event("info", "package_notices", {{"count", std::to_string(*n)}});
  }
}

void Workers::refresh_crls(const store::WriteContext& write) {
  auto n = options_.certs->refresh_crls(write, deps_.clock.now());
  if (!n.ok()) {
    log_event("warn", "crl_refresh_failed",
              {{"code", std::string(error_code_name(n.code()))}, {"message", n.error().message}});
  } else if (*n > 0) {
    log_event("info", "crl_rebuilt", {{"count", std::to_string(*n)}});
  }
}

void Workers::run_retention(const store::WriteContext&) {
  auto n = options_.retention->run_if_due(options_.worker_id);
  if (!n.ok()) {
    log_event("warn", "retention_purge_failed",
              {{"code", std::string(error_code_name(n.code()))}, {"message", n.error().message}});
  } else if (n->has_value() && (*n)->total() > 0) {
    log_event("info", "retention_purged", {{"order_payloads", std::to_string((*n)->order_payloads)},
                                           {"identities", std::to_string((*n)->identities)},
                                           {"key_shares", std::to_string((*n)->key_shares)}});
  }
}

}  // namespace duet::server
