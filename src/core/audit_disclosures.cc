#include "core/audit_disclosures.h"

#include "core/operator_roles.h"
#include "store/ids.h"
#include "store/store_error.h"

namespace duet::core {

namespace {

Unexpected invalid(std::string m) { return make_error(ErrorCode::kInvalidArgument, std::move(m)); }

Status check_text(const std::string& s, const char* what, bool required) {
  if (required && s.empty()) return invalid(std::string(what) + " is required");
  if (s.size() > 2000) return invalid(std::string(what) + " is longer than 2000 bytes");
  for (unsigned char ch : s)
    if (ch < 0x20 && ch != '\n' && ch != '\t') return invalid(std::string(what) + " contains control characters");
  return Status::Ok();
}

constexpr size_t kPage = 1000;

}  // namespace

std::string_view disclosure_state_name(store::DisclosureState s) {
  switch (s) {
    case store::DisclosureState::kApproved: return "approved";
    case store::DisclosureState::kRefused: return "refused";
    case store::DisclosureState::kRun: return "run";
    case store::DisclosureState::kRequested: break;
  }
  return "requested";
}

Result<store::AuditDisclosure> AuditDisclosures::request(const OperatorContext& op, const std::string& tenant_id,
                                                         UnixSeconds from, UnixSeconds to, std::string purpose,
                                                         UnixSeconds now) {
  DUET_TRY_STATUS(require_role(op, {kRoleAuditor}));
  if (tenant_id.empty()) return invalid("tenant_id is required");
  if (from < 0 || to <= from) return invalid("the period's end (to) must be after its start (from)");
  DUET_TRY_STATUS(check_text(purpose, "purpose", true));
  store::AuditDisclosure d;
  d.disclosure_id = store::new_id("dsc_");
  d.tenant_id = tenant_id;
  d.from = from;
  d.to = to;
  d.purpose = std::move(purpose);
  d.requested_by = op.name;
  d.requested_at = now;
  op.write.name_audit_target("disclosure_id", d.disclosure_id);
  DUET_TRY_STATUS(disclosures_.request_audit_disclosure(op.write, d));
  return d;
}

Result<store::AuditDisclosure> AuditDisclosures::decide(const OperatorContext& op, std::string_view id,
                                                        store::DisclosureState decision, std::string reason,
                                                        UnixSeconds now) {
  DUET_TRY_STATUS(require_role(op, {kRoleSecurityOfficer}));
  DUET_TRY_STATUS(check_text(reason, "reason", decision == store::DisclosureState::kRefused));
  DUET_ASSIGN_OR_RETURN(store::AuditDisclosure d, disclosures_.get_audit_disclosure(id));
  // Four eyes: whoever asked for the disclosure does not also allow it.
  if (d.requested_by == op.name)
    return make_error(ErrorCode::kForbidden, "the requester of a disclosure cannot decide it");
  if (d.state != store::DisclosureState::kRequested)
    return make_error(ErrorCode::kConflict, "the disclosure was already decided");
  DUET_TRY_STATUS(disclosures_.decide_audit_disclosure(op.write, id, decision, op.name, reason, now));
  return disclosures_.get_audit_disclosure(id);
}

Result<store::AuditDisclosure> AuditDisclosures::approve(const OperatorContext& op, std::string_view id,
                                                         std::string reason, UnixSeconds now) {
  return decide(op, id, store::DisclosureState::kApproved, std::move(reason), now);
}

Result<store::AuditDisclosure> AuditDisclosures::refuse(const OperatorContext& op, std::string_view id,
                                                        std::string reason, UnixSeconds now) {
  return decide(op, id, store::DisclosureState::kRefused, std::move(reason), now);
}

Result<DisclosureRun> AuditDisclosures::run(const OperatorContext& op, std::string_view id, UnixSeconds now) {
  DUET_TRY_STATUS(require_role(op, {kRoleAuditor}));
  DUET_ASSIGN_OR_RETURN(store::AuditDisclosure d, disclosures_.get_audit_disclosure(id));
  if (d.state == store::DisclosureState::kRun)
    return make_error(ErrorCode::kConflict, "the disclosure was already run");
  if (d.state != store::DisclosureState::kApproved)
    return make_error(ErrorCode::kForbidden, "the disclosure is not approved by a security officer");
  // Read first, spend after: a failed read leaves the approval unspent; the
  // conditional update then makes sure only one run hands the events out.
  DisclosureRun out;
  int64_t after = 0;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(std::vector<store::AuditEvent> page,
                          audit_.list_tenant_audit_events(d.tenant_id, d.from, d.to, after, kPage));
    for (auto& e : page) out.events.push_back(std::move(e));
    if (page.size() < kPage) break;
    after = out.events.back().seq;
  }
  op.write.name_audit_target("tenant_id", d.tenant_id);
  Status spent = disclosures_.mark_audit_disclosure_run(op.write, id, op.name, now);
  if (!spent.ok() && store::store_error_kind(spent) == store::StoreError::kConflict)
    return make_error(ErrorCode::kConflict, "the disclosure was already run");
  DUET_TRY_STATUS(spent);
  DUET_ASSIGN_OR_RETURN(out.disclosure, disclosures_.get_audit_disclosure(id));
  return out;
}

}  // namespace duet::core
