// Background work of duetd, each loop on its own thread with a clean stop:
//   - callback dispatcher: core::CallbackDispatcher over a libcurl
//     WebhookSender, polled every callback_poll (default 500 ms);
//   - expiry sweeper: core::expire_due_orders every expiry_interval (1 s);
//   - nonce pruning: store.prune_nonces(now - 2 × request window) every
//     nonce_prune_interval (60 s);
//   - CRL refresh (when a CertificateService is given): rebuilds the issuing
//     CA's CRL when it is older than [pki] crl_refresh_seconds or misses a
//     revocation, checked every crl_check_interval (60 s);
//   - retention purges (when a RetentionService is given): run_if_due every
//     retention_poll; the service keeps the interval and the store lease
//     "retention.purge" so one node purges at a time (core/retention.h).
//   - package notices: core::sweep_package_notices (30/7-day and ended
//     notices, webhooks of new notices queued) every notice_interval (2 s).
// A failing iteration is logged (code and message only) and the loop goes on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/callbacks.h"
#include "core/certificate_service.h"
#include "core/core_deps.h"
#include "core/metering.h"
#include "core/retention.h"

namespace duet::server {

// Webhook delivery over httpclient::HttpClient (one connection kept per
// sender; a sender is used by one thread). Redirects are not followed.
class CurlWebhookSender final : public core::WebhookSender {
 public:
  // `public_addresses_only`: connect only to globally routable addresses
  // (tenant-chosen URLs; httpclient/address_policy.h).
  explicit CurlWebhookSender(bool public_addresses_only = false);
  ~CurlWebhookSender() override;
  Result<int> post(const std::string& url, const std::vector<Header>& headers, const std::string& body,
                   int timeout_ms) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct WorkerOptions {
  std::string worker_id;  // lease owner name for callbacks; default "duetd-<pid>-<random>"
  std::chrono::milliseconds callback_poll{500};
  std::chrono::milliseconds expiry_interval{1000};
  std::chrono::milliseconds nonce_prune_interval{60000};
  size_t callback_batch = 16;
  core::CertificateService* certs = nullptr;  // null: no CRL refresh loop
  std::chrono::milliseconds crl_check_interval{60000};
  std::chrono::milliseconds notice_interval{2000};
  core::RetentionService* retention = nullptr;  // null: no purge loop
  std::chrono::milliseconds retention_poll{30000};
  // The default sender's address policy for tenant-chosen URLs (config
  // service.callback_private_addresses = "refuse").
  bool callback_public_addresses_only = true;
};

class Workers {
 public:
  // `deps` must outlive this object. `sender` null: a CurlWebhookSender.
  Workers(core::CoreDeps deps, WorkerOptions options = {}, std::unique_ptr<core::WebhookSender> sender = nullptr);
  ~Workers();  // stop()
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void start();
  // Wakes every loop, lets the current iteration finish and joins. Idempotent.
  void stop();

 private:
  // A step's store writes carry `write` (the round's "system" audit event,
  // or none for the steps that are not audited that way).
  using Step = void (Workers::*)(const store::WriteContext& write);
  void loop(const char* name, std::chrono::milliseconds interval, Step step);
  void dispatch_callbacks(const store::WriteContext& write);
  void expire_orders(const store::WriteContext& write);
  void prune_nonces(const store::WriteContext& write);
  void refresh_crls(const store::WriteContext& write);
  void sweep_notices(const store::WriteContext& write);
  void run_retention(const store::WriteContext& write);
  bool wait_for(std::chrono::milliseconds d);  // false once stopping

  core::CoreDeps deps_;
  WorkerOptions options_;
  std::unique_ptr<core::WebhookSender> sender_;
  std::unique_ptr<core::CallbackDispatcher> dispatcher_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace duet::server
