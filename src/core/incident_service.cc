#include "core/incident_service.h"

#include "store/ids.h"

namespace duet::core {

namespace {

Unexpected invalid(std::string m) { return make_error(ErrorCode::kInvalidArgument, std::move(m)); }

PromiseCheck check_promise(UnixSeconds start, const std::optional<UnixSeconds>& at, int64_t limit, UnixSeconds now) {
  PromiseCheck c;
  if (at) {
    c.took_seconds = *at - start;
    c.met = *c.took_seconds <= limit;
  } else if (now - start > limit) {
    c.met = false;  // the deadline passed without it
  }
  return c;
}

// A change can only be applied whole; the times it leaves are checked together.
void apply(store::Incident& i, const IncidentChange& c) {
  if (c.services) i.services = *c.services;
  if (c.cause) i.cause = *c.cause;
  if (c.description) i.description = *c.description;
  if (c.started_at) i.started_at = *c.started_at;
  if (c.response_started_at) i.response_started_at = c.response_started_at;
  if (c.resolved_at) i.resolved_at = c.resolved_at;
  if (c.dr_switched_at) i.dr_switched_at = c.dr_switched_at;
  if (c.clear_response_started_at) i.response_started_at.reset();
  if (c.clear_resolved_at) i.resolved_at.reset();
  if (c.clear_dr_switched_at) i.dr_switched_at.reset();
}

}  // namespace

IncidentTimeliness incident_timeliness(const store::Incident& i, UnixSeconds now, const IncidentPromises& p) {
  IncidentTimeliness t;
  t.response = check_promise(i.started_at, i.response_started_at, p.response_seconds, now);
  t.resolution = check_promise(i.started_at, i.resolved_at, p.resolve_seconds, now);
  // A DR switch is promised only when one happened (not every incident needs one).
  if (i.dr_switched_at) t.dr_switch = check_promise(i.started_at, i.dr_switched_at, p.dr_switch_seconds, now);
  return t;
}

bool cause_is_excluded(store::IncidentCause c) {
  return c == store::IncidentCause::kCustomerSide || c == store::IncidentCause::kThirdParty;
}

std::optional<SlaExclusion> exclusion_of(const store::Incident& i) {
  if (!cause_is_excluded(i.cause) || !i.resolved_at || *i.resolved_at <= i.started_at) return std::nullopt;
  SlaExclusion e;
  e.from = i.started_at;
  e.to = *i.resolved_at;
  e.signing = i.services != store::IncidentServices::kCertificate;
  e.certificate = i.services != store::IncidentServices::kSigning;
  // A customer-side cause excludes only its own tenant; a third party's, everyone.
  if (i.cause == store::IncidentCause::kCustomerSide) e.tenant_id = i.tenant_id;
  return e;
}

IncidentService::IncidentService(CoreDeps deps) : stores_(deps.store) {}

Status IncidentService::check(const store::Incident& i, UnixSeconds now) const {
  if (i.description.empty()) return invalid("description is required");
  if (i.description.size() > 1000) return invalid("description is too long (at most 1000 bytes)");
  if (i.cause == store::IncidentCause::kCustomerSide && i.tenant_id.empty())
    return invalid("a customer-side incident names its tenant (tenant_id)");
  for (const auto& t : {std::optional<UnixSeconds>(i.started_at), i.response_started_at, i.resolved_at,
                        i.dr_switched_at}) {
    if (!t) continue;
    if (*t > now + 60) return invalid("an incident's times cannot be in the future");
    if (*t < i.started_at) return invalid("an incident's times cannot be before started_at");
  }
  if (i.started_at <= 0) return invalid("started_at must be a positive Unix time");
  return Status::Ok();
}

Result<store::Incident> IncidentService::create(const OperatorContext& op, std::string tenant_id,
                                                const IncidentChange& change, UnixSeconds now) {
  if (!change.services || !change.cause || !change.description || !change.started_at)
    return invalid("services, cause, description and started_at are required");
  store::Incident i;
  i.incident_id = store::new_id("inc_");
  op.write.name_audit_target("incident_id", i.incident_id);
  i.tenant_id = std::move(tenant_id);
  apply(i, change);
  i.created_by = i.updated_by = op.name;
  i.created_at = i.updated_at = now;
  DUET_TRY_STATUS(check(i, now));
  DUET_TRY_STATUS(stores_.incidents.create_incident(op.write, i));
  return i;
}

Result<store::Incident> IncidentService::update(const OperatorContext& op, std::string_view incident_id,
                                                const IncidentChange& change, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(store::Incident i, stores_.incidents.get_incident(incident_id));
  op.write.name_audit_target("incident_id", i.incident_id);
  UnixSeconds read_version = i.updated_at;
  apply(i, change);
  i.updated_by = op.name;
  // The version must move even within one second, so that a stale writer loses.
  i.updated_at = now > read_version ? now : read_version + 1;
  DUET_TRY_STATUS(check(i, now));
  DUET_TRY_STATUS(stores_.incidents.update_incident(op.write, i, read_version));
  return i;
}

Result<store::Incident> IncidentService::get(std::string_view incident_id) {
  return stores_.incidents.get_incident(incident_id);
}

Result<std::vector<store::Incident>> IncidentService::list(UnixSeconds from, UnixSeconds to,
                                                           std::optional<std::string_view> tenant_id) {
  return stores_.incidents.list_incidents(from, to, tenant_id);
}

Result<std::vector<SlaExclusion>> IncidentService::exclusions(UnixSeconds from, UnixSeconds to) {
  DUET_ASSIGN_OR_RETURN(std::vector<store::Incident> all, stores_.incidents.list_incidents(from, to, std::nullopt));
  std::vector<SlaExclusion> out;
  for (const auto& i : all)
    if (auto e = exclusion_of(i)) out.push_back(*e);
  return out;
}

}  // namespace duet::core
