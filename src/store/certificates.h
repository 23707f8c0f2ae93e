// store::CertificateStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). Issued certificates (tenant-scoped; serial lookups and the CRL across tenants).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

class CertificateStore {
 public:
  virtual ~CertificateStore() = default;

  // --- certificates ---------------------------------------------------------
  // Stores an issued certificate. kConflict if the serial is taken (in any
  // tenant), kDuplicate if the cert id is; kNotFound unless key_id is a key
  // of holder_id in the tenant. revoked must equal revoked_at.has_value().
  virtual Status add_certificate(const WriteContext& context, const Certificate& c) = 0;
  virtual Result<Certificate> get_certificate(std::string_view tenant_id, std::string_view cert_id) = 0;
  // Entry point of OCSP / status checks (all tenants): the certificate by
  // its lowercase hex serial. kNotFound.
  virtual Result<Certificate> find_certificate_by_serial(std::string_view serial_hex) = 0;
  // The holder's certificates, newest first (created_at, then cert_id, descending).
  virtual Result<std::vector<Certificate>> list_holder_certificates(std::string_view tenant_id,
                                                                    std::string_view holder_id) = 0;
  // Every revoked certificate of an issuer (all tenants, for the CRL), by serial.
  virtual Result<std::vector<Certificate>> list_revoked_certificates(std::string_view issuer_id) = 0;
  // One transaction: the certificate good -> revoked (revoked_at = now,
  // revocation_reason = reason; kConflict if already revoked, kNotFound).
  // With revoke_key, the certificate's key is also revoked with its share
  // wiped, as revoke_holder_key does (a key already revoked stays as it is),
  // and every unrevoked device token of the holder is revoked. reason must
  // be an RFC 5280 CRLReason usable for revocation (0-6, 9, 10), else
  // ErrorCode::kInvalidArgument.
  virtual Status revoke_certificate(const WriteContext& context, std::string_view tenant_id, std::string_view cert_id,
                                    int reason, bool revoke_key, UnixSeconds now) = 0;
};

}  // namespace duet::store
