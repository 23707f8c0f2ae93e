// The backend-neutral contract suite (see store_contract_test.h).
#include "store/store_contract_test.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_test_util.h"
#include "store/write_context.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;

void StoreContractTest::SetUp() {
  backend_ = GetParam().make();
  ASSERT_TRUE(backend_);
  auto s = backend_->open();
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  store_ = std::move(s).value();
}

void StoreContractTest::TearDown() {
  store_.reset();
  backend_.reset();
}

void StoreContractTest::reopen() {
  store_.reset();
  auto s = backend_->open();
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  store_ = std::move(s).value();
}

StoreContractTest::World StoreContractTest::make_world(const std::string& label) {
  World w{new_id("ten_"), new_id("app_"), new_id("hld_")};
  Tenant t;
  t.tenant_id = w.tenant_id;
  t.name = label;
  t.created_at = kNow;
  EXPECT_TRUE(store_->create_tenant({}, t).ok());
  App a;
  a.tenant_id = w.tenant_id;
  a.app_id = w.app_id;
  a.secret_ciphertext = Bytes{1, 2, 3};
  a.created_at = kNow;
  EXPECT_TRUE(store_->create_app({}, a).ok());
  Holder h;
  h.tenant_id = w.tenant_id;
  h.holder_id = w.holder_id;
  h.name_ciphertext = Bytes{0xa1};
  h.id_number_ciphertext = Bytes{0xa2};
  h.phone_ciphertext = Bytes{0xa3};
  h.lookup_hash = Bytes(w.holder_id.begin(), w.holder_id.end());
  h.created_at = kNow;
  EXPECT_TRUE(store_->create_holder({}, h).ok());
  return w;
}

SignOrder StoreContractTest::order_for(const World& w, size_t items, UnixSeconds expires_at) {
  SignOrder o;
  o.tenant_id = w.tenant_id;
  o.order_id = new_id("ord_");
  o.app_id = w.app_id;
  o.holder_id = w.holder_id;
  o.title = "contract";
  o.display_text = "please sign";
  o.output_format = OutputFormat::kDer;
  for (size_t i = 0; i < items; ++i) o.items.push_back(SignItem{Bytes(32, static_cast<uint8_t>(i + 1)), true, {}});
  o.expires_at = expires_at;
  o.callback_url = "https://biz.example/cb";
  o.created_at = kNow;
  return o;
}

SignOrder StoreContractTest::create(const SignOrder& o) {
  auto r = store_->create_order({}, o);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? *r : o;
}

SignSession StoreContractTest::session_for(const SignOrder& o) {
  SignSession s;
  s.tenant_id = o.tenant_id;
  s.session_id = new_id("ses_");
  s.order_id = o.order_id;
  s.holder_id = o.holder_id;
  for (size_t i = 0; i < o.items.size(); ++i) s.r_values.push_back("ab" + std::to_string(i));
  return s;
}

CallbackJob StoreContractTest::callback_for(const SignOrder& o, const std::string& payload) {
  CallbackJob j;
  j.tenant_id = o.tenant_id;
  j.job_id = new_id("cbk_");
  j.order_id = o.order_id;
  j.url = o.callback_url;
  j.payload = payload;
  j.next_attempt_at = kNow;
  j.created_at = kNow;
  return j;
}

void StoreContractTest::expect_failed_with_sessions(const SignOrder& o, UnixSeconds at,
                                                    const std::vector<SignSession>& sessions) {
  auto order = store_->get_order(o.tenant_id, o.order_id);
  ASSERT_OK(order);
  EXPECT_EQ(order->state, OrderState::kFailed);
  EXPECT_EQ(order->updated_at, at);
  for (const SignSession& s : sessions) {
    EXPECT_EQ(ok_value(store_->get_sign_session(o.tenant_id, s.session_id)).state, SessionState::kFailed)
        << s.session_id << ": the order's open sessions end with it";
  }
}

HolderKeyShare StoreContractTest::key_for(const World& w) {
  HolderKeyShare k;
  k.tenant_id = w.tenant_id;
  k.key_id = new_id("key_");
  k.holder_id = w.holder_id;
  k.public_key_hex = "04" + k.key_id;
  k.service_share_ciphertext = Bytes{0x5e, 0xc0};
  k.created_at = kNow;
  return k;
}

HolderKeyShare StoreContractTest::add_key(const World& w) {
  HolderKeyShare k = key_for(w);
  Status s = store_->add_holder_key({}, k);
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return k;
}

SignOrder StoreContractTest::csr_order_for(const World& w, const std::string& key_id) {
  SignOrder o = order_for(w);
  o.kind = OrderKind::kCsr;
  o.key_id = key_id;
  o.title = "certificate request";
  o.callback_url.clear();
  return o;
}

Certificate StoreContractTest::cert_for(const World& w, const std::string& key_id, const std::string& serial_hex) {
  Certificate c;
  c.tenant_id = w.tenant_id;
  c.cert_id = new_id("crt_");
  c.holder_id = w.holder_id;
  c.key_id = key_id;
  c.serial_hex = serial_hex;
  c.issuer_id = "ca_issuing";
  c.der = Bytes{0x30, 0x82, 0x01};
  c.not_before = kNow;
  c.not_after = kNow + 365 * 86400;
  c.created_at = kNow;
  return c;
}

namespace {

template <typename R>
std::optional<StoreError> kind(const R& r) {
  return store_error_kind(r);
}

std::vector<Bytes> sigs(size_t n, uint8_t tag = 0x30) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < n; ++i) out.push_back(Bytes{tag, static_cast<uint8_t>(i)});
  return out;
}

// A share refresh of `key` as core begins one (state and sealed values are
// ignored by begin_refresh_attempt).
ShareRefresh refresh_for(const HolderKeyShare& key, const std::string& refresh_id) {
  ShareRefresh r;
  r.tenant_id = key.tenant_id;
  r.refresh_id = refresh_id;
  r.key_id = key.key_id;
  r.holder_id = key.holder_id;
  return r;
}

// The counters the store hands the rule for `order`'s holder, with the
// window from window_since, read by a begin_sign_attempt whose rule refuses:
// nothing is written. The order must be open for signing at kNow.
PinAttemptCounters peek_counters(Store& store, const SignOrder& order, UnixSeconds window_since) {
  PinAttemptCounters seen{-1, -1, false};
  SignSession probe;
  probe.tenant_id = order.tenant_id;
  probe.session_id = new_id("ses_");
  probe.order_id = order.order_id;
  probe.holder_id = order.holder_id;
  auto r = store.begin_sign_attempt(
      {}, probe, new_id("att_"), window_since,
      [&](const PinAttemptCounters& before) -> Result<PinAttemptCounters> {
        seen = before;
        return make_error(ErrorCode::kLocked, "peek");
      },
      StoreContractTest::kNow);
  EXPECT_EQ(r.code(), ErrorCode::kLocked) << (r.ok() ? "" : r.error().to_string());
  return seen;
}

// --- schema and durability ------------------------------------------------------

TEST_P(StoreContractTest, MigrationsAreIdempotentOnReopen) {
  auto v1 = store_->schema_version();
  ASSERT_TRUE(v1.ok());
  EXPECT_GT(*v1, 0);
  World w = make_world("t");
  reopen();
  reopen();
  auto v2 = store_->schema_version();
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v1, *v2);
  EXPECT_TRUE(store_->get_tenant(w.tenant_id).ok());
}

TEST_P(StoreContractTest, DataSurvivesCloseAndReopen) {
  World w = make_world("durable");
  SignOrder o = order_for(w, 2);
  o.idempotency_key = "idem-1";
  create(o);
  ASSERT_TRUE(store_->insert_nonce({}, w.tenant_id, w.app_id, "n1", kNow).ok());
  reopen();
  auto t = store_->get_tenant(w.tenant_id);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->name, "durable");
  auto a = store_->get_app(w.tenant_id, w.app_id);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->secret_ciphertext, (Bytes{1, 2, 3}));
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->phone_ciphertext, Bytes{0xa3});
  auto got = store_->get_order(w.tenant_id, o.order_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, OrderState::kPending);
  EXPECT_EQ(got->output_format, OutputFormat::kDer);
  EXPECT_EQ(got->idempotency_key, "idem-1");
  ASSERT_EQ(got->items.size(), 2u);
  EXPECT_EQ(got->items[1].input, Bytes(32, 2));
  EXPECT_TRUE(got->items[1].input_is_digest);
  EXPECT_EQ(kind(store_->insert_nonce({}, w.tenant_id, w.app_id, "n1", kNow)), StoreError::kDuplicate);
}

// --- tenants, apps, holders, credentials ------------------------------------------

TEST_P(StoreContractTest, TenantLifecycle) {
  World w = make_world("acme");
  Tenant dup;
  dup.tenant_id = w.tenant_id;
  dup.name = "again";
  EXPECT_EQ(kind(store_->create_tenant({}, dup)), StoreError::kDuplicate);
  EXPECT_FALSE(ok_value(store_->get_tenant(w.tenant_id)).suspended);
  EXPECT_FALSE(ok_value(store_->get_tenant(w.tenant_id)).production_active_from.has_value());
  ASSERT_TRUE(store_->set_tenant_suspended({}, w.tenant_id, true, kNow).ok());
  ASSERT_TRUE(store_->set_tenant_production_active_from({}, w.tenant_id, kNow + 86400).ok());
  auto t = store_->get_tenant(w.tenant_id);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->suspended);
  EXPECT_EQ(t->production_active_from, kNow + 86400);
  EXPECT_EQ(kind(store_->get_tenant("ten_missing")), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->set_tenant_suspended({}, "ten_missing", true, kNow)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, AppsAreFoundByIdAndUniqueAcrossTenants) {
  World a = make_world("a");
  World b = make_world("b");
  auto found = store_->find_app(a.app_id);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->tenant_id, a.tenant_id);
  EXPECT_EQ(found->environment, AppEnvironment::kSandbox);
  App clash;
  clash.tenant_id = b.tenant_id;
  clash.app_id = a.app_id;
  clash.secret_ciphertext = Bytes{9};
  EXPECT_EQ(kind(store_->create_app({}, clash)), StoreError::kDuplicate);
  App orphan;
  orphan.tenant_id = "ten_missing";
  orphan.app_id = new_id("app_");
  orphan.secret_ciphertext = Bytes{9};
  orphan.environment = AppEnvironment::kProduction;
  EXPECT_EQ(kind(store_->create_app({}, orphan)), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->find_app("app_missing")), StoreError::kNotFound);
}

TEST_P(StoreContractTest, HolderLookupHashIsUniquePerTenant) {
  World w = make_world("t");
  auto h = store_->find_holder_by_lookup_hash(w.tenant_id, as_bytes(w.holder_id));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->holder_id, w.holder_id);
  EXPECT_EQ(h->status, HolderStatus::kActive);
  Holder twin = *h;
  twin.holder_id = new_id("hld_");
  EXPECT_EQ(kind(store_->create_holder({}, twin)), StoreError::kDuplicate);
}

TEST_P(StoreContractTest, HolderKeyShareLifecycle) {
  World w = make_world("t");
  HolderKeyShare k = key_for(w);
  k.service_share_ciphertext = Bytes{7, 7, 7};
  ASSERT_TRUE(store_->add_holder_key({}, k).ok());
  HolderKeyShare second = k;
  second.key_id = new_id("key_");
  EXPECT_EQ(kind(store_->add_holder_key({}, second)), StoreError::kConflict);
  auto active = store_->get_active_holder_key(w.tenant_id, w.holder_id);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->service_share_ciphertext, (Bytes{7, 7, 7}));
  ASSERT_TRUE(store_->revoke_holder_key({}, w.tenant_id, k.key_id, kNow + 1).ok());
  EXPECT_EQ(kind(store_->revoke_holder_key({}, w.tenant_id, k.key_id, kNow + 2)), StoreError::kConflict);
  EXPECT_EQ(kind(store_->get_active_holder_key(w.tenant_id, w.holder_id)), StoreError::kNotFound);
  ASSERT_TRUE(store_->add_holder_key({}, second).ok());  // re-enrollment after revocation
  EXPECT_EQ(ok_value(store_->get_active_holder_key(w.tenant_id, w.holder_id)).key_id, second.key_id);
}

TEST_P(StoreContractTest, ActivationCodeAttemptsExpiryAndSingleUse) {
  World w = make_world("t");
  ActivationCode code;
  code.tenant_id = w.tenant_id;
  code.code_id = new_id("act_");
  code.holder_id = w.holder_id;
  code.code_hash = Bytes{0xc0, 0xde};
  code.expires_at = kNow + 300;
  code.attempts_left = 2;
  code.created_at = kNow;
  ASSERT_TRUE(store_->create_activation_code({}, code).ok());
  auto found = store_->find_activation_code(code.code_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->code_id, code.code_id);
  EXPECT_EQ(*store_->spend_activation_attempt({}, w.tenant_id, code.code_id), 1);
  EXPECT_EQ(*store_->spend_activation_attempt({}, w.tenant_id, code.code_id), 0);
  EXPECT_EQ(kind(store_->spend_activation_attempt({}, w.tenant_id, code.code_id)), StoreError::kConflict);
  EXPECT_EQ(kind(store_->use_activation_code({}, w.tenant_id, code.code_id, kNow)), StoreError::kConflict);

  ActivationCode fresh = code;
  fresh.code_id = new_id("act_");
  fresh.code_hash = Bytes{0xbe, 0xef};
  fresh.attempts_left = 3;
  ASSERT_TRUE(store_->create_activation_code({}, fresh).ok());
  EXPECT_EQ(kind(store_->use_activation_code({}, w.tenant_id, fresh.code_id, kNow + 300)), StoreError::kConflict)
      << "expired";
  ASSERT_TRUE(store_->use_activation_code({}, w.tenant_id, fresh.code_id, kNow + 299).ok());
  EXPECT_EQ(kind(store_->use_activation_code({}, w.tenant_id, fresh.code_id, kNow + 299)), StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->find_activation_code(fresh.code_hash)).used_at, kNow + 299);
  ActivationCode clash = fresh;
  clash.code_id = new_id("act_");
  EXPECT_EQ(kind(store_->create_activation_code({}, clash)), StoreError::kDuplicate);
}

TEST_P(StoreContractTest, DeviceTokensAndAdminTokens) {
  World w = make_world("t");
  DeviceToken t;
  t.tenant_id = w.tenant_id;
  t.token_hash = Bytes{0xd0, 0x0d};
  t.holder_id = w.holder_id;
  t.created_at = kNow;
  ASSERT_TRUE(store_->create_device_token({}, t).ok());
  auto found = store_->find_device_token(t.token_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->holder_id, w.holder_id);
  EXPECT_EQ(found->tenant_id, w.tenant_id);
  ASSERT_TRUE(store_->revoke_device_token({}, w.tenant_id, t.token_hash, kNow).ok());
  EXPECT_EQ(kind(store_->find_device_token(t.token_hash)), StoreError::kNotFound);

  AdminToken admin;
  admin.token_hash = Bytes{0xad};
  admin.name = "ops";
  admin.role = "operator";
  admin.created_at = kNow;
  ASSERT_TRUE(store_->create_admin_token({}, admin).ok());
  EXPECT_EQ(kind(store_->create_admin_token({}, admin)), StoreError::kDuplicate);
  auto a = store_->find_admin_token(admin.token_hash);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->role, "operator");
  EXPECT_EQ(kind(store_->find_admin_token(Bytes{0x00})), StoreError::kNotFound);
}

// --- tenant scoping -----------------------------------------------------------------

TEST_P(StoreContractTest, AnotherTenantsRowsAreNotFoundEverywhere) {
  World a = make_world("a");
  World b = make_world("b");
  const std::string& B = b.tenant_id;

  HolderKeyShare k = add_key(a);
  ActivationCode code;
  code.tenant_id = a.tenant_id;
  code.code_id = new_id("act_");
  code.holder_id = a.holder_id;
  code.code_hash = Bytes{0x11};
  code.expires_at = kNow + 100;
  code.attempts_left = 3;
  ASSERT_TRUE(store_->create_activation_code({}, code).ok());
  DeviceToken token;
  token.tenant_id = a.tenant_id;
  token.token_hash = Bytes{0x22};
  token.holder_id = a.holder_id;
  ASSERT_TRUE(store_->create_device_token({}, token).ok());
  SignOrder o = create(order_for(a));
  SignSession s = session_for(o);
  ASSERT_TRUE(open_session(*store_, s, kNow).ok());
  ASSERT_TRUE(store_->enqueue_callback({}, callback_for(o, "{}")).ok());
  CallbackJob job = callback_for(o, "{}");
  ASSERT_TRUE(store_->enqueue_callback({}, job).ok());

  auto nf = [](const auto& r) { return store_error_kind(r) == StoreError::kNotFound; };
  EXPECT_TRUE(nf(store_->get_app(B, a.app_id)));
  EXPECT_TRUE(nf(store_->get_holder(B, a.holder_id)));
  EXPECT_TRUE(nf(store_->find_holder_by_lookup_hash(B, as_bytes(a.holder_id))));
  EXPECT_TRUE(nf(store_->unlock_holder({}, B, a.holder_id)));
  EXPECT_TRUE(nf(store_->get_active_holder_key(B, a.holder_id)));
  EXPECT_TRUE(nf(store_->revoke_holder_key({}, B, k.key_id, kNow)));
  EXPECT_TRUE(nf(store_->use_activation_code({}, B, code.code_id, kNow)));
  EXPECT_TRUE(nf(store_->spend_activation_attempt({}, B, code.code_id)));
  EXPECT_TRUE(nf(store_->revoke_device_token({}, B, token.token_hash, kNow)));
  EXPECT_TRUE(nf(store_->get_order(B, o.order_id)));
  EXPECT_TRUE(ok_value(store_->list_open_orders(B, a.holder_id, kNow, 10)).empty());
  EXPECT_TRUE(nf(store_->get_sign_session(B, s.session_id)));
  EXPECT_TRUE(nf(store_->fail_sign_session({}, B, s.session_id, std::nullopt, kNow)));
  EXPECT_TRUE(nf(store_->lock_holder({}, B, a.holder_id)));
  EXPECT_TRUE(nf(store_->get_holder_key(B, k.key_id)));
  EXPECT_TRUE(nf(store_->update_app_secret({}, B, a.app_id, Bytes{9})));
  auto b_holders = store_->list_holders(B, "", 100, std::nullopt);
  ASSERT_TRUE(b_holders.ok());
  ASSERT_EQ(b_holders->size(), 1u);
  EXPECT_EQ((*b_holders)[0].holder_id, b.holder_id);
  auto b_apps = store_->list_apps(B);
  ASSERT_TRUE(b_apps.ok());
  ASSERT_EQ(b_apps->size(), 1u);
  EXPECT_EQ((*b_apps)[0].app_id, b.app_id);
  EXPECT_TRUE(ok_value(store_->list_orders(B, OrderFilter{})).orders.empty());
  ActivationCompletion steal;
  steal.tenant_id = B;
  steal.code_id = code.code_id;
  steal.key = k;
  steal.key.tenant_id = B;
  steal.key.key_id = new_id("key_");
  steal.token = token;
  steal.token.tenant_id = B;
  steal.token.token_hash = Bytes{0x33};
  steal.now = kNow;
  EXPECT_TRUE(nf(store_->complete_activation({}, steal)));
  EXPECT_TRUE(nf(store_->finish_order({}, B, o.order_id, s.session_id, sigs(1), std::nullopt, kNow)));
  EXPECT_TRUE(nf(store_->reject_order({}, B, o.order_id, std::nullopt, kNow)));
  EXPECT_TRUE(nf(store_->cancel_order({}, B, o.order_id, std::nullopt, kNow)));
  EXPECT_TRUE(nf(store_->get_callback(B, job.job_id)));
  EXPECT_TRUE(nf(store_->mark_callback_delivered({}, B, job.job_id, kNow)));
  EXPECT_TRUE(nf(store_->mark_callback_failed({}, B, job.job_id, "w", "x", kNow)));

  // Writes that name another tenant's rows are refused as "not found" too.
  SignSession cross = session_for(o);
  cross.tenant_id = B;
  EXPECT_TRUE(nf(store_->begin_sign_attempt({}, cross, "att_cross", 0, simple_pin_rule(), kNow)));
  SignOrder foreign = order_for(a);
  foreign.tenant_id = B;  // B's order naming A's app and holder
  EXPECT_TRUE(nf(store_->create_order({}, foreign)));
  EXPECT_TRUE(nf(store_->insert_nonce({}, B, a.app_id, "n", kNow)));
  CallbackJob foreign_job = callback_for(o, "{}");
  foreign_job.tenant_id = B;
  EXPECT_TRUE(nf(store_->enqueue_callback({}, foreign_job)));

  // And none of it touched A's rows.
  EXPECT_EQ(ok_value(store_->get_order(a.tenant_id, o.order_id)).state, OrderState::kSigning);
  EXPECT_EQ(ok_value(store_->get_sign_session(a.tenant_id, s.session_id)).state, SessionState::kOpen);
  EXPECT_EQ(ok_value(store_->get_holder(a.tenant_id, a.holder_id)).failed_attempts, 0);
  EXPECT_EQ(ok_value(store_->get_holder(a.tenant_id, a.holder_id)).status, HolderStatus::kActive);
  EXPECT_TRUE(store_->get_active_holder_key(a.tenant_id, a.holder_id).ok());
  EXPECT_EQ(ok_value(store_->get_app(a.tenant_id, a.app_id)).secret_ciphertext, (Bytes{1, 2, 3}));
  EXPECT_FALSE(ok_value(store_->find_activation_code(code.code_hash)).used_at.has_value());
  EXPECT_TRUE(store_->find_device_token(token.token_hash).ok());
}

// --- orders -------------------------------------------------------------------------

TEST_P(StoreContractTest, CreateOrderIsIdempotentPerAppAndKey) {
  World w = make_world("t");
  SignOrder first = order_for(w);
  first.idempotency_key = "key-1";
  SignOrder made = create(first);
  EXPECT_EQ(made.state, OrderState::kPending);

  SignOrder retry = order_for(w);  // a new order id, same key
  retry.idempotency_key = "key-1";
  retry.title = "different";
  SignOrder again = create(retry);
  EXPECT_EQ(again.order_id, first.order_id);
  EXPECT_EQ(again.title, "contract");
  EXPECT_EQ(kind(store_->get_order(w.tenant_id, retry.order_id)), StoreError::kNotFound);

  // Same key from another app of the tenant is a different order.
  App other;
  other.tenant_id = w.tenant_id;
  other.app_id = new_id("app_");
  other.secret_ciphertext = Bytes{5};
  ASSERT_TRUE(store_->create_app({}, other).ok());
  SignOrder from_other = order_for(w);
  from_other.app_id = other.app_id;
  from_other.idempotency_key = "key-1";
  EXPECT_EQ(create(from_other).order_id, from_other.order_id);

  // Without a key, every create is new; an existing order id is a duplicate.
  SignOrder plain = order_for(w);
  create(plain);
  EXPECT_EQ(kind(store_->create_order({}, plain)), StoreError::kDuplicate);
  EXPECT_EQ(ok_value(store_->list_open_orders(w.tenant_id, w.holder_id, kNow, 10)).size(), 3u);
}

TEST_P(StoreContractTest, ConcurrentIdempotentCreatesMakeOneOrder) {
  World w = make_world("t");
  constexpr int kThreads = 4;
  std::vector<std::string> ids(kThreads);
  std::vector<SignOrder> orders;
  for (int i = 0; i < kThreads; ++i) {
    orders.push_back(order_for(w));
    orders.back().idempotency_key = "same";
  }
  run_together(kThreads, [&](int i) {
    auto r = store_->create_order({}, orders[i]);
    if (r.ok()) ids[i] = r->order_id;
  });
  for (const auto& id : ids) {
    EXPECT_FALSE(id.empty());
    EXPECT_EQ(id, ids[0]);
  }
}

TEST_P(StoreContractTest, OrdersAreValidated) {
  World w = make_world("t");
  SignOrder empty = order_for(w, 0);
  EXPECT_EQ(store_->create_order({}, empty).code(), ErrorCode::kInvalidArgument);
  SignOrder ghost = order_for(w);
  ghost.holder_id = "hld_missing";
  EXPECT_EQ(kind(store_->create_order({}, ghost)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, CmsOrdersKeepTheirFormatCertificateAndOidStyle) {
  World w = make_world("t");
  for (OutputFormat f : {OutputFormat::kCmsDetached, OutputFormat::kCmsAttached}) {
    SignOrder o = order_for(w);
    o.output_format = f;
    // A CMS order names its certificate and OID style; other orders do not.
    EXPECT_EQ(store_->create_order({}, o).code(), ErrorCode::kInvalidArgument);
    o.signer_cert_id = "crt_1";
    o.cms_oid_style = "sm2";
    EXPECT_EQ(store_->create_order({}, o).code(), ErrorCode::kInvalidArgument);
    o.cms_oid_style = f == OutputFormat::kCmsDetached ? "gmt" : "pkcs7";
    create(o);
    auto got = store_->get_order(w.tenant_id, o.order_id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->output_format, f);
    EXPECT_EQ(got->signer_cert_id, "crt_1");
    EXPECT_EQ(got->cms_oid_style, o.cms_oid_style);
  }
  SignOrder der = order_for(w);
  der.signer_cert_id = "crt_1";
  der.cms_oid_style = "pkcs7";
  EXPECT_EQ(store_->create_order({}, der).code(), ErrorCode::kInvalidArgument);
}

// --- signing: attempts, finish, races -------------------------------------------------

TEST_P(StoreContractTest, SignAttemptsCountAndLockAtTheLimit) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  for (int i = 1; i <= 3; ++i) {
    SignSession s = session_for(o);
    auto counted = begin_sign(*store_, s, kNow, 3);
    ASSERT_TRUE(counted.ok()) << i << ": " << counted.error().to_string();
    EXPECT_EQ(counted->consecutive_failures, i);
    EXPECT_EQ(counted->failures_in_window, i);
    EXPECT_FALSE(counted->locked) << "only a failure locks";
    EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).status, HolderStatus::kActive);
    EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, i);
    auto stored = store_->get_sign_session(w.tenant_id, s.session_id);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->state, SessionState::kOpen);
    EXPECT_TRUE(stored->r_values.empty()) << "no r values before the PIN proof";
    // core's rule: this failure reached the limit, so it locks
    ASSERT_TRUE(store_
                    ->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s), /*lock_holder=*/i == 3, s.session_id, {},
                                       std::nullopt, kNow)
                    .ok())
        << i;
    EXPECT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).state, SessionState::kFailed);
    EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, i < 3 ? OrderState::kSigning : OrderState::kFailed)
        << "the lockout ends the order";
    EXPECT_EQ(
        kind(store_->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s), false, s.session_id, {}, std::nullopt, kNow)),
        StoreError::kConflict)
        << "an attempt ends once";
  }
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).status, HolderStatus::kLocked);
  SignOrder next = create(order_for(w));
  auto refused = begin_sign(*store_, session_for(next), kNow, 3);
  EXPECT_EQ(refused.code(), ErrorCode::kLocked);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 3) << "a refused begin counts nothing";
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, next.order_id)).state, OrderState::kPending) << "and moves nothing";

  ASSERT_TRUE(store_->unlock_holder({}, w.tenant_id, w.holder_id).ok());
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_OK(h);
  EXPECT_EQ(h->status, HolderStatus::kActive);
  EXPECT_EQ(h->failed_attempts, 0);
  EXPECT_FALSE(h->refresh_required) << "no active key: no device state to kill";
  EXPECT_EQ(kind(begin_sign(*store_, session_for(o), kNow, 3)), StoreError::kConflict) << "order failed";
  EXPECT_TRUE(begin_sign(*store_, session_for(next), kNow, 3).ok());
}

TEST_P(StoreContractTest, ARefusedSignAttemptChangesNothing) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession first = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, first, kNow).ok());  // one pending attempt

  // The rule sees the counters and refuses: its error comes back as is and
  // nothing is written.
  SignOrder other = create(order_for(w));
  SignSession s = session_for(other);
  PinAttemptCounters seen{-1, -1, true};
  auto refused = store_->begin_sign_attempt(
      {}, s, "att_refused", 0,
      [&](const PinAttemptCounters& before) -> Result<PinAttemptCounters> {
        seen = before;
        return make_error(ErrorCode::kLocked, "refused by the test rule");
      },
      kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kLocked);
  EXPECT_NE(refused.error().message.find("refused by the test rule"), std::string::npos);
  EXPECT_EQ(seen.consecutive_failures, 1);
  EXPECT_EQ(seen.failures_in_window, 1);
  EXPECT_FALSE(seen.locked);
  EXPECT_EQ(kind(store_->get_sign_session(w.tenant_id, s.session_id)), StoreError::kNotFound);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, other.order_id)).state, OrderState::kPending);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 1);
  // Neither the session id nor the attempt id was stored.
  ASSERT_TRUE(store_->begin_sign_attempt({}, s, "att_refused", 0, simple_pin_rule(), kNow).ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 2);

  // Refused before the rule is asked, nothing counted: a used session id, a
  // used attempt id, another holder's order.
  bool asked = false;
  PinAttemptRule watching = [&](const PinAttemptCounters& before) -> Result<PinAttemptCounters> {
    asked = true;
    return simple_pin_rule()(before);
  };
  EXPECT_EQ(kind(store_->begin_sign_attempt({}, s, "att_dup", 0, watching, kNow)), StoreError::kDuplicate);
  EXPECT_EQ(kind(store_->begin_sign_attempt({}, first, "att_dup", 0, watching, kNow)), StoreError::kDuplicate);
  EXPECT_FALSE(asked);
  EXPECT_EQ(kind(store_->begin_sign_attempt({}, session_for(o), "att_refused", 0, simple_pin_rule(), kNow)),
            StoreError::kDuplicate)
      << "an attempt id is used once";
  Holder bystander;
  bystander.tenant_id = w.tenant_id;
  bystander.holder_id = new_id("hld_");
  bystander.lookup_hash = Bytes{0xb8};
  ASSERT_TRUE(store_->create_holder({}, bystander).ok());
  SignSession theirs = session_for(o);
  theirs.holder_id = bystander.holder_id;
  EXPECT_EQ(kind(store_->begin_sign_attempt({}, theirs, "att_theirs", 0, watching, kNow)), StoreError::kNotFound);
  EXPECT_FALSE(asked);
  // An order that is no longer open: kConflict, nothing counted.
  SignOrder expired = create(order_for(w, 1, kNow + 5));
  EXPECT_EQ(kind(store_->begin_sign_attempt({}, session_for(expired), "att_late", 0, watching, kNow + 5)),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 2);
  EXPECT_EQ(ok_value(store_->get_holder(bystander.tenant_id, bystander.holder_id)).failed_attempts, 0);

  // The argument checks.
  EXPECT_EQ(store_->begin_sign_attempt({}, session_for(o), "", 0, simple_pin_rule(), kNow).code(),
            ErrorCode::kInvalidArgument);
  SignSession nameless = session_for(o);
  nameless.session_id.clear();
  EXPECT_EQ(begin_sign(*store_, nameless, kNow).code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreContractTest, AcceptGivesTheSessionItsRValuesOnce) {
  World w = make_world("t");
  SignOrder o = create(order_for(w, 2));
  SignSession s = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, s, kNow).ok());
  EXPECT_EQ(store_->accept_sign_attempt({}, w.tenant_id, s.session_id, attempt_id_for(s), {}, kNow).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->accept_sign_attempt({}, w.tenant_id, s.session_id, attempt_id_for(s), {"ab", "c,d"}, kNow).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind(store_->accept_sign_attempt({}, w.tenant_id, s.session_id, "att_other", s.r_values, kNow)),
            StoreError::kConflict)
      << "not this session's pending attempt";
  EXPECT_TRUE(ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).r_values.empty()) << "rolled back";
  ASSERT_TRUE(store_->accept_sign_attempt({}, w.tenant_id, s.session_id, attempt_id_for(s), s.r_values, kNow + 1).ok());
  auto stored = store_->get_sign_session(w.tenant_id, s.session_id);
  ASSERT_OK(stored);
  EXPECT_EQ(stored->r_values, s.r_values);
  EXPECT_EQ(stored->updated_at, kNow + 1);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
  EXPECT_EQ(kind(store_->accept_sign_attempt({}, w.tenant_id, s.session_id, attempt_id_for(s), s.r_values, kNow)),
            StoreError::kConflict)
      << "once";
  EXPECT_EQ(kind(store_->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s), false, "", {}, std::nullopt, kNow)),
            StoreError::kConflict)
      << "an accepted attempt cannot fail";

  // The order ended meanwhile: the session is no longer open.
  SignOrder ended = create(order_for(w));
  SignSession late = session_for(ended);
  ASSERT_TRUE(begin_sign(*store_, late, kNow).ok());
  ASSERT_TRUE(store_->reject_order({}, w.tenant_id, ended.order_id, std::nullopt, kNow).ok());
  EXPECT_EQ(
      kind(store_->accept_sign_attempt({}, w.tenant_id, late.session_id, attempt_id_for(late), late.r_values, kNow)),
      StoreError::kConflict);
}

TEST_P(StoreContractTest, TheBudgetWindowCountsPendingAndFailedAttemptsSinceItsStart) {
  World w = make_world("t");
  SignOrder o = create(order_for(w, 1, kNow + 100000));
  auto failed_at = [&](UnixSeconds at) {
    SignSession s = session_for(o);
    ASSERT_TRUE(begin_sign(*store_, s, at).ok());
    ASSERT_TRUE(
        store_->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s), false, s.session_id, {}, std::nullopt, at).ok());
  };
  failed_at(kNow);                                                  // failed
  ASSERT_TRUE(open_session(*store_, session_for(o), kNow + 10).ok());  // ok: not counted
  ASSERT_TRUE(begin_sign(*store_, session_for(o), kNow + 20).ok());    // pending: counted
  failed_at(kNow + 30);                                             // failed

  auto at_0 = peek_counters(*store_, o, 0);
  EXPECT_EQ(at_0.consecutive_failures, 2) << "the ok attempt reset the consecutive count";
  EXPECT_EQ(at_0.failures_in_window, 3) << "pending and failed count, ok does not";
  EXPECT_FALSE(at_0.locked);
  EXPECT_EQ(peek_counters(*store_, o, kNow).failures_in_window, 2) << "only attempts after the window start";
  EXPECT_EQ(peek_counters(*store_, o, kNow + 25).failures_in_window, 1);
  EXPECT_EQ(peek_counters(*store_, o, kNow + 30).failures_in_window, 0);

  // A valid proof resets the consecutive count, never the window count.
  SignSession good = session_for(o);
  auto begun = begin_sign(*store_, good, kNow + 40);
  ASSERT_TRUE(begun.ok());
  EXPECT_EQ(begun->consecutive_failures, 3);
  EXPECT_EQ(begun->failures_in_window, 4);
  ASSERT_TRUE(
      store_->accept_sign_attempt({}, w.tenant_id, good.session_id, attempt_id_for(good), good.r_values, kNow + 40)
          .ok());
  auto after = peek_counters(*store_, o, 0);
  EXPECT_EQ(after.consecutive_failures, 0);
  EXPECT_EQ(after.failures_in_window, 3);

  // An unlock forgives them all (pending and failed): they leave the budget.
  ASSERT_TRUE(store_->unlock_holder({}, w.tenant_id, w.holder_id).ok());
  EXPECT_EQ(peek_counters(*store_, o, 0).failures_in_window, 0);
}

TEST_P(StoreContractTest, UnlockForgivesAndForcesAShareRefresh) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  SignOrder o = create(order_for(w));
  for (int i = 0; i < 5; ++i) {
    SignSession s = session_for(o);
    ASSERT_TRUE(begin_sign(*store_, s, kNow).ok()) << i;
    ASSERT_TRUE(store_
                    ->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s), /*lock_holder=*/i == 4, s.session_id, {},
                                       std::nullopt, kNow)
                    .ok());
  }
  ASSERT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).status, HolderStatus::kLocked);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, OrderState::kFailed);
  EXPECT_FALSE(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).refresh_required);

  ASSERT_TRUE(store_->unlock_holder({}, w.tenant_id, w.holder_id).ok());
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_OK(h);
  EXPECT_EQ(h->status, HolderStatus::kActive);
  EXPECT_EQ(h->failed_attempts, 0);
  EXPECT_TRUE(h->refresh_required) << "an active key: the old device state must die";

  // Signing is refused before anything is counted, until the refresh.
  SignOrder next = create(order_for(w));
  SignSession s = session_for(next);
  auto refused = begin_sign(*store_, s, kNow + 1);
  EXPECT_EQ(refused.code(), ErrorCode::kRefreshRequired);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, next.order_id)).state, OrderState::kPending);
  EXPECT_EQ(kind(store_->get_sign_session(w.tenant_id, s.session_id)), StoreError::kNotFound);

  // The refresh is a PIN use like any other; its window starts empty (forgiven).
  ShareRefresh r = refresh_for(key, new_id("ref_"));
  PinAttemptCounters seen{-1, -1, true};
  auto counted = store_->begin_refresh_attempt(
      {}, r, "att_ref_1", 0,
      [&](const PinAttemptCounters& before) {
        seen = before;
        return simple_pin_rule()(before);
      },
      kNow + 1);
  ASSERT_TRUE(counted.ok()) << counted.error().to_string();
  EXPECT_EQ(seen.consecutive_failures, 0);
  EXPECT_EQ(seen.failures_in_window, 0) << "the unlock forgave the five failures";
  EXPECT_FALSE(seen.locked);
  ASSERT_TRUE(store_->accept_refresh_attempt({}, w.tenant_id, r.refresh_id, "att_ref_1", Bytes{0x99}, kNow + 1).ok());
  EXPECT_TRUE(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).refresh_required) << "until the confirm";
  EXPECT_EQ(begin_sign(*store_, s, kNow + 1).code(), ErrorCode::kRefreshRequired);
  ASSERT_TRUE(store_
                  ->begin_confirm_attempt({}, w.tenant_id, w.holder_id, r.refresh_id, "att_ref_2", kNow - 600, 0,
                                          simple_pin_rule(), kNow + 2)
                  .ok());
  DeviceToken t;
  t.tenant_id = w.tenant_id;
  t.token_hash = Bytes{0xd7, 0x01};
  t.holder_id = w.holder_id;
  t.created_at = kNow + 2;
  ASSERT_TRUE(store_->confirm_share_refresh({}, w.tenant_id, r.refresh_id, "att_ref_2", t, kNow + 2).ok());
  h = store_->get_holder(w.tenant_id, w.holder_id);
  EXPECT_FALSE(h->refresh_required);
  EXPECT_EQ(h->failed_attempts, 0);
  EXPECT_TRUE(begin_sign(*store_, s, kNow + 3).ok());
}

// Two attempts on one order at once: the one whose failure locks the holder
// fails the order and its open sessions; the other attempt's failure then
// still ends failed (not a conflict: its answer is "wrong PIN", like any).
// The release of a step-2 answer is conditional on the key share the caller
// used: a refresh (or re-key, revocation) that committed after the caller
// read the share makes accept_sign_attempt a conflict, and the attempt stays
// pending (a failure), so an old share never answers after it was replaced.
TEST_P(StoreContractTest, AcceptSignAttemptRequiresTheShareThatWasUsed) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  SignOrder o = create(order_for(w));
  SignSession s = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, s, kNow).ok());
  // The share is replaced after it was read (as a confirmed refresh does).
  ASSERT_TRUE(store_->reseal_key_share({}, w.tenant_id, key.key_id, key.service_share_ciphertext, Bytes{6, 6, 6}).ok());
  EXPECT_EQ(kind(store_->accept_sign_attempt({}, w.tenant_id, s.session_id, attempt_id_for(s), s.r_values, kNow,
                                             key.key_id, key.service_share_ciphertext)),
            StoreError::kConflict);
  EXPECT_TRUE(ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).r_values.empty()) << "nothing released";
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 1) << "the attempt still counts";
  // With the share as it is now, the release goes through.
  EXPECT_TRUE(store_
                  ->accept_sign_attempt({}, w.tenant_id, s.session_id, attempt_id_for(s), s.r_values, kNow, key.key_id,
                                        Bytes{6, 6, 6})
                  .ok());
}

TEST_P(StoreContractTest, AnAttemptWhoseSessionALockoutEndedStillEndsFailed) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession s1 = session_for(o), s2 = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, s1, kNow, 2).ok());
  ASSERT_TRUE(begin_sign(*store_, s2, kNow, 2).ok());
  ASSERT_TRUE(store_
                  ->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s2), /*lock_holder=*/true, s2.session_id, {},
                                     std::nullopt, kNow + 1)
                  .ok());
  ASSERT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s1.session_id)).state, SessionState::kFailed);
  Status late =
      store_->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s1), false, s1.session_id, {}, std::nullopt, kNow + 1);
  EXPECT_TRUE(late.ok()) << late.error().to_string();
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, OrderState::kFailed);
  EXPECT_EQ(kind(store_->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s1), false, s1.session_id, {}, std::nullopt,
                                          kNow + 1)),
            StoreError::kConflict)
      << "still, an attempt ends once";
}

TEST_P(StoreContractTest, FailPinAttemptEnqueuesAlarmsAndOnLockoutFailsTheOrder) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession s1 = session_for(o), s2 = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, s1, kNow, 2).ok());
  ASSERT_TRUE(begin_sign(*store_, s2, kNow, 2).ok());  // the last attempt
  ASSERT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).status, HolderStatus::kActive) << "only a failure locks";

  CallbackJob to_order = callback_for(o, R"({"event":"holder.locked"})");
  CallbackJob to_tenant = callback_for(o, R"({"event":"holder.locked"})");
  to_tenant.order_id.clear();  // the tenant's notify target: about no order
  to_tenant.url = "https://biz.example/notify";
  CallbackJob cb = callback_for(o, R"({"state":"failed"})");
  Status failed = store_->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s2), /*lock_holder=*/true, s2.session_id,
                                           {to_order, to_tenant}, cb, kNow + 1);
  ASSERT_TRUE(failed.ok()) << failed.error().to_string();
  expect_failed_with_sessions(o, kNow + 1, {s2, s1});
  auto job = store_->get_callback(w.tenant_id, cb.job_id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->payload, R"({"state":"failed"})");
  auto alarm = store_->get_callback(w.tenant_id, to_order.job_id);
  ASSERT_TRUE(alarm.ok());
  EXPECT_EQ(alarm->order_id, o.order_id);
  EXPECT_EQ(alarm->payload, R"({"event":"holder.locked"})");
  alarm = store_->get_callback(w.tenant_id, to_tenant.job_id);
  ASSERT_TRUE(alarm.ok()) << alarm.error().to_string();
  EXPECT_EQ(alarm->order_id, "");
  EXPECT_EQ(alarm->url, "https://biz.example/notify");
  EXPECT_EQ(ok_value(store_->claim_due_callbacks({}, "w", kNow + 1, 30, 10)).size(), 3u);

  // Without a session (a refresh's PIN use): the attempt and its alarms only.
  CallbackJob again = to_tenant;
  again.job_id = new_id("cbk_");
  ASSERT_TRUE(
      store_->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s1), false, "", {again}, std::nullopt, kNow + 2).ok());
  EXPECT_TRUE(store_->get_callback(w.tenant_id, again.job_id).ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 2) << "ending an attempt counts nothing";
  EXPECT_EQ(kind(store_->fail_pin_attempt({}, w.tenant_id, "att_unknown", false, "", {}, std::nullopt, kNow)),
            StoreError::kConflict);

  // One transaction: an alarm the store refuses leaves the attempt pending
  // and the session open.
  World v = make_world("v");
  SignOrder vo = create(order_for(v));
  SignSession vs = session_for(vo);
  ASSERT_TRUE(begin_sign(*store_, vs, kNow, 1).ok());
  CallbackJob bad = callback_for(vo, "{}");
  bad.url.clear();
  EXPECT_FALSE(store_
                   ->fail_pin_attempt({}, v.tenant_id, attempt_id_for(vs), /*lock_holder=*/true, vs.session_id, {bad},
                                      callback_for(vo, "x"), kNow)
                   .ok());
  EXPECT_EQ(ok_value(store_->get_holder(v.tenant_id, v.holder_id)).status, HolderStatus::kActive);
  EXPECT_EQ(ok_value(store_->get_sign_session(v.tenant_id, vs.session_id)).state, SessionState::kOpen);
  EXPECT_EQ(ok_value(store_->get_order(v.tenant_id, vo.order_id)).state, OrderState::kSigning);
  ASSERT_TRUE(store_
                  ->fail_pin_attempt({}, v.tenant_id, attempt_id_for(vs), /*lock_holder=*/true, vs.session_id, {},
                                     std::nullopt, kNow)
                  .ok());
  EXPECT_EQ(ok_value(store_->get_holder(v.tenant_id, v.holder_id)).status, HolderStatus::kLocked);
  EXPECT_EQ(ok_value(store_->get_order(v.tenant_id, vo.order_id)).state, OrderState::kFailed);
}

// Issue 10 item 6b at the store: 20 concurrent step 1s of one holder (each
// its own order and session, so they meet only at the holder's row) get
// exactly N = 5 counted attempts; the other 15 are refused as locked. The
// rule must see each count once (0..4 allowed, then only 5): the holder's
// row is held from the read to the write. (Without that, the conditional
// update alone still stops at 5, but refuses attempts the rule allowed.)
TEST_P(StoreContractTest, TwentyConcurrentSignAttemptsCountExactlyFive) {
  World w = make_world("t");
  constexpr int kThreads = 20;
  std::vector<SignSession> sessions;
  for (int i = 0; i < kThreads; ++i) sessions.push_back(session_for(create(order_for(w))));
  std::mutex mu;
  std::vector<int> allowed_at;  // consecutive_failures the rule allowed an attempt at
  PinAttemptRule recording = [&](const PinAttemptCounters& before) -> Result<PinAttemptCounters> {
    auto after = simple_pin_rule(5)(before);
    std::lock_guard<std::mutex> lock(mu);
    if (after.ok()) allowed_at.push_back(before.consecutive_failures);
    return after;
  };
  std::atomic<int> counted{0}, locked{0}, other{0};
  run_together(kThreads, [&](int i) {
    const SignSession& s = sessions[static_cast<size_t>(i)];
    auto r = store_->begin_sign_attempt({}, s, attempt_id_for(s), 0, recording, kNow);
    if (r.ok()) ++counted;
    else if (r.code() == ErrorCode::kLocked) ++locked;
    else ++other;
  });
  EXPECT_EQ(counted.load(), 5);
  EXPECT_EQ(locked.load(), 15);
  EXPECT_EQ(other.load(), 0);
  std::sort(allowed_at.begin(), allowed_at.end());
  EXPECT_EQ(allowed_at, (std::vector<int>{0, 1, 2, 3, 4})) << "each count seen once, with the row held";
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_OK(h);
  EXPECT_EQ(h->failed_attempts, 5);
  int stored = 0;
  for (const SignSession& s : sessions) stored += store_->get_sign_session(w.tenant_id, s.session_id).ok() ? 1 : 0;
  EXPECT_EQ(stored, 5) << "a refused attempt stores no session";
  auto seen = peek_counters(*store_, create(order_for(w)), 0);
  EXPECT_EQ(seen.failures_in_window, 5) << "five attempt rows";
  EXPECT_EQ(seen.consecutive_failures, 5);
}

// --- share refresh (docs/protocol.md §7) ---------------------------------------------

TEST_P(StoreContractTest, ShareRefreshCountsItsAttemptsAndConfirmReplacesTheShareInPlace) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  DeviceToken old_token;
  old_token.tenant_id = w.tenant_id;
  old_token.token_hash = Bytes{0xd0, 0x01};
  old_token.holder_id = w.holder_id;
  old_token.created_at = kNow;
  ASSERT_TRUE(store_->create_device_token({}, old_token).ok());

  ShareRefresh r = refresh_for(key, "ref_contract_1");
  r.sealed_rho = Bytes{0x01, 0x02};  // ignored: begin stores no sealed values
  r.pending_share_ciphertext = Bytes{0x77, 0x88};
  auto counted = store_->begin_refresh_attempt({}, r, "att_req_1", 0, simple_pin_rule(), kNow);
  ASSERT_TRUE(counted.ok()) << counted.error().to_string();
  EXPECT_EQ(counted->consecutive_failures, 1);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 1) << "a refresh request counts";
  auto got = store_->get_share_refresh(w.tenant_id, r.refresh_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, RefreshState::kAbandoned) << "nothing usable before the proof verifies";
  EXPECT_TRUE(got->sealed_rho.empty());
  EXPECT_TRUE(got->pending_share_ciphertext.empty());
  // A used refresh id is refused before anything is counted.
  bool asked = false;
  PinAttemptRule watching = [&](const PinAttemptCounters& before) -> Result<PinAttemptCounters> {
    asked = true;
    return simple_pin_rule()(before);
  };
  EXPECT_EQ(kind(store_->begin_refresh_attempt({}, r, "att_req_2", 0, watching, kNow)), StoreError::kDuplicate);
  EXPECT_FALSE(asked);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 1) << "a refused begin counts nothing";

  EXPECT_EQ(store_->accept_refresh_attempt({}, w.tenant_id, r.refresh_id, "att_req_1", {}, kNow).code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(
      store_->accept_refresh_attempt({}, w.tenant_id, r.refresh_id, "att_req_1", r.pending_share_ciphertext, kNow)
          .ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0) << "the valid proof resets";
  EXPECT_EQ(kind(store_->accept_refresh_attempt({}, w.tenant_id, r.refresh_id, "att_req_1", Bytes{1}, kNow)),
            StoreError::kConflict)
      << "once";
  got = store_->get_share_refresh(w.tenant_id, r.refresh_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, RefreshState::kOpen);
  EXPECT_EQ(got->key_id, key.key_id);
  EXPECT_EQ(got->pending_share_ciphertext, r.pending_share_ciphertext);
  EXPECT_EQ(got->created_at, kNow);
  EXPECT_FALSE(got->confirmed_at.has_value());
  EXPECT_EQ(ok_value(store_->get_active_holder_key(w.tenant_id, w.holder_id)).service_share_ciphertext,
            key.service_share_ciphertext) << "the old share stays until the confirm";
  EXPECT_EQ(kind(store_->get_share_refresh("other", r.refresh_id)), StoreError::kNotFound);

  // The confirm counts an attempt too, then ends it.
  EXPECT_EQ(kind(store_->begin_confirm_attempt({}, w.tenant_id, "hld_other", r.refresh_id, "att_cfm_1", kNow - 600, 0,
                                               watching, kNow + 1)),
            StoreError::kNotFound)
      << "another holder's refresh";
  EXPECT_FALSE(asked);
  ASSERT_TRUE(store_
                  ->begin_confirm_attempt({}, w.tenant_id, w.holder_id, r.refresh_id, "att_cfm_1", kNow - 600, 0,
                                          simple_pin_rule(), kNow + 1)
                  .ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 1);
  DeviceToken new_token = old_token;
  new_token.token_hash = Bytes{0xd0, 0x02};
  new_token.created_at = kNow + 1;
  ASSERT_TRUE(store_->confirm_share_refresh({}, w.tenant_id, r.refresh_id, "att_cfm_1", new_token, kNow + 1).ok());
  auto active = store_->get_active_holder_key(w.tenant_id, w.holder_id);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->key_id, key.key_id) << "same key, share replaced in place";
  EXPECT_EQ(active->public_key_hex, key.public_key_hex);
  EXPECT_EQ(active->service_share_ciphertext, r.pending_share_ciphertext);
  EXPECT_EQ(kind(store_->find_device_token(old_token.token_hash)), StoreError::kNotFound);
  EXPECT_TRUE(store_->find_device_token(new_token.token_hash).ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
  got = store_->get_share_refresh(w.tenant_id, r.refresh_id);
  EXPECT_EQ(got->state, RefreshState::kConfirmed);
  EXPECT_EQ(got->confirmed_at, kNow + 1);

  // A confirmed refresh: refused before anything is counted.
  auto used = store_->begin_confirm_attempt({}, w.tenant_id, w.holder_id, r.refresh_id, "att_cfm_2", kNow - 600, 0,
                                            watching, kNow + 2);
  EXPECT_EQ(kind(used), StoreError::kConflict);
  EXPECT_NE(used.error().message.find("share refresh already confirmed"), std::string::npos) << used.error().message;
  EXPECT_FALSE(asked);
  DeviceToken third = old_token;
  third.token_hash = Bytes{0xd0, 0x03};
  Status again = store_->confirm_share_refresh({}, w.tenant_id, r.refresh_id, "att_cfm_2", third, kNow + 2);
  EXPECT_EQ(kind(again), StoreError::kConflict);
  EXPECT_NE(again.error().message.find("share refresh already confirmed"), std::string::npos) << again.error().message;
  EXPECT_EQ(kind(store_->find_device_token(third.token_hash)), StoreError::kNotFound) << "nothing written";
  EXPECT_TRUE(store_->find_device_token(new_token.token_hash).ok());
  EXPECT_EQ(kind(store_->begin_confirm_attempt({}, w.tenant_id, w.holder_id, "ref_unknown_1", "att_cfm_3", kNow - 600,
                                               0, watching, kNow)),
            StoreError::kNotFound);
  EXPECT_EQ(kind(store_->confirm_share_refresh({}, w.tenant_id, "ref_unknown_1", "att_cfm_3", third, kNow)),
            StoreError::kNotFound);
  EXPECT_FALSE(asked);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
}

TEST_P(StoreContractTest, ShareRefreshFailuresLockAndForeignOrRevokedKeysAreRefused) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  World other = make_world("t2");
  for (int i = 1; i <= 3; ++i) {  // wrong PINs: each request's proof fails
    ShareRefresh bad = refresh_for(key, "ref_bad_" + std::to_string(i));
    const std::string attempt = "att_bad_" + std::to_string(i);
    ASSERT_TRUE(store_->begin_refresh_attempt({}, bad, attempt, 0, simple_pin_rule(3), kNow).ok()) << i;
    ASSERT_TRUE(
        store_->fail_pin_attempt({}, w.tenant_id, attempt, /*lock_holder=*/i == 3, "", {}, std::nullopt, kNow).ok())
        << i;
    EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, i);
    EXPECT_EQ(ok_value(store_->get_share_refresh(w.tenant_id, bad.refresh_id)).state, RefreshState::kAbandoned);
  }
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).status, HolderStatus::kLocked);
  auto abandoned = store_->begin_confirm_attempt({}, w.tenant_id, w.holder_id, "ref_bad_1", "att_cfm", kNow - 600, 0,
                                                 simple_pin_rule(3), kNow);
  EXPECT_EQ(kind(abandoned), StoreError::kConflict);
  EXPECT_EQ(abandoned.error().message.find("already confirmed"), std::string::npos);
  EXPECT_EQ(kind(store_->accept_refresh_attempt({}, w.tenant_id, "ref_bad_1", "att_bad_1", Bytes{2}, kNow)),
            StoreError::kConflict)
      << "a failed attempt cannot open its refresh";

  ShareRefresh r = refresh_for(key, "ref_locked_1");
  auto locked = store_->begin_refresh_attempt({}, r, "att_locked", 0, simple_pin_rule(3), kNow);
  EXPECT_EQ(locked.code(), ErrorCode::kLocked);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 3);
  EXPECT_EQ(kind(store_->get_share_refresh(w.tenant_id, r.refresh_id)), StoreError::kNotFound);

  ASSERT_TRUE(store_->unlock_holder({}, w.tenant_id, w.holder_id).ok());
  ShareRefresh foreign = r;
  foreign.holder_id = other.holder_id;
  foreign.tenant_id = other.tenant_id;
  EXPECT_EQ(kind(store_->begin_refresh_attempt({}, foreign, "att_f", 0, simple_pin_rule(3), kNow)),
            StoreError::kNotFound)
      << "another tenant's key";
  EXPECT_EQ(store_->begin_refresh_attempt({}, r, "", 0, simple_pin_rule(3), kNow).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(store_->revoke_holder_key({}, w.tenant_id, key.key_id, kNow).ok());
  EXPECT_EQ(kind(store_->begin_refresh_attempt({}, r, "att_r", 0, simple_pin_rule(3), kNow)), StoreError::kConflict)
      << "revoked key";
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
  EXPECT_EQ(ok_value(store_->get_holder(other.tenant_id, other.holder_id)).failed_attempts, 0);
}

TEST_P(StoreContractTest, AnExpiredRefreshIsAbandonedAtTheConfirmWithItsShareWiped) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  ShareRefresh r = refresh_for(key, new_id("ref_"));
  ASSERT_TRUE(store_->begin_refresh_attempt({}, r, "att_req", 0, simple_pin_rule(), kNow).ok());
  ASSERT_TRUE(store_->accept_refresh_attempt({}, w.tenant_id, r.refresh_id, "att_req", Bytes{0x77}, kNow).ok());
  bool asked = false;
  PinAttemptRule watching = [&](const PinAttemptCounters& before) -> Result<PinAttemptCounters> {
    asked = true;
    return simple_pin_rule()(before);
  };
  // Refreshes created at or before open_since have expired.
  auto late = store_->begin_confirm_attempt({}, w.tenant_id, w.holder_id, r.refresh_id, "att_late", kNow, 0, watching,
                                            kNow + 601);
  EXPECT_EQ(late.code(), ErrorCode::kExpired);
  EXPECT_FALSE(asked) << "refused before anything is counted";
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
  auto got = store_->get_share_refresh(w.tenant_id, r.refresh_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, RefreshState::kAbandoned) << "the refusal committed";
  EXPECT_TRUE(got->pending_share_ciphertext.empty()) << "pending share wiped";
  EXPECT_TRUE(got->sealed_rho.empty());
  auto again = store_->begin_confirm_attempt({}, w.tenant_id, w.holder_id, r.refresh_id, "att_late", kNow - 600, 0,
                                             watching, kNow + 602);
  EXPECT_EQ(kind(again), StoreError::kConflict);
  EXPECT_FALSE(asked);
  DeviceToken t;
  t.tenant_id = w.tenant_id;
  t.token_hash = Bytes{0xd8, 0x01};
  t.holder_id = w.holder_id;
  EXPECT_EQ(kind(store_->confirm_share_refresh({}, w.tenant_id, r.refresh_id, "att_late", t, kNow + 602)),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->get_active_holder_key(w.tenant_id, w.holder_id)).service_share_ciphertext,
            key.service_share_ciphertext);
  EXPECT_EQ(kind(store_->accept_refresh_attempt({}, w.tenant_id, r.refresh_id, "att_req", Bytes{0x78}, kNow)),
            StoreError::kConflict)
      << "an ended attempt cannot reopen it";
}

// --- sessions and orders, continued -------------------------------------------------

TEST_P(StoreContractTest, FinishOrderSignsAndEnqueuesCallback) {
  World w = make_world("t");
  SignOrder o = create(order_for(w, 2));
  SignSession failed = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, failed, kNow).ok());
  ASSERT_TRUE(store_
                  ->fail_pin_attempt({}, w.tenant_id, attempt_id_for(failed), false, failed.session_id, {},
                                     callback_for(o, "failed"), kNow)
                  .ok());
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, OrderState::kSigning) << "not locked: goes on";
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 1);
  SignSession s = session_for(o);
  ASSERT_TRUE(open_session(*store_, s, kNow + 1).ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0) << "the valid PIN proof resets";
  auto stored = store_->get_sign_session(w.tenant_id, s.session_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->r_values, s.r_values);
  EXPECT_EQ(stored->state, SessionState::kOpen);

  EXPECT_EQ(store_->finish_order({}, w.tenant_id, o.order_id, s.session_id, sigs(1), std::nullopt, kNow + 2).code(),
            ErrorCode::kInvalidArgument)
      << "one signature per item";
  CallbackJob cb = callback_for(o, R"({"state":"signed"})");
  ASSERT_TRUE(store_->finish_order({}, w.tenant_id, o.order_id, s.session_id, sigs(2), cb, kNow + 2).ok());

  auto done = store_->get_order(w.tenant_id, o.order_id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, OrderState::kSigned);
  EXPECT_EQ(done->items[0].signature, sigs(2)[0]);
  EXPECT_EQ(done->items[1].signature, sigs(2)[1]);
  EXPECT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).state, SessionState::kFinished);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
  auto job = store_->get_callback(w.tenant_id, cb.job_id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(ok_value(store_->claim_due_callbacks({}, "w", kNow + 2, 30, 10)).size(), 1u)
      << "fail_pin_attempt enqueued nothing while the order went on";
  EXPECT_EQ(job->payload, R"({"state":"signed"})");
  EXPECT_EQ(job->order_id, o.order_id);

  // Final: nothing moves a signed order again.
  EXPECT_EQ(kind(store_->finish_order({}, w.tenant_id, o.order_id, s.session_id, sigs(2), std::nullopt, kNow + 3)),
            StoreError::kConflict);
  EXPECT_EQ(kind(store_->reject_order({}, w.tenant_id, o.order_id, std::nullopt, kNow + 3)), StoreError::kConflict);
  EXPECT_EQ(kind(begin_sign(*store_, session_for(o), kNow + 3)), StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0) << "a refused begin counts nothing";
  EXPECT_TRUE(ok_value(store_->list_open_orders(w.tenant_id, w.holder_id, kNow + 3, 10)).empty());
}

// The counters belong to the PIN proof (accept_sign_attempt), not to the
// signature; and only a failure locks, so the right PIN on the last attempt
// leaves the holder active.
TEST_P(StoreContractTest, AValidProofOnTheLastAttemptResetsTheCountAndNeverLocks) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession s = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, s, kNow, 1).ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).status, HolderStatus::kActive);
  EXPECT_EQ(begin_sign(*store_, session_for(o), kNow, 1).code(), ErrorCode::kLocked) << "at most N at once";
  ASSERT_TRUE(store_->accept_sign_attempt({}, w.tenant_id, s.session_id, attempt_id_for(s), s.r_values, kNow).ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
  EXPECT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).r_values, s.r_values);
  ASSERT_TRUE(store_->finish_order({}, w.tenant_id, o.order_id, s.session_id, sigs(1), std::nullopt, kNow).ok());
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_OK(h);
  EXPECT_EQ(h->status, HolderStatus::kActive);
  EXPECT_EQ(h->failed_attempts, 0);

  // A pending attempt of another order is not reset by a finish either.
  World v = make_world("v");
  SignOrder first = create(order_for(v)), second = create(order_for(v));
  SignSession done = session_for(first), pending = session_for(second);
  ASSERT_TRUE(open_session(*store_, done, kNow).ok());
  ASSERT_TRUE(begin_sign(*store_, pending, kNow).ok());
  ASSERT_TRUE(store_->finish_order({}, v.tenant_id, first.order_id, done.session_id, sigs(1), std::nullopt, kNow).ok());
  EXPECT_EQ(ok_value(store_->get_holder(v.tenant_id, v.holder_id)).failed_attempts, 1);
}

TEST_P(StoreContractTest, StateChangeAndItsCallbackAreOneTransaction) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession s = session_for(o);
  ASSERT_TRUE(open_session(*store_, s, kNow).ok());
  CallbackJob bad = callback_for(o, "{}");
  bad.url.clear();  // refused by the store after the order update ran
  EXPECT_FALSE(store_->finish_order({}, w.tenant_id, o.order_id, s.session_id, sigs(1), bad, kNow).ok());
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, OrderState::kSigning);
  EXPECT_TRUE(ok_value(store_->get_order(w.tenant_id, o.order_id)).items[0].signature.empty());
  EXPECT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).state, SessionState::kOpen);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
  EXPECT_TRUE(ok_value(store_->claim_due_callbacks({}, "w", kNow, 30, 10)).empty());
  EXPECT_TRUE(store_->finish_order({}, w.tenant_id, o.order_id, s.session_id, sigs(1), std::nullopt, kNow).ok());
}

TEST_P(StoreContractTest, ExactlyOneOfConcurrentFinishesWins) {
  World w = make_world("t");
  for (int round = 0; round < 8; ++round) {
    SignOrder o = create(order_for(w));
    SignSession s1 = session_for(o), s2 = session_for(o);
    ASSERT_TRUE(open_session(*store_, s1, kNow).ok());
    ASSERT_TRUE(open_session(*store_, s2, kNow).ok());
    std::atomic<int> wins{0}, conflicts{0};
    std::latch go(2);
    auto finisher = [&](const SignSession& s, uint8_t tag) {
      go.arrive_and_wait();
      Status r =
          store_->finish_order({}, w.tenant_id, o.order_id, s.session_id, sigs(1, tag), callback_for(o, "{}"), kNow);
      if (r.ok()) ++wins;
      else if (store_error_kind(r) == StoreError::kConflict) ++conflicts;
    };
    std::thread t1(finisher, s1, 0x01), t2(finisher, s2, 0x02);
    t1.join();
    t2.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), 1) << "round " << round;
    auto done = store_->get_order(w.tenant_id, o.order_id);
    ASSERT_OK(done);
    EXPECT_EQ(done->state, OrderState::kSigned);
    int finished = 0;
    for (const auto& s : {s1, s2})
      finished += ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).state == SessionState::kFinished;
    EXPECT_EQ(finished, 1);
  }
  auto jobs = store_->claim_due_callbacks({}, "w", kNow, 30, 100);
  ASSERT_OK(jobs);
  EXPECT_EQ(jobs->size(), 8u) << "one callback per order, from the winner only";
}

TEST_P(StoreContractTest, RejectAndCancel) {
  World w = make_world("t");
  SignOrder pending = create(order_for(w));
  ASSERT_TRUE(store_->cancel_order({}, w.tenant_id, pending.order_id, callback_for(pending, "c"), kNow).ok());
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, pending.order_id)).state, OrderState::kCancelled);
  EXPECT_EQ(kind(store_->cancel_order({}, w.tenant_id, pending.order_id, std::nullopt, kNow)), StoreError::kConflict);

  SignOrder signing = create(order_for(w));
  SignSession s = session_for(signing);
  ASSERT_TRUE(open_session(*store_, s, kNow).ok());
  EXPECT_EQ(kind(store_->cancel_order({}, w.tenant_id, signing.order_id, std::nullopt, kNow)), StoreError::kConflict);
  ASSERT_TRUE(store_->reject_order({}, w.tenant_id, signing.order_id, callback_for(signing, "r"), kNow).ok());
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, signing.order_id)).state, OrderState::kRejected);
  EXPECT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).state, SessionState::kFailed);
  EXPECT_EQ(kind(store_->finish_order({}, w.tenant_id, signing.order_id, s.session_id, sigs(1), std::nullopt, kNow)),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->claim_due_callbacks({}, "w", kNow, 30, 10)).size(), 2u);
}

TEST_P(StoreContractTest, ExpireOrdersMovesPastDueOrdersAndEnqueuesCallbacks) {
  World w = make_world("t");
  World other = make_world("other");
  SignOrder due_pending = create(order_for(w, 1, kNow + 10));
  SignOrder due_signing = create(order_for(other, 1, kNow + 20));
  SignSession s = session_for(due_signing);
  ASSERT_TRUE(open_session(*store_, s, kNow).ok());
  SignOrder no_callback = order_for(w, 1, kNow + 5);
  no_callback.callback_url.clear();
  create(no_callback);
  SignOrder future = create(order_for(w, 1, kNow + 1000));
  SignOrder signed_order = create(order_for(w, 1, kNow + 10));
  SignSession s2 = session_for(signed_order);
  ASSERT_TRUE(open_session(*store_, s2, kNow).ok());
  ASSERT_TRUE(
      store_->finish_order({}, w.tenant_id, signed_order.order_id, s2.session_id, sigs(1), std::nullopt, kNow).ok());

  const UnixSeconds later = kNow + 20;
  // Past expiry, nothing else may move the order or start a session.
  EXPECT_EQ(kind(begin_sign(*store_, session_for(due_pending), later)), StoreError::kConflict);
  EXPECT_EQ(
      kind(store_->finish_order({}, other.tenant_id, due_signing.order_id, s.session_id, sigs(1), std::nullopt, later)),
      StoreError::kConflict);
  EXPECT_EQ(kind(store_->reject_order({}, w.tenant_id, due_pending.order_id, std::nullopt, later)),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->list_open_orders(w.tenant_id, w.holder_id, later, 10)).size(), 1u);

  int factory_calls = 0;
  auto expired = store_->expire_orders({}, later, 100, [&](const SignOrder& o) -> std::optional<CallbackJob> {
    ++factory_calls;
    EXPECT_EQ(o.state, OrderState::kExpired);
    if (o.callback_url.empty()) return std::nullopt;
    return callback_for(o, "expired:" + o.order_id);
  });
  ASSERT_TRUE(expired.ok()) << expired.error().to_string();
  std::set<std::string> ids;
  for (const auto& o : *expired) ids.insert(o.order_id);
  EXPECT_EQ(ids, (std::set<std::string>{due_pending.order_id, due_signing.order_id, no_callback.order_id}));
  EXPECT_EQ(factory_calls, 3);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, due_pending.order_id)).state, OrderState::kExpired);
  EXPECT_EQ(ok_value(store_->get_order(other.tenant_id, due_signing.order_id)).state, OrderState::kExpired);
  EXPECT_EQ(ok_value(store_->get_sign_session(other.tenant_id, s.session_id)).state, SessionState::kFailed);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, future.order_id)).state, OrderState::kPending);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, signed_order.order_id)).state, OrderState::kSigned);

  auto jobs = store_->claim_due_callbacks({}, "w", later, 30, 100);
  ASSERT_TRUE(jobs.ok());
  std::set<std::string> payloads;
  for (const auto& j : *jobs) payloads.insert(j.payload);
  EXPECT_EQ(payloads, (std::set<std::string>{"expired:" + due_pending.order_id, "expired:" + due_signing.order_id}));

  EXPECT_TRUE(ok_value(store_->expire_orders({}, later, 100, nullptr)).empty()) << "a second sweep finds nothing";
}

TEST_P(StoreContractTest, ExpireOrdersRollsBackWhenACallbackCannotBeEnqueued) {
  World w = make_world("t");
  SignOrder o = create(order_for(w, 1, kNow + 10));
  auto r = store_->expire_orders({}, kNow + 10, 100, [&](const SignOrder& order) -> std::optional<CallbackJob> {
    CallbackJob bad = callback_for(order, "{}");
    bad.url.clear();
    return bad;
  });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, OrderState::kPending);
}

// --- nonces -------------------------------------------------------------------------

TEST_P(StoreContractTest, NonceReuseIsRefusedUntilPruned) {
  World a = make_world("a");
  World b = make_world("b");
  ASSERT_TRUE(store_->insert_nonce({}, a.tenant_id, a.app_id, "n-1", kNow).ok());
  EXPECT_EQ(kind(store_->insert_nonce({}, a.tenant_id, a.app_id, "n-1", kNow + 1)), StoreError::kDuplicate);
  EXPECT_TRUE(store_->insert_nonce({}, b.tenant_id, b.app_id, "n-1", kNow).ok()) << "nonces are per app";
  ASSERT_TRUE(store_->insert_nonce({}, a.tenant_id, a.app_id, "n-2", kNow + 400).ok());
  auto pruned = store_->prune_nonces({}, kNow + 400 - 300);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2u);
  EXPECT_EQ(kind(store_->insert_nonce({}, a.tenant_id, a.app_id, "n-2", kNow + 401)), StoreError::kDuplicate);
  EXPECT_TRUE(store_->insert_nonce({}, a.tenant_id, a.app_id, "n-1", kNow + 401).ok());
}

TEST_P(StoreContractTest, ConcurrentNonceInsertsAcceptExactlyOne) {
  World w = make_world("t");
  constexpr int kThreads = 4;
  std::atomic<int> ok{0}, dup{0};
  run_together(kThreads, [&](int) {
    Status s = store_->insert_nonce({}, w.tenant_id, w.app_id, "race", kNow);
    if (s.ok()) ++ok;
    else if (store_error_kind(s) == StoreError::kDuplicate) ++dup;
  });
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(dup.load(), kThreads - 1);
}

// A context's request nonce (write_context.h) commits with the first write
// transaction; a nonce seen before fails that write with kUnauthenticated and
// changes nothing; a write that fails leaves the nonce unrecorded.
TEST_P(StoreContractTest, BoundRequestNonceCommitsWithTheFirstWrite) {
  World w = make_world("t");
  PendingNonce nonce{w.tenant_id, w.app_id, "bound-1", kNow, false};
  SignOrder first = order_for(w);
  {
    const WriteContext bound{nullptr, &nonce};
    ASSERT_TRUE(store_->create_order(bound, first).ok());
    EXPECT_TRUE(nonce.recorded);
    EXPECT_EQ(bound.unrecorded_nonce(), nullptr);
  }
  // It is in the table: inserting it again is a duplicate.
  EXPECT_EQ(store_error_kind(store_->insert_nonce({}, w.tenant_id, w.app_id, "bound-1", kNow)), StoreError::kDuplicate);

  // The same nonce bound again: the write is refused and nothing is created.
  PendingNonce replay{w.tenant_id, w.app_id, "bound-1", kNow, false};
  SignOrder second = order_for(w);
  {
    const WriteContext bound{nullptr, &replay};
    auto r = store_->create_order(bound, second);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), ErrorCode::kUnauthenticated);
    EXPECT_FALSE(replay.recorded);
  }
  EXPECT_EQ(store_->get_order(w.tenant_id, second.order_id).code(), ErrorCode::kNotFound);

  // A write that fails rolls the nonce back with it.
  PendingNonce failing{w.tenant_id, w.app_id, "bound-2", kNow, false};
  {
    const WriteContext bound{nullptr, &failing};
    SignOrder dup = first;  // same order id: the insert fails
    dup.idempotency_key.clear();
    EXPECT_FALSE(store_->create_order(bound, dup).ok());
    EXPECT_FALSE(failing.recorded);
    // Reads do not record it.
    EXPECT_TRUE(store_->get_order(w.tenant_id, first.order_id).ok());
    EXPECT_FALSE(failing.recorded);
  }
  EXPECT_TRUE(store_->insert_nonce({}, w.tenant_id, w.app_id, "bound-2", kNow).ok());
}

// --- callback queue -------------------------------------------------------------------

TEST_P(StoreContractTest, CallbackClaimLeaseAndDeliverOnce) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  CallbackJob j1 = callback_for(o, "one");
  CallbackJob j2 = callback_for(o, "two");
  j2.next_attempt_at = kNow + 100;
  ASSERT_TRUE(store_->enqueue_callback({}, j1).ok());
  ASSERT_TRUE(store_->enqueue_callback({}, j2).ok());

  auto a = store_->claim_due_callbacks({}, "worker-a", kNow, 30, 10);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u) << "j2 is not due yet";
  EXPECT_EQ((*a)[0].job_id, j1.job_id);
  EXPECT_EQ((*a)[0].attempts, 1);
  EXPECT_EQ((*a)[0].lease_owner, "worker-a");
  EXPECT_EQ((*a)[0].lease_until, kNow + 30);
  EXPECT_TRUE(ok_value(store_->claim_due_callbacks({}, "worker-b", kNow + 29, 30, 10)).empty()) << "leased";

  // The lease runs out; worker-b takes over, worker-a can no longer report failure.
  auto b = store_->claim_due_callbacks({}, "worker-b", kNow + 30, 30, 10);
  ASSERT_OK(b);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].attempts, 2);
  EXPECT_EQ(kind(store_->mark_callback_failed({}, w.tenant_id, j1.job_id, "worker-a", "timeout", kNow + 31)),
            StoreError::kConflict);
  ASSERT_TRUE(store_->mark_callback_failed({}, w.tenant_id, j1.job_id, "worker-b", "HTTP 503", kNow + 90).ok());
  auto failed = store_->get_callback(w.tenant_id, j1.job_id);
  ASSERT_OK(failed);
  EXPECT_EQ(failed->last_error, "HTTP 503");
  EXPECT_TRUE(failed->lease_owner.empty());
  EXPECT_FALSE(failed->lease_until.has_value());
  EXPECT_TRUE(ok_value(store_->claim_due_callbacks({}, "worker-c", kNow + 89, 30, 10)).empty()) << "backing off";

  auto c = store_->claim_due_callbacks({}, "worker-c", kNow + 100, 30, 10);
  ASSERT_OK(c);
  ASSERT_EQ(c->size(), 2u);
  ASSERT_TRUE(store_->mark_callback_delivered({}, w.tenant_id, j1.job_id, kNow + 101).ok());
  EXPECT_EQ(kind(store_->mark_callback_delivered({}, w.tenant_id, j1.job_id, kNow + 102)), StoreError::kConflict);
  EXPECT_EQ(kind(store_->mark_callback_failed({}, w.tenant_id, j1.job_id, "worker-c", "x", kNow)),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->get_callback(w.tenant_id, j1.job_id)).delivered_at, kNow + 101);
  EXPECT_EQ(kind(store_->mark_callback_delivered({}, w.tenant_id, "cbk_missing", kNow)), StoreError::kNotFound);

  // Delivered jobs are never claimed again, even after every lease ran out.
  auto later = store_->claim_due_callbacks({}, "worker-d", kNow + 1000, 30, 10);
  ASSERT_OK(later);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].job_id, j2.job_id);
}

TEST_P(StoreContractTest, ConcurrentClaimsLeaseEachJobToOneWorker) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  constexpr int kJobs = 40, kWorkers = 4;
  for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(store_->enqueue_callback({}, callback_for(o, std::to_string(i))).ok());
  std::vector<std::vector<CallbackJob>> got(kWorkers);
  run_together(kWorkers, [&](int i) {
    for (;;) {
      auto r = store_->claim_due_callbacks({}, "worker-" + std::to_string(i), kNow, 60, 3);
      if (!r.ok() || r->empty()) break;
      for (auto& j : *r) got[i].push_back(std::move(j));
    }
  });
  std::set<std::string> seen;
  size_t total = 0;
  for (const auto& list : got) {
    total += list.size();
    for (const auto& j : list) seen.insert(j.job_id);
  }
  EXPECT_EQ(total, static_cast<size_t>(kJobs));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kJobs));
}


// --- operator and business-system views ---------------------------------------------

TEST_P(StoreContractTest, ListTenantsAndAppsAreOrderedById) {
  World a = make_world("a");
  World b = make_world("b");
  auto tenants = store_->list_tenants();
  ASSERT_TRUE(tenants.ok()) << tenants.error().to_string();
  std::vector<std::string> ids;
  for (const Tenant& t : *tenants) ids.push_back(t.tenant_id);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::count(ids.begin(), ids.end(), a.tenant_id), 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), b.tenant_id), 1);
  for (const Tenant& t : *tenants)
    if (t.tenant_id == a.tenant_id) {
      EXPECT_EQ(t.name, "a");
    }

  App second;
  second.tenant_id = a.tenant_id;
  second.app_id = new_id("app_");
  second.secret_ciphertext = Bytes{4};
  second.environment = AppEnvironment::kProduction;
  ASSERT_TRUE(store_->create_app({}, second).ok());
  auto apps = store_->list_apps(a.tenant_id);
  ASSERT_TRUE(apps.ok());
  ASSERT_EQ(apps->size(), 2u);
  EXPECT_LT((*apps)[0].app_id, (*apps)[1].app_id);
  std::set<std::string> app_ids{(*apps)[0].app_id, (*apps)[1].app_id};
  EXPECT_EQ(app_ids, (std::set<std::string>{a.app_id, second.app_id}));
  for (const App& app : *apps) {
    EXPECT_EQ(app.tenant_id, a.tenant_id);
    if (app.app_id == second.app_id) {
      EXPECT_EQ(app.environment, AppEnvironment::kProduction);
    }
  }
  EXPECT_EQ(ok_value(store_->list_apps(b.tenant_id)).size(), 1u);
  EXPECT_TRUE(ok_value(store_->list_apps("ten_missing")).empty());
}

TEST_P(StoreContractTest, UpdateAppSecretReplacesTheCiphertext) {
  World w = make_world("t");
  ASSERT_TRUE(store_->update_app_secret({}, w.tenant_id, w.app_id, Bytes{9, 8, 7}).ok());
  EXPECT_EQ(ok_value(store_->get_app(w.tenant_id, w.app_id)).secret_ciphertext, (Bytes{9, 8, 7}));
  EXPECT_EQ(ok_value(store_->find_app(w.app_id)).secret_ciphertext, (Bytes{9, 8, 7}));
  EXPECT_EQ(kind(store_->update_app_secret({}, w.tenant_id, "app_missing", Bytes{1})), StoreError::kNotFound);
  EXPECT_EQ(store_->update_app_secret({}, w.tenant_id, "app_missing", Bytes{1}).code(), ErrorCode::kNotFound);
  reopen();
  EXPECT_EQ(ok_value(store_->get_app(w.tenant_id, w.app_id)).secret_ciphertext, (Bytes{9, 8, 7}));
}

TEST_P(StoreContractTest, LockHolderKeepsAttemptsAndRefusesSessions) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession s = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, s, kNow).ok());  // one attempt counted
  ASSERT_TRUE(store_->lock_holder({}, w.tenant_id, w.holder_id).ok());
  ASSERT_TRUE(store_->lock_holder({}, w.tenant_id, w.holder_id).ok()) << "locking a locked holder is fine";
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_OK(h);
  EXPECT_EQ(h->status, HolderStatus::kLocked);
  EXPECT_EQ(h->failed_attempts, 1) << "unchanged";
  auto refused = begin_sign(*store_, session_for(o), kNow);
  EXPECT_EQ(refused.code(), ErrorCode::kLocked);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 1) << "a refused begin counts nothing";
  EXPECT_EQ(kind(store_->lock_holder({}, w.tenant_id, "hld_missing")), StoreError::kNotFound);
  EXPECT_EQ(store_->lock_holder({}, w.tenant_id, "hld_missing").code(), ErrorCode::kNotFound);
  ASSERT_TRUE(store_->unlock_holder({}, w.tenant_id, w.holder_id).ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).status, HolderStatus::kActive);
}

TEST_P(StoreContractTest, ListHoldersPagesByHolderId) {
  World w = make_world("t");
  std::vector<std::string> all{w.holder_id};
  for (int i = 0; i < 6; ++i) {
    Holder h;
    h.tenant_id = w.tenant_id;
    h.holder_id = new_id("hld_");
    h.lookup_hash = Bytes(h.holder_id.begin(), h.holder_id.end());
    h.created_at = kNow;
    ASSERT_TRUE(store_->create_holder({}, h).ok());
    all.push_back(h.holder_id);
  }
  make_world("other");  // another tenant's holder never shows up
  std::sort(all.begin(), all.end());

  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto r = store_->list_holders(w.tenant_id, after, 3, std::nullopt);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    if (r->empty()) break;
    EXPECT_LE(r->size(), 3u);
    for (const Holder& h : *r) {
      EXPECT_EQ(h.tenant_id, w.tenant_id);
      seen.push_back(h.holder_id);
    }
    after = r->back().holder_id;
  }
  EXPECT_EQ(seen, all);
  auto from_middle = store_->list_holders(w.tenant_id, all[2], 100, std::nullopt);
  ASSERT_OK(from_middle);
  ASSERT_EQ(from_middle->size(), all.size() - 3);
  EXPECT_EQ((*from_middle)[0].holder_id, all[3]) << "strictly after the cursor";
  EXPECT_EQ(ok_value(store_->list_holders(w.tenant_id, "", 100, std::nullopt)).size(), all.size());
}

TEST_P(StoreContractTest, GetHolderKeyReturnsAnyState) {
  World w = make_world("t");
  HolderKeyShare k = key_for(w);
  k.public_key_hex = "04abcd";
  k.service_share_ciphertext = Bytes{7, 7};
  ASSERT_TRUE(store_->add_holder_key({}, k).ok());
  auto got = store_->get_holder_key(w.tenant_id, k.key_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->holder_id, w.holder_id);
  EXPECT_EQ(got->public_key_hex, "04abcd");
  EXPECT_EQ(got->service_share_ciphertext, (Bytes{7, 7}));
  EXPECT_FALSE(got->revoked_at.has_value());
  ASSERT_TRUE(store_->revoke_holder_key({}, w.tenant_id, k.key_id, kNow + 5).ok());
  got = store_->get_holder_key(w.tenant_id, k.key_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->revoked_at, kNow + 5);
  EXPECT_TRUE(got->service_share_ciphertext.empty()) << "shredded";
  EXPECT_EQ(got->public_key_hex, "04abcd");
  EXPECT_EQ(kind(store_->get_holder_key(w.tenant_id, "key_missing")), StoreError::kNotFound);
}

// --- list_orders ---------------------------------------------------------------------

TEST_P(StoreContractTest, ListOrdersNewestFirstWithCursor) {
  World w = make_world("t");
  World other = make_world("other");
  create(order_for(other));
  // Seven orders over four timestamps: ties on created_at are broken by order_id.
  std::vector<SignOrder> made;
  for (int i = 0; i < 7; ++i) {
    SignOrder o = order_for(w, 1 + (i % 2));
    o.created_at = kNow + i / 2;
    made.push_back(create(o));
  }
  std::vector<SignOrder> expected = made;
  std::sort(expected.begin(), expected.end(), [](const SignOrder& x, const SignOrder& y) {
    return x.created_at != y.created_at ? x.created_at > y.created_at : x.order_id > y.order_id;
  });

  std::vector<std::string> seen;
  OrderFilter f;
  f.limit = 3;
  int pages = 0;
  for (;;) {
    auto page = store_->list_orders(w.tenant_id, f);
    ASSERT_TRUE(page.ok()) << page.error().to_string();
    ++pages;
    EXPECT_LE(page->orders.size(), 3u);
    for (const SignOrder& o : page->orders) {
      EXPECT_EQ(o.tenant_id, w.tenant_id);
      EXPECT_FALSE(o.items.empty()) << "orders come with their items";
      seen.push_back(o.order_id);
    }
    if (page->next_cursor.empty()) break;
    f.cursor = page->next_cursor;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  std::vector<std::string> want;
  for (const SignOrder& o : expected) want.push_back(o.order_id);
  EXPECT_EQ(seen, want);

  // An exact fit has no next page.
  OrderFilter all;
  all.limit = 7;
  auto exact = store_->list_orders(w.tenant_id, all);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->orders.size(), 7u);
  EXPECT_TRUE(exact->next_cursor.empty());
  EXPECT_EQ(exact->orders[0].items.size(), expected[0].items.size());
  EXPECT_EQ(ok_value(store_->list_orders(w.tenant_id, OrderFilter{})).orders.size(), 7u) << "default limit";

  // A cursor stays valid when newer orders arrive meanwhile.
  OrderFilter first;
  first.limit = 2;
  auto p1 = store_->list_orders(w.tenant_id, first);
  ASSERT_TRUE(p1.ok());
  SignOrder newer = order_for(w);
  newer.created_at = kNow + 100;
  create(newer);
  first.cursor = p1->next_cursor;
  auto p2 = store_->list_orders(w.tenant_id, first);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->orders.size(), 2u);
  EXPECT_EQ(p2->orders[0].order_id, want[2]);
}

TEST_P(StoreContractTest, ListOrdersFiltersByHolderAndState) {
  World w = make_world("t");
  Holder second;
  second.tenant_id = w.tenant_id;
  second.holder_id = new_id("hld_");
  second.lookup_hash = Bytes{0x5e, 0xc0};
  ASSERT_TRUE(store_->create_holder({}, second).ok());
  SignOrder a1 = create(order_for(w));
  SignOrder a2 = order_for(w);
  a2.created_at = kNow + 1;
  a2 = create(a2);
  SignOrder b1 = order_for(w);
  b1.holder_id = second.holder_id;
  b1.created_at = kNow + 2;
  b1 = create(b1);
  ASSERT_TRUE(store_->cancel_order({}, w.tenant_id, a1.order_id, std::nullopt, kNow).ok());

  OrderFilter by_holder;
  by_holder.holder_id = w.holder_id;
  auto r = store_->list_orders(w.tenant_id, by_holder);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->orders.size(), 2u);
  EXPECT_EQ(r->orders[0].order_id, a2.order_id);
  EXPECT_EQ(r->orders[1].order_id, a1.order_id);

  OrderFilter by_state;
  by_state.state = OrderState::kPending;
  r = store_->list_orders(w.tenant_id, by_state);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->orders.size(), 2u);
  EXPECT_EQ(r->orders[0].order_id, b1.order_id);
  EXPECT_EQ(r->orders[1].order_id, a2.order_id);

  OrderFilter both;
  both.holder_id = w.holder_id;
  both.state = OrderState::kCancelled;
  r = store_->list_orders(w.tenant_id, both);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->orders.size(), 1u);
  EXPECT_EQ(r->orders[0].order_id, a1.order_id);
  EXPECT_EQ(r->orders[0].state, OrderState::kCancelled);

  // Paging with a filter stays within the filter.
  OrderFilter paged = by_holder;
  paged.limit = 1;
  auto p1 = store_->list_orders(w.tenant_id, paged);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->orders.size(), 1u);
  ASSERT_FALSE(p1->next_cursor.empty());
  paged.cursor = p1->next_cursor;
  auto p2 = store_->list_orders(w.tenant_id, paged);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->orders.size(), 1u);
  EXPECT_EQ(p2->orders[0].order_id, a1.order_id);
  EXPECT_TRUE(p2->next_cursor.empty());

  OrderFilter nobody;
  nobody.holder_id = "hld_missing";
  EXPECT_TRUE(ok_value(store_->list_orders(w.tenant_id, nobody)).orders.empty());
}

TEST_P(StoreContractTest, ListOrdersRefusesAMalformedCursor) {
  World w = make_world("t");
  create(order_for(w));
  for (const char* bad : {"garbage", ":", "12:", ":ord_x", "x1:ord_x", "1x:ord_x", "99999999999999999999999:ord_x"}) {
    OrderFilter f;
    f.cursor = bad;
    auto r = store_->list_orders(w.tenant_id, f);
    EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(kind(r), std::nullopt) << bad;
  }
  OrderFilter zero;
  zero.limit = 0;
  EXPECT_EQ(store_->list_orders(w.tenant_id, zero).code(), ErrorCode::kInvalidArgument);
}

// --- enrollment ------------------------------------------------------------------------

namespace {

ActivationCode code_for(const std::string& tenant, const std::string& holder, Bytes hash,
                        UnixSeconds expires_at, int attempts) {
  ActivationCode code;
  code.tenant_id = tenant;
  code.code_id = new_id("act_");
  code.holder_id = holder;
  code.code_hash = std::move(hash);
  code.expires_at = expires_at;
  code.attempts_left = attempts;
  code.created_at = StoreContractTest::kNow;
  return code;
}

ActivationCompletion completion_for(const ActivationCode& code, UnixSeconds now, uint8_t tag) {
  ActivationCompletion c;
  c.tenant_id = code.tenant_id;
  c.code_id = code.code_id;
  c.key.tenant_id = code.tenant_id;
  c.key.key_id = new_id("key_");
  c.key.holder_id = code.holder_id;
  c.key.public_key_hex = "04" + std::to_string(tag);
  c.key.service_share_ciphertext = Bytes{tag, tag, tag};
  c.key.created_at = now;
  c.token.tenant_id = code.tenant_id;
  c.token.token_hash = Bytes{0x70, tag};
  c.token.holder_id = code.holder_id;
  c.token.created_at = now;
  c.now = now;
  return c;
}

}  // namespace

TEST_P(StoreContractTest, CompleteActivationReplacesKeyAndTokensAndUnlocks) {
  World w = make_world("t");
  // The holder's current enrollment: a key and two device tokens; locked out.
  HolderKeyShare old_key = add_key(w);
  for (uint8_t i : {1, 2}) {
    DeviceToken t;
    t.tenant_id = w.tenant_id;
    t.token_hash = Bytes{0xee, i};
    t.holder_id = w.holder_id;
    ASSERT_TRUE(store_->create_device_token({}, t).ok());
  }
  SignOrder o = create(order_for(w));
  SignSession last = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, last, kNow, 1).ok());
  ASSERT_TRUE(store_
                  ->fail_pin_attempt({}, w.tenant_id, attempt_id_for(last), /*lock_holder=*/true, last.session_id, {},
                                     std::nullopt, kNow)
                  .ok());
  ASSERT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).status, HolderStatus::kLocked);
  // An unlock forced a refresh, then the business system locked again.
  ASSERT_TRUE(store_->unlock_holder({}, w.tenant_id, w.holder_id).ok());
  ASSERT_TRUE(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).refresh_required);
  ASSERT_TRUE(store_->lock_holder({}, w.tenant_id, w.holder_id).ok());
  // Another holder's credentials are untouched.
  Holder bystander;
  bystander.tenant_id = w.tenant_id;
  bystander.holder_id = new_id("hld_");
  bystander.lookup_hash = Bytes{0xb7};
  ASSERT_TRUE(store_->create_holder({}, bystander).ok());
  DeviceToken their_token;
  their_token.tenant_id = w.tenant_id;
  their_token.token_hash = Bytes{0xb7, 0x01};
  their_token.holder_id = bystander.holder_id;
  ASSERT_TRUE(store_->create_device_token({}, their_token).ok());

  ActivationCode code = code_for(w.tenant_id, w.holder_id, Bytes{0xac, 0x01}, kNow + 300, 3);
  ASSERT_TRUE(store_->create_activation_code({}, code).ok());
  ActivationCompletion c = completion_for(code, kNow + 10, 0x42);
  ASSERT_TRUE(store_->complete_activation({}, c).ok());

  EXPECT_EQ(ok_value(store_->find_activation_code(code.code_hash)).used_at, kNow + 10);
  auto old = store_->get_holder_key(w.tenant_id, old_key.key_id);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->revoked_at, kNow + 10);
  EXPECT_TRUE(old->service_share_ciphertext.empty()) << "old share shredded";
  auto active = store_->get_active_holder_key(w.tenant_id, w.holder_id);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->key_id, c.key.key_id);
  EXPECT_EQ(active->service_share_ciphertext, c.key.service_share_ciphertext);
  EXPECT_EQ(kind(store_->find_device_token(Bytes{0xee, 1})), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->find_device_token(Bytes{0xee, 2})), StoreError::kNotFound);
  auto token = store_->find_device_token(c.token.token_hash);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->holder_id, w.holder_id);
  EXPECT_FALSE(token->revoked_at.has_value());
  EXPECT_TRUE(store_->find_device_token(their_token.token_hash).ok());
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_OK(h);
  EXPECT_EQ(h->status, HolderStatus::kActive);
  EXPECT_EQ(h->failed_attempts, 0);
  EXPECT_FALSE(h->refresh_required) << "a new enrollment is a new device state";
  // The failure against the revoked key left the budget: the next PIN use
  // sees an empty window.
  int seen_window = -1;
  SignOrder next_order = create(order_for(w));
  SignSession next = session_for(next_order);
  auto counted = store_->begin_sign_attempt(
      {}, next, attempt_id_for(next), 0,
      [&](const PinAttemptCounters& before) -> Result<PinAttemptCounters> {
        seen_window = before.failures_in_window;
        PinAttemptCounters after = before;
        ++after.consecutive_failures;
        ++after.failures_in_window;
        return after;
      },
      kNow + 11);
  ASSERT_TRUE(counted.ok()) << counted.error().to_string();
  EXPECT_EQ(seen_window, 0) << "failures against the revoked key are forgiven";

  // A first enrollment (no key, no token yet) works the same way.
  World fresh = make_world("fresh");
  ActivationCode first = code_for(fresh.tenant_id, fresh.holder_id, Bytes{0xac, 0x02}, kNow + 300, 1);
  ASSERT_TRUE(store_->create_activation_code({}, first).ok());
  ActivationCompletion fc = completion_for(first, kNow, 0x43);
  ASSERT_TRUE(store_->complete_activation({}, fc).ok());
  EXPECT_EQ(ok_value(store_->get_active_holder_key(fresh.tenant_id, fresh.holder_id)).key_id, fc.key.key_id);
}

TEST_P(StoreContractTest, CompleteActivationRefusesUnusableCodes) {
  World w = make_world("t");
  Holder other;
  other.tenant_id = w.tenant_id;
  other.holder_id = new_id("hld_");
  other.lookup_hash = Bytes{0x0f};
  ASSERT_TRUE(store_->create_holder({}, other).ok());

  ActivationCode expired = code_for(w.tenant_id, w.holder_id, Bytes{0xa1}, kNow + 10, 3);
  ActivationCode spent = code_for(w.tenant_id, w.holder_id, Bytes{0xa2}, kNow + 300, 1);
  ActivationCode theirs = code_for(w.tenant_id, other.holder_id, Bytes{0xa3}, kNow + 300, 3);
  ActivationCode used = code_for(w.tenant_id, w.holder_id, Bytes{0xa4}, kNow + 300, 3);
  for (const auto* code : {&expired, &spent, &theirs, &used})
    ASSERT_TRUE(store_->create_activation_code({}, *code).ok());
  ASSERT_EQ(*store_->spend_activation_attempt({}, w.tenant_id, spent.code_id), 0);
  ASSERT_TRUE(store_->use_activation_code({}, w.tenant_id, used.code_id, kNow).ok());

  auto conflict_of = [&](const ActivationCompletion& c) {
    Status s = store_->complete_activation({}, c);
    EXPECT_EQ(s.code(), ErrorCode::kConflict);
    return kind(s);
  };
  EXPECT_EQ(conflict_of(completion_for(expired, kNow + 10, 1)), StoreError::kConflict) << "expired";
  EXPECT_EQ(conflict_of(completion_for(spent, kNow, 2)), StoreError::kConflict) << "no attempts left";
  EXPECT_EQ(conflict_of(completion_for(used, kNow, 3)), StoreError::kConflict) << "already used";
  ActivationCompletion wrong_holder = completion_for(theirs, kNow, 4);
  wrong_holder.key.holder_id = w.holder_id;  // the code is other's
  wrong_holder.token.holder_id = w.holder_id;
  EXPECT_EQ(conflict_of(wrong_holder), StoreError::kConflict) << "another holder's code";
  ActivationCompletion unknown = completion_for(expired, kNow, 5);
  unknown.code_id = "act_missing";
  EXPECT_EQ(kind(store_->complete_activation({}, unknown)), StoreError::kNotFound);
  EXPECT_EQ(store_->complete_activation({}, unknown).code(), ErrorCode::kNotFound);

  // Malformed completions.
  ActivationCompletion bad = completion_for(theirs, kNow, 6);
  bad.key.service_share_ciphertext.clear();
  EXPECT_EQ(store_->complete_activation({}, bad).code(), ErrorCode::kInvalidArgument);
  bad = completion_for(theirs, kNow, 6);
  bad.token.holder_id = w.holder_id;
  EXPECT_EQ(store_->complete_activation({}, bad).code(), ErrorCode::kInvalidArgument);
  bad = completion_for(theirs, kNow, 6);
  bad.key.tenant_id = "ten_other";
  EXPECT_EQ(store_->complete_activation({}, bad).code(), ErrorCode::kInvalidArgument);

  // A key id that is taken rolls the whole completion back.
  HolderKeyShare taken = add_key(w);
  ActivationCompletion clash = completion_for(theirs, kNow, 7);
  clash.key.key_id = taken.key_id;
  EXPECT_EQ(kind(store_->complete_activation({}, clash)), StoreError::kDuplicate);
  EXPECT_FALSE(ok_value(store_->find_activation_code(theirs.code_hash)).used_at.has_value());
  EXPECT_EQ(kind(store_->find_device_token(clash.token.token_hash)), StoreError::kNotFound);
  EXPECT_TRUE(store_->get_active_holder_key(w.tenant_id, w.holder_id).ok()) << "w's key untouched";

  // Nothing above changed any state.
  EXPECT_TRUE(store_->complete_activation({}, completion_for(theirs, kNow, 8)).ok());
  EXPECT_EQ(kind(store_->get_active_holder_key(w.tenant_id, w.holder_id)), std::nullopt);
}

TEST_P(StoreContractTest, ExactlyOneOfConcurrentActivationCompletionsWins) {
  World w = make_world("t");
  constexpr int kThreads = 4;
  for (int round = 0; round < 4; ++round) {
    ActivationCode code = code_for(w.tenant_id, w.holder_id, Bytes{0xcc, static_cast<uint8_t>(round)}, kNow + 300, 3);
    ASSERT_TRUE(store_->create_activation_code({}, code).ok());
    std::vector<ActivationCompletion> attempts;
    for (int i = 0; i < kThreads; ++i)
      attempts.push_back(completion_for(code, kNow, static_cast<uint8_t>(round * kThreads + i)));
    std::atomic<int> wins{0}, conflicts{0};
    std::vector<int> won(kThreads, 0);
    run_together(kThreads, [&](int i) {
      Status s = store_->complete_activation({}, attempts[i]);
      if (s.ok()) {
        ++wins;
        won[i] = 1;
      } else if (store_error_kind(s) == StoreError::kConflict) {
        ++conflicts;
      }
    });
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), kThreads - 1) << "round " << round;
    int winner = static_cast<int>(std::find(won.begin(), won.end(), 1) - won.begin());
    ASSERT_LT(winner, kThreads);
    EXPECT_EQ(ok_value(store_->get_active_holder_key(w.tenant_id, w.holder_id)).key_id, attempts[winner].key.key_id);
    for (int i = 0; i < kThreads; ++i) {
      EXPECT_EQ(store_->find_device_token(attempts[i].token.token_hash).ok(), i == winner) << i;
      if (i != winner) {
        EXPECT_EQ(kind(store_->get_holder_key(w.tenant_id, attempts[i].key.key_id)), StoreError::kNotFound);
      }
    }
  }
}

// --- lockout through fail_sign_session --------------------------------------------------

TEST_P(StoreContractTest, FailSignSessionOnLockoutFailsTheOrderAndEnqueuesItsCallback) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession s1 = session_for(o), s2 = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, s1, kNow, 2).ok());
  ASSERT_TRUE(begin_sign(*store_, s2, kNow, 2).ok());
  // The last attempt's proof failed elsewhere (no session named): locked now.
  ASSERT_TRUE(
      store_->fail_pin_attempt({}, w.tenant_id, attempt_id_for(s2), /*lock_holder=*/true, "", {}, std::nullopt, kNow)
          .ok());
  ASSERT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).status, HolderStatus::kLocked);
  CallbackJob cb = callback_for(o, R"({"state":"failed"})");
  auto after = store_->fail_sign_session({}, w.tenant_id, s1.session_id, cb, kNow + 1);
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(*after, OrderState::kFailed);
  expect_failed_with_sessions(o, kNow + 1, {s1, s2});
  auto job = store_->get_callback(w.tenant_id, cb.job_id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->payload, R"({"state":"failed"})");
  EXPECT_EQ(job->order_id, o.order_id);
  EXPECT_EQ(kind(store_->fail_sign_session({}, w.tenant_id, s2.session_id, cb, kNow + 1)), StoreError::kConflict);
  EXPECT_EQ(kind(store_->finish_order({}, w.tenant_id, o.order_id, s2.session_id, sigs(1), std::nullopt, kNow + 1)),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->claim_due_callbacks({}, "w", kNow + 1, 30, 10)).size(), 1u);
  ASSERT_TRUE(store_->mark_callback_delivered({}, w.tenant_id, cb.job_id, kNow + 2).ok());

  // A business-system lock ends the order on the next failure too; no callback given, none enqueued.
  World b = make_world("b");
  SignOrder bo = create(order_for(b));
  SignSession bs = session_for(bo);
  ASSERT_TRUE(begin_sign(*store_, bs, kNow).ok());
  ASSERT_TRUE(store_->lock_holder({}, b.tenant_id, b.holder_id).ok());
  EXPECT_EQ(*store_->fail_sign_session({}, b.tenant_id, bs.session_id, std::nullopt, kNow), OrderState::kFailed);
  EXPECT_EQ(ok_value(store_->get_holder(b.tenant_id, b.holder_id)).failed_attempts, 1);
  EXPECT_TRUE(ok_value(store_->claim_due_callbacks({}, "w", kNow + 1000, 30, 10)).empty());
}

TEST_P(StoreContractTest, FailSignSessionLockoutAndCallbackAreOneTransaction) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession s = session_for(o);
  ASSERT_TRUE(begin_sign(*store_, s, kNow, 1).ok());
  ASSERT_TRUE(store_->lock_holder({}, w.tenant_id, w.holder_id).ok());
  CallbackJob bad = callback_for(o, "{}");
  bad.url.clear();
  EXPECT_FALSE(store_->fail_sign_session({}, w.tenant_id, s.session_id, bad, kNow).ok());
  EXPECT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).state, SessionState::kOpen);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, OrderState::kSigning);
  EXPECT_EQ(*store_->fail_sign_session({}, w.tenant_id, s.session_id, std::nullopt, kNow), OrderState::kFailed);
  EXPECT_EQ(kind(store_->fail_sign_session({}, w.tenant_id, "ses_missing", std::nullopt, kNow)), StoreError::kNotFound);
}


// --- certificates (issue 4) ---------------------------------------------------------------

TEST_P(StoreContractTest, AppSettingsAreStoredAndUpdated) {
  World w = make_world("t");
  auto plain = store_->get_app(w.tenant_id, w.app_id);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->identity_mode, "attested");
  EXPECT_FALSE(plain->sms_otp_required);
  EXPECT_EQ(plain->cms_oid_style, "pkcs7");

  App a;
  a.tenant_id = w.tenant_id;
  a.app_id = new_id("app_");
  a.secret_ciphertext = Bytes{4};
  a.identity_mode = "identity_source";
  a.sms_otp_required = true;
  a.cms_oid_style = "gmt";
  ASSERT_TRUE(store_->create_app({}, a).ok());
  for (const auto& got : {store_->get_app(w.tenant_id, a.app_id), store_->find_app(a.app_id)}) {
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->identity_mode, "identity_source");
    EXPECT_TRUE(got->sms_otp_required);
    EXPECT_EQ(got->cms_oid_style, "gmt");
  }
  auto listed = store_->list_apps(w.tenant_id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  for (const App& x : *listed) EXPECT_EQ(x.cms_oid_style, x.app_id == a.app_id ? "gmt" : "pkcs7");

  ASSERT_TRUE(store_->update_app_settings({}, w.tenant_id, w.app_id, "identity_source", true, "gmt").ok());
  auto updated = store_->get_app(w.tenant_id, w.app_id);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->identity_mode, "identity_source");
  EXPECT_TRUE(updated->sms_otp_required);
  EXPECT_EQ(updated->cms_oid_style, "gmt");
  EXPECT_EQ(updated->secret_ciphertext, (Bytes{1, 2, 3})) << "the secret is not a setting";
  ASSERT_TRUE(store_->update_app_settings({}, w.tenant_id, w.app_id, "attested", false, "pkcs7").ok());
  reopen();
  updated = store_->get_app(w.tenant_id, w.app_id);
  EXPECT_EQ(updated->identity_mode, "attested");
  EXPECT_FALSE(updated->sms_otp_required);
  EXPECT_EQ(updated->cms_oid_style, "pkcs7");
  EXPECT_EQ(ok_value(store_->get_app(w.tenant_id, a.app_id)).cms_oid_style, "gmt");

  EXPECT_EQ(store_->update_app_settings({}, w.tenant_id, w.app_id, "trust_me", false, "pkcs7").code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->update_app_settings({}, w.tenant_id, w.app_id, "attested", false, "PKCS7").code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->update_app_settings({}, w.tenant_id, w.app_id, "", false, "").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind(store_->update_app_settings({}, w.tenant_id, "app_missing", "attested", false, "pkcs7")),
            StoreError::kNotFound);
  App bad = a;
  bad.app_id = new_id("app_");
  bad.identity_mode = "none";
  EXPECT_EQ(store_->create_app({}, bad).code(), ErrorCode::kInvalidArgument);
  bad.identity_mode = "attested";
  bad.cms_oid_style = "";
  EXPECT_EQ(store_->create_app({}, bad).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind(store_->find_app(bad.app_id)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, HoldersRecordHowTheirIdentityWasChecked) {
  World w = make_world("t");
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).identity_verification, "") << "not recorded";
  Holder h;
  h.tenant_id = w.tenant_id;
  h.holder_id = new_id("hld_");
  h.lookup_hash = Bytes{0x1d, 0x01};
  h.identity_verification = "identity_source";
  h.identity_verified_by = w.app_id;
  h.identity_verified_at = kNow + 5;
  h.identity_reference = "idsrc-ref-42";
  h.created_at = kNow + 5;
  ASSERT_TRUE(store_->create_holder({}, h).ok());
  Holder attested = h;
  attested.holder_id = new_id("hld_");
  attested.lookup_hash = Bytes{0x1d, 0x02};
  attested.identity_verification = "attested";
  attested.identity_reference.clear();
  ASSERT_TRUE(store_->create_holder({}, attested).ok());
  reopen();

  auto check = [&](const Holder& got, const Holder& want) {
    EXPECT_EQ(got.identity_verification, want.identity_verification);
    EXPECT_EQ(got.identity_verified_by, want.identity_verified_by);
    EXPECT_EQ(got.identity_verified_at, want.identity_verified_at);
    EXPECT_EQ(got.identity_reference, want.identity_reference);
  };
  check(*store_->get_holder(w.tenant_id, h.holder_id), h);
  check(*store_->find_holder_by_lookup_hash(w.tenant_id, h.lookup_hash), h);
  check(*store_->get_holder(w.tenant_id, attested.holder_id), attested);
  auto all = store_->list_holders(w.tenant_id, "", 10, std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  for (const Holder& x : *all) {
    if (x.holder_id == h.holder_id) check(x, h);
    if (x.holder_id == attested.holder_id) check(x, attested);
  }

  Holder bad = h;
  bad.holder_id = new_id("hld_");
  bad.lookup_hash = Bytes{0x1d, 0x03};
  bad.identity_verification = "vibes";
  EXPECT_EQ(store_->create_holder({}, bad).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind(store_->get_holder(w.tenant_id, bad.holder_id)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, OtpAttemptsAreSpentSeparatelyDownToZero) {
  World w = make_world("t");
  ActivationCode code = code_for(w.tenant_id, w.holder_id, Bytes{0x07, 0x01}, kNow + 300, 5);
  code.otp_hash = Bytes{0x0e, 0x0f};
  code.otp_attempts_left = 2;
  ASSERT_TRUE(store_->create_activation_code({}, code).ok());
  reopen();
  auto found = store_->find_activation_code(code.code_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->otp_hash, (Bytes{0x0e, 0x0f}));
  EXPECT_EQ(found->otp_attempts_left, 2);

  EXPECT_EQ(*store_->spend_otp_attempt({}, w.tenant_id, code.code_id), 1);
  EXPECT_EQ(*store_->spend_activation_attempt({}, w.tenant_id, code.code_id), 4);
  found = store_->find_activation_code(code.code_hash);
  EXPECT_EQ(found->otp_attempts_left, 1) << "the two counters are separate";
  EXPECT_EQ(found->attempts_left, 4);
  EXPECT_EQ(*store_->spend_otp_attempt({}, w.tenant_id, code.code_id), 0);
  EXPECT_EQ(kind(store_->spend_otp_attempt({}, w.tenant_id, code.code_id)), StoreError::kConflict);
  EXPECT_EQ(store_->spend_otp_attempt({}, w.tenant_id, code.code_id).code(), ErrorCode::kConflict);
  EXPECT_EQ(ok_value(store_->find_activation_code(code.code_hash)).otp_attempts_left, 0);
  EXPECT_EQ(ok_value(store_->find_activation_code(code.code_hash)).attempts_left, 4);

  // A code without an OTP has no OTP attempts; a used code none either.
  ActivationCode plain = code_for(w.tenant_id, w.holder_id, Bytes{0x07, 0x02}, kNow + 300, 3);
  ASSERT_TRUE(store_->create_activation_code({}, plain).ok());
  EXPECT_TRUE(ok_value(store_->find_activation_code(plain.code_hash)).otp_hash.empty());
  EXPECT_EQ(kind(store_->spend_otp_attempt({}, w.tenant_id, plain.code_id)), StoreError::kConflict);
  ActivationCode used = code_for(w.tenant_id, w.holder_id, Bytes{0x07, 0x03}, kNow + 300, 3);
  used.otp_hash = Bytes{0x0e};
  used.otp_attempts_left = 3;
  ASSERT_TRUE(store_->create_activation_code({}, used).ok());
  ASSERT_TRUE(store_->use_activation_code({}, w.tenant_id, used.code_id, kNow).ok());
  EXPECT_EQ(kind(store_->spend_otp_attempt({}, w.tenant_id, used.code_id)), StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->find_activation_code(used.code_hash)).otp_attempts_left, 3);
  EXPECT_EQ(kind(store_->spend_otp_attempt({}, w.tenant_id, "act_missing")), StoreError::kNotFound);

  // complete_activation ignores the OTP (core checks it first).
  ActivationCode otp = code_for(w.tenant_id, w.holder_id, Bytes{0x07, 0x04}, kNow + 300, 3);
  otp.otp_hash = Bytes{0x0e};
  otp.otp_attempts_left = 0;
  ASSERT_TRUE(store_->create_activation_code({}, otp).ok());
  EXPECT_TRUE(store_->complete_activation({}, completion_for(otp, kNow, 0x51)).ok());

  ActivationCode negative = code_for(w.tenant_id, w.holder_id, Bytes{0x07, 0x05}, kNow + 300, 3);
  negative.otp_attempts_left = -1;
  EXPECT_EQ(store_->create_activation_code({}, negative).code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreContractTest, ConcurrentOtpSpendsNeverOverspend) {
  World w = make_world("t");
  constexpr int kThreads = 8;
  constexpr int kAttempts = 3;
  ActivationCode code = code_for(w.tenant_id, w.holder_id, Bytes{0x07, 0x10}, kNow + 300, 5);
  code.otp_hash = Bytes{0x0e};
  code.otp_attempts_left = kAttempts;
  ASSERT_TRUE(store_->create_activation_code({}, code).ok());
  std::vector<int> results(kThreads, -1);
  std::atomic<int> conflicts{0};
  run_together(kThreads, [&](int i) {
    auto r = store_->spend_otp_attempt({}, w.tenant_id, code.code_id);
    if (r.ok()) results[i] = *r;
    else if (store_error_kind(r) == StoreError::kConflict) ++conflicts;
  });
  std::multiset<int> left;
  for (int r : results)
    if (r >= 0) left.insert(r);
  EXPECT_EQ(left, (std::multiset<int>{0, 1, 2})) << "each attempt spent once";
  EXPECT_EQ(conflicts.load(), kThreads - kAttempts);
  EXPECT_EQ(ok_value(store_->find_activation_code(code.code_hash)).otp_attempts_left, 0);
}

TEST_P(StoreContractTest, CsrOrdersAreHiddenFromTheBusinessListing) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  SignOrder sign = order_for(w);
  sign.created_at = kNow;
  create(sign);
  SignOrder csr = csr_order_for(w, key.key_id);
  csr.created_at = kNow + 1;  // newer than the sign order
  csr.idempotency_key = "csr-1";
  SignOrder made = create(csr);
  EXPECT_EQ(made.kind, OrderKind::kCsr);
  EXPECT_EQ(made.key_id, key.key_id);
  reopen();

  auto got = store_->get_order(w.tenant_id, csr.order_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->kind, OrderKind::kCsr);
  EXPECT_EQ(got->key_id, key.key_id);
  EXPECT_EQ(got->state, OrderState::kPending);
  auto got_sign = store_->get_order(w.tenant_id, sign.order_id);
  ASSERT_OK(got_sign);
  EXPECT_EQ(got_sign->kind, OrderKind::kSign);
  EXPECT_TRUE(got_sign->key_id.empty());
  SignOrder replay = csr;
  replay.order_id = new_id("ord_");
  auto again = store_->create_order({}, replay);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->order_id, csr.order_id) << "idempotent replay of a CSR order";
  EXPECT_EQ(again->kind, OrderKind::kCsr);

  OrderFilter all;
  auto page = store_->list_orders(w.tenant_id, all);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->orders.size(), 1u);
  EXPECT_EQ(page->orders[0].order_id, sign.order_id);
  EXPECT_TRUE(page->next_cursor.empty());
  OrderFilter mine;
  mine.holder_id = w.holder_id;
  mine.state = OrderState::kPending;
  mine.limit = 1;
  page = store_->list_orders(w.tenant_id, mine);
  ASSERT_EQ(page->orders.size(), 1u);
  EXPECT_EQ(page->orders[0].order_id, sign.order_id);
  EXPECT_TRUE(page->next_cursor.empty()) << "the CSR order does not make another page";

  auto open = store_->list_open_orders(w.tenant_id, w.holder_id, kNow, 10);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].order_id, sign.order_id);
  EXPECT_EQ((*open)[1].order_id, csr.order_id);
  EXPECT_EQ((*open)[1].kind, OrderKind::kCsr);

  // Validation: a CSR order names a live key of its holder; a sign order none.
  SignOrder no_key = csr_order_for(w, "");
  EXPECT_EQ(store_->create_order({}, no_key).code(), ErrorCode::kInvalidArgument);
  SignOrder keyed_sign = order_for(w);
  keyed_sign.key_id = key.key_id;
  EXPECT_EQ(store_->create_order({}, keyed_sign).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind(store_->create_order({}, csr_order_for(w, "key_missing"))), StoreError::kNotFound);
  World other = make_world("other");
  HolderKeyShare their_key = add_key(other);
  EXPECT_EQ(kind(store_->create_order({}, csr_order_for(w, their_key.key_id))), StoreError::kNotFound);
  ASSERT_TRUE(store_->revoke_holder_key({}, w.tenant_id, key.key_id, kNow).ok());
  EXPECT_EQ(kind(store_->create_order({}, csr_order_for(w, key.key_id))), StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->list_open_orders(w.tenant_id, w.holder_id, kNow, 10)).size(), 2u) << "nothing created";
}

TEST_P(StoreContractTest, FinishCsrOrderSignsAndStoresTheCertificateInOneStep) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  SignOrder o = create(csr_order_for(w, key.key_id));
  SignSession s1 = session_for(o), s2 = session_for(o);
  ASSERT_TRUE(open_session(*store_, s1, kNow).ok());
  ASSERT_TRUE(open_session(*store_, s2, kNow).ok());
  ASSERT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
  Certificate cert = cert_for(w, key.key_id, "0a1b2c");

  // The wrong finish for each kind, and certificates that do not match the order.
  EXPECT_EQ(store_->finish_order({}, w.tenant_id, o.order_id, s1.session_id, sigs(1), std::nullopt, kNow).code(),
            ErrorCode::kInvalidArgument);
  Certificate wrong = cert;
  wrong.holder_id = new_id("hld_");
  EXPECT_EQ(store_->finish_csr_order({}, w.tenant_id, o.order_id, s1.session_id, sigs(1), wrong, kNow).code(),
            ErrorCode::kInvalidArgument);
  wrong = cert;
  wrong.key_id = new_id("key_");
  EXPECT_EQ(store_->finish_csr_order({}, w.tenant_id, o.order_id, s1.session_id, sigs(1), wrong, kNow).code(),
            ErrorCode::kInvalidArgument);
  wrong = cert;
  wrong.tenant_id = new_id("ten_");
  EXPECT_EQ(store_->finish_csr_order({}, w.tenant_id, o.order_id, s1.session_id, sigs(1), wrong, kNow).code(),
            ErrorCode::kInvalidArgument);
  wrong = cert;
  wrong.der.clear();
  EXPECT_EQ(store_->finish_csr_order({}, w.tenant_id, o.order_id, s1.session_id, sigs(1), wrong, kNow).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->finish_csr_order({}, w.tenant_id, o.order_id, s1.session_id, sigs(2), cert, kNow).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind(store_->finish_csr_order({}, w.tenant_id, o.order_id, "ses_missing", sigs(1), cert, kNow)),
            StoreError::kNotFound);
  SignOrder plain = create(order_for(w));
  SignSession ps = session_for(plain);
  ASSERT_TRUE(open_session(*store_, ps, kNow).ok());
  Certificate for_plain = cert_for(w, key.key_id, "0a1b2d");
  EXPECT_EQ(store_->finish_csr_order({}, w.tenant_id, plain.order_id, ps.session_id, sigs(1), for_plain, kNow).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, OrderState::kSigning) << "nothing applied";
  EXPECT_EQ(kind(store_->get_certificate(w.tenant_id, cert.cert_id)), StoreError::kNotFound);

  ASSERT_TRUE(store_->finish_csr_order({}, w.tenant_id, o.order_id, s1.session_id, sigs(1, 0x44), cert, kNow + 3).ok());
  auto done = store_->get_order(w.tenant_id, o.order_id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, OrderState::kSigned);
  EXPECT_EQ(done->updated_at, kNow + 3);
  EXPECT_EQ(done->items[0].signature, sigs(1, 0x44)[0]);
  EXPECT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s1.session_id)).state, SessionState::kFinished);
  EXPECT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s2.session_id)).state, SessionState::kFailed);
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  ASSERT_OK(h);
  EXPECT_EQ(h->failed_attempts, 0);
  EXPECT_EQ(h->status, HolderStatus::kActive);
  auto stored = store_->get_certificate(w.tenant_id, cert.cert_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->serial_hex, "0a1b2c");
  EXPECT_EQ(stored->key_id, key.key_id);
  EXPECT_FALSE(stored->revoked);
  EXPECT_TRUE(ok_value(store_->claim_due_callbacks({}, "w", kNow + 1000, 30, 10)).empty()) << "no callback for a CSR order";
  EXPECT_EQ(kind(store_->finish_csr_order({}, w.tenant_id, o.order_id, s2.session_id, sigs(1),
                                          cert_for(w, key.key_id, "0a1b2e"), kNow + 3)),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->list_holder_certificates(w.tenant_id, w.holder_id)).size(), 1u);
}

TEST_P(StoreContractTest, FinishCsrOrderWithATakenSerialChangesNothing) {
  World w = make_world("t");
  World other = make_world("other");
  HolderKeyShare theirs = add_key(other);
  ASSERT_TRUE(store_->add_certificate({}, cert_for(other, theirs.key_id, "5e7a1")).ok());
  HolderKeyShare key = add_key(w);
  SignOrder o = create(csr_order_for(w, key.key_id));
  SignSession s = session_for(o);
  ASSERT_TRUE(open_session(*store_, s, kNow).ok());
  Certificate clash = cert_for(w, key.key_id, "5e7a1");  // another tenant's serial
  EXPECT_EQ(kind(store_->finish_csr_order({}, w.tenant_id, o.order_id, s.session_id, sigs(1), clash, kNow)),
            StoreError::kConflict);
  auto order = store_->get_order(w.tenant_id, o.order_id);
  ASSERT_OK(order);
  EXPECT_EQ(order->state, OrderState::kSigning);
  EXPECT_TRUE(order->items[0].signature.empty());
  EXPECT_EQ(ok_value(store_->get_sign_session(w.tenant_id, s.session_id)).state, SessionState::kOpen);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0);
  EXPECT_TRUE(ok_value(store_->list_holder_certificates(w.tenant_id, w.holder_id)).empty());
  Certificate good = cert_for(w, key.key_id, "5e7a2");
  EXPECT_TRUE(store_->finish_csr_order({}, w.tenant_id, o.order_id, s.session_id, sigs(1), good, kNow).ok());
}

TEST_P(StoreContractTest, ExactlyOneOfConcurrentCsrFinishesWins) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  for (int round = 0; round < 6; ++round) {
    SignOrder o = create(csr_order_for(w, key.key_id));
    SignSession s1 = session_for(o), s2 = session_for(o);
    ASSERT_TRUE(open_session(*store_, s1, kNow).ok());
    ASSERT_TRUE(open_session(*store_, s2, kNow).ok());
    Certificate c1 = cert_for(w, key.key_id, "c1" + std::to_string(round));
    Certificate c2 = cert_for(w, key.key_id, "c2" + std::to_string(round));
    std::atomic<int> wins{0}, conflicts{0};
    std::latch go(2);
    auto finisher = [&](const SignSession& s, const Certificate& c) {
      go.arrive_and_wait();
      Status r = store_->finish_csr_order({}, w.tenant_id, o.order_id, s.session_id, sigs(1), c, kNow);
      if (r.ok()) ++wins;
      else if (store_error_kind(r) == StoreError::kConflict) ++conflicts;
    };
    std::thread t1(finisher, s1, c1), t2(finisher, s2, c2);
    t1.join();
    t2.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), 1) << "round " << round;
    EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).state, OrderState::kSigned);
    EXPECT_NE(store_->get_certificate(w.tenant_id, c1.cert_id).ok(), store_->get_certificate(w.tenant_id, c2.cert_id).ok())
        << "exactly one certificate, the winner's";
  }
  EXPECT_EQ(ok_value(store_->list_holder_certificates(w.tenant_id, w.holder_id)).size(), 6u);
}

TEST_P(StoreContractTest, CertificatesAreFoundBySerialAndListedNewestFirst) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  Certificate first = cert_for(w, key.key_id, "01");
  first.created_at = kNow;
  Certificate second = cert_for(w, key.key_id, "02");
  second.created_at = kNow + 10;
  second.issuer_id = "ca_other";
  ASSERT_TRUE(store_->add_certificate({}, first).ok());
  ASSERT_TRUE(store_->add_certificate({}, second).ok());
  reopen();

  auto got = store_->get_certificate(w.tenant_id, first.cert_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->tenant_id, w.tenant_id);
  EXPECT_EQ(got->holder_id, w.holder_id);
  EXPECT_EQ(got->key_id, key.key_id);
  EXPECT_EQ(got->serial_hex, "01");
  EXPECT_EQ(got->issuer_id, "ca_issuing");
  EXPECT_EQ(got->der, first.der);
  EXPECT_EQ(got->not_before, first.not_before);
  EXPECT_EQ(got->not_after, first.not_after);
  EXPECT_FALSE(got->revoked);
  EXPECT_FALSE(got->revoked_at.has_value());
  EXPECT_EQ(got->created_at, kNow);
  auto by_serial = store_->find_certificate_by_serial("02");
  ASSERT_TRUE(by_serial.ok());
  EXPECT_EQ(by_serial->cert_id, second.cert_id);
  EXPECT_EQ(by_serial->tenant_id, w.tenant_id) << "the serial discovers the tenant";
  EXPECT_EQ(kind(store_->find_certificate_by_serial("03")), StoreError::kNotFound);
  auto listed = store_->list_holder_certificates(w.tenant_id, w.holder_id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].cert_id, second.cert_id);
  EXPECT_EQ((*listed)[1].cert_id, first.cert_id);
  EXPECT_TRUE(ok_value(store_->list_holder_certificates(w.tenant_id, "hld_missing")).empty());

  // Serials are unique across tenants; cert ids per tenant.
  World other = make_world("other");
  HolderKeyShare their_key = add_key(other);
  EXPECT_EQ(kind(store_->add_certificate({}, cert_for(other, their_key.key_id, "01"))), StoreError::kConflict);
  EXPECT_EQ(store_->add_certificate({}, cert_for(other, their_key.key_id, "01")).code(), ErrorCode::kConflict);
  Certificate same_id = cert_for(w, key.key_id, "04");
  same_id.cert_id = first.cert_id;
  EXPECT_EQ(kind(store_->add_certificate({}, same_id)), StoreError::kDuplicate);
  // The key must be the holder's.
  Holder second_holder;
  second_holder.tenant_id = w.tenant_id;
  second_holder.holder_id = new_id("hld_");
  second_holder.lookup_hash = Bytes{0x2b};
  ASSERT_TRUE(store_->create_holder({}, second_holder).ok());
  Certificate not_theirs = cert_for(w, key.key_id, "05");
  not_theirs.holder_id = second_holder.holder_id;
  EXPECT_EQ(kind(store_->add_certificate({}, not_theirs)), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->add_certificate({}, cert_for(w, "key_missing", "06"))), StoreError::kNotFound);

  // Malformed records.
  Certificate bad = cert_for(w, key.key_id, "0A");
  EXPECT_EQ(store_->add_certificate({}, bad).code(), ErrorCode::kInvalidArgument) << "uppercase serial";
  bad = cert_for(w, key.key_id, "");
  EXPECT_EQ(store_->add_certificate({}, bad).code(), ErrorCode::kInvalidArgument);
  bad = cert_for(w, key.key_id, "07");
  bad.der.clear();
  EXPECT_EQ(store_->add_certificate({}, bad).code(), ErrorCode::kInvalidArgument);
  bad = cert_for(w, key.key_id, "07");
  bad.revoked = true;  // without revoked_at
  EXPECT_EQ(store_->add_certificate({}, bad).code(), ErrorCode::kInvalidArgument);
  bad = cert_for(w, key.key_id, "07");
  bad.issuer_id.clear();
  EXPECT_EQ(store_->add_certificate({}, bad).code(), ErrorCode::kInvalidArgument);
  Certificate revoked = cert_for(w, key.key_id, "07");
  revoked.revoked = true;
  revoked.revoked_at = kNow;
  revoked.revocation_reason = 4;
  ASSERT_TRUE(store_->add_certificate({}, revoked).ok()) << "an already revoked certificate may be recorded";
  EXPECT_EQ(ok_value(store_->find_certificate_by_serial("07")).revocation_reason, 4);
  EXPECT_EQ(ok_value(store_->list_holder_certificates(w.tenant_id, w.holder_id)).size(), 3u);
}

TEST_P(StoreContractTest, RevokeCertificateAndOptionallyItsKeyAndDevices) {
  World w = make_world("t");
  World other = make_world("other");
  HolderKeyShare key = add_key(w);
  HolderKeyShare their_key = add_key(other);
  Certificate a = cert_for(w, key.key_id, "aa01");
  Certificate b = cert_for(w, key.key_id, "aa02");
  Certificate theirs = cert_for(other, their_key.key_id, "aa03");
  Certificate elsewhere = cert_for(other, their_key.key_id, "aa04");
  elsewhere.issuer_id = "ca_other";
  for (const auto* c : {&a, &b, &theirs, &elsewhere}) ASSERT_TRUE(store_->add_certificate({}, *c).ok());
  for (uint8_t i : {1, 2}) {
    DeviceToken t;
    t.tenant_id = w.tenant_id;
    t.token_hash = Bytes{0xdd, i};
    t.holder_id = w.holder_id;
    ASSERT_TRUE(store_->create_device_token({}, t).ok());
  }
  DeviceToken their_token;
  their_token.tenant_id = other.tenant_id;
  their_token.token_hash = Bytes{0xdd, 0x09};
  their_token.holder_id = other.holder_id;
  ASSERT_TRUE(store_->create_device_token({}, their_token).ok());

  // Certificate only.
  ASSERT_TRUE(store_->revoke_certificate({}, w.tenant_id, a.cert_id, 3, false, kNow + 5).ok());
  auto got = store_->get_certificate(w.tenant_id, a.cert_id);
  ASSERT_OK(got);
  EXPECT_TRUE(got->revoked);
  EXPECT_EQ(got->revoked_at, kNow + 5);
  EXPECT_EQ(got->revocation_reason, 3);
  EXPECT_EQ(kind(store_->revoke_certificate({}, w.tenant_id, a.cert_id, 1, true, kNow + 6)), StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->get_certificate(w.tenant_id, a.cert_id)).revocation_reason, 3) << "the loser changed nothing";
  EXPECT_EQ(ok_value(store_->get_active_holder_key(w.tenant_id, w.holder_id)).service_share_ciphertext, key.service_share_ciphertext);
  EXPECT_TRUE(store_->find_device_token(Bytes{0xdd, 1}).ok());
  EXPECT_FALSE(ok_value(store_->get_certificate(w.tenant_id, b.cert_id)).revoked);

  // Certificate, key (crypto-shredded) and the holder's devices.
  ASSERT_TRUE(store_->revoke_certificate({}, w.tenant_id, b.cert_id, 1, true, kNow + 7).ok());
  EXPECT_EQ(ok_value(store_->get_certificate(w.tenant_id, b.cert_id)).revocation_reason, 1);
  auto k = store_->get_holder_key(w.tenant_id, key.key_id);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->revoked_at, kNow + 7);
  EXPECT_TRUE(k->service_share_ciphertext.empty()) << "share shredded";
  EXPECT_EQ(kind(store_->get_active_holder_key(w.tenant_id, w.holder_id)), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->find_device_token(Bytes{0xdd, 1})), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->find_device_token(Bytes{0xdd, 2})), StoreError::kNotFound);
  EXPECT_TRUE(store_->find_device_token(their_token.token_hash).ok()) << "another holder's device untouched";
  EXPECT_TRUE(store_->get_active_holder_key(other.tenant_id, other.holder_id).ok());

  // A later certificate of an already revoked key: revoking it with the key is fine.
  Certificate late = cert_for(w, key.key_id, "aa05");
  ASSERT_TRUE(store_->add_certificate({}, late).ok());
  ASSERT_TRUE(store_->revoke_certificate({}, w.tenant_id, late.cert_id, 0, true, kNow + 8).ok());
  EXPECT_EQ(ok_value(store_->get_holder_key(w.tenant_id, key.key_id)).revoked_at, kNow + 7) << "first revocation kept";

  // The CRL view: every tenant, one issuer, revoked only, by serial.
  ASSERT_TRUE(store_->revoke_certificate({}, other.tenant_id, theirs.cert_id, 5, false, kNow + 9).ok());
  ASSERT_TRUE(store_->revoke_certificate({}, other.tenant_id, elsewhere.cert_id, 5, false, kNow + 9).ok());
  auto crl = store_->list_revoked_certificates("ca_issuing");
  ASSERT_TRUE(crl.ok());
  std::vector<std::string> serials;
  for (const Certificate& c : *crl) serials.push_back(c.serial_hex);
  EXPECT_EQ(serials, (std::vector<std::string>{"aa01", "aa02", "aa03", "aa05"}));
  EXPECT_EQ((*crl)[2].tenant_id, other.tenant_id);
  EXPECT_EQ((*crl)[2].revoked_at, kNow + 9);
  EXPECT_EQ(ok_value(store_->list_revoked_certificates("ca_other")).size(), 1u);
  EXPECT_TRUE(ok_value(store_->list_revoked_certificates("ca_none")).empty());

  // Errors.
  Certificate fresh = cert_for(other, their_key.key_id, "aa06");
  ASSERT_TRUE(store_->add_certificate({}, fresh).ok());
  for (int reason : {-1, 7, 8, 11})
    EXPECT_EQ(store_->revoke_certificate({}, other.tenant_id, fresh.cert_id, reason, false, kNow).code(),
              ErrorCode::kInvalidArgument)
        << reason;
  EXPECT_FALSE(ok_value(store_->get_certificate(other.tenant_id, fresh.cert_id)).revoked);
  EXPECT_EQ(kind(store_->revoke_certificate({}, other.tenant_id, "crt_missing", 0, false, kNow)),
            StoreError::kNotFound);
}

TEST_P(StoreContractTest, ExactlyOneOfConcurrentRevocationsWins) {
  World w = make_world("t");
  HolderKeyShare key = add_key(w);
  constexpr int kThreads = 4;
  for (int round = 0; round < 4; ++round) {
    Certificate c = cert_for(w, key.key_id, "be" + std::to_string(round));
    ASSERT_TRUE(store_->add_certificate({}, c).ok());
    std::atomic<int> wins{0}, conflicts{0};
    run_together(kThreads, [&](int i) {
      Status s = store_->revoke_certificate({}, w.tenant_id, c.cert_id, i + 1, false, kNow + i);
      if (s.ok()) ++wins;
      else if (store_error_kind(s) == StoreError::kConflict) ++conflicts;
    });
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), kThreads - 1) << "round " << round;
    auto got = store_->get_certificate(w.tenant_id, c.cert_id);
    ASSERT_OK(got);
    EXPECT_EQ(*got->revoked_at, kNow + got->revocation_reason - 1) << "one winner's values, not a mix";
  }
}

TEST_P(StoreContractTest, AnotherTenantsCertificatesAndSettingsAreNotFound) {
  World a = make_world("a");
  World b = make_world("b");
  const std::string& B = b.tenant_id;
  HolderKeyShare key = add_key(a);
  Certificate cert = cert_for(a, key.key_id, "ab01");
  ASSERT_TRUE(store_->add_certificate({}, cert).ok());
  DeviceToken token;
  token.tenant_id = a.tenant_id;
  token.token_hash = Bytes{0xab};
  token.holder_id = a.holder_id;
  ASSERT_TRUE(store_->create_device_token({}, token).ok());
  ActivationCode code = code_for(a.tenant_id, a.holder_id, Bytes{0xab, 0x02}, kNow + 300, 3);
  code.otp_hash = Bytes{0x01};
  code.otp_attempts_left = 3;
  ASSERT_TRUE(store_->create_activation_code({}, code).ok());
  SignOrder csr = create(csr_order_for(a, key.key_id));
  SignSession s = session_for(csr);
  ASSERT_TRUE(open_session(*store_, s, kNow).ok());

  auto nf = [](const auto& r) { return store_error_kind(r) == StoreError::kNotFound; };
  EXPECT_TRUE(nf(store_->get_certificate(B, cert.cert_id)));
  EXPECT_TRUE(ok_value(store_->list_holder_certificates(B, a.holder_id)).empty());
  EXPECT_TRUE(nf(store_->revoke_certificate({}, B, cert.cert_id, 1, true, kNow)));
  EXPECT_TRUE(nf(store_->update_app_settings({}, B, a.app_id, "identity_source", true, "gmt")));
  EXPECT_TRUE(nf(store_->spend_otp_attempt({}, B, code.code_id)));
  Certificate stolen = cert_for(b, key.key_id, "ab02");  // B naming A's key
  EXPECT_TRUE(nf(store_->add_certificate({}, stolen)));
  stolen.holder_id = a.holder_id;  // and A's holder
  EXPECT_TRUE(nf(store_->add_certificate({}, stolen)));
  EXPECT_TRUE(nf(store_->create_order({}, csr_order_for(b, key.key_id))));
  Certificate via_b = cert_for(a, key.key_id, "ab03");
  via_b.tenant_id = B;
  EXPECT_TRUE(nf(store_->finish_csr_order({}, B, csr.order_id, s.session_id, sigs(1), via_b, kNow)));
  EXPECT_TRUE(nf(store_->get_order(B, csr.order_id)));
  EXPECT_TRUE(ok_value(store_->list_open_orders(B, a.holder_id, kNow, 10)).empty());

  // None of it touched A's rows.
  auto still = store_->get_certificate(a.tenant_id, cert.cert_id);
  ASSERT_TRUE(still.ok());
  EXPECT_FALSE(still->revoked);
  EXPECT_TRUE(store_->get_active_holder_key(a.tenant_id, a.holder_id).ok());
  EXPECT_TRUE(store_->find_device_token(token.token_hash).ok());
  EXPECT_EQ(ok_value(store_->get_app(a.tenant_id, a.app_id)).identity_mode, "attested");
  EXPECT_EQ(ok_value(store_->find_activation_code(code.code_hash)).otp_attempts_left, 3);
  EXPECT_EQ(ok_value(store_->get_order(a.tenant_id, csr.order_id)).state, OrderState::kSigning);
  EXPECT_EQ(kind(store_->find_certificate_by_serial("ab02")), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->find_certificate_by_serial("ab03")), StoreError::kNotFound);
}

TEST_P(StoreContractTest, CaRecordsAreKeptGlobally) {
  CaRecord root;
  root.ca_id = "ca_root_1";
  root.role = "root";
  root.certificate_der = Bytes{0x30, 0x01};
  root.sealed_private_key = Bytes{0x5e, 0x01};
  root.created_at = kNow;
  CaRecord issuing = root;
  issuing.ca_id = "ca_issuing_1";
  issuing.role = "issuing";
  issuing.created_at = kNow + 1;
  CaRecord ocsp = root;
  ocsp.ca_id = "ca_ocsp_1";
  ocsp.role = "ocsp";
  ocsp.sealed_private_key.clear();  // key held elsewhere
  ocsp.active = false;
  ocsp.created_at = kNow + 1;
  ocsp.environment = AppEnvironment::kSandbox;  // the sandbox CA's (issue 14 item 1)
  for (const auto* ca : {&issuing, &ocsp, &root}) ASSERT_TRUE(store_->put_ca({}, *ca).ok());
  CaRecord dup = root;
  dup.role = "issuing";
  EXPECT_EQ(kind(store_->put_ca({}, dup)), StoreError::kConflict);
  EXPECT_EQ(store_->put_ca({}, dup).code(), ErrorCode::kConflict);
  reopen();

  auto cas = store_->list_cas();
  ASSERT_TRUE(cas.ok());
  ASSERT_EQ(cas->size(), 3u);
  EXPECT_EQ((*cas)[0].ca_id, "ca_root_1");
  EXPECT_EQ((*cas)[0].role, "root") << "the duplicate did not overwrite";
  EXPECT_EQ((*cas)[0].sealed_private_key, (Bytes{0x5e, 0x01}));
  EXPECT_EQ((*cas)[1].ca_id, "ca_issuing_1");
  EXPECT_EQ((*cas)[2].ca_id, "ca_ocsp_1");
  EXPECT_TRUE((*cas)[1].active);
  EXPECT_FALSE((*cas)[2].active);
  EXPECT_TRUE((*cas)[2].sealed_private_key.empty());
  EXPECT_EQ((*cas)[2].environment, AppEnvironment::kSandbox) << "the environment survives a reopen";
  EXPECT_EQ((*cas)[1].environment, AppEnvironment::kProduction) << "production unless said";
  EXPECT_EQ((*cas)[1].certificate_der, (Bytes{0x30, 0x01}));
  EXPECT_EQ((*cas)[1].created_at, kNow + 1);

  ASSERT_TRUE(store_->set_ca_active({}, "ca_issuing_1", false).ok());
  ASSERT_TRUE(store_->set_ca_active({}, "ca_ocsp_1", true).ok());
  cas = store_->list_cas();
  EXPECT_FALSE((*cas)[1].active);
  EXPECT_TRUE((*cas)[2].active);
  EXPECT_EQ(kind(store_->set_ca_active({}, "ca_missing", true)), StoreError::kNotFound);

  CaRecord bad = root;
  bad.ca_id = "ca_bad";
  bad.role = "intermediate";
  EXPECT_EQ(store_->put_ca({}, bad).code(), ErrorCode::kInvalidArgument);
  bad.role = "issuing";
  bad.certificate_der.clear();
  EXPECT_EQ(store_->put_ca({}, bad).code(), ErrorCode::kInvalidArgument);
  bad = root;
  bad.ca_id.clear();
  EXPECT_EQ(store_->put_ca({}, bad).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ok_value(store_->list_cas()).size(), 3u);
}

TEST_P(StoreContractTest, CrlNumbersIncreasePerIssuer) {
  EXPECT_EQ(*store_->next_crl_number({}, "ca_a"), 1);
  EXPECT_EQ(*store_->next_crl_number({}, "ca_a"), 2);
  EXPECT_EQ(*store_->next_crl_number({}, "ca_b"), 1) << "each issuer counts on its own";
  reopen();
  EXPECT_EQ(*store_->next_crl_number({}, "ca_a"), 3) << "the counter survives a restart";
  EXPECT_EQ(*store_->next_crl_number({}, "ca_b"), 2);
  EXPECT_EQ(store_->next_crl_number({}, "").code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreContractTest, ConcurrentCrlNumbersAreNeverHandedOutTwice) {
  constexpr int kThreads = 4;
  constexpr int kEach = 20;
  std::vector<std::vector<int64_t>> got(kThreads);
  run_together(kThreads, [&](int i) {
    for (int n = 0; n < kEach; ++n) {
      auto r = store_->next_crl_number({}, "ca_busy");
      if (r.ok()) got[i].push_back(*r);
    }
  });
  std::set<int64_t> all;
  for (const auto& mine : got) {
    EXPECT_EQ(mine.size(), static_cast<size_t>(kEach));
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end())) << "increasing as each caller sees them";
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach)) << "no number twice";
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kEach);
  EXPECT_EQ(*store_->next_crl_number({}, "ca_busy"), kThreads * kEach + 1);
}

}  // namespace
}  // namespace duet::store::testing
