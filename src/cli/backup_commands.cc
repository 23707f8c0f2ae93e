#include "cli/backup_commands.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "base/bytes.h"
#include "cli/cli_common.h"
#include "cli/process.h"
#include "cli/restore_erasures.h"
#include "crypto/sm3.h"
#include "store/sqlite_backup.h"

namespace duet::cli {
namespace {

namespace fs = std::filesystem;

// A backup directory holds:
//   manifest.json     {"format": "duet-backup-v1", "store": "sqlite"|"postgres",
//                      "created_at": unix seconds, "files": [{"name", "bytes", "sm3"}]}
//   duet.db           SQLite: a consistent online-backup copy (one file, no -wal), or
//   duet.pgdump       PostgreSQL: pg_dump --format=custom of the service database
//   datakeys.wrapped  the data keys, wrapped by the KEK (useless without the KEK token)
//   kek.key, kek-dev.key  only for a --dev data directory (file KEKs; never in production)
// Operator tokens, TLS keys and the SMS sink are not copied: the tokens' hashes are
// in the database, so the existing token files keep working after a restore.
constexpr const char* kFormat = "duet-backup-v1";
constexpr const char* kKeyFiles[] = {"datakeys.wrapped", "kek.key", "kek-dev.key"};

struct BackupOptions {
  std::string data_dir;
  std::string out_dir;
  std::string from_dir;
  std::string pg_dsn;
  ErasureSources erasures;  // restore: where the erasures after the backup are recorded
};

std::string file_sm3_hex(const std::string& path) {
  std::string content = read_file(path);
  return to_hex(crypto::sm3(as_bytes(content)));
}

json describe_file(const fs::path& dir, const std::string& name) {
  std::string p = (dir / name).string();
  return json{{"name", name}, {"bytes", fs::file_size(p)}, {"sm3", file_sm3_hex(p)}};
}

void copy_private(const fs::path& from, const fs::path& to) {
  std::string content = read_file(from.string());
  write_file(to.string(), std::string_view(content), /*private_file=*/true);
}

void run_backup(const BackupOptions& o) {
  if (o.data_dir.empty() && o.pg_dsn.empty()) fail("give --data DIR (SQLite) and/or --pg-dsn DSN (PostgreSQL)");
  fs::path out(o.out_dir);
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) fail(o.out_dir + " exists and is not empty");
  fs::create_directories(out, ec);
  if (ec) fail("cannot create " + o.out_dir + ": " + ec.message());
  fs::permissions(out, fs::perms::owner_all, fs::perm_options::replace, ec);

  json files = json::array();
  std::string store_kind;
  if (!o.pg_dsn.empty()) {
    store_kind = "postgres";
    // pg_dump takes one consistent snapshot (repeatable-read transaction).
    ProcessResult r = run_process({"pg_dump", "--format=custom", "--no-owner", "--file",
                                   (out / "duet.pgdump").string(), "--dbname", o.pg_dsn});
    if (r.exit_status != 0) fail("pg_dump failed: " + r.output);
    files.push_back(describe_file(out, "duet.pgdump"));
  } else {
    store_kind = "sqlite";
    std::string src = (fs::path(o.data_dir) / "duet.db").string();
    unwrap(store::sqlite_online_backup(src, (out / "duet.db").string()), "backup of " + src);
    fs::permissions(out / "duet.db", fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    files.push_back(describe_file(out, "duet.db"));
  }
  if (!o.data_dir.empty()) {
    for (const char* name : kKeyFiles) {
      fs::path p = fs::path(o.data_dir) / name;
      if (!fs::exists(p, ec)) continue;
      copy_private(p, out / name);
      files.push_back(describe_file(out, name));
    }
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  json manifest{{"format", kFormat}, {"store", store_kind}, {"created_at", now}, {"files", files}};
  write_file((out / "manifest.json").string(), std::string_view(manifest.dump(2) + "\n"), true);
  std::cout << "backup: " << store_kind << " store and " << (files.size() - 1) << " key file(s) in " << o.out_dir
            << "\n";
  print_json(manifest);
}

void run_restore(const BackupOptions& o) {
  fs::path from(o.from_dir);
  json manifest;
  try {
    manifest = json::parse(read_file((from / "manifest.json").string()));
  } catch (const json::exception&) {
    fail(o.from_dir + "/manifest.json is not valid JSON");
  }
  if (manifest.value("format", "") != kFormat) fail("not a " + std::string(kFormat) + " backup");
  std::string kind = manifest.value("store", "");
  // Every file must match its digest before anything is written.
  for (const auto& f : manifest.at("files")) {
    std::string name = f.at("name").get<std::string>();
    if (name.find('/') != std::string::npos || name.empty() || name[0] == '.') fail("bad file name in manifest");
    std::string p = (from / name).string();
    if (!fs::exists(p)) fail("backup file missing: " + name);
    if (file_sm3_hex(p) != f.at("sm3").get<std::string>()) fail("backup file damaged (SM3 mismatch): " + name);
  }
  if (kind == "postgres" && o.pg_dsn.empty()) fail("a PostgreSQL backup needs --pg-dsn of an empty database");
  if (kind == "sqlite" && !o.pg_dsn.empty()) fail("a SQLite backup cannot be restored into PostgreSQL");
  if (o.data_dir.empty()) fail("give --data NEW_DIR (the data directory of the restored instance)");
  // The erasures made after the backup, read before anything is written (a
  // source that cannot be read stops the restore here).
  const std::vector<store::HolderErasure> later = read_later_erasures(o.erasures);

  fs::path data(o.data_dir);
  std::error_code ec;
  if (fs::exists(data, ec) && !fs::is_empty(data, ec)) fail(o.data_dir + " exists and is not empty: restore into a fresh instance");
  fs::create_directories(data, ec);
  if (ec) fail("cannot create " + o.data_dir + ": " + ec.message());
  fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace, ec);

  for (const auto& f : manifest.at("files")) {
    std::string name = f.at("name").get<std::string>();
    if (name == "duet.pgdump") continue;
    copy_private(from / name, data / name);
  }
  if (kind == "sqlite") {
    unwrap(store::sqlite_integrity_check((data / "duet.db").string()), "restored database");
  } else {
    ProcessResult r = run_process({"pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                                   "--dbname", o.pg_dsn, (from / "duet.pgdump").string()});
    if (r.exit_status != 0) fail("pg_restore failed: " + r.output);
  }
  std::cout << "restore: " << kind << " backup of " << manifest.value("created_at", int64_t{0}) << " into "
            << o.data_dir << (kind == "postgres" ? " and the PostgreSQL database" : "") << "\n";
  // The erasures the backup lacks, re-applied to the restored store
  // (docs/privacy.md "Backups").
  json summary = reapply_erasures(later, kind == "sqlite" ? (data / "duet.db").string() : std::string(),
                                  kind == "postgres" ? o.pg_dsn : std::string());
  std::cout << "restore: " << summary["reapplied"].size() << " erasure(s) after the backup re-applied, "
            << summary["already_erased"].size() << " already in it, " << summary["not_in_backup"].size()
            << " of holders created after it\n";
  print_json(summary);
}

}  // namespace

void add_backup_commands(CLI::App& admin) {
  auto o = std::make_shared<BackupOptions>();
  auto* backup = admin.add_subcommand(
      "backup", "Back up the service's store (online: duetd may keep running) and wrapped data keys to a directory");
  backup->add_option("--data", o->data_dir, "duetd's data directory (SQLite duet.db, datakeys.wrapped)");
  backup->add_option("--pg-dsn", o->pg_dsn, "PostgreSQL store: libpq connection string (pg_dump is used)");
  backup->add_option("--out", o->out_dir, "New (or empty) directory for the backup")->required();
  backup->callback([o] { run_guarded("admin backup", [o] { run_backup(*o); }); });

  auto* restore = admin.add_subcommand(
      "restore", "Restore a backup into a fresh instance: a new data directory (and an empty PostgreSQL database), "
                 "re-applying the erasures made after the backup (--erasures-from / --erasures-from-pg)");
  restore->add_option("--from", o->from_dir, "Backup directory (made by duet admin backup)")
      ->required()
      ->check(CLI::ExistingDirectory);
  restore->add_option("--data", o->data_dir, "New (or empty) data directory for the restored duetd")->required();
  restore->add_option("--pg-dsn", o->pg_dsn, "PostgreSQL backups: an empty database to restore into");
  restore->add_option("--erasures-from", o->erasures.data_dirs,
                      "Re-apply the erasures recorded in DIR/duet.db (the live SQLite data directory, read-only, or "
                      "a newer backup); repeatable");
  restore->add_option("--erasures-from-pg", o->erasures.pg_dsns,
                      "Re-apply the erasures recorded in this PostgreSQL database (the live one); repeatable");
  restore->add_flag("--no-later-erasures", o->erasures.none,
                    "No record of erasures after the backup survives (the live store and newer backups lost)");
  restore->callback([o] { run_guarded("admin restore", [o] { run_restore(*o); }); });
}

}  // namespace duet::cli
