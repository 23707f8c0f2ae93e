// Request auditing in the server (issue 5 §4, docs/audit.md).
//
// AuditRecorder appends the events that no write transaction carried
// (read-only and refused requests, and the final outcome of a request whose
// committed change was already audited) in batches from a background
// thread, so the hot path only takes a lock and pushes. State-changing
// requests never depend on it: their events are appended inside the store's
// write transactions (store/write_context.h), fail-closed.
//
// AuditCheckpointWorker signs the chain head every N events or M seconds
// ([audit] checkpoint_events / checkpoint_seconds) with the service's audit
// key (core::AuditService), and once more when stopped.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "core/audit_checkpoint_webhook.h"
#include "core/audit_service.h"
#include "store/store.h"

namespace duet::server {

class AuditRecorder {
 public:
  explicit AuditRecorder(store::Store& store, std::chrono::milliseconds flush_interval = std::chrono::milliseconds(20));
  ~AuditRecorder();  // flushes what is queued, then stops
  AuditRecorder(const AuditRecorder&) = delete;
  AuditRecorder& operator=(const AuditRecorder&) = delete;

  // Queues an event (assigned its seq when its batch is appended).
  void enqueue(store::AuditEvent event);
  // Waits until every event queued before the call is appended (or the
  // append failed; then the error). For tests and shutdown.
  Status flush();
  // Events that could not be appended after retries (also logged).
  uint64_t dropped() const { return dropped_.load(); }

 private:
  void run();
  store::Store& store_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;       // wakes the writer
  std::condition_variable done_cv_;  // wakes flush()
  std::deque<store::AuditEvent> queue_;
  uint64_t queued_total_ = 0;   // events ever queued
  uint64_t settled_total_ = 0;  // events appended or dropped
  bool stop_ = false;
  bool flush_requested_ = false;
  Status last_error_;
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

class AuditCheckpointWorker {
 public:
  AuditCheckpointWorker(core::AuditService& audit, int64_t every_events, int64_t every_seconds);
  ~AuditCheckpointWorker();  // stop()
  // Also hands every checkpoint to `webhook` after each round (and after the
  // last one at stop). Set before start(); not owned.
  void set_webhook(core::CheckpointWebhook* webhook) { webhook_ = webhook; }
  void start();
  // Stops the thread and signs the head one last time.
  void stop();

 private:
  void run();
  void deliver();
  core::AuditService& audit_;
  core::CheckpointWebhook* webhook_ = nullptr;
  int64_t every_events_, every_seconds_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace duet::server
