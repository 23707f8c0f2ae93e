#include "server/public_errors.h"

#include <array>
#include <cctype>
#include <string>

namespace duet::server {
namespace {

// The token store::store_error() writes ("store/not_found: …"); a kind name
// follows it, then ':'.
bool has_store_token(std::string_view m) {
  for (size_t at = m.find("store/"); at != std::string_view::npos; at = m.find("store/", at + 1)) {
    // "restore/…" or a path ending in "store/" is not the token.
    if (at > 0 && (std::isalnum(static_cast<unsigned char>(m[at - 1])) || m[at - 1] == '/' || m[at - 1] == '_'))
      continue;
    size_t i = at + 6;
    while (i < m.size() && (std::islower(static_cast<unsigned char>(m[i])) || m[i] == '_')) ++i;
    if (i > at + 6 && i < m.size() && m[i] == ':') return true;
  }
  return false;
}

// Text that never belongs in a client-facing message: SQL, database names,
// errno strings. Case-sensitive where the SQL keyword is upper case, so
// plain English ("select an output") does not trip it.
constexpr std::array<std::string_view, 16> kInternalMarkers = {
    "INSERT INTO", "SELECT ",   "UPDATE ",        "DELETE FROM",       "CREATE ",
    " WHERE ",     "SQLSTATE",  "sqlite",         "SQLite",            "postgres",
    "constraint",  "database",  "No such file",   "Permission denied", "errno",
    "std::"};

// An absolute file path: "/x/y" that is not one of our own API paths
// (messages may name routes: "POST /app/v1/certificate-requests").
bool has_file_path(std::string_view m) {
  constexpr std::array<std::string_view, 6> kApiRoots = {"/api/", "/app/", "/admin/", "/pki/", "/metrics", "/healthz"};
  for (size_t at = m.find('/'); at != std::string_view::npos; at = m.find('/', at + 1)) {
    if (at > 0 && !std::isspace(static_cast<unsigned char>(m[at - 1])) && m[at - 1] != '\'' && m[at - 1] != '"' &&
        m[at - 1] != '(' && m[at - 1] != ':' && m[at - 1] != '=')
      continue;  // inside a word: "http(s)", "a/b", a URL's path
    std::string_view rest = m.substr(at);
    if (rest.starts_with("//")) continue;  // "https://…": a URL, not a file
    bool api = false;
    for (auto root : kApiRoots) api = api || rest.starts_with(root);
    if (api) continue;
    // Two components at least: "/var/lib", "/tmp/x".
    size_t end = rest.find_first_of(" \t\n'\"),;");
    std::string_view token = rest.substr(0, end);
    if (token.size() > 1 && token.find('/', 1) != std::string_view::npos) return true;
  }
  return false;
}

bool looks_internal(std::string_view m) {
  if (has_store_token(m)) return true;
  for (auto marker : kInternalMarkers)
    if (m.find(marker) != std::string_view::npos) return true;
  return has_file_path(m);
}

}  // namespace

std::string_view fixed_message(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kConflict: return "the request conflicts with the current state";
    case ErrorCode::kLocked: return "locked after too many failed attempts";
    case ErrorCode::kExpired: return "expired";
    case ErrorCode::kQuotaExhausted: return "no usable service package left";
    case ErrorCode::kInvalidArgument: return "the request was refused: a value is not acceptable";
    case ErrorCode::kUnauthenticated: return "authentication failed";
    case ErrorCode::kForbidden: return "not allowed";
    default: return "the request could not be completed";
  }
}

PublicError public_error(const Error& raw) {
  PublicError out{raw, false};
  if (looks_internal(raw.message)) {
    out.error.message = std::string(fixed_message(raw.code));
    out.replaced = true;
  }
  return out;
}

}  // namespace duet::server
