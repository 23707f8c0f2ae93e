// Core services end to end in-process: a real SQLite store in a temp dir, a
// real key file, a manual clock, and the device role from cosign.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "core/admin_service.h"
#include "core/business_auth.h"
#include "core/business_service.h"
#include "core/callbacks.h"
#include "core/certificate_service.h"
#include "core/holder_service.h"
#include "core/masking.h"
#include "core/quota_order.h"
#include "core/request_signing.h"
#include "core/subject_pseudonym.h"
#include "cosign/keygen.h"
#include "cosign/refresh.h"
#include "cosign/sign.h"
#include "crypto/random.h"
#include "crypto/sm2_evp.h"
#include "keys/kek.h"
#include "pki/crl.h"
#include "pki/lint.h"
#include "pki/test_support.h"
#include "store/sqlite_store.h"

namespace duet::core {
namespace {

constexpr uint32_t kIters = 1000;

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

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("duet-core-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store::SqliteStoreOptions opts;
    opts.quota_order = core::quota_order_rule();
    opts.path = (dir / "duet.db").string();
    store_ = std::move(*store::open_sqlite_store(opts));
    protector = std::move(*keys::open_local_key_file((dir / "kek.key").string(), true));
    deps = std::make_unique<CoreDeps>(CoreDeps{*store_, *protector, clock, crypto::SystemRandom::instance(),
                                               CoreConfig{}, metrics});
    admin = std::make_unique<AdminService>(*deps);
    business = std::make_unique<BusinessService>(*deps);
    kek = std::move(*keys::open_file_kek((dir / "kek-dev.key").string(), true));
    core::PkiConfig pki;
    pki.ocsp_crl_sm2_id = "";  // OpenSSL 3.0 command-line compatibility in the tests below
    certs = std::make_unique<CertificateService>(*deps, *kek, pki);
    ASSERT_TRUE(certs->bootstrap(clock.now()).ok());
    holders = std::make_unique<HolderService>(*deps, certs.get());
    std::string token = admin->mint_operator_token();
    ASSERT_TRUE(admin->register_bootstrap_token(token).ok());
    auto authenticated = admin->authenticate_operator(token);
    ASSERT_TRUE(authenticated.ok()) << authenticated.error().to_string();
    op = *authenticated;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  struct TenantApp {
    std::string tenant_id;
    IssuedApp app;
    AppContext sandbox;
  };
  TenantApp new_tenant(const std::string& name) {
    auto t = admin->create_tenant(op, name, std::nullopt);
    EXPECT_TRUE(t.ok());
    auto app = admin->create_app(op, t->tenant_id);
    EXPECT_TRUE(app.ok());
    return {t->tenant_id, *app, AppContext{t->tenant_id, app->sandbox.app_id, store::AppEnvironment::kSandbox}};
  }

  struct Device {
    HolderContext ctx;
    std::string token;
    cosign::DeviceState state;
  };
  Device enroll(const AppContext& app, const std::string& pin, const std::string& id_number = "110101199003071234",
                const std::string& mode = "attested") {
    auto h = business->create_holder(app, NewHolder{"张三", "resident_id", id_number, "13812345678", mode});
    EXPECT_TRUE(h.ok()) << h.error().to_string();
    auto code = business->create_activation_code(app, h->holder_id);
    EXPECT_TRUE(code.ok());
    auto [dk, req] = *cosign::DeviceKeygen::start(h->holder_id, crypto::SystemRandom::instance());
    auto act = holders->redeem_activation(code->code, req);
    EXPECT_TRUE(act.ok()) << act.error().to_string();
    auto state = dk.finish(act->keygen_response, pin, kIters, crypto::SystemRandom::instance());
    EXPECT_TRUE(state.ok());
    auto ctx = holders->authenticate_device(act->device_token);
    EXPECT_TRUE(ctx.ok());
    return Device{*ctx, act->device_token, *state};
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

  std::filesystem::path dir;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<keys::DataProtector> protector;
  ManualClock clock{1'800'000'000};
  CoreMetrics metrics;
  std::unique_ptr<CoreDeps> deps;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<BusinessService> business;
  std::shared_ptr<keys::Kek> kek;
  std::unique_ptr<CertificateService> certs;
  std::unique_ptr<HolderService> holders;
  OperatorContext op;
};

TEST(Masking, AsTheSlaSays) {
  EXPECT_EQ(mask_name("张三"), "张*");
  EXPECT_EQ(mask_id_number("110101199003071234"), "1101**********1234");
  EXPECT_EQ(mask_phone("13812345678"), "138****5678");
  EXPECT_EQ(mask_phone("123"), "***");
}

TEST(RequestSigning, CanonicalForm) {
  EXPECT_EQ(canonical_request("POST", "/api/v1/orders", "", "1700000000", "abcdefgh", "{}"),
            "POST\n/api/v1/orders\n1700000000\nabcdefgh\n" + to_hex(crypto::sm3(as_bytes("{}"))));
  EXPECT_EQ(canonical_request("GET", "/api/v1/orders", "state=signed", "1", "n", "").substr(0, 34),
            "GET\n/api/v1/orders?state=signed\n1\n");
}

TEST_F(CoreTest, EnrollSignAndVerifyWithOpenSsl) {
  auto t = new_tenant("Bank A");
  Device d = enroll(t.sandbox, "123456");
  auto holder = business->get_holder(t.sandbox, d.ctx.holder_id);
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(holder->name_masked, "张*");
  EXPECT_EQ(holder->id_number_masked, "1101**********1234");
  ASSERT_TRUE(holder->public_key_hex.has_value());

  std::string msg = "loan agreement 2026-001";
  NewOrder no{d.ctx.holder_id, "Loan agreement", "Sign the agreement", store::OutputFormat::kDer,
              {{Bytes(msg.begin(), msg.end()), false}}, std::nullopt, "https://bank.example/cb", ""};
  auto order = business->create_order(t.sandbox, no);
  ASSERT_TRUE(order.ok()) << order.error().to_string();
  auto pending = holders->pending_orders(d.ctx, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  auto signed_order = sign(d, order->order_id, "123456", "ses_aaaaaaaa");
  ASSERT_TRUE(signed_order.ok()) << signed_order.error().to_string();
  EXPECT_EQ(signed_order->state, store::OrderState::kSigned);
  auto pub = *crypto::Point::from_hex(*holder->public_key_hex);
  EXPECT_TRUE(crypto::evp_sm2_verify(pub, as_bytes(msg), signed_order->items[0].signature).ok());
  EXPECT_EQ(metrics.cosignatures.load(), 1u);

  // The callback goes out once, signed with the app's secret.
  RecordingSender sender;
  CallbackDispatcher dispatcher(*deps, sender, "w1");
  ASSERT_TRUE(dispatcher.run_once().ok());
  ASSERT_EQ(sender.calls.size(), 1u);
  std::string ts, sig;
  for (auto& h : sender.calls[0].headers) {
    if (h.name == "X-Duet-Timestamp") ts = h.value;
    if (h.name == "X-Duet-Signature") sig = h.value;
  }
  EXPECT_EQ(sig, sign_callback(t.app.sandbox.secret, ts, sender.calls[0].body));
  EXPECT_NE(sender.calls[0].body.find("\"order.signed\""), std::string::npos);
  ASSERT_TRUE(dispatcher.run_once().ok());
  EXPECT_EQ(sender.calls.size(), 1u);  // delivered exactly once
}

TEST_F(CoreTest, BatchOrderSignsEveryItemWithOneConfirmation) {
  auto t = new_tenant("Insurer");
  Device d = enroll(t.sandbox, "135790");
  NewOrder no{d.ctx.holder_id, "Batch", "", store::OutputFormat::kRaw, {}, std::nullopt, "", ""};
  for (int i = 0; i < 5; ++i) no.items.push_back({Bytes(10, static_cast<uint8_t>(i)), false});
  crypto::Digest e = *crypto::sm2_digest(d.state.public_key, as_bytes("precomputed"));
  no.items.push_back({Bytes(e.begin(), e.end()), true});
  auto order = business->create_order(t.sandbox, no);
  ASSERT_TRUE(order.ok());
  auto done = sign(d, order->order_id, "135790", "ses_batch001");
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  for (size_t i = 0; i < done->items.size(); ++i) {
    ASSERT_EQ(done->items[i].signature.size(), 64u);
    crypto::Sm2Signature sig{*crypto::Scalar::from_bytes(ByteView(done->items[i].signature).first(32)),
                             *crypto::Scalar::from_bytes(ByteView(done->items[i].signature).last(32))};
    Bytes msg = i < 5 ? Bytes(10, static_cast<uint8_t>(i)) : Bytes{};
    if (i < 5) EXPECT_TRUE(crypto::evp_sm2_verify(d.state.public_key, msg, sig.to_der()).ok());
    else EXPECT_TRUE(crypto::evp_sm2_verify(d.state.public_key, as_bytes("precomputed"), sig.to_der()).ok());
  }
}

TEST_F(CoreTest, FiveWrongPinsLockTheHolderAndFailTheOrder) {
  auto t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  auto order = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "x", "", store::OutputFormat::kRaw, {{Bytes{1}, false}}, std::nullopt, "", ""});
  ASSERT_TRUE(order.ok());
  for (int i = 0; i < 5; ++i) {
    auto r = sign(d, order->order_id, "000000", "ses_wrong00" + std::to_string(i));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), ErrorCode::kPinInvalid) << i;
    EXPECT_EQ(r.error().attempts_left, 4 - i);
  }
  EXPECT_EQ(business->get_holder(t.sandbox, d.ctx.holder_id)->status, store::HolderStatus::kLocked);
  EXPECT_EQ(business->get_order(t.sandbox, order->order_id)->state, store::OrderState::kFailed);
  auto order2 = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "y", "", store::OutputFormat::kRaw, {{Bytes{2}, false}}, std::nullopt, "", ""});
  EXPECT_EQ(sign(d, order2->order_id, "123456", "ses_right000").code(), ErrorCode::kLocked);
  ASSERT_TRUE(business->unlock_holder(t.sandbox, d.ctx.holder_id).ok());
  // An unlock forces a share refresh before the next signature, so that any
  // copy of the old device state (the thief's) stops working.
  EXPECT_EQ(sign(d, order2->order_id, "123456", "ses_right001").code(), ErrorCode::kRefreshRequired);
  auto& rng = crypto::SystemRandom::instance();
  auto started = cosign::DeviceRefresh::start(d.state, "123456", "ref_after_unlock", rng);
  ASSERT_TRUE(started.ok());
  auto response = holders->begin_refresh(d.ctx, "ref_after_unlock", started->second);
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  auto fin = started->first.finish(*response, "123456", kIters, rng);
  ASSERT_TRUE(fin.ok());
  auto token = holders->confirm_refresh(d.ctx, "ref_after_unlock", fin->second);
  ASSERT_TRUE(token.ok()) << token.error().to_string();
  Device fresh{*holders->authenticate_device(*token), *token, fin->first};
  EXPECT_TRUE(sign(fresh, order2->order_id, "123456", "ses_right002").ok());
  // The old state, even with the right PIN, now only fails (and is counted).
  auto order3 = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "z", "", store::OutputFormat::kRaw, {{Bytes{3}, false}}, std::nullopt, "", ""});
  Device stale{fresh.ctx, fresh.token, d.state};
  auto old_state = sign(stale, order3->order_id, "123456", "ses_old_state1");
  EXPECT_EQ(old_state.code(), ErrorCode::kPinInvalid);
}

// DESIGN.md §2 "Counting": a failure budget that success does not reset, so a
// cloned device state cannot guess N-1 times between each of the holder's
// own signings. Default 10 failures in 30 days.
TEST_F(CoreTest, FailureBudgetLocksDespiteSuccessesBetweenGuesses) {
  auto t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  int n = 0;
  auto one = [&](const std::string& pin) {
    auto o = business->create_order(t.sandbox, NewOrder{d.ctx.holder_id, "b", "", store::OutputFormat::kRaw,
                                                        {{Bytes{9}, false}}, std::nullopt, "", ""});
    EXPECT_TRUE(o.ok());
    return sign(d, o->order_id, pin, "ses_budget_" + std::to_string(n++));
  };
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 4; ++i) EXPECT_EQ(one("000000").code(), ErrorCode::kPinInvalid);
    EXPECT_TRUE(one("123456").ok()) << "a success resets only the consecutive count";
  }
  auto ninth = one("000000");
  EXPECT_EQ(ninth.code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(ninth.error().attempts_left, 1) << "the budget, not the consecutive count, is what is left";
  EXPECT_EQ(one("000000").code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(business->get_holder(t.sandbox, d.ctx.holder_id)->status, store::HolderStatus::kLocked);
  EXPECT_EQ(one("123456").code(), ErrorCode::kLocked);
}

// The failure budget is configurable per app (issue 10 item 4): an app with a
// budget of 6 locks the key at the sixth failure in the window, successes
// between notwithstanding; values below the consecutive limit are refused.
TEST_F(CoreTest, AnAppsOwnFailureBudgetApplies) {
  auto t = new_tenant("T");
  EXPECT_EQ(admin->set_app_pin_failure_budget(op, t.tenant_id, t.sandbox.app_id, 4).code(),
            ErrorCode::kInvalidArgument);
  auto set = admin->set_app_pin_failure_budget(op, t.tenant_id, t.sandbox.app_id, 6);
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(set->pin_failure_budget, 6);
  Device d = enroll(t.sandbox, "123456");
  int n = 0;
  auto one = [&](const std::string& pin) {
    auto o = business->create_order(t.sandbox, NewOrder{d.ctx.holder_id, "b", "", store::OutputFormat::kRaw,
                                                        {{Bytes{7}, false}}, std::nullopt, "", ""});
    EXPECT_TRUE(o.ok());
    return sign(d, o->order_id, pin, "ses_app_budget_" + std::to_string(n++));
  };
  for (int i = 0; i < 4; ++i) EXPECT_EQ(one("000000").code(), ErrorCode::kPinInvalid);
  EXPECT_TRUE(one("123456").ok());
  auto fifth = one("000000");
  EXPECT_EQ(fifth.code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(fifth.error().attempts_left, 1);
  EXPECT_EQ(one("000000").code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(business->get_holder(t.sandbox, d.ctx.holder_id)->status, store::HolderStatus::kLocked);
  // Back to the service's default: the app row says so.
  auto cleared = admin->set_app_pin_failure_budget(op, t.tenant_id, t.sandbox.app_id, std::nullopt);
  ASSERT_TRUE(cleared.ok());
  EXPECT_FALSE(cleared->pin_failure_budget.has_value());
}

TEST_F(CoreTest, TenantsCannotSeeEachOther) {
  auto a = new_tenant("A");
  auto b = new_tenant("B");
  Device da = enroll(a.sandbox, "123456");
  auto order = business->create_order(
      a.sandbox, NewOrder{da.ctx.holder_id, "x", "", store::OutputFormat::kRaw, {{Bytes{1}, false}}, std::nullopt, "", ""});
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(business->get_holder(b.sandbox, da.ctx.holder_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->get_order(b.sandbox, order->order_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->cancel_order(b.sandbox, order->order_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->lock_holder(b.sandbox, da.ctx.holder_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->create_activation_code(b.sandbox, da.ctx.holder_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->create_order(b.sandbox, NewOrder{da.ctx.holder_id, "x", "", store::OutputFormat::kRaw,
                                                      {{Bytes{1}, false}}, std::nullopt, "", ""})
                .code(),
            ErrorCode::kNotFound);
  // The same identity may exist in both tenants.
  Device db = enroll(b.sandbox, "123456");
  // A holder of B cannot see or sign A's order.
  EXPECT_EQ(holders->order_details(db.ctx, order->order_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(holders->reject_order(db.ctx, order->order_id).code(), ErrorCode::kNotFound);
}

TEST_F(CoreTest, IdempotentCreate) {
  auto t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  NewOrder no{d.ctx.holder_id, "x", "", store::OutputFormat::kRaw, {{Bytes{1}, false}}, std::nullopt, "", "key-1"};
  bool replay_a = true, replay_b = false;
  auto a = business->create_order(t.sandbox, no, &replay_a);
  auto b = business->create_order(t.sandbox, no, &replay_b);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->order_id, b->order_id);
  EXPECT_FALSE(replay_a);
  EXPECT_TRUE(replay_b);
  no.title = "different";
  EXPECT_EQ(business->create_order(t.sandbox, no).code(), ErrorCode::kConflict);
}

TEST_F(CoreTest, RequestAuthentication) {
  auto t = new_tenant("T");
  SignedRequest r{"POST", "/api/v1/holders", "", t.app.sandbox.app_id, std::to_string(clock.now()), "nonce-0001",
                  "", "", "", "{}"};
  r.signature = sign_request(t.app.sandbox.secret, r.method, r.path, r.query, r.timestamp, r.nonce, r.body);
  auto ok = authenticate_business_request(*deps, r);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->tenant_id, t.tenant_id);
  EXPECT_EQ(authenticate_business_request(*deps, r).code(), ErrorCode::kUnauthenticated);  // nonce reused
  SignedRequest bad = r;
  bad.nonce = "nonce-0002";
  EXPECT_EQ(authenticate_business_request(*deps, bad).code(), ErrorCode::kUnauthenticated);  // signature
  SignedRequest stale = r;
  stale.nonce = "nonce-0003";
  stale.timestamp = std::to_string(clock.now() - 301);
  stale.signature = sign_request(t.app.sandbox.secret, stale.method, stale.path, stale.query, stale.timestamp,
                                 stale.nonce, stale.body);
  EXPECT_EQ(authenticate_business_request(*deps, stale).code(), ErrorCode::kUnauthenticated);
  SignedRequest unknown = r;
  unknown.app_id = "app_nope";
  EXPECT_EQ(authenticate_business_request(*deps, unknown).code(), ErrorCode::kUnauthenticated);
  // Production credentials before activation: 402 service_not_active.
  SignedRequest prod = r;
  prod.app_id = t.app.production.app_id;
  prod.nonce = "nonce-0004";
  prod.signature = sign_request(t.app.production.secret, prod.method, prod.path, prod.query, prod.timestamp,
                                prod.nonce, prod.body);
  EXPECT_EQ(authenticate_business_request(*deps, prod).code(), ErrorCode::kServiceNotActive);
  ASSERT_TRUE(admin->set_production_active_from(op, t.tenant_id, clock.now() - 10).ok());
  prod.nonce = "nonce-0005";
  prod.signature = sign_request(t.app.production.secret, prod.method, prod.path, prod.query, prod.timestamp,
                                prod.nonce, prod.body);
  EXPECT_TRUE(authenticate_business_request(*deps, prod).ok());
  // A rotated secret replaces the old one.
  auto rotated = admin->rotate_app_secret(op, t.tenant_id, t.app.sandbox.app_id);
  ASSERT_TRUE(rotated.ok());
  SignedRequest old = r;
  old.nonce = "nonce-0006";
  old.signature = sign_request(t.app.sandbox.secret, old.method, old.path, old.query, old.timestamp, old.nonce, old.body);
  EXPECT_EQ(authenticate_business_request(*deps, old).code(), ErrorCode::kUnauthenticated);
}

TEST_F(CoreTest, ExpiryAndConcurrentFinishes) {
  auto t = new_tenant("T");
  Device d = enroll(t.sandbox, "123456");
  auto order = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "x", "", store::OutputFormat::kRaw, {{Bytes{1}, false}}, 60, "http://x/cb", ""});
  clock.advance(61);
  ASSERT_EQ(*expire_due_orders(*deps), 1u);
  EXPECT_EQ(business->get_order(t.sandbox, order->order_id)->state, store::OrderState::kExpired);
  EXPECT_EQ(sign(d, order->order_id, "123456", "ses_late0000").code(), ErrorCode::kConflict);

  // Two sessions race to finish one order: exactly one wins.
  auto o2 = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "y", "", store::OutputFormat::kRaw, {{Bytes{2}, false}}, std::nullopt, "", ""});
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto r = sign(d, o2->order_id, "123456", "ses_race000" + std::to_string(i));
      if (r.ok()) wins++;
      else if (r.code() == ErrorCode::kConflict) conflicts++;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), 1);
}

TEST_F(CoreTest, ActivationCodeIsOneTimeAndAttemptLimited) {
  auto t = new_tenant("T");
  auto h = business->create_holder(t.sandbox, NewHolder{"李四", "resident_id", "220101198001011111", "13900001111", "attested"});
  auto code = business->create_activation_code(t.sandbox, h->holder_id);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->uri.rfind("duet://activate?code=", 0), 0u);
  EXPECT_NE(code->uri.find("&holder=" + h->holder_id + "&"), std::string::npos);
  EXPECT_NE(code->uri.find("&server="), std::string::npos);
  auto [dk, req] = *cosign::DeviceKeygen::start("hld_wrong", crypto::SystemRandom::instance());
  EXPECT_EQ(holders->redeem_activation(code->code, req).code(), ErrorCode::kBadProof);  // proof for another holder
  auto [dk2, req2] = *cosign::DeviceKeygen::start(h->holder_id, crypto::SystemRandom::instance());
  std::string lower = code->code;
  for (auto& c : lower) c = static_cast<char>(std::tolower(c));
  ASSERT_TRUE(holders->redeem_activation(lower, req2).ok());
  EXPECT_EQ(holders->redeem_activation(code->code, req2).code(), ErrorCode::kConflict);
  EXPECT_EQ(holders->redeem_activation("AAAA-BBBB-CCCC", req2).code(), ErrorCode::kNotFound);
  auto code2 = business->create_activation_code(t.sandbox, h->holder_id);
  clock.advance(601);
  EXPECT_EQ(holders->redeem_activation(code2->code, req2).code(), ErrorCode::kExpired);
}

// ---- certificates (issue 4) --------------------------------------------------

using pki::testing::run;
using pki::testing::ScratchDir;

TEST_F(CoreTest, EnrollmentEndsWithACertificateOfTheJointKey) {
  TenantApp t = new_tenant("Bank");
  Device d = enroll(t.sandbox, "123456");
  auto req = certs->request_certificate(d.ctx);
  ASSERT_TRUE(req.ok()) << req.error().to_string();
  EXPECT_EQ(req->kind, store::OrderKind::kCsr);
  ASSERT_EQ(req->items.size(), 1u);
  EXPECT_TRUE(req->items[0].input_is_digest);
  // Idempotent while open.
  bool replayed = false;
  auto again = certs->request_certificate(d.ctx, &replayed);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again->order_id, req->order_id);
  // Not the business system's: not listed, not shown.
  auto page = business->list_orders(t.sandbox, store::OrderFilter{});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->orders.empty());
  EXPECT_EQ(business->get_order(t.sandbox, req->order_id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(business->cancel_order(t.sandbox, req->order_id).code(), ErrorCode::kNotFound);
  // The holder sees it and signs it like any order.
  auto pending = holders->pending_orders(d.ctx, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  auto signed_ = sign(d, req->order_id, "123456", "ses_csr_0001");
  ASSERT_TRUE(signed_.ok()) << signed_.error().to_string();
  EXPECT_EQ(signed_->state, store::OrderState::kSigned);
  EXPECT_EQ(metrics.cosignatures.load(), 0u);  // not metered
  EXPECT_EQ(metrics.certificates_issued.load(), 1u);

  auto cert = certs->current_certificate(d.ctx);
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  auto parsed = pki::Certificate::parse(cert->certificate_pem);
  ASSERT_TRUE(parsed.ok());
  auto holder = business->get_holder(t.sandbox, d.ctx.holder_id);
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(parsed->public_key()->to_hex(), *holder->public_key_hex);  // the joint key P
  EXPECT_NE(parsed->subject().find("CN=张*"), std::string::npos) << parsed->subject();  // masked (issue 5 §5)
  EXPECT_EQ(parsed->subject().find("张三"), std::string::npos) << parsed->subject();
  EXPECT_EQ(parsed->subject().find("110101199003071234"), std::string::npos);
  EXPECT_NE(parsed->subject().find("serialNumber="), std::string::npos) << parsed->subject();
  auto issuing = pki::Certificate::parse(cert->chain_pem);  // the first certificate of the chain
  ASSERT_TRUE(issuing.ok());
  EXPECT_EQ(parsed->issuer(), issuing->subject());

  // openssl on the command line: the leaf's SM2 signature with the standard ID.
  ScratchDir scratch;
  std::string leaf = scratch.write("holder.pem", cert->certificate_pem);
  std::string chain = scratch.write("chain.pem", cert->chain_pem);
  auto v = run("openssl verify -attime " + std::to_string(clock.now() + 60) + " -partial_chain -CAfile " + chain +
               " -vfyopt distid:1234567812345678 " + leaf);
  EXPECT_EQ(v.status, 0) << v.output;
  EXPECT_NE(v.output.find(": OK"), std::string::npos) << v.output;

  // A second request for the same key: it already has a certificate.
  EXPECT_EQ(certs->request_certificate(d.ctx).code(), ErrorCode::kConflict);
  // The business system sees it.
  auto list = certs->list_certificates(t.tenant_id, d.ctx.holder_id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().record.serial_hex, parsed->serial_hex());
}

TEST_F(CoreTest, TamperedCsrSignatureIsRefusedAndNothingIsIssued) {
  TenantApp t = new_tenant("Bank");
  Device d = enroll(t.sandbox, "123456");
  auto req = certs->request_certificate(d.ctx);
  ASSERT_TRUE(req.ok());
  auto details = holders->order_details(d.ctx, req->order_id);
  ASSERT_TRUE(details.ok());
  const std::string session = "ses_csr_bad1";
  auto started = cosign::DeviceSignSession::start(d.state, "123456", {req->order_id, session, details->digests},
                                                  crypto::SystemRandom::instance());
  ASSERT_TRUE(started.ok());
  auto start = holders->start_signing(d.ctx, req->order_id, session, started->second);
  ASSERT_TRUE(start.ok()) << start.error().to_string();
  auto fin = started->first.finish(start->responses);
  ASSERT_TRUE(fin.ok());
  cosign::SignFinish tampered{fin->first[0].s + crypto::Scalar::one()};
  auto r = holders->finish_signing(d.ctx, req->order_id, session, {tampered});
  EXPECT_EQ(r.code(), ErrorCode::kSignatureInvalid);
  auto list = certs->list_certificates(t.tenant_id, d.ctx.holder_id);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(certs->current_certificate(d.ctx).code(), ErrorCode::kNotFound);
  EXPECT_EQ(metrics.certificates_issued.load(), 0u);
  // The order is still open: a correct signature issues the certificate.
  auto ok = sign(d, req->order_id, "123456", "ses_csr_good");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_TRUE(certs->current_certificate(d.ctx).ok());
}

TEST_F(CoreTest, RevocationShredsTheShareAndShowsInCrlAndOcsp) {
  TenantApp t = new_tenant("Bank");
  Device d = enroll(t.sandbox, "123456");
  auto req = certs->request_certificate(d.ctx);
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(sign(d, req->order_id, "123456", "ses_csr_0001").ok());
  auto cert = certs->current_certificate(d.ctx);
  ASSERT_TRUE(cert.ok());
  auto issuing = certs->ca_certificate(certs->issuing_ca_id());
  ASSERT_TRUE(issuing.ok());

  // CRL before: empty, signed by the issuing CA (empty ID in this fixture).
  auto crl0 = certs->crl_der(certs->issuing_ca_id(), clock.now());
  ASSERT_TRUE(crl0.ok()) << crl0.error().to_string();
  EXPECT_TRUE(pki::verify_crl(*crl0, *issuing, "").ok());
  EXPECT_EQ(certs->crl_der("ca_unknown", clock.now()).code(), ErrorCode::kNotFound);

  // An order waiting when the certificate is revoked.
  auto order = business->create_order(t.sandbox, NewOrder{d.ctx.holder_id, "Loan", "", store::OutputFormat::kRaw,
                                                          {{Bytes{'x'}, false}},
                                                          std::nullopt, "", ""});
  ASSERT_TRUE(order.ok()) << order.error().to_string();
  clock.advance(10);
  auto revoked = certs->revoke(t.tenant_id, d.ctx.holder_id, cert->record.cert_id, 1, clock.now());
  ASSERT_TRUE(revoked.ok()) << revoked.error().to_string();
  EXPECT_TRUE(revoked->record.revoked);
  EXPECT_EQ(certs->revoke(t.tenant_id, d.ctx.holder_id, cert->record.cert_id, 1, clock.now()).code(),
            ErrorCode::kConflict);
  EXPECT_EQ(certs->revoke(t.tenant_id, d.ctx.holder_id, cert->record.cert_id, 6, clock.now()).code(),
            ErrorCode::kInvalidArgument);

  // The holder can no longer sign: the share is gone and the device signed out.
  auto r = sign(d, order->order_id, "123456", "ses_after_rev");
  EXPECT_EQ(r.code(), ErrorCode::kConflict) << (r.ok() ? "" : r.error().to_string());
  EXPECT_EQ(holders->authenticate_device(d.token).code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(business->create_order(t.sandbox, NewOrder{d.ctx.holder_id, "Loan", "", store::OutputFormat::kRaw,
                                                       {{Bytes{1, 2, 3}, false}}, std::nullopt, "", ""})
                .code(),
            ErrorCode::kConflict);

  // The CRL lists the serial, with the reason.
  auto crl = certs->crl_der(certs->issuing_ca_id(), clock.now());
  ASSERT_TRUE(crl.ok());
  EXPECT_NE(*crl, *crl0);
  ScratchDir scratch;
  std::string path = scratch.write("issuing.crl", *crl);
  auto text = run("openssl crl -inform DER -in " + path + " -noout -text");
  ASSERT_EQ(text.status, 0) << text.output;
  std::string serial = cert->record.serial_hex;
  for (auto& c : serial) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(text.output.find("Serial Number: " + serial), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Key Compromise"), std::string::npos) << text.output;

  // OCSP: revoked, with time and reason; the responder's signature checks.
  std::string issuing_pem = scratch.write("issuing.pem", issuing->pem());
  std::string leaf = scratch.write("holder.pem", cert->certificate_pem);
  ASSERT_EQ(run("openssl ocsp -issuer " + issuing_pem + " -cert " + leaf + " -reqout " + scratch.file("req.der")).status, 0);
  auto resp = certs->ocsp_response(as_bytes(scratch.read("req.der")), clock.now());
  ASSERT_TRUE(resp.ok());
  auto responder = certs->ca_certificate(certs->ocsp_ca_id());
  ASSERT_TRUE(responder.ok());
  EXPECT_TRUE(pki::verify_ocsp_response_signature(*resp, *responder, "").ok());
  scratch.write("resp.der", *resp);
  auto show = run("cd " + scratch.path() + " && openssl ocsp -respin resp.der -issuer issuing.pem -cert holder.pem "
                  "-no_nonce -noverify");
  // (The manual clock is in the future: openssl warns that the status times are not yet valid.)
  EXPECT_NE(show.output.find("revoked\n\tThis Update"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("Reason: keyCompromise"), std::string::npos) << show.output;
  EXPECT_EQ(metrics.certificates_revoked.load(), 1u);
}

TEST_F(CoreTest, HolderSelfRevocation) {
  TenantApp t = new_tenant("Bank");
  Device d = enroll(t.sandbox, "123456");
  auto req = certs->request_certificate(d.ctx);
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(sign(d, req->order_id, "123456", "ses_csr_0001").ok());
  ASSERT_TRUE(certs->revoke_own(d.ctx, clock.now()).ok());
  auto list = certs->list_certificates(t.tenant_id, d.ctx.holder_id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(list->front().record.revoked);
  EXPECT_EQ(list->front().record.revocation_reason, 1);
  EXPECT_EQ(certs->request_certificate(d.ctx).code(), ErrorCode::kConflict);  // no active key
}

TEST(RevocationReasons, NamesAndNumbers) {
  EXPECT_EQ(revocation_reason_from_name("keyCompromise"), 1);
  EXPECT_EQ(revocation_reason_from_name("KEYCOMPROMISE"), 1);
  EXPECT_EQ(revocation_reason_from_name("5"), 5);
  EXPECT_EQ(revocation_reason_from_name("7"), std::nullopt);
  EXPECT_EQ(revocation_reason_from_name("-1"), std::nullopt);
  EXPECT_EQ(revocation_reason_from_name("nonsense"), std::nullopt);
  EXPECT_EQ(revocation_reason_name(9), "privilegeWithdrawn");
}

}  // namespace
}  // namespace duet::core

namespace duet::core {
namespace {

// The identity data source is outside the project: a local stand-in that
// answers from a switch and counts what it was asked.
class SwitchIdentitySource final : public IdentitySource {
 public:
  Result<IdentityVerdict> verify(const IdentityClaim& claim) override {
    ++calls;
    last_id_number = claim.id_number;
    return IdentityVerdict{match, "ref-" + std::to_string(calls), match ? "" : "not found"};
  }
  bool match = true;
  int calls = 0;
  std::string last_id_number;
};

// Forgotten PIN: a new activation code for an enrolled holder of an
// identity-source app asks the source again; a source that no longer confirms
// the identity stops the re-key before any code exists.
TEST_F(CoreTest, RekeyChecksTheIdentityAgain) {
  SwitchIdentitySource source;
  deps->identity_source = &source;
  business = std::make_unique<BusinessService>(*deps);
  auto t = new_tenant("T");
  ASSERT_TRUE(store_->update_app_settings(t.tenant_id, t.sandbox.app_id, "identity_source", false, "pkcs7").ok());
  Device d = enroll(t.sandbox, "123456", "110101199003071234", "identity_source");
  EXPECT_EQ(source.calls, 1);  // at creation
  // Re-key while the source confirms: a second check, a code is issued.
  auto again = business->create_activation_code(t.sandbox, d.ctx.holder_id);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(source.calls, 2);
  EXPECT_EQ(source.last_id_number, "110101199003071234");
  // The source no longer confirms: refused, nothing issued.
  source.match = false;
  EXPECT_EQ(business->create_activation_code(t.sandbox, d.ctx.holder_id).code(), ErrorCode::kIdentityRejected);
  EXPECT_EQ(source.calls, 3);
}

// The subject pseudonym can never look like a raw ID number to the pre-issuance
// lint, even for the hashes whose plain hex did (then the holder could never be
// certified); it stays the same for the same hash.
TEST(SubjectPseudonym, NeverLooksLikeAnIdNumber) {
  // A hash whose first 18 hex digits form an ID number with a valid check digit.
  std::string id;
  for (char seq = '0'; seq <= '9' && id.empty(); ++seq) {
    for (char check = '0'; check <= '9' && id.empty(); ++check) {
      std::string candidate = std::string("1101051949123100") + seq + check;
      if (pki::looks_like_resident_id(candidate)) id = candidate;
    }
  }
  ASSERT_FALSE(id.empty());
  Bytes hash = from_hex(id + "aabbccddeeff00112233445566778899aabbccddeeff0011").value();
  ASSERT_EQ(hash.size(), 33u);
  ASSERT_TRUE(pki::looks_like_resident_id(to_hex(hash).substr(0, 32)));  // the old form
  std::string p = subject_pseudonym(hash);
  EXPECT_FALSE(pki::looks_like_resident_id(p)) << p;
  EXPECT_EQ(p, id.substr(0, 8) + "-" + id.substr(8, 8) + "-" + id.substr(16, 2) + "aabbcc-ddeeff00");
  EXPECT_EQ(subject_pseudonym(hash), p);
  // All-digit hashes of every kind: no run of more than 8 digits survives.
  crypto::SystemRandom& rng = crypto::SystemRandom::instance();
  for (int i = 0; i < 2000; ++i) {
    Bytes h(32);
    rng.fill(h);
    for (auto& b : h) b = static_cast<uint8_t>(((b >> 4) % 10) << 4 | (b & 0x0f) % 10);
    std::string q = subject_pseudonym(h);
    ASSERT_EQ(q.size(), 35u);
    ASSERT_FALSE(pki::looks_like_resident_id(q)) << q;
  }
}

}  // namespace
}  // namespace duet::core
