// Monthly statements (core/statements.h) on June 2026: counts from the usage
// records (per item, or per order when the pinned terms say so), package
// movements (opened, used, ended with the rest forfeited) and credits
// delivered in the month; JSON and CSV say the same; the same month asked
// again reads the same.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/compensation_claims.h"
#include "core/sla_test_fixture.h"
#include "core/statements.h"

namespace duet::core {
namespace {

using testing_support::ok_value;
using json = nlohmann::json;

class StatementTest : public SlaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SlaTest::SetUp());
    statements = std::make_unique<StatementService>(*deps, kOffset, CompensationTable::defaults());
  }
  void TearDown() override {
    statements.reset();
    SlaTest::TearDown();
  }
  // `orders` batch orders of `items` signed items each, in June, from `package_id`.
  void batches(const std::string& tenant_id, const std::string& package_id, int orders, int items) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "duet.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    for (int o = 0; o < orders; ++o) {
      std::string oid = store::new_id("ord_");
      for (int i = 0; i < items; ++i) {
        std::string sql = "INSERT INTO usage_records (tenant_id, usage_id, package_id, kind, order_id, item_index, "
                          "holder_id, counted_at) VALUES ('" + tenant_id + "', '" + store::new_id("use_") + "', '" +
                          package_id + "', 'per_signature', '" + oid + "', " + std::to_string(i) + ", 'hld_x', " +
                          std::to_string(month_from + 86400 + o) + ")";
        ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
      }
    }
    sqlite3_close(db);
  }
  store::Package add(const std::string& tenant_id, UnixSeconds starts, UnixSeconds expires, int64_t quantity,
                     int64_t used) {
    store::Package p;
    p.tenant_id = tenant_id;
    p.package_id = store::new_id("pkg_");
    p.kind = store::PackageKind::kPerSignature;
    p.quantity = quantity;
    p.starts_at = starts;
    p.expires_at = expires;
    p.created_at = starts;
    EXPECT_TRUE(store_->add_package({}, p).ok());
    if (used > 0) {
      sqlite3* db = nullptr;
      EXPECT_EQ(sqlite3_open((dir / "duet.db").c_str(), &db), SQLITE_OK);
      std::string sql = "UPDATE packages SET used = " + std::to_string(used) + " WHERE package_id = '" + p.package_id + "'";
      EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
      sqlite3_close(db);
    }
    return p;
  }
  std::unique_ptr<StatementService> statements;
};

TEST_F(StatementTest, PerItemByDefaultWithPackageMovements) {
  std::string t = tenant("stmt");
  // Ends on 10 June with 2,500 of 10,000 left: forfeited. Another opens on 10 June.
  store::Package old = add(t, local(2025, 6, 10), local(2026, 6, 10), 10'000, 7'500);
  store::Package fresh = add(t, local(2026, 6, 10), local(2027, 6, 10), 10'000, 12);
  batches(t, fresh.package_id, 3, 4);  // 3 batch orders of 4 items
  auto s = statements->monthly(t, "2026-06", month_to + 60);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_TRUE(s->final);
  EXPECT_EQ(s->batch_counting, BatchCounting::kPerItem);
  EXPECT_EQ(s->signed_items, 12);
  EXPECT_EQ(s->signed_orders, 3);
  EXPECT_EQ(s->signatures_counted, 12);
  ASSERT_EQ(s->packages.size(), 2u);
  EXPECT_EQ(s->packages[0].package.package_id, old.package_id);
  EXPECT_TRUE(s->packages[0].ended_in_month);
  EXPECT_EQ(s->packages[0].forfeited, 2'500);
  EXPECT_TRUE(s->packages[1].opened_in_month);
  EXPECT_EQ(s->packages[1].used_in_month, 12);

  json j = json::parse(statement_json(*s));
  EXPECT_EQ(j["batch_counting"], "per_item");
  EXPECT_EQ(j["signatures"]["counted"], 12);
  EXPECT_EQ(j["packages"][0]["forfeited_at_end"], 2'500);
  std::string csv = statement_csv(*s);
  EXPECT_NE(csv.find(t + ",2026-06,signatures_counted,,per_signature,,,,,12,per_item,\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",package_ended_forfeited," + old.package_id + ","), std::string::npos) << csv;
  // Asked again: the same statement.
  EXPECT_EQ(statement_json(ok_value(statements->monthly(t, "2026-06", month_to + 86400))), statement_json(*s));
  // Not begun: refused; unknown tenant: not found.
  EXPECT_EQ(statements->monthly(t, "2026-08", month_to).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(statements->monthly("ten_nobody", "2026-06", month_to).code(), ErrorCode::kNotFound);
}

TEST_F(StatementTest, PinnedTermsCountABatchOnceAndCreditsShow) {
  std::string t = tenant("per-order");
  store::Package p = add(t, local(2026, 6, 1), local(2027, 6, 1), 10'000, 0);
  batches(t, p.package_id, 2, 5);
  std::ifstream in(std::string(DUET_SOURCE_DIR) + "/docs/sla-terms/v1.json", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  doc.replace(doc.find("\"v1\""), 4, "\"v1-order\"");
  doc.replace(doc.find("\"per_item\""), 10, "\"per_order\"");
  CompensationClaimService claims(*deps, *sla);
  OperatorContext op{"ops", "operator"};
  ASSERT_OK(claims.record_terms(op, doc, month_from));
  ASSERT_OK(claims.pin_terms(op, t, "v1-order", month_from));
  // A credit delivered in June shows in June's statement.
  store::SlaCredit c;
  c.tenant_id = t;
  c.credit_id = store::new_id("slc_");
  c.month = "2026-05";
  c.kind = store::SlaCreditKind::kSignatures;
  c.band = "A";
  c.amount = 50;
  c.basis = "{}";
  c.created_at = c.updated_at = month_from;
  ASSERT_OK(store_->propose_sla_credit({}, c));
  store::Package bonus;
  bonus.package_id = store::new_id("pkg_");
  bonus.kind = store::PackageKind::kPerSignature;
  bonus.quantity = 50;
  bonus.starts_at = month_from + 3600;
  bonus.expires_at = one_year_after(bonus.starts_at, kOffset);
  bonus.source = "sla_credit";
  bonus.created_at = bonus.starts_at;
  ASSERT_OK(store_->approve_sla_credit({}, c.credit_id, "ops", month_from + 3600, bonus));

  auto s = statements->monthly(t, "2026-06", month_to + 60);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->terms_version, "v1-order");
  EXPECT_EQ(s->batch_counting, BatchCounting::kPerOrder);
  EXPECT_EQ(s->signed_items, 10);
  EXPECT_EQ(s->signatures_counted, 2);
  ASSERT_EQ(s->credits.size(), 1u);
  EXPECT_EQ(s->credits[0].amount, 50);
  EXPECT_EQ(s->packages.size(), 2u);  // the purchase and the bonus
  std::string csv = statement_csv(*s);
  EXPECT_NE(csv.find(",credit_signatures," + bonus.package_id + ",,sla_credit,,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("per_order,v1-order\n"), std::string::npos) << csv;
  EXPECT_EQ(ok_value(metered_signatures(*store_, t, month_from, month_to, BatchCounting::kPerOrder)), 2);
}

}  // namespace
}  // namespace duet::core
