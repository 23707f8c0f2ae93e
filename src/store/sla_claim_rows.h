// The rows and checks of the SLA terms and claims tables (store/sla_claims.h)
// as both backends read and validate them: one column list, one reader and
// one check per record. Private to src/store.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/result.h"
#include "store/row_reader.h"
#include "store/sla_claim_records.h"
#include "store/store_error.h"

namespace duet::store::sla_claim_rows {

inline std::string_view claim_state_text(SlaClaimState s) {
  switch (s) {
    case SlaClaimState::kApproved: return "approved";
    case SlaClaimState::kRefused: return "refused";
    case SlaClaimState::kFiled: break;
  }
  return "filed";
}

inline Result<SlaClaimState> parse_claim_state(std::string_view t) {
  if (t == "filed") return SlaClaimState::kFiled;
  if (t == "approved") return SlaClaimState::kApproved;
  if (t == "refused") return SlaClaimState::kRefused;
  return store_error(StoreError::kCorrupt, "unknown claim state");
}

constexpr std::string_view kTermsCols = "version, digest_hex, document, recorded_at, recorded_by";
inline SlaTermsVersion read_terms(const RowReader& r) {
  return SlaTermsVersion{r.text(0), r.text(1), r.text(2), r.get_int(3), r.text(4)};
}

constexpr std::string_view kPinCols = "tenant_id, version, pinned_at, pinned_by";
inline TenantSlaTerms read_pin(const RowReader& r) {
  return TenantSlaTerms{r.text(0), r.text(1), r.get_int(2), r.text(3)};
}

constexpr std::string_view kClaimCols =
    "tenant_id, claim_id, month, statement, filed_by, filed_at, terms_version, state, decided_at, decided_by, "
    "decision_reason";
inline Result<SlaClaim> read_claim(const RowReader& r) {
  SlaClaim c;
  c.tenant_id = r.text(0);
  c.claim_id = r.text(1);
  c.month = r.text(2);
  c.statement = r.text(3);
  c.filed_by = r.text(4);
  c.filed_at = r.get_int(5);
  c.terms_version = r.text(6);
  DUET_ASSIGN_OR_RETURN(c.state, parse_claim_state(r.text(7)));
  c.decided_at = r.optional_int(8);
  c.decided_by = r.text(9);
  c.decision_reason = r.text(10);
  return c;
}

inline bool version_name_ok(std::string_view v) {
  if (v.empty() || v.size() > 32) return false;
  for (char ch : v)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
          ch == '_' || ch == '-'))
      return false;
  return true;
}

inline Status validate_terms(const SlaTermsVersion& t) {
  auto bad = [](const char* m) { return make_error(ErrorCode::kInvalidArgument, m); };
  if (!version_name_ok(t.version)) return bad("terms version must be 1-32 characters of [A-Za-z0-9._-]");
  if (t.digest_hex.size() != 64) return bad("terms digest must be 64 hex characters");
  for (char ch : t.digest_hex)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return bad("terms digest must be lowercase hex");
  if (t.document.empty()) return bad("terms document is empty");
  return Status::Ok();
}

inline bool month_ok(std::string_view m) {
  if (m.size() != 7 || m[4] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6})
    if (m[i] < '0' || m[i] > '9') return false;
  return (m[5] == '0' && m[6] >= '1') || (m[5] == '1' && m[6] <= '2');
}

inline Status validate_claim(const SlaClaim& c) {
  auto bad = [](const char* m) { return make_error(ErrorCode::kInvalidArgument, m); };
  if (c.tenant_id.empty() || c.claim_id.empty()) return bad("claim ids are required");
  if (!month_ok(c.month)) return bad("claim month must be YYYY-MM");
  if (c.statement.size() > 2000) return bad("claim statement is longer than 2000 bytes");
  if (c.state != SlaClaimState::kFiled || c.decided_at) return bad("a new claim is filed, not decided");
  if (!c.terms_version.empty() && !version_name_ok(c.terms_version)) return bad("claim terms version is malformed");
  return Status::Ok();
}

inline Status validate_decision(SlaClaimState decision, std::string_view reason, size_t grants) {
  auto bad = [](const char* m) { return make_error(ErrorCode::kInvalidArgument, m); };
  if (decision == SlaClaimState::kFiled) return bad("a decision approves or refuses");
  if (reason.size() > 2000) return bad("decision reason is longer than 2000 bytes");
  if (decision == SlaClaimState::kRefused && reason.empty()) return bad("a refusal needs a reason");
  if (decision == SlaClaimState::kRefused && grants != 0) return bad("a refusal grants nothing");
  if (decision == SlaClaimState::kApproved && grants == 0) return bad("an approval grants at least one credit");
  return Status::Ok();
}

}  // namespace duet::store::sla_claim_rows

#include "store/sql_text.h"

namespace duet::store::sla_claim_rows {

inline constexpr SqlText kInsertTerms{
    "INSERT INTO sla_terms (version, digest_hex, document, recorded_at, recorded_by) VALUES (?1, ?2, ?3, ?4, ?5)"};
inline constexpr SqlText kSelectTerms{
    "SELECT version, digest_hex, document, recorded_at, recorded_by FROM sla_terms WHERE version = ?1"};
inline constexpr SqlText kListTerms{
    "SELECT version, digest_hex, document, recorded_at, recorded_by FROM sla_terms ORDER BY recorded_at, version"};
inline constexpr SqlText kUpsertPin{
    "INSERT INTO tenant_sla_terms (tenant_id, version, pinned_at, pinned_by) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version, pinned_at = excluded.pinned_at, "
    "pinned_by = excluded.pinned_by"};
inline constexpr SqlText kSelectPin{
    "SELECT tenant_id, version, pinned_at, pinned_by FROM tenant_sla_terms WHERE tenant_id = ?1"};
inline constexpr SqlText kClaimForMonth{"SELECT 1 FROM sla_claims WHERE tenant_id = ?1 AND month = ?2"};
inline constexpr SqlText kInsertClaim{
    "INSERT INTO sla_claims (tenant_id, claim_id, month, statement, filed_by, filed_at, terms_version, state) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'filed')"};
inline constexpr SqlText kSelectClaim{
    "SELECT tenant_id, claim_id, month, statement, filed_by, filed_at, terms_version, state, decided_at, decided_by, "
    "decision_reason FROM sla_claims WHERE tenant_id = ?1 AND claim_id = ?2"};
inline constexpr SqlText kFindClaim{
    "SELECT tenant_id, claim_id, month, statement, filed_by, filed_at, terms_version, state, decided_at, decided_by, "
    "decision_reason FROM sla_claims WHERE claim_id = ?1"};
inline constexpr SqlText kListClaims{
    "SELECT tenant_id, claim_id, month, statement, filed_by, filed_at, terms_version, state, decided_at, decided_by, "
    "decision_reason FROM sla_claims WHERE (?1 = '' OR tenant_id = ?1) ORDER BY filed_at DESC, claim_id"};
// The one conditional update of a decision: only a filed claim is decided.
inline constexpr SqlText kDecideClaim{
    "UPDATE sla_claims SET state = ?3, decided_at = ?4, decided_by = ?5, decision_reason = ?6 "
    "WHERE tenant_id = ?1 AND claim_id = ?2 AND state = 'filed'"};

}  // namespace duet::store::sla_claim_rows
