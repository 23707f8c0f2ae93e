// A self-signed development certificate for `duetd --dev`: an ECDSA P-256 key
// and an X.509 v3 certificate for localhost / 127.0.0.1 / ::1 (so stock
// clients such as curl can talk TLS to it). Not for production.
#pragma once

#include <string>

#include "base/result.h"

namespace duet::http {

struct DevCertificate {
  std::string cert_path;  // <dir>/dev-cert.pem
  std::string key_path;   // <dir>/dev-key.pem, mode 0600
};

// Generates a fresh key and certificate in `dir` (created with mode 0700 if
// missing), replacing any previous files. Valid for one year.
Result<DevCertificate> generate_dev_certificate(const std::string& dir);

// Reuses the files in `dir` when both exist and the certificate is still valid
// for at least a day; otherwise generates new ones.
Result<DevCertificate> ensure_dev_certificate(const std::string& dir);

}  // namespace duet::http
