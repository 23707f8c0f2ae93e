#include "cli/restore_erasures.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <utility>

#include "cli/cli_common.h"
#include "core/holder_erasure.h"
#include "core/quota_order.h"
#include "crypto/random.h"
#include "store/erasure_records.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace duet::cli {

namespace fs = std::filesystem;

std::vector<store::HolderErasure> read_later_erasures(const ErasureSources& sources) {
  if (sources.data_dirs.empty() && sources.pg_dsns.empty() && !sources.none)
    fail("say where the erasures made after the backup are recorded, so that the restore does not bring erased "
         "holders back: --erasures-from DIR (the live data directory, or a newer SQLite backup) or "
         "--erasures-from-pg DSN (the live PostgreSQL database); --no-later-erasures only when no such record "
         "survives (docs/privacy.md \"Backups\")");
  if (sources.none && (!sources.data_dirs.empty() || !sources.pg_dsns.empty()))
    fail("--no-later-erasures and --erasures-from* exclude each other");
  std::map<std::pair<std::string, std::string>, store::HolderErasure> by_holder;
  auto take = [&](std::vector<store::HolderErasure> found) {
    for (auto& e : found) {
      auto key = std::make_pair(e.tenant_id, e.holder_id);
      auto it = by_holder.find(key);
      if (it == by_holder.end() || e.erased_at < it->second.erased_at) by_holder[key] = std::move(e);
    }
  };
  for (const auto& d : sources.data_dirs) {
    std::string db = (fs::path(d) / "duet.db").string();
    if (!fs::exists(db)) fail("--erasures-from " + d + ": no duet.db there (a SQLite data or backup directory)");
    take(unwrap(store::read_sqlite_holder_erasures(db), "purge records of " + db));
  }
  for (const auto& dsn : sources.pg_dsns)
    take(unwrap(store::read_pg_holder_erasures(dsn), "purge records of the PostgreSQL database"));
  std::vector<store::HolderErasure> out;
  for (auto& [key, e] : by_holder) out.push_back(std::move(e));
  return out;
}

json reapply_erasures(const std::vector<store::HolderErasure>& records, const std::string& sqlite_path,
                      const std::string& pg_dsn) {
  json summary{{"reapplied", json::array()}, {"already_erased", json::array()}, {"not_in_backup", json::array()}};
  if (records.empty()) return summary;
  std::unique_ptr<store::Store> restored;
  if (!pg_dsn.empty()) {
    store::PostgresStoreOptions o;
    o.dsn = pg_dsn;
    o.max_connections = 1;
    o.quota_order = core::quota_order_rule();
    restored = unwrap(store::open_postgres_store(std::move(o)), "restored PostgreSQL store");
  } else {
    store::SqliteStoreOptions o;
    o.path = sqlite_path;
    o.quota_order = core::quota_order_rule();
    restored = unwrap(store::open_sqlite_store(std::move(o)), "restored store");
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  for (const store::HolderErasure& r : records) {
    // Each re-application is an audited action of the restore in the
    // restored store's own chain (ids only).
    store::AuditEvent e;
    e.at = now;
    e.tenant_id = r.tenant_id;
    e.actor_type = "operator";
    e.actor_id = "duet admin restore";
    e.action = "restore.reapply_erasure";
    e.target = "holder_id:" + r.holder_id;
    e.outcome = "ok";
    store::PendingAuditEvent pending{e};
    store::WriteContext write{&pending, nullptr};
    core::ReappliedErasure done =
        unwrap(core::reapply_holder_erasure(write, *restored, r, crypto::SystemRandom::instance()),
               "re-apply the erasure of " + r.holder_id);
    json id{{"tenant_id", r.tenant_id}, {"holder_id", r.holder_id}};
    switch (done) {
      case core::ReappliedErasure::kApplied: summary["reapplied"].push_back(id); break;
      case core::ReappliedErasure::kAlreadyErased: summary["already_erased"].push_back(id); break;
      case core::ReappliedErasure::kHolderAbsent: summary["not_in_backup"].push_back(id); break;
    }
  }
  return summary;
}

}  // namespace duet::cli
