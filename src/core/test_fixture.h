// Test-only fixtures shared by the core services' test files (one test file
// per service, beside it): a real SQLite store in a fresh temporary directory,
// a real local key file and a manual clock (CoreStoreTest); the services wired
// on it with the bootstrap operator, tenants and enrolled devices
// (CoreTest); a webhook sender that records its calls.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "core/admin_service.h"
#include "core/business_service.h"
#include "core/consent.h"
#include "core/callbacks.h"
#include "core/certificate_service.h"
#include "core/clock.h"
#include "core/core_deps.h"
#include "core/holder_service.h"
#include "core/quota_order.h"
#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "crypto/random.h"
#include "keys/data_protector.h"
#include "keys/kek.h"
#include "store/sqlite_store.h"

namespace duet::core {

inline constexpr uint32_t kIters = 1000;  // PIN KDF iterations of test devices

class RecordingSender final : public WebhookSender {
 public:
  struct Call {
    std::string url, body;
    std::vector<Header> headers;
  };
  Result<int> post(const std::string& url, const std::vector<Header>& headers, const std::string& body,
                   int) override {
    std::lock_guard<std::mutex> lock(mu);
    calls.push_back({url, body, headers});
    return status;
  }
  std::mutex mu;
  std::vector<Call> calls;
  int status = 200;
};

// A fresh directory per test (named after it), the store and key file in it.
class CoreStoreTest : public ::testing::Test {
 protected:
  CoreStoreTest(std::string dir_prefix, UnixSeconds start) : prefix_(std::move(dir_prefix)), clock{start} {}

  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          (prefix_ + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    ASSERT_NO_FATAL_FAILURE(open_store());
  }
  void TearDown() override {
    deps.reset();
    store_.reset();
    std::filesystem::remove_all(dir);
  }
  // (Re)opens the store and the key file in `dir` and the deps on them.
  void open_store() {
    store::SqliteStoreOptions opts;
    opts.quota_order = core::quota_order_rule();
    opts.path = (dir / "duet.db").string();
    ASSERT_OK_AND_ASSIGN(store_, store::open_sqlite_store(opts));
    ASSERT_OK_AND_ASSIGN(protector, keys::open_local_key_file((dir / "kek.key").string(), true));
    deps = std::make_unique<CoreDeps>(CoreDeps{*store_, *protector, clock, crypto::SystemRandom::instance(),
                                               CoreConfig{}, metrics});
  }

 private:
  std::string prefix_;

 protected:
  std::filesystem::path dir;
  ManualClock clock;
  CoreMetrics metrics;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<keys::DataProtector> protector;
  std::unique_ptr<CoreDeps> deps;
};

// The admin, business, certificate and holder services with the built-in CA
// and the bootstrap operator `op`.
class CoreTest : public CoreStoreTest {
 protected:
  CoreTest() : CoreStoreTest("duet-core-", 1'800'000'000) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CoreStoreTest::SetUp());
    admin = std::make_unique<AdminService>(*deps);
    business = std::make_unique<BusinessService>(*deps);
    ASSERT_OK_AND_ASSIGN(kek, keys::open_file_kek((dir / "kek-dev.key").string(), true));
    core::PkiConfig pki;
    pki.ocsp_crl_sm2_id = "";  // OpenSSL 3.0 command-line compatibility in the tests
    certs = std::make_unique<CertificateService>(*deps, *kek, pki);
    ASSERT_OK(certs->bootstrap(clock.now()));
    holders = std::make_unique<HolderService>(*deps, certs.get());
    std::string token = admin->mint_operator_token();
    ASSERT_OK(admin->register_bootstrap_token(token));
    ASSERT_OK_AND_ASSIGN(op, admin->authenticate_operator(token));
  }
  void TearDown() override {
    holders.reset();
    certs.reset();
    business.reset();
    admin.reset();
    CoreStoreTest::TearDown();
  }

  struct TenantApp {
    std::string tenant_id;
    IssuedApp app;
    AppContext sandbox;
  };
  TenantApp new_tenant(const std::string& name) {
    auto t = admin->create_tenant(op, name, std::nullopt);
    if (!t.ok()) {
      ADD_FAILURE() << t.error().to_string();
      return {};
    }
    auto app = admin->create_app(op, t->tenant_id);
    if (!app.ok()) {
      ADD_FAILURE() << app.error().to_string();
      return {};
    }
    return {t->tenant_id, *app, AppContext{t->tenant_id, app->sandbox.app_id, store::AppEnvironment::kSandbox}};
  }

  struct Device {
    HolderContext ctx;
    std::string token;
    cosign::DeviceState state;
  };
  // Creates a holder, redeems an activation code with a fresh device key
  // share under `pin`; the test asserts the result.
  Result<Device> enroll(const AppContext& app, const std::string& pin,
                        const std::string& id_number = "110101199003071234", const std::string& mode = "attested") {
    // An identity_source app checks at creation: the business system attests
    // the holder's consents then (docs/consent.md); otherwise the app gives them.
    std::vector<GivenConsent> attested;
    if (mode == "identity_source") attested = accept_current_agreements(clock.now());
    DUET_ASSIGN_OR_RETURN(auto h, business->create_holder(app, NewHolder{"张三", "resident_id", id_number,
                                                                         "13812345678", mode, attested}));
    DUET_ASSIGN_OR_RETURN(auto code, business->create_activation_code(app, h.holder_id));
    DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceKeygen::start(h.holder_id, crypto::SystemRandom::instance()));
    auto& [dk, req] = started;
    DUET_ASSIGN_OR_RETURN(auto act, holders->redeem_activation({}, code.code, req, {}, accept_current_agreements()));
    DUET_ASSIGN_OR_RETURN(cosign::DeviceState state,
                          dk.finish(act.keygen_response, pin, kIters, crypto::SystemRandom::instance()));
    DUET_ASSIGN_OR_RETURN(HolderContext ctx, holders->authenticate_device(act.device_token));
    return Device{ctx, act.device_token, std::move(state)};
  }

  // The device's side of one signing round; returns the service's verdict.
  Result<store::SignOrder> sign(const Device& d, const std::string& order_id, const std::string& pin,
                                const std::string& session_id) {
    DUET_ASSIGN_OR_RETURN(OrderForHolder details, holders->order_details(d.ctx, order_id));
    DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceSignSession::start(d.state, pin,
                                                                         {order_id, session_id, details.digests},
                                                                         crypto::SystemRandom::instance()));
    DUET_ASSIGN_OR_RETURN(SignStart start, holders->start_signing(d.ctx, order_id, session_id, started.second));
    DUET_ASSIGN_OR_RETURN(auto fin, started.first.finish(start.responses));
    std::vector<cosign::SignFinish> finishes = fin.first;
    return holders->finish_signing(d.ctx, order_id, session_id, finishes);
  }

  std::unique_ptr<AdminService> admin;
  std::unique_ptr<BusinessService> business;
  std::shared_ptr<keys::Kek> kek;
  std::unique_ptr<CertificateService> certs;
  std::unique_ptr<HolderService> holders;
  OperatorContext op;
};

}  // namespace duet::core
