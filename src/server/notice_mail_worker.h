// E-mail delivery of notices (issue 14 item 6, docs/metering.md "Notices"):
// one thread that every [notices] interval_ms claims the notices due for
// e-mail (store::NoticeMailStore::claim_notice_mails: a lease per notice, so
// several nodes never send one notice twice inside it), renders each
// (core/notice_mail.h), sends it through the SMTP server
// (httpclient/smtp_client.h) and records the outcome: sent, or tried again
// later (core::next_mail_attempt), or failed after max_attempts. The queue is
// the notices table itself: nothing is lost at a restart. Off (no thread)
// without [notices] smtp_url. Logs carry counts and error codes only: never
// an address or a message.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "core/core_deps.h"
#include "httpclient/smtp_client.h"
#include "server/notice_mail_config.h"

namespace duet::server {

class NoticeMailWorker {
 public:
  using Sender = std::function<Status(const httpclient::MailMessage&)>;
  // `sender` null: httpclient::send_mail through the configured server.
  NoticeMailWorker(core::CoreDeps deps, NoticeMailConfig config, int utc_offset_minutes, Sender sender = nullptr);
  ~NoticeMailWorker();
  NoticeMailWorker(const NoticeMailWorker&) = delete;
  NoticeMailWorker& operator=(const NoticeMailWorker&) = delete;

  // Reads the SMTP password file (kInvalidArgument when unreadable) and
  // starts the thread; does nothing when e-mail is off.
  Status start();
  void stop();  // idempotent

  // One round: the number of notices sent.
  Result<size_t> run_once();

 private:
  void run();
  store::WriteContext audit_for(store::PendingAuditEvent& pending, const store::Notice& n) const;

  core::CoreDeps deps_;
  NoticeMailConfig config_;
  int utc_offset_minutes_;
  Sender sender_;
  httpclient::SmtpServer server_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace duet::server
