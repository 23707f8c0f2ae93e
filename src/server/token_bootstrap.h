// The operator token files duetd keeps in its data directory: admin.token
// (the bootstrap operator), security-officer.token and auditor.token (the
// role tokens, docs/audit.md). Each holds one token and a newline, mode 0600.
//
// At first start the file does not exist: core mints a token, it is written
// here (base/secret_file, no clobber: of two daemons starting on one data
// directory the second reads the first's file) and only then registered in
// the store, so a token the store knows is always on disk. Later starts read
// the file and register its token again (idempotent; a revoked role token
// stays revoked). core never touches the files.
#pragma once

#include <functional>
#include <string>

#include "base/result.h"
#include "core/admin_service.h"
#include "core/audit_service.h"

namespace duet::server {

// The token in `path` (trailing CR/LF removed), or, when there is no such
// file, the one `mint` returns, written to `path` first. kUnavailable when the
// file cannot be read or written.
Result<std::string> read_or_create_token_file(const std::string& path, const std::function<std::string()>& mint);

// admin.token: the bootstrap operator.
Result<std::string> bootstrap_admin_token(core::AdminService& admin, const std::string& path);

// A role token file for operator `name` with `role` (kInvalidArgument for an
// unknown role, before any file is made).
Result<std::string> bootstrap_role_token(core::AuditService& audit, const std::string& path, const std::string& name,
                                         const std::string& role);

}  // namespace duet::server
