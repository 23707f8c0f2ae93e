// The quota consumption order (core/quota_order.h) against scripted reads:
// what it covers, in which order, and which reads it asks for.
#include "core/quota_order.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace duet::core {
namespace {

using store::PackageKind;
using store::QuotaBalance;
using store::QuotaCover;

class ScriptedReads final : public store::QuotaReads {
 public:
  std::map<PackageKind, bool> usable;
  std::map<PackageKind, std::vector<QuotaBalance>> balance_rows;
  std::vector<std::string> asked;  // "usable:<kind>" / "balances:<kind>", in order
  bool fail_balances = false;

  Result<bool> any_usable(PackageKind kind) override {
    asked.push_back("usable:" + name(kind));
    return usable[kind];
  }
  Result<std::vector<QuotaBalance>> balances(PackageKind kind) override {
    asked.push_back("balances:" + name(kind));
    if (fail_balances) return make_error(ErrorCode::kUnavailable, "read failed");
    return balance_rows[kind];
  }

 private:
  static std::string name(PackageKind k) {
    return k == PackageKind::kPerSignature ? "sig" : k == PackageKind::kPerUser ? "user" : "unlimited";
  }
};

QuotaBalance balance(std::string id, int64_t quantity, int64_t used, store::UnixSeconds expires_at) {
  return QuotaBalance{std::move(id), quantity, used, expires_at};
}

TEST(QuotaOrder, AnUnlimitedPackageCoversWithoutReadingBalances) {
  ScriptedReads reads;
  reads.usable[PackageKind::kUnlimited] = true;
  reads.balance_rows[PackageKind::kPerSignature] = {balance("p", 10, 0, 100)};
  auto plan = plan_quota(reads, PackageKind::kPerSignature, 3);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cover, QuotaCover::kFree);
  EXPECT_TRUE(plan->takes.empty());
  EXPECT_EQ(reads.asked, (std::vector<std::string>{"usable:unlimited"}));
}

TEST(QuotaOrder, NoUnitsAreFree) {
  ScriptedReads reads;
  auto plan = plan_quota(reads, PackageKind::kPerUser, 0);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cover, QuotaCover::kFree);
}

TEST(QuotaOrder, EarliestExpiryFirstThenPackageIdSpillingOver) {
  ScriptedReads reads;
  // Read in no particular order; the rule orders them.
  reads.balance_rows[PackageKind::kPerSignature] = {balance("late", 100, 0, 300), balance("tie_b", 5, 1, 200),
                                                    balance("early", 10, 8, 100), balance("tie_a", 5, 3, 200)};
  auto plan = plan_quota(reads, PackageKind::kPerSignature, 7);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cover, QuotaCover::kCounted);
  ASSERT_EQ(plan->takes.size(), 3u) << "the latest package is not touched";
  EXPECT_EQ(plan->takes[0].from.package_id, "early");
  EXPECT_EQ(plan->takes[0].units, 2);
  EXPECT_EQ(plan->takes[1].from.package_id, "tie_a");
  EXPECT_EQ(plan->takes[1].units, 2);
  EXPECT_EQ(plan->takes[2].from.package_id, "tie_b");
  EXPECT_EQ(plan->takes[2].units, 3);
  EXPECT_EQ(plan->takes[2].from.used, 1) << "a take names the balance it was planned from";
  EXPECT_EQ(reads.asked, (std::vector<std::string>{"usable:unlimited", "balances:sig"}))
      << "the other kind is not read when the counted kind covers";
}

TEST(QuotaOrder, ExactlyTheRemainingQuantityIsCounted) {
  ScriptedReads reads;
  reads.balance_rows[PackageKind::kPerUser] = {balance("a", 3, 1, 100), balance("b", 1, 0, 200)};
  auto plan = plan_quota(reads, PackageKind::kPerUser, 3);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cover, QuotaCover::kCounted);
  ASSERT_EQ(plan->takes.size(), 2u);
  EXPECT_EQ(plan->takes[0].units, 2);
  EXPECT_EQ(plan->takes[1].units, 1);
}

TEST(QuotaOrder, AShortBatchIsFreeUnderTheOtherKindAndNeverCountedInPart) {
  ScriptedReads reads;
  reads.balance_rows[PackageKind::kPerSignature] = {balance("a", 5, 3, 100)};
  reads.usable[PackageKind::kPerUser] = true;
  auto plan = plan_quota(reads, PackageKind::kPerSignature, 3);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cover, QuotaCover::kFree);
  EXPECT_TRUE(plan->takes.empty());
  EXPECT_EQ(reads.asked, (std::vector<std::string>{"usable:unlimited", "balances:sig", "usable:user"}));

  reads.usable[PackageKind::kPerUser] = false;
  plan = plan_quota(reads, PackageKind::kPerSignature, 3);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cover, QuotaCover::kNone);
  EXPECT_TRUE(plan->takes.empty());
}

TEST(QuotaOrder, HoldersFallBackOnPerSignaturePackages) {
  ScriptedReads reads;
  reads.usable[PackageKind::kPerSignature] = true;
  auto plan = plan_quota(reads, PackageKind::kPerUser, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cover, QuotaCover::kFree);
  EXPECT_EQ(reads.asked.back(), "usable:sig");
}

TEST(QuotaOrder, ReadErrorsAndUnlimitedUnitsAreRefused) {
  ScriptedReads reads;
  reads.fail_balances = true;
  EXPECT_EQ(plan_quota(reads, PackageKind::kPerSignature, 1).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(plan_quota(reads, PackageKind::kUnlimited, 1).code(), ErrorCode::kInvalidArgument);
  auto rule = quota_order_rule();
  reads.fail_balances = false;
  reads.balance_rows[PackageKind::kPerSignature] = {balance("a", 1, 0, 100)};
  auto plan = rule(reads, PackageKind::kPerSignature, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->cover, QuotaCover::kCounted);
}

TEST(QuotaOrder, TakesCarryTheUsageNoticesTheyCross) {
  using store::NoticeKind;
  EXPECT_EQ(usage_notices_crossed(10, 0, 7), (std::vector<NoticeKind>{}));
  EXPECT_EQ(usage_notices_crossed(10, 7, 8), (std::vector<NoticeKind>{NoticeKind::kUsed80}));
  EXPECT_EQ(usage_notices_crossed(10, 8, 10), (std::vector<NoticeKind>{NoticeKind::kUsed90, NoticeKind::kUsed100}));
  EXPECT_EQ(usage_notices_crossed(10, 9, 10), (std::vector<NoticeKind>{NoticeKind::kUsed100}));
  EXPECT_EQ(usage_notices_crossed(10'000, 7'999, 8'000), (std::vector<NoticeKind>{NoticeKind::kUsed80}));
  EXPECT_EQ(usage_notices_crossed(10'000, 8'000, 8'999), (std::vector<NoticeKind>{})) << "80 % crossed before";

  ScriptedReads reads;
  reads.balance_rows[PackageKind::kPerSignature] = {balance("a", 2, 1, 100), balance("b", 10, 0, 200)};
  auto plan = plan_quota(reads, PackageKind::kPerSignature, 9);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->takes.size(), 2u);
  EXPECT_EQ(plan->takes[0].crosses, (std::vector<NoticeKind>{NoticeKind::kUsed80, NoticeKind::kUsed90,
                                                             NoticeKind::kUsed100}));
  EXPECT_EQ(plan->takes[1].crosses, (std::vector<NoticeKind>{NoticeKind::kUsed80}));
}

}  // namespace
}  // namespace duet::core
