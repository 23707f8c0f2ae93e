// The backend-neutral contract suite (see store_contract_test.h).
#include "store/store_contract_test.h"

#include <atomic>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "store/ids.h"

namespace duet::store::testing {

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
  EXPECT_TRUE(store_->create_tenant(t).ok());
  App a;
  a.tenant_id = w.tenant_id;
  a.app_id = w.app_id;
  a.secret_ciphertext = Bytes{1, 2, 3};
  a.created_at = kNow;
  EXPECT_TRUE(store_->create_app(a).ok());
  Holder h;
  h.tenant_id = w.tenant_id;
  h.holder_id = w.holder_id;
  h.name_ciphertext = Bytes{0xa1};
  h.id_number_ciphertext = Bytes{0xa2};
  h.phone_ciphertext = Bytes{0xa3};
  h.lookup_hash = Bytes(w.holder_id.begin(), w.holder_id.end());
  h.created_at = kNow;
  EXPECT_TRUE(store_->create_holder(h).ok());
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
  auto r = store_->create_order(o);
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
  ASSERT_TRUE(store_->insert_nonce(w.tenant_id, w.app_id, "n1", kNow).ok());
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
  EXPECT_EQ(kind(store_->insert_nonce(w.tenant_id, w.app_id, "n1", kNow)), StoreError::kDuplicate);
}

// --- tenants, apps, holders, credentials ------------------------------------------

TEST_P(StoreContractTest, TenantLifecycle) {
  World w = make_world("acme");
  Tenant dup;
  dup.tenant_id = w.tenant_id;
  dup.name = "again";
  EXPECT_EQ(kind(store_->create_tenant(dup)), StoreError::kDuplicate);
  EXPECT_FALSE(store_->get_tenant(w.tenant_id)->suspended);
  EXPECT_FALSE(store_->get_tenant(w.tenant_id)->production_active_from.has_value());
  ASSERT_TRUE(store_->set_tenant_suspended(w.tenant_id, true).ok());
  ASSERT_TRUE(store_->set_tenant_production_active_from(w.tenant_id, kNow + 86400).ok());
  auto t = store_->get_tenant(w.tenant_id);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->suspended);
  EXPECT_EQ(t->production_active_from, kNow + 86400);
  EXPECT_EQ(kind(store_->get_tenant("ten_missing")), StoreError::kNotFound);
  EXPECT_EQ(kind(store_->set_tenant_suspended("ten_missing", true)), StoreError::kNotFound);
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
  EXPECT_EQ(kind(store_->create_app(clash)), StoreError::kDuplicate);
  App orphan;
  orphan.tenant_id = "ten_missing";
  orphan.app_id = new_id("app_");
  orphan.secret_ciphertext = Bytes{9};
  orphan.environment = AppEnvironment::kProduction;
  EXPECT_EQ(kind(store_->create_app(orphan)), StoreError::kNotFound);
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
  EXPECT_EQ(kind(store_->create_holder(twin)), StoreError::kDuplicate);
}

TEST_P(StoreContractTest, HolderKeyShareLifecycle) {
  World w = make_world("t");
  HolderKeyShare k;
  k.tenant_id = w.tenant_id;
  k.key_id = new_id("key_");
  k.holder_id = w.holder_id;
  k.public_key_hex = "04abcd";
  k.service_share_ciphertext = Bytes{7, 7, 7};
  k.created_at = kNow;
  ASSERT_TRUE(store_->add_holder_key(k).ok());
  HolderKeyShare second = k;
  second.key_id = new_id("key_");
  EXPECT_EQ(kind(store_->add_holder_key(second)), StoreError::kConflict);
  auto active = store_->get_active_holder_key(w.tenant_id, w.holder_id);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->service_share_ciphertext, (Bytes{7, 7, 7}));
  ASSERT_TRUE(store_->revoke_holder_key(w.tenant_id, k.key_id, kNow + 1).ok());
  EXPECT_EQ(kind(store_->revoke_holder_key(w.tenant_id, k.key_id, kNow + 2)), StoreError::kConflict);
  EXPECT_EQ(kind(store_->get_active_holder_key(w.tenant_id, w.holder_id)), StoreError::kNotFound);
  ASSERT_TRUE(store_->add_holder_key(second).ok());  // re-enrollment after revocation
  EXPECT_EQ(store_->get_active_holder_key(w.tenant_id, w.holder_id)->key_id, second.key_id);
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
  ASSERT_TRUE(store_->create_activation_code(code).ok());
  auto found = store_->find_activation_code(code.code_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->code_id, code.code_id);
  EXPECT_EQ(*store_->spend_activation_attempt(w.tenant_id, code.code_id), 1);
  EXPECT_EQ(*store_->spend_activation_attempt(w.tenant_id, code.code_id), 0);
  EXPECT_EQ(kind(store_->spend_activation_attempt(w.tenant_id, code.code_id)), StoreError::kConflict);
  EXPECT_EQ(kind(store_->use_activation_code(w.tenant_id, code.code_id, kNow)), StoreError::kConflict);

  ActivationCode fresh = code;
  fresh.code_id = new_id("act_");
  fresh.code_hash = Bytes{0xbe, 0xef};
  fresh.attempts_left = 3;
  ASSERT_TRUE(store_->create_activation_code(fresh).ok());
  EXPECT_EQ(kind(store_->use_activation_code(w.tenant_id, fresh.code_id, kNow + 300)), StoreError::kConflict)
      << "expired";
  ASSERT_TRUE(store_->use_activation_code(w.tenant_id, fresh.code_id, kNow + 299).ok());
  EXPECT_EQ(kind(store_->use_activation_code(w.tenant_id, fresh.code_id, kNow + 299)), StoreError::kConflict);
  EXPECT_EQ(store_->find_activation_code(fresh.code_hash)->used_at, kNow + 299);
  ActivationCode clash = fresh;
  clash.code_id = new_id("act_");
  EXPECT_EQ(kind(store_->create_activation_code(clash)), StoreError::kDuplicate);
}

TEST_P(StoreContractTest, DeviceTokensAndAdminTokens) {
  World w = make_world("t");
  DeviceToken t;
  t.tenant_id = w.tenant_id;
  t.token_hash = Bytes{0xd0, 0x0d};
  t.holder_id = w.holder_id;
  t.created_at = kNow;
  ASSERT_TRUE(store_->create_device_token(t).ok());
  auto found = store_->find_device_token(t.token_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->holder_id, w.holder_id);
  EXPECT_EQ(found->tenant_id, w.tenant_id);
  ASSERT_TRUE(store_->revoke_device_token(w.tenant_id, t.token_hash, kNow).ok());
  EXPECT_EQ(kind(store_->find_device_token(t.token_hash)), StoreError::kNotFound);

  AdminToken admin;
  admin.token_hash = Bytes{0xad};
  admin.name = "ops";
  admin.role = "operator";
  admin.created_at = kNow;
  ASSERT_TRUE(store_->create_admin_token(admin).ok());
  EXPECT_EQ(kind(store_->create_admin_token(admin)), StoreError::kDuplicate);
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

  HolderKeyShare k;
  k.tenant_id = a.tenant_id;
  k.key_id = new_id("key_");
  k.holder_id = a.holder_id;
  k.public_key_hex = "04ab";
  k.service_share_ciphertext = Bytes{1};
  ASSERT_TRUE(store_->add_holder_key(k).ok());
  ActivationCode code;
  code.tenant_id = a.tenant_id;
  code.code_id = new_id("act_");
  code.holder_id = a.holder_id;
  code.code_hash = Bytes{0x11};
  code.expires_at = kNow + 100;
  code.attempts_left = 3;
  ASSERT_TRUE(store_->create_activation_code(code).ok());
  DeviceToken token;
  token.tenant_id = a.tenant_id;
  token.token_hash = Bytes{0x22};
  token.holder_id = a.holder_id;
  ASSERT_TRUE(store_->create_device_token(token).ok());
  SignOrder o = create(order_for(a));
  SignSession s = session_for(o);
  ASSERT_TRUE(store_->start_sign_session(s, 5, kNow).ok());
  ASSERT_TRUE(store_->enqueue_callback(callback_for(o, "{}")).ok());
  CallbackJob job = callback_for(o, "{}");
  ASSERT_TRUE(store_->enqueue_callback(job).ok());

  auto nf = [](const auto& r) { return store_error_kind(r) == StoreError::kNotFound; };
  EXPECT_TRUE(nf(store_->get_app(B, a.app_id)));
  EXPECT_TRUE(nf(store_->get_holder(B, a.holder_id)));
  EXPECT_TRUE(nf(store_->find_holder_by_lookup_hash(B, as_bytes(a.holder_id))));
  EXPECT_TRUE(nf(store_->unlock_holder(B, a.holder_id)));
  EXPECT_TRUE(nf(store_->get_active_holder_key(B, a.holder_id)));
  EXPECT_TRUE(nf(store_->revoke_holder_key(B, k.key_id, kNow)));
  EXPECT_TRUE(nf(store_->use_activation_code(B, code.code_id, kNow)));
  EXPECT_TRUE(nf(store_->spend_activation_attempt(B, code.code_id)));
  EXPECT_TRUE(nf(store_->revoke_device_token(B, token.token_hash, kNow)));
  EXPECT_TRUE(nf(store_->get_order(B, o.order_id)));
  EXPECT_TRUE(store_->list_open_orders(B, a.holder_id, kNow, 10)->empty());
  EXPECT_TRUE(nf(store_->get_sign_session(B, s.session_id)));
  EXPECT_TRUE(nf(store_->fail_sign_session(B, s.session_id, kNow)));
  EXPECT_TRUE(nf(store_->finish_order(B, o.order_id, s.session_id, sigs(1), std::nullopt, kNow)));
  EXPECT_TRUE(nf(store_->reject_order(B, o.order_id, std::nullopt, kNow)));
  EXPECT_TRUE(nf(store_->cancel_order(B, o.order_id, std::nullopt, kNow)));
  EXPECT_TRUE(nf(store_->get_callback(B, job.job_id)));
  EXPECT_TRUE(nf(store_->mark_callback_delivered(B, job.job_id, kNow)));
  EXPECT_TRUE(nf(store_->mark_callback_failed(B, job.job_id, "w", "x", kNow)));

  // Writes that name another tenant's rows are refused as "not found" too.
  SignSession cross = session_for(o);
  cross.tenant_id = B;
  EXPECT_TRUE(nf(store_->start_sign_session(cross, 5, kNow)));
  SignOrder foreign = order_for(a);
  foreign.tenant_id = B;  // B's order naming A's app and holder
  EXPECT_TRUE(nf(store_->create_order(foreign)));
  EXPECT_TRUE(nf(store_->insert_nonce(B, a.app_id, "n", kNow)));
  CallbackJob foreign_job = callback_for(o, "{}");
  foreign_job.tenant_id = B;
  EXPECT_TRUE(nf(store_->enqueue_callback(foreign_job)));

  // And none of it touched A's rows.
  EXPECT_EQ(store_->get_order(a.tenant_id, o.order_id)->state, OrderState::kSigning);
  EXPECT_EQ(store_->get_sign_session(a.tenant_id, s.session_id)->state, SessionState::kOpen);
  EXPECT_EQ(store_->get_holder(a.tenant_id, a.holder_id)->failed_attempts, 1);
  EXPECT_TRUE(store_->get_active_holder_key(a.tenant_id, a.holder_id).ok());
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
  ASSERT_TRUE(store_->create_app(other).ok());
  SignOrder from_other = order_for(w);
  from_other.app_id = other.app_id;
  from_other.idempotency_key = "key-1";
  EXPECT_EQ(create(from_other).order_id, from_other.order_id);

  // Without a key, every create is new; an existing order id is a duplicate.
  SignOrder plain = order_for(w);
  create(plain);
  EXPECT_EQ(kind(store_->create_order(plain)), StoreError::kDuplicate);
  EXPECT_EQ(store_->list_open_orders(w.tenant_id, w.holder_id, kNow, 10)->size(), 3u);
}

TEST_P(StoreContractTest, ConcurrentIdempotentCreatesMakeOneOrder) {
  World w = make_world("t");
  constexpr int kThreads = 4;
  std::vector<std::string> ids(kThreads);
  std::latch go(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      SignOrder o = order_for(w);
      o.idempotency_key = "same";
      go.arrive_and_wait();
      auto r = store_->create_order(o);
      if (r.ok()) ids[i] = r->order_id;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) {
    EXPECT_FALSE(id.empty());
    EXPECT_EQ(id, ids[0]);
  }
}

TEST_P(StoreContractTest, OrdersAreValidated) {
  World w = make_world("t");
  SignOrder empty = order_for(w, 0);
  EXPECT_EQ(store_->create_order(empty).code(), ErrorCode::kInvalidArgument);
  SignOrder ghost = order_for(w);
  ghost.holder_id = "hld_missing";
  EXPECT_EQ(kind(store_->create_order(ghost)), StoreError::kNotFound);
}

// --- signing: attempts, finish, races -------------------------------------------------

TEST_P(StoreContractTest, SessionStartCountsAttemptsAndLocksAtTheLimit) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  for (int i = 1; i <= 3; ++i) {
    SignSession s = session_for(o);
    ASSERT_TRUE(store_->start_sign_session(s, 3, kNow).ok()) << i;
    EXPECT_EQ(store_->get_holder(w.tenant_id, w.holder_id)->failed_attempts, i);
    ASSERT_TRUE(store_->fail_sign_session(w.tenant_id, s.session_id, kNow).ok());
    EXPECT_EQ(kind(store_->fail_sign_session(w.tenant_id, s.session_id, kNow)), StoreError::kConflict);
  }
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  EXPECT_EQ(h->status, HolderStatus::kLocked);
  Status refused = store_->start_sign_session(session_for(o), 3, kNow);
  EXPECT_EQ(refused.code(), ErrorCode::kLocked);
  EXPECT_EQ(kind(refused), StoreError::kConflict);
  EXPECT_EQ(store_->get_holder(w.tenant_id, w.holder_id)->failed_attempts, 3) << "a refused start costs nothing";
  EXPECT_EQ(store_->get_order(w.tenant_id, o.order_id)->state, OrderState::kSigning);

  ASSERT_TRUE(store_->unlock_holder(w.tenant_id, w.holder_id).ok());
  h = store_->get_holder(w.tenant_id, w.holder_id);
  EXPECT_EQ(h->status, HolderStatus::kActive);
  EXPECT_EQ(h->failed_attempts, 0);
  EXPECT_TRUE(store_->start_sign_session(session_for(o), 3, kNow).ok());
}

TEST_P(StoreContractTest, FinishOrderSignsResetsAttemptsAndEnqueuesCallback) {
  World w = make_world("t");
  SignOrder o = create(order_for(w, 2));
  SignSession failed = session_for(o);
  ASSERT_TRUE(store_->start_sign_session(failed, 5, kNow).ok());
  ASSERT_TRUE(store_->fail_sign_session(w.tenant_id, failed.session_id, kNow).ok());
  SignSession s = session_for(o);
  ASSERT_TRUE(store_->start_sign_session(s, 5, kNow + 1).ok());
  EXPECT_EQ(store_->get_holder(w.tenant_id, w.holder_id)->failed_attempts, 2);
  auto stored = store_->get_sign_session(w.tenant_id, s.session_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->r_values, s.r_values);
  EXPECT_EQ(stored->state, SessionState::kOpen);

  EXPECT_EQ(store_->finish_order(w.tenant_id, o.order_id, s.session_id, sigs(1), std::nullopt, kNow + 2).code(),
            ErrorCode::kInvalidArgument)
      << "one signature per item";
  CallbackJob cb = callback_for(o, R"({"state":"signed"})");
  ASSERT_TRUE(store_->finish_order(w.tenant_id, o.order_id, s.session_id, sigs(2), cb, kNow + 2).ok());

  auto done = store_->get_order(w.tenant_id, o.order_id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, OrderState::kSigned);
  EXPECT_EQ(done->items[0].signature, sigs(2)[0]);
  EXPECT_EQ(done->items[1].signature, sigs(2)[1]);
  EXPECT_EQ(store_->get_sign_session(w.tenant_id, s.session_id)->state, SessionState::kFinished);
  EXPECT_EQ(store_->get_holder(w.tenant_id, w.holder_id)->failed_attempts, 0);
  auto job = store_->get_callback(w.tenant_id, cb.job_id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->payload, R"({"state":"signed"})");
  EXPECT_EQ(job->order_id, o.order_id);

  // Final: nothing moves a signed order again.
  EXPECT_EQ(kind(store_->finish_order(w.tenant_id, o.order_id, s.session_id, sigs(2), std::nullopt, kNow + 3)),
            StoreError::kConflict);
  EXPECT_EQ(kind(store_->reject_order(w.tenant_id, o.order_id, std::nullopt, kNow + 3)), StoreError::kConflict);
  EXPECT_EQ(kind(store_->start_sign_session(session_for(o), 5, kNow + 3)), StoreError::kConflict);
  EXPECT_TRUE(store_->list_open_orders(w.tenant_id, w.holder_id, kNow + 3, 10)->empty());
}

TEST_P(StoreContractTest, ValidSignatureOnTheLastAttemptUnlocks) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession s = session_for(o);
  ASSERT_TRUE(store_->start_sign_session(s, 1, kNow).ok());
  EXPECT_EQ(store_->get_holder(w.tenant_id, w.holder_id)->status, HolderStatus::kLocked);
  ASSERT_TRUE(store_->finish_order(w.tenant_id, o.order_id, s.session_id, sigs(1), std::nullopt, kNow).ok());
  auto h = store_->get_holder(w.tenant_id, w.holder_id);
  EXPECT_EQ(h->status, HolderStatus::kActive);
  EXPECT_EQ(h->failed_attempts, 0);
}

TEST_P(StoreContractTest, StateChangeAndItsCallbackAreOneTransaction) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  SignSession s = session_for(o);
  ASSERT_TRUE(store_->start_sign_session(s, 5, kNow).ok());
  CallbackJob bad = callback_for(o, "{}");
  bad.url.clear();  // refused by the store after the order update ran
  EXPECT_FALSE(store_->finish_order(w.tenant_id, o.order_id, s.session_id, sigs(1), bad, kNow).ok());
  EXPECT_EQ(store_->get_order(w.tenant_id, o.order_id)->state, OrderState::kSigning);
  EXPECT_TRUE(store_->get_order(w.tenant_id, o.order_id)->items[0].signature.empty());
  EXPECT_EQ(store_->get_sign_session(w.tenant_id, s.session_id)->state, SessionState::kOpen);
  EXPECT_EQ(store_->get_holder(w.tenant_id, w.holder_id)->failed_attempts, 1);
  EXPECT_TRUE(store_->claim_due_callbacks("w", kNow, 30, 10)->empty());
  EXPECT_TRUE(store_->finish_order(w.tenant_id, o.order_id, s.session_id, sigs(1), std::nullopt, kNow).ok());
}

TEST_P(StoreContractTest, ExactlyOneOfConcurrentFinishesWins) {
  World w = make_world("t");
  for (int round = 0; round < 8; ++round) {
    SignOrder o = create(order_for(w));
    SignSession s1 = session_for(o), s2 = session_for(o);
    ASSERT_TRUE(store_->start_sign_session(s1, 100, kNow).ok());
    ASSERT_TRUE(store_->start_sign_session(s2, 100, kNow).ok());
    std::atomic<int> wins{0}, conflicts{0};
    std::latch go(2);
    auto finisher = [&](const SignSession& s, uint8_t tag) {
      go.arrive_and_wait();
      Status r = store_->finish_order(w.tenant_id, o.order_id, s.session_id, sigs(1, tag),
                                      callback_for(o, "{}"), kNow);
      if (r.ok()) ++wins;
      else if (store_error_kind(r) == StoreError::kConflict) ++conflicts;
    };
    std::thread t1(finisher, s1, 0x01), t2(finisher, s2, 0x02);
    t1.join();
    t2.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), 1) << "round " << round;
    auto done = store_->get_order(w.tenant_id, o.order_id);
    EXPECT_EQ(done->state, OrderState::kSigned);
    int finished = 0;
    for (const auto& s : {s1, s2})
      finished += store_->get_sign_session(w.tenant_id, s.session_id)->state == SessionState::kFinished;
    EXPECT_EQ(finished, 1);
  }
  auto jobs = store_->claim_due_callbacks("w", kNow, 30, 100);
  EXPECT_EQ(jobs->size(), 8u) << "one callback per order, from the winner only";
}

TEST_P(StoreContractTest, RejectAndCancel) {
  World w = make_world("t");
  SignOrder pending = create(order_for(w));
  ASSERT_TRUE(store_->cancel_order(w.tenant_id, pending.order_id, callback_for(pending, "c"), kNow).ok());
  EXPECT_EQ(store_->get_order(w.tenant_id, pending.order_id)->state, OrderState::kCancelled);
  EXPECT_EQ(kind(store_->cancel_order(w.tenant_id, pending.order_id, std::nullopt, kNow)), StoreError::kConflict);

  SignOrder signing = create(order_for(w));
  SignSession s = session_for(signing);
  ASSERT_TRUE(store_->start_sign_session(s, 5, kNow).ok());
  EXPECT_EQ(kind(store_->cancel_order(w.tenant_id, signing.order_id, std::nullopt, kNow)), StoreError::kConflict);
  ASSERT_TRUE(store_->reject_order(w.tenant_id, signing.order_id, callback_for(signing, "r"), kNow).ok());
  EXPECT_EQ(store_->get_order(w.tenant_id, signing.order_id)->state, OrderState::kRejected);
  EXPECT_EQ(store_->get_sign_session(w.tenant_id, s.session_id)->state, SessionState::kFailed);
  EXPECT_EQ(kind(store_->finish_order(w.tenant_id, signing.order_id, s.session_id, sigs(1), std::nullopt, kNow)),
            StoreError::kConflict);
  EXPECT_EQ(store_->claim_due_callbacks("w", kNow, 30, 10)->size(), 2u);
}

TEST_P(StoreContractTest, ExpireOrdersMovesPastDueOrdersAndEnqueuesCallbacks) {
  World w = make_world("t");
  World other = make_world("other");
  SignOrder due_pending = create(order_for(w, 1, kNow + 10));
  SignOrder due_signing = create(order_for(other, 1, kNow + 20));
  SignSession s = session_for(due_signing);
  ASSERT_TRUE(store_->start_sign_session(s, 5, kNow).ok());
  SignOrder no_callback = order_for(w, 1, kNow + 5);
  no_callback.callback_url.clear();
  create(no_callback);
  SignOrder future = create(order_for(w, 1, kNow + 1000));
  SignOrder signed_order = create(order_for(w, 1, kNow + 10));
  SignSession s2 = session_for(signed_order);
  ASSERT_TRUE(store_->start_sign_session(s2, 5, kNow).ok());
  ASSERT_TRUE(store_->finish_order(w.tenant_id, signed_order.order_id, s2.session_id, sigs(1), std::nullopt, kNow).ok());

  const UnixSeconds later = kNow + 20;
  // Past expiry, nothing else may move the order or start a session.
  EXPECT_EQ(kind(store_->start_sign_session(session_for(due_pending), 5, later)), StoreError::kConflict);
  EXPECT_EQ(kind(store_->finish_order(other.tenant_id, due_signing.order_id, s.session_id, sigs(1), std::nullopt,
                                      later)),
            StoreError::kConflict);
  EXPECT_EQ(kind(store_->reject_order(w.tenant_id, due_pending.order_id, std::nullopt, later)), StoreError::kConflict);
  EXPECT_EQ(store_->list_open_orders(w.tenant_id, w.holder_id, later, 10)->size(), 1u);

  int factory_calls = 0;
  auto expired = store_->expire_orders(later, 100, [&](const SignOrder& o) -> std::optional<CallbackJob> {
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
  EXPECT_EQ(store_->get_order(w.tenant_id, due_pending.order_id)->state, OrderState::kExpired);
  EXPECT_EQ(store_->get_order(other.tenant_id, due_signing.order_id)->state, OrderState::kExpired);
  EXPECT_EQ(store_->get_sign_session(other.tenant_id, s.session_id)->state, SessionState::kFailed);
  EXPECT_EQ(store_->get_order(w.tenant_id, future.order_id)->state, OrderState::kPending);
  EXPECT_EQ(store_->get_order(w.tenant_id, signed_order.order_id)->state, OrderState::kSigned);

  auto jobs = store_->claim_due_callbacks("w", later, 30, 100);
  ASSERT_TRUE(jobs.ok());
  std::set<std::string> payloads;
  for (const auto& j : *jobs) payloads.insert(j.payload);
  EXPECT_EQ(payloads, (std::set<std::string>{"expired:" + due_pending.order_id, "expired:" + due_signing.order_id}));

  EXPECT_TRUE(store_->expire_orders(later, 100, nullptr)->empty()) << "a second sweep finds nothing";
}

TEST_P(StoreContractTest, ExpireOrdersRollsBackWhenACallbackCannotBeEnqueued) {
  World w = make_world("t");
  SignOrder o = create(order_for(w, 1, kNow + 10));
  auto r = store_->expire_orders(kNow + 10, 100, [&](const SignOrder& order) -> std::optional<CallbackJob> {
    CallbackJob bad = callback_for(order, "{}");
    bad.url.clear();
    return bad;
  });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(store_->get_order(w.tenant_id, o.order_id)->state, OrderState::kPending);
}

// --- nonces -------------------------------------------------------------------------

TEST_P(StoreContractTest, NonceReuseIsRefusedUntilPruned) {
  World a = make_world("a");
  World b = make_world("b");
  ASSERT_TRUE(store_->insert_nonce(a.tenant_id, a.app_id, "n-1", kNow).ok());
  EXPECT_EQ(kind(store_->insert_nonce(a.tenant_id, a.app_id, "n-1", kNow + 1)), StoreError::kDuplicate);
  EXPECT_TRUE(store_->insert_nonce(b.tenant_id, b.app_id, "n-1", kNow).ok()) << "nonces are per app";
  ASSERT_TRUE(store_->insert_nonce(a.tenant_id, a.app_id, "n-2", kNow + 400).ok());
  auto pruned = store_->prune_nonces(kNow + 400 - 300);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2u);
  EXPECT_EQ(kind(store_->insert_nonce(a.tenant_id, a.app_id, "n-2", kNow + 401)), StoreError::kDuplicate);
  EXPECT_TRUE(store_->insert_nonce(a.tenant_id, a.app_id, "n-1", kNow + 401).ok());
}

TEST_P(StoreContractTest, ConcurrentNonceInsertsAcceptExactlyOne) {
  World w = make_world("t");
  constexpr int kThreads = 4;
  std::atomic<int> ok{0}, dup{0};
  std::latch go(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      go.arrive_and_wait();
      Status s = store_->insert_nonce(w.tenant_id, w.app_id, "race", kNow);
      if (s.ok()) ++ok;
      else if (store_error_kind(s) == StoreError::kDuplicate) ++dup;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(dup.load(), kThreads - 1);
}

// --- callback queue -------------------------------------------------------------------

TEST_P(StoreContractTest, CallbackClaimLeaseAndDeliverOnce) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  CallbackJob j1 = callback_for(o, "one");
  CallbackJob j2 = callback_for(o, "two");
  j2.next_attempt_at = kNow + 100;
  ASSERT_TRUE(store_->enqueue_callback(j1).ok());
  ASSERT_TRUE(store_->enqueue_callback(j2).ok());

  auto a = store_->claim_due_callbacks("worker-a", kNow, 30, 10);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u) << "j2 is not due yet";
  EXPECT_EQ((*a)[0].job_id, j1.job_id);
  EXPECT_EQ((*a)[0].attempts, 1);
  EXPECT_EQ((*a)[0].lease_owner, "worker-a");
  EXPECT_EQ((*a)[0].lease_until, kNow + 30);
  EXPECT_TRUE(store_->claim_due_callbacks("worker-b", kNow + 29, 30, 10)->empty()) << "leased";

  // The lease runs out; worker-b takes over, worker-a can no longer report failure.
  auto b = store_->claim_due_callbacks("worker-b", kNow + 30, 30, 10);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].attempts, 2);
  EXPECT_EQ(kind(store_->mark_callback_failed(w.tenant_id, j1.job_id, "worker-a", "timeout", kNow + 31)),
            StoreError::kConflict);
  ASSERT_TRUE(store_->mark_callback_failed(w.tenant_id, j1.job_id, "worker-b", "HTTP 503", kNow + 90).ok());
  auto failed = store_->get_callback(w.tenant_id, j1.job_id);
  EXPECT_EQ(failed->last_error, "HTTP 503");
  EXPECT_TRUE(failed->lease_owner.empty());
  EXPECT_FALSE(failed->lease_until.has_value());
  EXPECT_TRUE(store_->claim_due_callbacks("worker-c", kNow + 89, 30, 10)->empty()) << "backing off";

  auto c = store_->claim_due_callbacks("worker-c", kNow + 100, 30, 10);
  ASSERT_EQ(c->size(), 2u);
  ASSERT_TRUE(store_->mark_callback_delivered(w.tenant_id, j1.job_id, kNow + 101).ok());
  EXPECT_EQ(kind(store_->mark_callback_delivered(w.tenant_id, j1.job_id, kNow + 102)), StoreError::kConflict);
  EXPECT_EQ(kind(store_->mark_callback_failed(w.tenant_id, j1.job_id, "worker-c", "x", kNow)), StoreError::kConflict);
  EXPECT_EQ(store_->get_callback(w.tenant_id, j1.job_id)->delivered_at, kNow + 101);
  EXPECT_EQ(kind(store_->mark_callback_delivered(w.tenant_id, "cbk_missing", kNow)), StoreError::kNotFound);

  // Delivered jobs are never claimed again, even after every lease ran out.
  auto later = store_->claim_due_callbacks("worker-d", kNow + 1000, 30, 10);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].job_id, j2.job_id);
}

TEST_P(StoreContractTest, ConcurrentClaimsLeaseEachJobToOneWorker) {
  World w = make_world("t");
  SignOrder o = create(order_for(w));
  constexpr int kJobs = 40, kWorkers = 4;
  for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(store_->enqueue_callback(callback_for(o, std::to_string(i))).ok());
  std::vector<std::vector<CallbackJob>> got(kWorkers);
  std::latch go(kWorkers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      for (;;) {
        auto r = store_->claim_due_callbacks("worker-" + std::to_string(i), kNow, 60, 3);
        if (!r.ok() || r->empty()) break;
        for (auto& j : *r) got[i].push_back(std::move(j));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> seen;
  size_t total = 0;
  for (const auto& list : got) {
    total += list.size();
    for (const auto& j : list) seen.insert(j.job_id);
  }
  EXPECT_EQ(total, static_cast<size_t>(kJobs));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kJobs));
}

}  // namespace
}  // namespace duet::store::testing
