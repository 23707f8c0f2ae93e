#include "server/notice_mail_worker.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "core/notice_mail.h"
#include "server/log.h"

namespace duet::server {

namespace {
constexpr int64_t kLeaseSeconds = 300;  // longer than one delivery's timeout, many times over
constexpr size_t kBatch = 20;
}  // namespace

NoticeMailWorker::NoticeMailWorker(core::CoreDeps deps, NoticeMailConfig config, int utc_offset_minutes,
                                   Sender sender)
    : deps_(deps), config_(std::move(config)), utc_offset_minutes_(utc_offset_minutes), sender_(std::move(sender)) {
  server_.url = config_.smtp_url;
  server_.username = config_.smtp_username;
  server_.require_tls = config_.smtp_require_tls;
  if (!config_.smtp_ca_file.empty()) server_.ca_file = config_.smtp_ca_file;
  server_.timeout_ms = static_cast<long>(config_.timeout_ms);
}

NoticeMailWorker::~NoticeMailWorker() { stop(); }

Status NoticeMailWorker::start() {
  if (!config_.enabled()) return Status::Ok();
  if (!config_.smtp_password_file.empty()) {
    std::ifstream in(config_.smtp_password_file, std::ios::binary);
    if (!in) return make_error(ErrorCode::kInvalidArgument, "notices.smtp_password_file cannot be read");
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string pw = ss.str();
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    server_.password = std::move(pw);
  }
  if (!sender_) sender_ = [this](const httpclient::MailMessage& m) { return httpclient::send_mail(server_, m); };
  std::lock_guard lock(mu_);
  if (started_) return Status::Ok();
  started_ = true;
  thread_ = std::thread([this] { run(); });
  return Status::Ok();
}

void NoticeMailWorker::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NoticeMailWorker::run() {
  log_event("info", "worker_started", {{"worker", "notice_mail"}});
  for (;;) {
    try {
      auto n = run_once();
      if (!n.ok()) {
        log_event("warn", "notice_mail_failed",
                  {{"code", std::string(error_code_name(n.code()))}, {"message", n.error().message}});
      } else if (*n > 0) {
        log_event("info", "notice_mails_sent", {{"count", std::to_string(*n)}});
      }
    } catch (const std::exception& e) {
      log_event("error", "worker_exception", {{"worker", "notice_mail"}, {"message", e.what()}});
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(config_.interval_ms), [this] { return stopping_; })) break;
  }
  log_event("info", "worker_stopped", {{"worker", "notice_mail"}});
}

store::WriteContext NoticeMailWorker::audit_for(store::PendingAuditEvent& pending, const store::Notice& n) const {
  pending.event.at = deps_.clock.now();
  pending.event.tenant_id = n.tenant_id;
  pending.event.actor_type = "system";
  pending.event.actor_id = "notice_mail";
  pending.event.action = "worker.notice_mail";
  pending.event.target = "notice_id:" + n.notice_id;
  pending.event.outcome = "ok";
  return store::WriteContext{&pending, nullptr};
}

Result<size_t> NoticeMailWorker::run_once() {
  if (!sender_) return make_error(ErrorCode::kUnavailable, "notice e-mail is not configured");
  const int64_t now = deps_.clock.now();
  DUET_ASSIGN_OR_RETURN(std::vector<store::NoticeMail> due,
                        deps_.store.claim_notice_mails({}, now, now + kLeaseSeconds, kBatch));
  size_t sent = 0;
  for (const auto& m : due) {
    core::NoticeMailText text = core::notice_mail_text(m, utc_offset_minutes_);
    httpclient::MailMessage msg{config_.mail_from, m.to,
                                core::render_mail(config_.mail_from, m.to, m.notice.notice_id, text, now)};
    Status s = sender_(msg);
    store::NoticeMailOutcome outcome;
    outcome.sent = s.ok();
    if (!s.ok()) {
      outcome.error = s.error().message;  // a fixed code from smtp_client ("smtp: connect", …)
      outcome.retry_at = core::next_mail_attempt(m.attempts + 1, deps_.clock.now(), config_.max_attempts);
    }
    store::PendingAuditEvent pending;
    Status r = deps_.store.record_notice_mail(audit_for(pending, m.notice), m.notice.tenant_id, m.notice.notice_id,
                                              outcome, deps_.clock.now());
    if (!r.ok()) {
      log_event("warn", "notice_mail_record_failed",
                {{"code", std::string(error_code_name(r.code()))}, {"message", r.error().message}});
      continue;
    }
    if (s.ok()) ++sent;
    else log_event("warn", "notice_mail_not_sent", {{"code", s.error().message},
                                                    {"retry", outcome.retry_at ? "yes" : "no"}});
  }
  return sent;
}

}  // namespace duet::server
