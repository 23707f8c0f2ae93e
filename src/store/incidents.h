// store::IncidentStore, one area of store::Store (store/store.h): incident
// records (store/incident_records.h). Core decides what they mean for the
// availability (core/incident_service.h); the store keeps them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/incident_records.h"
#include "store/write_context.h"

namespace duet::store {

class IncidentStore {
 public:
  virtual ~IncidentStore() = default;

  // --- incidents (issue 14 item 3; SQLite: store/sqlite_incidents.cc) -------
  // Every write is checked as validate_incident does (store/validate.h):
  // incident_id non-empty; a customer-side cause names a tenant; response,
  // resolution and DR switch not before started_at; else kInvalidArgument
  // and nothing is written.

  // kDuplicate (incident_id); kNotFound when tenant_id is non-empty and no
  // such tenant exists.
  virtual Status create_incident(const WriteContext& context, const Incident& incident) = 0;
  virtual Result<Incident> get_incident(std::string_view incident_id) = 0;  // kNotFound
  // Replaces everything but incident_id, tenant_id, created_by and
  // created_at, only while the stored updated_at is still `expected_updated_at`
  // (one conditional update: two operators editing at once cannot both win;
  // the loser gets kConflict and nothing changes). kNotFound.
  virtual Status update_incident(const WriteContext& context, const Incident& incident,
                                 UnixSeconds expected_updated_at) = 0;
  // Incidents whose time overlaps [from, to) (started_at < to and
  // (resolved_at is null or resolved_at > from)), by started_at then
  // incident_id; with tenant_id, only those of every tenant ("") and of
  // that tenant.
  virtual Result<std::vector<Incident>> list_incidents(UnixSeconds from, UnixSeconds to,
                                                       std::optional<std::string_view> tenant_id) = 0;
};

}  // namespace duet::store
