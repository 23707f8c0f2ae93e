#include "store/audit_disclosures.h"

#include "store/audit_checkpoint_deliveries.h"

#include "store/store.h"
#include "store/store_error.h"

namespace duet::store {

Result<AuditDisclosureStore*> audit_disclosure_store(Store& store) {
  auto* area = dynamic_cast<AuditDisclosureStore*>(&store);
  if (area == nullptr) return store_error(StoreError::kUnavailable, "this store keeps no audit disclosures");
  return area;
}

Result<AuditCheckpointDeliveryStore*> audit_checkpoint_delivery_store(Store& store) {
  auto* area = dynamic_cast<AuditCheckpointDeliveryStore*>(&store);
  if (area == nullptr) return store_error(StoreError::kUnavailable, "this store keeps no checkpoint deliveries");
  return area;
}

}  // namespace duet::store
