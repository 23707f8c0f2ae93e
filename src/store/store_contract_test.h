// The contract every store::Store backend passes. Written only against
// store/store.h, so a new backend reuses it unchanged:
//
//   // postgres_store_contract_test.cc
//   #include "store/store_contract_test.h"
//   INSTANTIATE_TEST_SUITE_P(Postgres, StoreContractTest,
//       ::testing::Values(StoreBackendParam{"Postgres", &make_postgres_backend}),
//       store_backend_name);
//
// and adds store_contract_test.cc (the TEST_P bodies) to its test binary.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace duet::store::testing {

// One database of a backend for one test. open() may be called several
// times (close/reopen); every call opens the same database, which is empty
// at the first call. The destructor drops the database.
class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  virtual Result<std::unique_ptr<Store>> open() = 0;
};

struct StoreBackendParam {
  std::string name;
  std::function<std::unique_ptr<StoreBackend>()> make;  // a fresh, empty database
};

inline std::string store_backend_name(const ::testing::TestParamInfo<StoreBackendParam>& info) {
  return info.param.name;
}

class StoreContractTest : public ::testing::TestWithParam<StoreBackendParam> {
 public:
  static constexpr UnixSeconds kNow = 1'700'000'000;  // the tests' clock

 protected:
  void SetUp() override;
  void TearDown() override;

  // Closes the store and opens the same database again.
  void reopen();

  // Fixtures: a tenant with one sandbox app and one holder, made through the
  // interface. Ids are fresh per call.
  struct World {
    std::string tenant_id, app_id, holder_id;
  };
  World make_world(const std::string& label);
  SignOrder order_for(const World& w, size_t items = 1, UnixSeconds expires_at = kNow + 600);
  SignOrder create(const SignOrder& o);  // create_order, asserting success
  SignSession session_for(const SignOrder& o);
  CallbackJob callback_for(const SignOrder& o, const std::string& payload);
  // Expects order `o` failed at `at`, and each of `sessions` failed with it.
  void expect_failed_with_sessions(const SignOrder& o, UnixSeconds at, const std::vector<SignSession>& sessions);
  // Certificates (issue 4): an active key added for w's holder, a kCsr
  // order for it, and a good certificate of it issued by "ca_issuing".
  HolderKeyShare key_for(const World& w);  // not stored
  HolderKeyShare add_key(const World& w);
  SignOrder csr_order_for(const World& w, const std::string& key_id);
  Certificate cert_for(const World& w, const std::string& key_id, const std::string& serial_hex);

  std::unique_ptr<StoreBackend> backend_;
  std::unique_ptr<Store> store_;
};

}  // namespace duet::store::testing
