// The audit witness as a file outside the data directory (docs/audit.md,
// [audit] witness_file in docs/configuration.md): core::AuditWitnessSink
// over one append-only file of JSON lines (core/audit_witness.h).
//
// Invariants: the file is only ever opened O_WRONLY|O_APPEND (never
// truncated or rewritten by duetd); each line is written with one write()
// and fsync()ed before append() answers Ok; the parent directory is created
// (mode 0700) if missing and the file with mode 0600.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "core/audit_witness.h"

namespace duet::server {

// Reads the witness at `path` afresh (for the Admin API's verification
// answer); kNotFound when there is no file.
Result<core::AuditWitness> read_audit_witness_file(const std::string& path);

class AuditWitnessFile final : public core::AuditWitnessSink {
 public:
  // Opens (or creates) the file and reads what it holds already.
  // kUnavailable when it cannot be opened or read, kBadEncoding when a line
  // other than a torn last one is not a witness line.
  static Result<std::unique_ptr<AuditWitnessFile>> open(const std::string& path);
  ~AuditWitnessFile() override;
  AuditWitnessFile(const AuditWitnessFile&) = delete;
  AuditWitnessFile& operator=(const AuditWitnessFile&) = delete;

  std::optional<store::AuditCheckpoint> last() const override;
  Status append(const store::AuditCheckpoint& cp, const store::AuditKey& key) override;
  Result<core::AuditWitness> read() const override { return read_audit_witness_file(path_); }
  const std::string& path() const { return path_; }

 private:
  AuditWitnessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  Status write_line(const std::string& line);
  std::string path_;
  int fd_ = -1;
  mutable std::mutex mu_;
  std::set<std::string> keys_seen_;
  std::optional<store::AuditCheckpoint> last_;
  bool torn_tail_ = false;  // the file does not end with a newline (a cut write)
};

}  // namespace duet::server
