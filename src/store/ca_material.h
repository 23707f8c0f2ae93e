// store::CaStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). CA material (global): the CAs and their CRL numbers.
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

class CaStore {
 public:
  virtual ~CaStore() = default;

  // --- CA material (global) -------------------------------------------------
  // Inserts a CA; kConflict if ca_id exists. role must be "root",
  // "issuing", "ocsp" or "tsa" (the time-stamping unit) and certificate_der non-empty (kInvalidArgument).
  virtual Status put_ca(const WriteContext& context, const CaRecord& ca) = 0;
  // Every CA, oldest first (created_at, then ca_id).
  virtual Result<std::vector<CaRecord>> list_cas() = 0;
  virtual Status set_ca_active(const WriteContext& context, std::string_view ca_id, bool active) = 0;  // kNotFound
  // The issuer's next CRL number: 1, 2, 3, ... Strictly increasing per
  // issuer across threads, processes and nodes (one conditional upsert);
  // a number handed out is never handed out again.
  virtual Result<int64_t> next_crl_number(const WriteContext& context, std::string_view issuer_id) = 0;
};

}  // namespace duet::store
