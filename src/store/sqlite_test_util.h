// Temporary database files for the SQLite backend's tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "base/result.h"
#include "core/quota_order.h"
#include "store/sqlite_store.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "duet-store-XXXXXX";
    char* made = mkdtemp(pattern.data());
    if (made) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class SqliteBackend final : public StoreBackend {
 public:
  Result<std::unique_ptr<Store>> open() override {
    SqliteStoreOptions options;
    options.quota_order = core::quota_order_rule();
    options.path = dir_.file("duet.db");
    return open_sqlite_store(std::move(options));
  }

 private:
  TempDir dir_;
};

}  // namespace duet::store::testing
