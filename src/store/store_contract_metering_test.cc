// Contract tests of packages, exactly-once metering and notices (store.h
// "packages and metering"; issue 5 items 1 and 9). Backend-neutral: written
// against the StoreContractTest fixture only.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_test_util.h"

namespace duet::store::testing {
namespace {

constexpr int64_t kDay = 86'400;
constexpr int64_t kYear = 365 * kDay;

class Metering {
 public:
  explicit Metering(Store& s) : s_(s) {}

  // A tenant with a production app, a sandbox app and one holder (created
  // without an app, so not metered).
  struct Tenant2 {
    std::string tenant_id, prod_app, sandbox_app, holder_id;
  };
  Tenant2 tenant() {
    Tenant2 w{new_id("ten_"), new_id("app_"), new_id("app_"), new_id("hld_")};
    Tenant t;
    t.tenant_id = w.tenant_id;
    t.name = "metering";
    t.created_at = StoreContractTest::kNow;
    EXPECT_TRUE(s_.create_tenant({}, t).ok());
    for (const auto& [id, env] : {std::pair{w.prod_app, AppEnvironment::kProduction},
                                  std::pair{w.sandbox_app, AppEnvironment::kSandbox}}) {
      App a;
      a.tenant_id = w.tenant_id;
      a.app_id = id;
      a.secret_ciphertext = Bytes{1, 2, 3};
      a.environment = env;
      a.created_at = StoreContractTest::kNow;
      EXPECT_TRUE(s_.create_app({}, a).ok());
    }
    Holder h = holder(w, "");
    EXPECT_TRUE(s_.create_holder({}, h).ok());
    w.holder_id = h.holder_id;
    return w;
  }

  Holder holder(const Tenant2& w, const std::string& app_id, UnixSeconds at = StoreContractTest::kNow) {
    Holder h;
    h.tenant_id = w.tenant_id;
    h.holder_id = new_id("hld_");
    h.name_ciphertext = Bytes{0xa1};
    h.id_number_ciphertext = Bytes{0xa2};
    h.phone_ciphertext = Bytes{0xa3};
    h.lookup_hash = Bytes(h.holder_id.begin(), h.holder_id.end());
    h.created_at = at;
    h.identity_verified_by = app_id;
    h.identity_verification = app_id.empty() ? "" : "attested";
    return h;
  }

  Package package(const Tenant2& w, PackageKind kind, int64_t quantity, UnixSeconds starts_at,
                  UnixSeconds expires_at, const std::string& source = "purchase") {
    Package p;
    p.tenant_id = w.tenant_id;
    p.package_id = new_id("pkg_");
    p.kind = kind;
    p.quantity = quantity;
    p.starts_at = starts_at;
    p.expires_at = expires_at;
    p.source = source;
    p.created_at = starts_at;
    return p;
  }
  std::string add(const Package& p) {
    Status st = s_.add_package({}, p);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    return p.package_id;
  }

  SignOrder order(const Tenant2& w, const std::string& app_id, size_t items, UnixSeconds created_at,
                  UnixSeconds expires_at) {
    SignOrder o;
    o.tenant_id = w.tenant_id;
    o.order_id = new_id("ord_");
    o.app_id = app_id;
    o.holder_id = w.holder_id;
    o.title = "metering";
    o.display_text = "sign";
    o.output_format = OutputFormat::kRaw;
    for (size_t i = 0; i < items; ++i) o.items.push_back(SignItem{Bytes(32, 7), true, {}});
    o.created_at = created_at;
    o.expires_at = expires_at;
    return o;
  }

  // Creates the order and starts a session at `now`; returns the session id.
  std::string open(const SignOrder& o, UnixSeconds now) {
    auto created = s_.create_order({}, o);
    EXPECT_TRUE(created.ok()) << created.error().to_string();
    SignSession s;
    s.tenant_id = o.tenant_id;
    s.session_id = new_id("ses_");
    s.order_id = o.order_id;
    s.holder_id = o.holder_id;
    for (size_t i = 0; i < o.items.size(); ++i) s.r_values.push_back("ab");
    Status st = open_session(s_, s, now, 1000000);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    return s.session_id;
  }

  Status finish(const SignOrder& o, const std::string& session, UnixSeconds now) {
    std::vector<Bytes> sigs(o.items.size(), Bytes{0x30, 0x01});
    return s_.finish_order({}, o.tenant_id, o.order_id, session, sigs, std::nullopt, now);
  }

  // `n` orders of `items` items each, created and opened at `now`: the orders
  // and their sessions' ids.
  std::pair<std::vector<SignOrder>, std::vector<std::string>> open_orders(const Tenant2& w, int n, size_t items,
                                                                          UnixSeconds now) {
    std::vector<SignOrder> orders;
    std::vector<std::string> sessions;
    for (int i = 0; i < n; ++i) {
      orders.push_back(order(w, w.prod_app, items, now, now + 600));
      sessions.push_back(open(orders.back(), now));
    }
    return {orders, sessions};
  }

  // Creates, opens and finishes an order at `now`.
  Status sign(const Tenant2& w, const std::string& app, size_t items, UnixSeconds now) {
    SignOrder o = order(w, app, items, now, now + 600);
    return finish(o, open(o, now), now);
  }

  int64_t used(const Tenant2& w, const std::string& package_id) {
    auto p = s_.get_package(w.tenant_id, package_id);
    EXPECT_TRUE(p.ok());
    return p.ok() ? p->used : -1;
  }

  size_t usage_count(const Tenant2& w) {
    auto u = s_.list_usage_records(w.tenant_id, 0, INT64_MAX / 2, 1'000'000);
    EXPECT_TRUE(u.ok());
    return u.ok() ? u->size() : 0;
  }

  std::vector<NoticeKind> notice_kinds(const Tenant2& w, const std::string& package_id) {
    auto n = s_.list_notices(w.tenant_id, 100);
    EXPECT_TRUE(n.ok());
    // Sorted by kind (notices of one transaction share created_at).
    std::vector<NoticeKind> out;
    if (n.ok())
      for (const auto& notice : *n)
        if (notice.package_id == package_id) out.push_back(notice.kind);
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  Store& s_;
};

constexpr UnixSeconds kNow = StoreContractTest::kNow;

bool quota_exhausted(const Status& s) {
  return !s.ok() && s.code() == ErrorCode::kQuotaExhausted && store_error_kind(s) == StoreError::kConflict;
}
template <typename T>
bool quota_exhausted(const Result<T>& r) {
  return !r.ok() && r.code() == ErrorCode::kQuotaExhausted && store_error_kind(r) == StoreError::kConflict;
}

// How racing metered writes ended: ok, refused with quota_exhausted, or else.
struct RaceOutcome {
  int ok = 0, exhausted = 0, other = 0;
};

// write(0) … write(n - 1) at once (run_together), counted by how each ended.
RaceOutcome race_metered(int n, const std::function<Status(int)>& write) {
  std::atomic<int> ok{0}, exhausted{0}, other{0};
  run_together(n, [&](int i) {
    Status st = write(i);
    if (st.ok()) ok++;
    else if (quota_exhausted(st)) exhausted++;
    else other++;
  });
  return {ok.load(), exhausted.load(), other.load()};
}

TEST_P(StoreContractTest, PackageMinimumsAndValidation) {
  Metering m(*store_);
  auto w = m.tenant();
  auto expect_invalid = [&](const Package& p) {
    Status s = store_->add_package({}, p);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << p.quantity;
  };
  // Per-signature purchases: 9,999 refused, 10,000 accepted.
  expect_invalid(m.package(w, PackageKind::kPerSignature, 9'999, kNow, kNow + kYear));
  m.add(m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + kYear));
  // Per-user purchases: 999 refused, 1,000 accepted.
  expect_invalid(m.package(w, PackageKind::kPerUser, 999, kNow, kNow + kYear));
  m.add(m.package(w, PackageKind::kPerUser, 1'000, kNow, kNow + kYear));
  // Unlimited: quantity 0 only.
  expect_invalid(m.package(w, PackageKind::kUnlimited, 10'000, kNow, kNow + kYear));
  m.add(m.package(w, PackageKind::kUnlimited, 0, kNow, kNow + 2 * kYear));
  // Compensation credits may be small but not empty.
  m.add(m.package(w, PackageKind::kPerSignature, 25, kNow, kNow + kYear / 2, "sla_credit"));
  expect_invalid(m.package(w, PackageKind::kPerSignature, 0, kNow, kNow + kYear, "sla_credit"));
  expect_invalid(m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow, "purchase"));  // no term
  expect_invalid(m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + kYear, "gift"));
  Package used = m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + kYear);
  used.used = 5;
  expect_invalid(used);

  Package orphan = m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + kYear);
  orphan.tenant_id = new_id("ten_");
  EXPECT_EQ(store_error_kind(store_->add_package({}, orphan)), StoreError::kNotFound);
  Package dup = m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + kYear);
  m.add(dup);
  EXPECT_EQ(store_error_kind(store_->add_package({}, dup)), StoreError::kDuplicate);

  auto list = store_->list_packages(w.tenant_id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 5u);
  for (size_t i = 1; i < list->size(); ++i) EXPECT_LE((*list)[i - 1].expires_at, (*list)[i].expires_at);
  EXPECT_EQ(list->front().source, "sla_credit");  // the half-year credit ends first
  EXPECT_EQ(list->back().kind, PackageKind::kUnlimited);
  auto got = store_->get_package(w.tenant_id, dup.package_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->quantity, 10'000);
  EXPECT_EQ(got->used, 0);
  EXPECT_EQ(store_error_kind(store_->get_package(new_id("ten_"), dup.package_id)), StoreError::kNotFound);
  auto other = store_->list_packages(new_id("ten_"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

// The 10,000th signature of a 10,000 package succeeds, the 10,001st is refused
// at finish (the order stays signing, nothing counted) and a new order is
// refused at create.
TEST_P(StoreContractTest, TenThousandthSignatureSucceedsTheNextIsRefused) {
  Metering m(*store_);
  auto w = m.tenant();
  std::string pkg = m.add(m.package(w, PackageKind::kPerSignature, 10'000, kNow - 10, kNow + kYear));

  ASSERT_TRUE(m.sign(w, w.prod_app, 9'998, kNow).ok());  // one batch order of 9,998 items
  EXPECT_EQ(m.used(w, pkg), 9'998);
  EXPECT_EQ((m.notice_kinds(w, pkg)), (std::vector<NoticeKind>{NoticeKind::kUsed80, NoticeKind::kUsed90}));
  ASSERT_TRUE(m.sign(w, w.prod_app, 1, kNow).ok());  // 9,999th
  // Two orders are created while one unit is left; only one can finish.
  SignOrder c = m.order(w, w.prod_app, 1, kNow, kNow + 600);
  SignOrder d = m.order(w, w.prod_app, 1, kNow, kNow + 600);
  std::string sc = m.open(c, kNow), sd = m.open(d, kNow);
  // A batch of 2 does not fit in the 1 left: refused at create.
  EXPECT_TRUE(quota_exhausted(store_->create_order({}, m.order(w, w.prod_app, 2, kNow, kNow + 600))));
  ASSERT_TRUE(m.finish(c, sc, kNow + 1).ok());  // the 10,000th signature
  EXPECT_EQ(m.used(w, pkg), 10'000);
  EXPECT_EQ((m.notice_kinds(w, pkg)),
            (std::vector<NoticeKind>{NoticeKind::kUsed80, NoticeKind::kUsed90, NoticeKind::kUsed100}));

  Status refused = m.finish(d, sd, kNow + 2);  // the 10,001st
  EXPECT_TRUE(quota_exhausted(refused)) << (refused.ok() ? "ok" : refused.error().to_string());
  auto still = store_->get_order(w.tenant_id, d.order_id);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->state, OrderState::kSigning);
  EXPECT_TRUE(still->items[0].signature.empty());
  EXPECT_EQ(m.used(w, pkg), 10'000);
  EXPECT_EQ(m.usage_count(w), 10'000u);
  auto session = store_->get_sign_session(w.tenant_id, sd);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->state, SessionState::kOpen);  // the holder may retry once the tenant buys more

  // New orders are refused with quota_exhausted; sandbox orders are not.
  auto created = store_->create_order({}, m.order(w, w.prod_app, 1, kNow + 3, kNow + 600));
  EXPECT_TRUE(!created.ok() && created.code() == ErrorCode::kQuotaExhausted);
  EXPECT_TRUE(m.sign(w, w.sandbox_app, 1, kNow + 3).ok());
  EXPECT_EQ(store_->check_quota(w.tenant_id, PackageKind::kPerSignature, 1, kNow + 3).code(),
            ErrorCode::kQuotaExhausted);

  // After a new purchase the refused finish goes through, counted once.
  std::string pkg2 = m.add(m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + 2 * kYear));
  ASSERT_TRUE(m.finish(d, sd, kNow + 4).ok());
  EXPECT_EQ(m.used(w, pkg2), 1);
  EXPECT_EQ(m.usage_count(w), 10'001u);
}

TEST_P(StoreContractTest, PackageExpiryAtTheExactInstant) {
  Metering m(*store_);
  auto w = m.tenant();
  const UnixSeconds start = kNow, end = kNow + kYear;
  std::string pkg = m.add(m.package(w, PackageKind::kPerSignature, 10'000, start, end));
  // Not yet started.
  EXPECT_EQ(store_->check_quota(w.tenant_id, PackageKind::kPerSignature, 1, start - 1).code(),
            ErrorCode::kQuotaExhausted);
  EXPECT_TRUE(store_->check_quota(w.tenant_id, PackageKind::kPerSignature, 1, start).ok());
  EXPECT_TRUE(store_->check_quota(w.tenant_id, PackageKind::kPerSignature, 1, end - 1).ok());
  EXPECT_EQ(store_->check_quota(w.tenant_id, PackageKind::kPerSignature, 1, end).code(), ErrorCode::kQuotaExhausted);

  // Orders opened one second before expiry: one finishes at end - 1, the
  // other at exactly end, when the remaining quantity is void.
  SignOrder a = m.order(w, w.prod_app, 1, end - 1, end + 600);
  SignOrder b = m.order(w, w.prod_app, 1, end - 1, end + 600);
  std::string sa = m.open(a, end - 1), sb = m.open(b, end - 1);
  EXPECT_TRUE(m.finish(a, sa, end - 1).ok());
  EXPECT_TRUE(quota_exhausted(m.finish(b, sb, end)));
  EXPECT_EQ(m.used(w, pkg), 1);
  EXPECT_TRUE(quota_exhausted(store_->create_order({}, m.order(w, w.prod_app, 1, end, end + 600))));
}

TEST_P(StoreContractTest, EarliestExpiryFirstAndSpillOver) {
  Metering m(*store_);
  auto w = m.tenant();
  std::string late = m.add(m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + 2 * kYear));
  std::string early = m.add(m.package(w, PackageKind::kPerSignature, 2, kNow, kNow + kYear / 2, "sla_credit"));
  std::string middle = m.add(m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + kYear));
  ASSERT_TRUE(m.sign(w, w.prod_app, 3, kNow).ok());  // 2 from `early`, 1 spills to `middle`
  EXPECT_EQ(m.used(w, early), 2);
  EXPECT_EQ(m.used(w, middle), 1);
  EXPECT_EQ(m.used(w, late), 0);
  auto usage = store_->list_usage_records(w.tenant_id, kNow, kNow + 1, 10);
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 3u);
  int from_early = 0, from_middle = 0;
  std::set<int64_t> items;
  for (const auto& u : *usage) {
    from_early += u.package_id == early;
    from_middle += u.package_id == middle;
    items.insert(u.item_index);
    EXPECT_EQ(u.kind, PackageKind::kPerSignature);
    EXPECT_EQ(u.holder_id, w.holder_id);
  }
  EXPECT_EQ(from_early, 2);
  EXPECT_EQ(from_middle, 1);
  EXPECT_EQ(items, (std::set<int64_t>{0, 1, 2}));
  EXPECT_EQ((m.notice_kinds(w, early)),
            (std::vector<NoticeKind>{NoticeKind::kUsed80, NoticeKind::kUsed90, NoticeKind::kUsed100}));
  // Once `early` has expired, `middle` serves.
  ASSERT_TRUE(m.sign(w, w.prod_app, 1, kNow + kYear / 2).ok());
  EXPECT_EQ(m.used(w, middle), 2);
  auto counted = store_->count_usage(w.tenant_id, PackageKind::kPerSignature, kNow, kNow + kYear);
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(*counted, 4);
}

TEST_P(StoreContractTest, SandboxAndCertificateRequestsAreNeverMetered) {
  Metering m(*store_);
  auto w = m.tenant();  // no package at all
  EXPECT_TRUE(m.sign(w, w.sandbox_app, 3, kNow).ok());
  // A production app of a tenant without any package is refused.
  EXPECT_TRUE(quota_exhausted(store_->create_order({}, m.order(w, w.prod_app, 1, kNow, kNow + 600))));
  // Certificate requests are not signatures of business data.
  HolderKeyShare k = add_key(World{w.tenant_id, w.prod_app, w.holder_id});
  SignOrder csr = m.order(w, w.prod_app, 1, kNow, kNow + 600);
  csr.kind = OrderKind::kCsr;
  csr.key_id = k.key_id;
  std::string session = m.open(csr, kNow);
  Certificate cert;
  cert.tenant_id = w.tenant_id;
  cert.cert_id = new_id("crt_");
  cert.holder_id = w.holder_id;
  cert.key_id = k.key_id;
  cert.serial_hex = "0a" + std::to_string(kNow);
  cert.issuer_id = "ca_issuing";
  cert.der = Bytes{0x30};
  cert.not_before = kNow;
  cert.not_after = kNow + kYear;
  cert.created_at = kNow;
  Status st = store_->finish_csr_order({}, w.tenant_id, csr.order_id, session, {Bytes{0x30}}, cert, kNow);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().to_string());
  EXPECT_EQ(m.usage_count(w), 0u);
  // Holders created by the sandbox app are not counted either.
  EXPECT_TRUE(store_->create_holder({}, m.holder(w, w.sandbox_app)).ok());
  EXPECT_EQ(m.usage_count(w), 0u);
}

TEST_P(StoreContractTest, PerUserPackagesCountHoldersAtCreation) {
  Metering m(*store_);
  auto w = m.tenant();
  // No package: a production app cannot create a holder.
  Holder refused = m.holder(w, w.prod_app);
  EXPECT_TRUE(quota_exhausted(store_->create_holder({}, refused)));
  EXPECT_EQ(store_error_kind(store_->get_holder(w.tenant_id, refused.holder_id)), StoreError::kNotFound);

  std::string credit = m.add(m.package(w, PackageKind::kPerUser, 1, kNow, kNow + kYear / 4, "sla_credit"));
  std::string users = m.add(m.package(w, PackageKind::kPerUser, 1'000, kNow, kNow + kYear));
  Holder a = m.holder(w, w.prod_app), b = m.holder(w, w.prod_app);
  ASSERT_TRUE(store_->create_holder({}, a).ok());
  ASSERT_TRUE(store_->create_holder({}, b).ok());
  EXPECT_EQ(m.used(w, credit), 1);  // earliest expiry first
  EXPECT_EQ(m.used(w, users), 1);
  // A duplicate holder (same lookup hash) fails and counts nothing.
  Holder dup = m.holder(w, w.prod_app);
  dup.lookup_hash = a.lookup_hash;
  EXPECT_EQ(store_error_kind(store_->create_holder({}, dup)), StoreError::kDuplicate);
  EXPECT_EQ(m.used(w, users), 1);
  auto usage = store_->list_usage_records(w.tenant_id, 0, kNow + 1, 10);
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 2u);
  for (const auto& u : *usage) {
    EXPECT_EQ(u.kind, PackageKind::kPerUser);
    EXPECT_TRUE(u.order_id.empty());
    EXPECT_TRUE(u.holder_id == a.holder_id || u.holder_id == b.holder_id);
  }
  // A per-user tenant's signatures are not counted.
  EXPECT_TRUE(m.sign(w, w.prod_app, 2, kNow).ok());
  auto sigs = store_->count_usage(w.tenant_id, PackageKind::kPerSignature, 0, kNow + kYear);
  ASSERT_TRUE(sigs.ok());
  EXPECT_EQ(*sigs, 0);
  // After the per-user packages end, holders (and signatures) are refused.
  EXPECT_TRUE(quota_exhausted(store_->create_holder({}, m.holder(w, w.prod_app, kNow + kYear))));
  EXPECT_TRUE(quota_exhausted(store_->create_order({}, m.order(w, w.prod_app, 1, kNow + kYear, kNow + kYear + 600))));
}

TEST_P(StoreContractTest, UnlimitedPackageCountsNothing) {
  Metering m(*store_);
  auto w = m.tenant();
  std::string pkg = m.add(m.package(w, PackageKind::kUnlimited, 0, kNow, kNow + kYear));
  EXPECT_TRUE(m.sign(w, w.prod_app, 5, kNow).ok());
  EXPECT_TRUE(store_->create_holder({}, m.holder(w, w.prod_app)).ok());
  EXPECT_EQ(m.used(w, pkg), 0);
  EXPECT_EQ(m.usage_count(w), 0u);
  EXPECT_TRUE(quota_exhausted(store_->create_order({}, m.order(w, w.prod_app, 1, kNow + kYear, kNow + kYear + 600))));
}

TEST_P(StoreContractTest, RetriedFinishCountsOnce) {
  Metering m(*store_);
  auto w = m.tenant();
  std::string pkg = m.add(m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + kYear));
  SignOrder o = m.order(w, w.prod_app, 2, kNow, kNow + 600);
  std::string s = m.open(o, kNow);
  ASSERT_TRUE(m.finish(o, s, kNow).ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(store_error_kind(m.finish(o, s, kNow + 1)), StoreError::kConflict);
  EXPECT_EQ(m.used(w, pkg), 2);
  EXPECT_EQ(m.usage_count(w), 2u);
}

// 100 concurrent finishes of distinct orders on a package with 10 left:
// exactly 10 signed and counted, 90 refused with quota_exhausted.
TEST_P(StoreContractTest, HundredConcurrentFinishesOnTenLeft) {
  Metering m(*store_);
  auto w = m.tenant();
  std::string pkg = m.add(m.package(w, PackageKind::kPerSignature, 10'000, kNow, kNow + kYear));
  ASSERT_TRUE(m.sign(w, w.prod_app, 9'990, kNow).ok());
  ASSERT_EQ(m.used(w, pkg), 9'990);
  constexpr int kN = 100;
  auto [orders, sessions] = m.open_orders(w, kN, 1, kNow);
  RaceOutcome race = race_metered(kN, [&](int i) { return m.finish(orders[i], sessions[i], kNow + 1); });
  EXPECT_EQ(race.ok, 10);
  EXPECT_EQ(race.exhausted, 90);
  EXPECT_EQ(race.other, 0);
  EXPECT_EQ(m.used(w, pkg), 10'000);
  EXPECT_EQ(m.usage_count(w), 10'000u);
  int signed_orders = 0;
  for (const auto& o : orders) {
    auto got = store_->get_order(w.tenant_id, o.order_id);
    ASSERT_TRUE(got.ok());
    signed_orders += got->state == OrderState::kSigned;
  }
  EXPECT_EQ(signed_orders, 10);
  auto late = store_->list_usage_records(w.tenant_id, kNow + 1, kNow + 2, 1000);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->size(), 10u);
  EXPECT_EQ((m.notice_kinds(w, pkg)),
            (std::vector<NoticeKind>{NoticeKind::kUsed80, NoticeKind::kUsed90, NoticeKind::kUsed100}));
}

TEST_P(StoreContractTest, ExpiryNoticesFireOnceEachAndQueueWebhooks) {
  Metering m(*store_);
  auto w = m.tenant();
  auto quiet = m.tenant();  // no notify target
  const UnixSeconds end = kNow + 40 * kDay;
  std::string pkg = m.add(m.package(w, PackageKind::kPerSignature, 10'000, kNow, end));
  std::string late = m.add(m.package(quiet, PackageKind::kPerSignature, 10'000, kNow, kNow + 5 * kDay));
  TenantNotifyTarget target{w.tenant_id, "https://biz.example/notices", Bytes{9, 9}, kNow};
  ASSERT_TRUE(store_->set_tenant_notify_target({}, target).ok());
  auto got_target = store_->get_tenant_notify_target(w.tenant_id);
  ASSERT_TRUE(got_target.ok());
  EXPECT_EQ(got_target->url, target.url);
  EXPECT_EQ(got_target->secret_ciphertext, target.secret_ciphertext);
  EXPECT_EQ(store_error_kind(store_->get_tenant_notify_target(quiet.tenant_id)), StoreError::kNotFound);

  std::vector<std::pair<std::string, std::string>> made;  // (notice id, url)
  auto factory = [&](const Notice& n, const std::string& url) -> std::optional<CallbackJob> {
    made.emplace_back(n.notice_id, url);
    CallbackJob j;
    j.payload = "{\"notice\":\"" + n.notice_id + "\"}";
    j.next_attempt_at = n.created_at;
    return j;
  };
  // The notices a sweep inserted, for `only` (empty: every package).
  auto sweep = [&](UnixSeconds at, const std::string& only = "") {
    auto r = store_->sweep_package_notices({}, at, 100, factory);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    std::vector<Notice> out;
    if (r.ok())
      for (const auto& n : *r)
        if (only.empty() || n.package_id == only) out.push_back(n);
    return out;
  };
  // kNow: `quiet`'s package ends in 5 days: only its 7-day notice (no late 30-day one).
  auto first = sweep(kNow);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].package_id, late);
  EXPECT_EQ(first[0].kind, NoticeKind::kExpiring7Days);
  EXPECT_TRUE(made.empty());  // no notify target: not queued
  auto quiet_notices = store_->list_notices(quiet.tenant_id, 10);
  ASSERT_TRUE(quiet_notices.ok());
  ASSERT_EQ(quiet_notices->size(), 1u);
  EXPECT_EQ(quiet_notices->front().webhook_state, "none");

  auto quiet_ended = sweep(kNow + 5 * kDay, late);  // the exact instant of its end
  ASSERT_EQ(quiet_ended.size(), 1u);
  EXPECT_EQ(quiet_ended[0].kind, NoticeKind::kEnded);
  EXPECT_TRUE(sweep(end - 30 * kDay - 1, pkg).empty());
  auto n30 = sweep(end - 30 * kDay, pkg);  // exactly 30 days before
  ASSERT_EQ(n30.size(), 1u);
  EXPECT_EQ(n30[0].kind, NoticeKind::kExpiring30Days);
  EXPECT_TRUE(sweep(end - 20 * kDay).empty());  // once
  EXPECT_TRUE(sweep(end - 7 * kDay - 1).empty());
  auto n7 = sweep(end - 7 * kDay, pkg);
  ASSERT_EQ(n7.size(), 1u);
  EXPECT_EQ(n7[0].kind, NoticeKind::kExpiring7Days);
  EXPECT_TRUE(sweep(end - 1).empty());
  auto ended = sweep(end, pkg);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, NoticeKind::kEnded);
  EXPECT_TRUE(sweep(end + kDay).empty());
  EXPECT_EQ((m.notice_kinds(w, pkg)), (std::vector<NoticeKind>{NoticeKind::kExpiring30Days,
                                                               NoticeKind::kExpiring7Days, NoticeKind::kEnded}));
  auto quiet_all = store_->list_notices(quiet.tenant_id, 10);
  ASSERT_TRUE(quiet_all.ok());
  EXPECT_EQ(quiet_all->size(), 2u);  // 7 days and ended: never a late 30-day notice

  // Each of w's notices was queued once, as a job without an order.
  ASSERT_EQ(made.size(), 3u);
  auto jobs = store_->claim_due_callbacks({}, "meter-test", end + kDay, 60, 100);
  ASSERT_TRUE(jobs.ok());
  size_t notice_jobs = 0;
  for (const auto& j : *jobs) {
    if (j.tenant_id != w.tenant_id) continue;
    ++notice_jobs;
    EXPECT_TRUE(j.order_id.empty());
    EXPECT_EQ(j.url, target.url);
    EXPECT_NE(j.payload.find("ntc_"), std::string::npos);
    EXPECT_TRUE(store_->mark_callback_delivered({}, j.tenant_id, j.job_id, end + kDay).ok());
  }
  EXPECT_EQ(notice_jobs, 3u);
  auto listed = store_->list_notices(w.tenant_id, 10);
  ASSERT_TRUE(listed.ok());
  for (const auto& n : *listed) EXPECT_EQ(n.webhook_state, "queued");
  EXPECT_EQ(listed->front().kind, NoticeKind::kEnded);  // newest first

  // Removing the target.
  ASSERT_TRUE(store_->set_tenant_notify_target({}, TenantNotifyTarget{w.tenant_id, "", {}, kNow}).ok());
  EXPECT_EQ(store_error_kind(store_->get_tenant_notify_target(w.tenant_id)), StoreError::kNotFound);
  EXPECT_EQ(store_error_kind(
                store_->set_tenant_notify_target({}, TenantNotifyTarget{new_id("ten_"), "https://x", Bytes{1}, kNow})),
            StoreError::kNotFound);
}

TEST_P(StoreContractTest, UsageRecordsAreKeptAtLeastOneYear) {
  Metering m(*store_);
  auto w = m.tenant();
  const UnixSeconds old = kNow - 400 * kDay;
  m.add(m.package(w, PackageKind::kPerSignature, 10'000, old - kDay, kNow + kYear, "sla_credit"));
  ASSERT_TRUE(m.sign(w, w.prod_app, 1, old).ok());
  ASSERT_TRUE(m.sign(w, w.prod_app, 1, kNow - 300 * kDay).ok());
  ASSERT_TRUE(m.sign(w, w.prod_app, 1, kNow).ok());
  // Cutoffs younger than 366 days are refused and delete nothing.
  auto refused = store_->prune_usage_records({}, kNow - 365 * kDay, kNow);
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->prune_usage_records({}, kNow, kNow).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(m.usage_count(w), 3u);
  auto pruned = store_->prune_usage_records({}, kNow - 366 * kDay, kNow);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 1u);
  EXPECT_EQ(m.usage_count(w), 2u);
}

// --- the quota consumption order (core/quota_order.h) on every backend ---

// Same expiry: the lower package_id first, whatever order they were added in.
TEST_P(StoreContractTest, QuotaOrderBreaksExpiryTiesByPackageId) {
  Metering m(*store_);
  auto w = m.tenant();
  const std::string suffix = new_id("");
  Package b = m.package(w, PackageKind::kPerSignature, 2, kNow, kNow + kYear, "sla_credit");
  b.package_id = "pkg_b" + suffix;
  Package a = m.package(w, PackageKind::kPerSignature, 2, kNow, kNow + kYear, "sla_credit");
  a.package_id = "pkg_a" + suffix;
  Package c = m.package(w, PackageKind::kPerSignature, 1, kNow, kNow + kYear - 1, "sla_credit");
  c.package_id = "pkg_c" + suffix;  // the earliest expiry wins over any id
  m.add(b);
  m.add(a);
  m.add(c);
  ASSERT_TRUE(m.sign(w, w.prod_app, 2, kNow).ok());
  EXPECT_EQ(m.used(w, c.package_id), 1);
  EXPECT_EQ(m.used(w, a.package_id), 1);
  EXPECT_EQ(m.used(w, b.package_id), 0);
  ASSERT_TRUE(m.sign(w, w.prod_app, 2, kNow).ok());  // spills from a to b
  EXPECT_EQ(m.used(w, a.package_id), 2);
  EXPECT_EQ(m.used(w, b.package_id), 1);
}

// A batch is covered whole or not at all: with 2 left over two packages a
// 3-item finish is refused and neither package moves; when the counted kind
// falls short, a usable package of the other kind covers the batch without
// counting anything (never a partial count).
TEST_P(StoreContractTest, QuotaOrderNeverCountsABatchInPart) {
  Metering m(*store_);
  auto w = m.tenant();
  std::string p1 = m.add(m.package(w, PackageKind::kPerSignature, 1, kNow, kNow + kYear / 2, "sla_credit"));
  std::string p2 = m.add(m.package(w, PackageKind::kPerSignature, 3, kNow, kNow + kYear, "sla_credit"));
  SignOrder big = m.order(w, w.prod_app, 3, kNow, kNow + 600);
  std::string session = m.open(big, kNow);  // 4 left at create
  ASSERT_TRUE(m.sign(w, w.prod_app, 2, kNow).ok());  // p1 1, p2 1: 2 left
  EXPECT_EQ(m.used(w, p1), 1);
  EXPECT_EQ(m.used(w, p2), 1);
  EXPECT_TRUE(quota_exhausted(m.finish(big, session, kNow + 1)));
  EXPECT_EQ(m.used(w, p1), 1);
  EXPECT_EQ(m.used(w, p2), 1);
  EXPECT_EQ(m.usage_count(w), 2u);

  // A per-user package makes the short batch free; p2 keeps its 2.
  m.add(m.package(w, PackageKind::kPerUser, 1'000, kNow, kNow + kYear));
  ASSERT_TRUE(m.finish(big, session, kNow + 2).ok());
  EXPECT_EQ(m.used(w, p2), 1);
  EXPECT_EQ(m.usage_count(w), 2u);
  // A batch that fits is still counted from the per-signature packages.
  ASSERT_TRUE(m.sign(w, w.prod_app, 2, kNow + 3).ok());
  EXPECT_EQ(m.used(w, p2), 3);
  EXPECT_EQ(m.usage_count(w), 4u);
}

// Concurrent 2-item finishes on three small packages (5 + 7 + 9 = 21 units):
// exactly 10 finish, 20 units are taken in expiry order (5, 7, then 8 of 9),
// each counted once, none beyond a quantity; the other 6 are refused whole.
TEST_P(StoreContractTest, ConcurrentBatchesConsumeSeveralPackagesInOrderExactlyOnce) {
  Metering m(*store_);
  auto w = m.tenant();
  std::string p1 = m.add(m.package(w, PackageKind::kPerSignature, 5, kNow, kNow + kYear / 4, "sla_credit"));
  std::string p3 = m.add(m.package(w, PackageKind::kPerSignature, 9, kNow, kNow + kYear, "sla_credit"));
  std::string p2 = m.add(m.package(w, PackageKind::kPerSignature, 7, kNow, kNow + kYear / 2, "sla_credit"));
  constexpr int kN = 16;
  auto [orders, sessions] = m.open_orders(w, kN, 2, kNow);
  RaceOutcome race = race_metered(kN, [&](int i) { return m.finish(orders[i], sessions[i], kNow + 1); });
  EXPECT_EQ(race.ok, 10);
  EXPECT_EQ(race.exhausted, 6);
  EXPECT_EQ(race.other, 0);
  EXPECT_EQ(m.used(w, p1), 5);
  EXPECT_EQ(m.used(w, p2), 7);
  EXPECT_EQ(m.used(w, p3), 8);
  auto usage = store_->list_usage_records(w.tenant_id, 0, kNow + 10, 1000);
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 20u);
  std::map<std::string, int64_t> per_package;
  std::set<std::pair<std::string, int64_t>> units;
  for (const auto& u : *usage) {
    per_package[u.package_id]++;
    units.insert({u.order_id, u.item_index});
  }
  EXPECT_EQ(units.size(), 20u) << "no item counted twice";
  EXPECT_EQ(per_package, (std::map<std::string, int64_t>{{p1, 5}, {p2, 7}, {p3, 8}}));
  for (int i = 0; i < kN; ++i) {
    auto got = store_->get_order(w.tenant_id, orders[i].order_id);
    ASSERT_TRUE(got.ok());
    const bool counted = units.count({orders[i].order_id, 0}) == 1;
    EXPECT_EQ(got->state == OrderState::kSigned, counted) << "signed exactly when counted";
    EXPECT_EQ(units.count({orders[i].order_id, 1}) == 1, counted) << "both items or neither";
  }
}

// Concurrent metered holders over two per-user packages (3 + 4): exactly 7
// are created, the earlier-expiring package first, one unit each.
TEST_P(StoreContractTest, ConcurrentHoldersConsumePerUserPackagesInOrderExactlyOnce) {
  Metering m(*store_);
  auto w = m.tenant();
  std::string later = m.add(m.package(w, PackageKind::kPerUser, 4, kNow, kNow + kYear, "sla_credit"));
  std::string first = m.add(m.package(w, PackageKind::kPerUser, 3, kNow, kNow + kYear / 2, "sla_credit"));
  constexpr int kN = 12;
  std::vector<Holder> holders;
  for (int i = 0; i < kN; ++i) holders.push_back(m.holder(w, w.prod_app));
  RaceOutcome race = race_metered(kN, [&](int i) { return store_->create_holder({}, holders[i]); });
  EXPECT_EQ(race.ok, 7);
  EXPECT_EQ(race.exhausted, 5);
  EXPECT_EQ(race.other, 0);
  EXPECT_EQ(m.used(w, first), 3);
  EXPECT_EQ(m.used(w, later), 4);
  auto usage = store_->list_usage_records(w.tenant_id, 0, kNow + 10, 1000);
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 7u);
  std::set<std::string> counted_holders;
  for (const auto& u : *usage) {
    EXPECT_EQ(u.kind, PackageKind::kPerUser);
    counted_holders.insert(u.holder_id);
  }
  EXPECT_EQ(counted_holders.size(), 7u);
  for (const Holder& h : holders)
    EXPECT_EQ(store_->get_holder(w.tenant_id, h.holder_id).ok(), counted_holders.count(h.holder_id) == 1);
}

}  // namespace
}  // namespace duet::store::testing
