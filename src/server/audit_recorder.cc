#include "server/audit_recorder.h"

#include <algorithm>
#include <vector>

#include "server/log.h"

namespace duet::server {
namespace {
constexpr size_t kMaxBatch = 512;
constexpr size_t kMaxQueue = 100000;  // beyond this (store down for long), events are dropped and counted
constexpr int kMaxTries = 5;
}  // namespace

AuditRecorder::AuditRecorder(store::Store& store, std::chrono::milliseconds flush_interval)
    : store_(store), interval_(flush_interval), thread_([this] { run(); }) {}

AuditRecorder::~AuditRecorder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AuditRecorder::enqueue(store::AuditEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.size() >= kMaxQueue) {
    dropped_.fetch_add(1);
    ++queued_total_;
    ++settled_total_;
    return;
  }
  queue_.push_back(std::move(event));
  ++queued_total_;
  if (queue_.size() >= kMaxBatch) cv_.notify_one();
}

Status AuditRecorder::flush() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = queued_total_;
  last_error_ = Status::Ok();
  flush_requested_ = true;
  cv_.notify_one();
  done_cv_.wait(lock, [&] { return settled_total_ >= target || stop_; });
  return last_error_;
}

void AuditRecorder::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait_for(lock, interval_, [&] { return stop_ || flush_requested_ || queue_.size() >= kMaxBatch; });
    flush_requested_ = false;
    while (!queue_.empty()) {
      size_t n = std::min(queue_.size(), kMaxBatch);
      std::vector<store::AuditEvent> batch(std::make_move_iterator(queue_.begin()),
                                           std::make_move_iterator(queue_.begin() + static_cast<long>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(n));
      lock.unlock();
      Status st = Status::Ok();
      for (int attempt = 0; attempt < kMaxTries; ++attempt) {
        std::vector<store::AuditEvent> copy = batch;  // seq/hash assigned on a failed try are discarded
        st = store_.append_audit_events(copy);
        if (st.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
      }
      lock.lock();
      if (!st.ok()) {
        dropped_.fetch_add(n);
        last_error_ = st;
        log_event("error", "audit_append_failed",
                  {{"events", std::to_string(n)}, {"code", std::string(error_code_name(st.code()))}});
      }
      settled_total_ += n;
      done_cv_.notify_all();
    }
    if (stop_) break;
  }
  done_cv_.notify_all();
}

AuditCheckpointWorker::AuditCheckpointWorker(core::AuditService& audit, int64_t every_events, int64_t every_seconds)
    : audit_(audit), every_events_(every_events), every_seconds_(every_seconds) {}

AuditCheckpointWorker::~AuditCheckpointWorker() { stop(); }

void AuditCheckpointWorker::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void AuditCheckpointWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  auto last = audit_.checkpoint_now();
  if (!last.ok())
    log_event("error", "audit_checkpoint_failed", {{"code", std::string(error_code_name(last.code()))}});
  deliver();  // one attempt at the last checkpoint; a failure stays pending for the next start
}

// The checkpoint webhook's round: outcomes are recorded in the store; the
// log says that one failed (code only: no URL, no secret).
void AuditCheckpointWorker::deliver() {
  if (webhook_ == nullptr) return;
  auto round = webhook_->run_once();
  if (!round.ok())
    log_event("error", "audit_checkpoint_webhook_failed", {{"code", std::string(error_code_name(round.code()))}});
  else if (round->failed)
    log_event("warn", "audit_checkpoint_webhook_failed", {{"code", "not_delivered"}});
}

void AuditCheckpointWorker::run() {
  // Polls often enough for small event thresholds, at most once a second.
  const auto poll = std::chrono::milliseconds(std::clamp<int64_t>(every_seconds_ * 1000 / 4, 100, 1000));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, poll, [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    auto r = audit_.checkpoint_if_due(every_events_, every_seconds_);
    if (!r.ok())
      log_event("error", "audit_checkpoint_failed", {{"code", std::string(error_code_name(r.code()))}});
    deliver();
    lock.lock();
  }
}

}  // namespace duet::server
