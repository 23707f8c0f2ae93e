#include "server/token_bootstrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/secret_file.h"
#include "core/operator_roles.h"

namespace duet::server {
namespace {

constexpr size_t kMaxTokenFile = 256;

// kNotFound when the file does not exist.
Result<std::string> read_token_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(ErrorCode::kNotFound, path + " does not exist");
    return make_error(ErrorCode::kUnavailable, "cannot open token file " + path + ": " + std::strerror(errno));
  }
  char buf[kMaxTokenFile];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return make_error(ErrorCode::kUnavailable, "cannot read token file " + path);
  std::string token(buf, static_cast<size_t>(n));
  secure_wipe(buf, sizeof buf);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

}  // namespace

Result<std::string> read_or_create_token_file(const std::string& path, const std::function<std::string()>& mint) {
  auto existing = read_token_file(path);
  if (existing.code() != ErrorCode::kNotFound) return existing;
  std::string token = mint();
  std::string line = token + "\n";
  Status st = write_secret_file_and_wipe(path, line, {SecretFilePlacement::kNoClobber});
  if (st.ok()) return token;
  secure_wipe(token.data(), token.size());
  if (st.code() == ErrorCode::kConflict) return read_token_file(path);  // another process wrote it first
  return Unexpected{st.error()};
}

Result<std::string> bootstrap_admin_token(core::AdminService& admin, const std::string& path) {
  DUET_ASSIGN_OR_RETURN(std::string token, read_or_create_token_file(path, [&] { return admin.mint_operator_token(); }));
  DUET_TRY_STATUS(admin.register_bootstrap_token(token));
  return token;
}

Result<std::string> bootstrap_role_token(core::AuditService& audit, const std::string& path, const std::string& name,
                                         const std::string& role) {
  if (!core::is_operator_role(role)) return make_error(ErrorCode::kInvalidArgument, "unknown operator role");
  DUET_ASSIGN_OR_RETURN(std::string token, read_or_create_token_file(path, [&] { return audit.mint_operator_token(); }));
  DUET_TRY_STATUS(audit.register_role_token(token, name, role));
  return token;
}

}  // namespace duet::server
