// The storage interface core talks to (docs/architecture.md). One implementation per
// backend (SQLite now, PostgreSQL later); all of them pass the contract suite
// in store/store_contract_test.h.
//
// The interface is split by area, one abstract class per header (tenants.h,
// holders.h, orders.h, certificates.h, ca_material.h, nonces.h, callbacks.h,
// metering.h, audit.h, operator_tokens.h, retention.h, leases.h, sla.h,
// portal_users.h); a
// core service depends on the areas it uses. Store is their aggregate: what a
// backend implements and what the daemon owns (it converts to every area).
//
// Rules every implementation keeps:
//  - Tenant scoping by construction: every read or update of a tenant-owned
//    row takes the tenant id, and a row of another tenant is kNotFound. The
//    only calls without a tenant are the entry-point lookups that *discover*
//    the tenant from a credential (find_app, find_device_token,
//    find_activation_code, find_certificate_by_serial), the cross-tenant
//    background sweeps (expire_orders, claim_due_callbacks, prune_nonces),
//    the CRL listing (list_revoked_certificates), and the global operator
//    tokens and CA material.
//  - Every call is atomic: a multi-step state change is one transaction, made
//    of conditional updates ("... WHERE state IN (...)") whose affected-row
//    count is checked. Losing a race is kConflict, never a half-applied change.
//    No advisory locks, LISTEN/NOTIFY or gap-free sequences.
//  - Callbacks caused by a state change are enqueued in that same transaction.
//  - Thread-safe: one Store object may be called from many threads at once,
//    and several Store objects (processes, nodes) may share one database.
//  - Nothing throws; errors are Result/Status with a StoreError kind
//    (store/store_error.h). Records are validated (ids non-empty, at least one
//    order item, ...) and a malformed one is ErrorCode::kInvalidArgument with
//    no store kind.
#pragma once

#include "base/result.h"
#include "store/tenants.h"
#include "store/holders.h"
#include "store/orders.h"
#include "store/certificates.h"
#include "store/ca_material.h"
#include "store/nonces.h"
#include "store/callbacks.h"
#include "store/metering.h"
#include "store/audit.h"
#include "store/operator_tokens.h"
#include "store/retention.h"
#include "store/leases.h"
#include "store/sla.h"
#include "store/portal_users.h"
#include "store/incidents.h"
#include "store/notice_mail.h"
#include "store/sla_claims.h"

namespace duet::store {

class Store : public TenantStore,
              public HolderStore,
              public OrderStore,
              public CertificateStore,
              public CaStore,
              public NonceStore,
              public CallbackStore,
              public MeteringStore,
              public AuditStore,
              public OperatorTokenStore,
              public RetentionStore,
              public LeaseStore,
              public SlaStore,
              public PortalUserStore,
              public IncidentStore,
              public NoticeMailStore,
              public SlaClaimStore {
 public:
  ~Store() override = default;

  // The schema version the database is at after migrations.
  virtual Result<int> schema_version() = 0;
};

}  // namespace duet::store
