// The operator console's "verify the chain" button (GET /admin/v1/audit/verify):
// the same verification `duet audit verify --server` runs
// (core/audit_chain.h), run by the service on what its store holds now —
// every event from genesis, the checkpoints, the audit keys, the chain head,
// the witness if one is configured, and the age rule from [audit]
// checkpoint_seconds. An independent check stays the CLI's, run by the
// auditor on their own machine against their own witness copy.
#pragma once

#include "base/result.h"
#include "core/audit_chain.h"
#include "core/audit_service.h"
#include "store/audit.h"

namespace duet::core {

// At most `max_events` events are read (kUnavailable beyond: use the CLI).
Result<AuditVerifyResult> verify_stored_audit_chain(store::AuditStore& store, AuditService& audit,
                                                    store::UnixSeconds now, size_t max_events = 2'000'000);

}  // namespace duet::core
