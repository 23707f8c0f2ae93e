#include "core/statements.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/sla_report.h"

namespace duet::core {

using json = nlohmann::json;

Status for_each_usage_record(store::MeteringStore& metering, std::string_view tenant_id, UnixSeconds from,
                             UnixSeconds to, const std::function<void(const store::UsageRecord&)>& fn) {
  size_t limit = 5000;
  UnixSeconds cursor = from;
  std::set<std::string> seen_at_cursor;  // records of the second `cursor` already handed out
  for (;;) {
    DUET_ASSIGN_OR_RETURN(std::vector<store::UsageRecord> page,
                          metering.list_usage_records(tenant_id, cursor, to, limit));
    bool progressed = false;
    for (const auto& r : page) {
      if (r.counted_at == cursor && seen_at_cursor.count(r.usage_id)) continue;
      progressed = true;
      fn(r);
      if (r.counted_at != cursor) {
        cursor = r.counted_at;
        seen_at_cursor.clear();
      }
      seen_at_cursor.insert(r.usage_id);
    }
    if (page.size() < limit) return Status::Ok();
    // A full page of one second already seen: read more of that second at once.
    if (!progressed) limit *= 2;
  }
}

Result<int64_t> metered_signatures(store::MeteringStore& metering, std::string_view tenant_id, UnixSeconds from,
                                   UnixSeconds to, BatchCounting counting) {
  if (counting == BatchCounting::kPerItem)
    return metering.count_usage(tenant_id, store::PackageKind::kPerSignature, from, to);
  std::set<std::string> orders;
  DUET_TRY_STATUS(for_each_usage_record(metering, tenant_id, from, to, [&](const store::UsageRecord& r) {
    if (r.kind == store::PackageKind::kPerSignature) orders.insert(r.order_id);
  }));
  return static_cast<int64_t>(orders.size());
}

StatementService::StatementService(CoreDeps deps, int utc_offset_minutes, CompensationTable fallback)
    : deps_(deps), stores_(deps.store), utc_offset_minutes_(utc_offset_minutes), fallback_(std::move(fallback)) {}

Result<MonthlyStatement> StatementService::monthly(std::string_view tenant_id, std::string_view month,
                                                   UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(MonthRange range, month_range(month, utc_offset_minutes_));
  if (now < range.from) return make_error(ErrorCode::kInvalidArgument, "the month has not begun");
  DUET_TRY_STATUS(stores_.tenants.get_tenant(tenant_id));
  MonthlyStatement s;
  s.tenant_id = std::string(tenant_id);
  s.month = range.month;
  s.from = range.from;
  s.to = range.to;
  s.final = now >= range.to;
  DUET_ASSIGN_OR_RETURN(SlaTerms terms, tenant_sla_terms(stores_.claims, tenant_id, fallback_));
  s.terms_version = terms.version;
  s.batch_counting = terms.batch_counting;

  std::map<std::string, int64_t> used_by_package;
  std::set<std::string> orders;
  DUET_TRY_STATUS(for_each_usage_record(stores_.metering, tenant_id, range.from, range.to,
                                        [&](const store::UsageRecord& r) {
                                          ++used_by_package[r.package_id];
                                          if (r.kind == store::PackageKind::kPerSignature) {
                                            ++s.signed_items;
                                            orders.insert(r.order_id);
                                          } else {
                                            ++s.holders_created;
                                          }
                                        }));
  s.signed_orders = static_cast<int64_t>(orders.size());
  s.signatures_counted = s.batch_counting == BatchCounting::kPerOrder ? s.signed_orders : s.signed_items;

  DUET_ASSIGN_OR_RETURN(std::vector<store::Package> packages, stores_.metering.list_packages(tenant_id));
  std::sort(packages.begin(), packages.end(), [](const store::Package& a, const store::Package& b) {
    return a.starts_at != b.starts_at ? a.starts_at < b.starts_at : a.package_id < b.package_id;
  });
  for (const auto& p : packages) {
    auto used = used_by_package.find(p.package_id);
    const bool overlaps = p.starts_at < range.to && p.expires_at > range.from;
    if (!overlaps && used == used_by_package.end()) continue;
    PackageMovement m;
    m.package = p;
    m.opened_in_month = p.starts_at >= range.from && p.starts_at < range.to;
    m.ended_in_month = p.expires_at > range.from && p.expires_at <= range.to && p.expires_at <= now;
    m.used_in_month = used == used_by_package.end() ? 0 : used->second;
    // Nothing is counted after expiry, so `used` is final once it has ended.
    if (m.ended_in_month && p.kind != store::PackageKind::kUnlimited) m.forfeited = std::max<int64_t>(0, p.quantity - p.used);
    s.packages.push_back(std::move(m));
  }
  DUET_ASSIGN_OR_RETURN(std::vector<store::SlaCredit> credits, stores_.sla.list_sla_credits(tenant_id, ""));
  for (const auto& c : credits)
    if (c.approved_at && *c.approved_at >= range.from && *c.approved_at < range.to) s.credits.push_back(c);
  return s;
}

namespace {

std::string_view kind_text(store::PackageKind k) {
  switch (k) {
    case store::PackageKind::kPerUser: return "per_user";
    case store::PackageKind::kUnlimited: return "unlimited";
    case store::PackageKind::kPerSignature: break;
  }
  return "per_signature";
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string statement_json(const MonthlyStatement& s) {
  json packages = json::array();
  for (const auto& m : s.packages)
    packages.push_back(json{{"package_id", m.package.package_id},
                            {"kind", kind_text(m.package.kind)},
                            {"source", m.package.source},
                            {"quantity", m.package.quantity},
                            {"starts_at", m.package.starts_at},
                            {"expires_at", m.package.expires_at},
                            {"opened_in_month", m.opened_in_month},
                            {"ended_in_month", m.ended_in_month},
                            {"used_in_month", m.used_in_month},
                            {"used_total", m.package.used},
                            {"forfeited_at_end", m.forfeited}});
  json credits = json::array();
  for (const auto& c : s.credits)
    credits.push_back(json{{"credit_id", c.credit_id},
                           {"for_month", c.month},
                           {"kind", c.kind == store::SlaCreditKind::kDays ? "days" : "signatures"},
                           {"band", c.band},
                           {"amount", c.amount},
                           {"delivered_at", c.approved_at ? json(*c.approved_at) : json(nullptr)},
                           {"package_id", c.package_id}});
  json j{{"tenant_id", s.tenant_id},
         {"month", s.month},
         {"from", s.from},
         {"to", s.to},
         {"final", s.final},
         {"terms_version", s.terms_version.empty() ? json(nullptr) : json(s.terms_version)},
         {"batch_counting", batch_counting_name(s.batch_counting)},
         {"signatures", json{{"items", s.signed_items},
                             {"orders", s.signed_orders},
                             {"counted", s.signatures_counted}}},
         {"holders_created", s.holders_created},
         {"packages", std::move(packages)},
         {"credits", std::move(credits)}};
  return j.dump();
}

std::string statement_csv(const MonthlyStatement& s) {
  // One line per fact: the summary lines, then one per package movement and
  // one per credit delivered. Columns are the same on every line.
  std::ostringstream out;
  out << "tenant_id,month,line,package_id,kind,source,quantity,starts_at,expires_at,amount,batch_counting,"
         "terms_version\n";
  auto line = [&](std::string_view what, std::string_view package_id, std::string_view kind, std::string_view source,
                  std::string quantity, std::string starts, std::string expires, int64_t amount) {
    out << csv_field(s.tenant_id) << ',' << s.month << ',' << what << ',' << csv_field(package_id) << ',' << kind
        << ',' << csv_field(source) << ',' << quantity << ',' << starts << ',' << expires << ',' << amount << ','
        << batch_counting_name(s.batch_counting) << ',' << csv_field(s.terms_version) << '\n';
  };
  line("signatures_counted", "", "per_signature", "", "", "", "", s.signatures_counted);
  line("signed_items", "", "per_signature", "", "", "", "", s.signed_items);
  line("signed_orders", "", "per_signature", "", "", "", "", s.signed_orders);
  line("holders_created", "", "per_user", "", "", "", "", s.holders_created);
  for (const auto& m : s.packages) {
    const auto& p = m.package;
    std::string q = std::to_string(p.quantity), st = std::to_string(p.starts_at), ex = std::to_string(p.expires_at);
    if (m.opened_in_month) line("package_opened", p.package_id, kind_text(p.kind), p.source, q, st, ex, p.quantity);
    line("package_used", p.package_id, kind_text(p.kind), p.source, q, st, ex, m.used_in_month);
    if (m.ended_in_month) line("package_ended_forfeited", p.package_id, kind_text(p.kind), p.source, q, st, ex, m.forfeited);
  }
  for (const auto& c : s.credits)
    line(c.kind == store::SlaCreditKind::kDays ? "credit_days" : "credit_signatures", c.package_id, "", "sla_credit",
         "", c.approved_at ? std::to_string(*c.approved_at) : "", "", c.amount);
  return out.str();
}

}  // namespace duet::core
