#include "server/audit_witness_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/audit_json.h"

namespace duet::server {
namespace {

Result<std::string> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "no audit witness file");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::kUnavailable, "cannot read the audit witness file");
  return s.str();
}

}  // namespace

Result<core::AuditWitness> read_audit_witness_file(const std::string& path) {
  DUET_ASSIGN_OR_RETURN(std::string text, read_all(path));
  return core::parse_audit_witness(text);
}

Result<std::unique_ptr<AuditWitnessFile>> AuditWitnessFile::open(const std::string& path) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    // Only a directory made here is narrowed to 0700: the default witness
    // sits beside the data directory, and its parent (/var/lib, /tmp, a
    // user's home) keeps whatever mode it has.
    const bool created = std::filesystem::create_directories(p.parent_path(), ec);
    if (!ec && created) ::chmod(p.parent_path().c_str(), 0700);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return make_error(ErrorCode::kUnavailable, "cannot open the audit witness file");
  std::unique_ptr<AuditWitnessFile> w(new AuditWitnessFile(path, fd));
  auto text = read_all(path);
  if (!text.ok()) return Unexpected{text.error()};
  DUET_ASSIGN_OR_RETURN(core::AuditWitness seen, core::parse_audit_witness(*text));
  for (const auto& k : seen.keys) w->keys_seen_.insert(k.key_id);
  if (!seen.checkpoints.empty()) w->last_ = seen.checkpoints.back();
  w->torn_tail_ = !text->empty() && text->back() != '\n';
  return w;
}

AuditWitnessFile::~AuditWitnessFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<store::AuditCheckpoint> AuditWitnessFile::last() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

Status AuditWitnessFile::write_line(const std::string& line) {
  // A cut write from before is ended first, so the new line stands alone.
  std::string out = torn_tail_ ? "\n" + line + "\n" : line + "\n";
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      torn_tail_ = done > 0;  // the next line starts on a line of its own
      return make_error(ErrorCode::kUnavailable, "cannot write the audit witness file");
    }
    done += static_cast<size_t>(n);
  }
  torn_tail_ = false;
  if (::fsync(fd_) != 0) return make_error(ErrorCode::kUnavailable, "cannot sync the audit witness file");
  return Status::Ok();
}

Status AuditWitnessFile::append(const store::AuditCheckpoint& cp, const store::AuditKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!keys_seen_.count(key.key_id)) {
    DUET_TRY_STATUS(write_line(core::audit_key_json(key, true)));
    keys_seen_.insert(key.key_id);
  }
  DUET_TRY_STATUS(write_line(core::audit_checkpoint_json(cp, true)));
  last_ = cp;
  return Status::Ok();
}

}  // namespace duet::server
