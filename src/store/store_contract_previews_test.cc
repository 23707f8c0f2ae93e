// Contract tests of hybrid-cloud page previews (schema v28): the tenant's
// switch (tenants.h set_tenant_hybrid_previews, off until set) and the
// previews of a digest-only order (orders.h put_order_previews,
// list_order_previews, get_order_preview): replaced as a whole, refused
// whole when one page is wrong, and purged with the order's payload.
// Backend-neutral.
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_error.h"
#include "store/store_test_util.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

OrderPreview preview_of(const SignOrder& o, int page, int page_count, uint8_t fill, size_t size = 300) {
  OrderPreview p;
  p.tenant_id = o.tenant_id;
  p.order_id = o.order_id;
  p.page = page;
  p.page_count = page_count;
  p.png = Bytes(size, fill);
  p.uploaded_at = StoreContractTest::kNow;
  return p;
}

}  // namespace

TEST_P(StoreContractTest, HybridPreviewsAreOffUntilAnOperatorSetsThem) {
  World w = make_world("hybrid-switch");
  World other = make_world("hybrid-switch-other");
  EXPECT_FALSE(ok_value(store_->get_tenant(w.tenant_id)).hybrid_previews);
  ASSERT_TRUE(store_->set_tenant_hybrid_previews({}, w.tenant_id, true).ok());
  EXPECT_TRUE(ok_value(store_->get_tenant(w.tenant_id)).hybrid_previews);
  EXPECT_FALSE(ok_value(store_->get_tenant(other.tenant_id)).hybrid_previews) << "one tenant only";
  bool listed = false;
  for (const auto& t : ok_value(store_->list_tenants()))
    if (t.tenant_id == w.tenant_id) listed = t.hybrid_previews;
  EXPECT_TRUE(listed);
  ASSERT_TRUE(store_->set_tenant_hybrid_previews({}, w.tenant_id, false).ok());
  EXPECT_FALSE(ok_value(store_->get_tenant(w.tenant_id)).hybrid_previews);
  EXPECT_EQ(store_error_kind(store_->set_tenant_hybrid_previews({}, "ten_missing", true)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, OrderPreviewsAreReplacedWholeAndReadBack) {
  World w = make_world("previews");
  SignOrder o = create(order_for(w, 1));
  EXPECT_TRUE(ok_value(store_->list_order_previews(w.tenant_id, o.order_id)).empty());
  EXPECT_EQ(store_error_kind(store_->get_order_preview(w.tenant_id, o.order_id, 1)), StoreError::kNotFound);

  ASSERT_TRUE(store_->put_order_previews({}, w.tenant_id, o.order_id,
                                         {preview_of(o, 3, 5, 0x33), preview_of(o, 1, 5, 0x11)})
                  .ok());
  auto listed = ok_value(store_->list_order_previews(w.tenant_id, o.order_id));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].page, 1);
  EXPECT_EQ(listed[1].page, 3);
  EXPECT_EQ(listed[1].page_count, 5);
  EXPECT_TRUE(listed[0].png.empty()) << "the list carries no PNG";
  OrderPreview p3 = ok_value(store_->get_order_preview(w.tenant_id, o.order_id, 3));
  EXPECT_EQ(p3.png, Bytes(300, 0x33));
  EXPECT_EQ(p3.uploaded_at, kNow);

  // A second upload replaces the first as a whole.
  ASSERT_TRUE(store_->put_order_previews({}, w.tenant_id, o.order_id, {preview_of(o, 2, 2, 0x22)}).ok());
  listed = ok_value(store_->list_order_previews(w.tenant_id, o.order_id));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].page, 2);
  EXPECT_EQ(store_error_kind(store_->get_order_preview(w.tenant_id, o.order_id, 1)), StoreError::kNotFound);

  // Another tenant sees none of it.
  World other = make_world("previews-other");
  EXPECT_TRUE(ok_value(store_->list_order_previews(other.tenant_id, o.order_id)).empty());
  EXPECT_EQ(store_error_kind(store_->get_order_preview(other.tenant_id, o.order_id, 2)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, AWrongPreviewPageWritesNothing) {
  World w = make_world("previews-bad");
  SignOrder o = create(order_for(w, 1));
  ASSERT_TRUE(store_->put_order_previews({}, w.tenant_id, o.order_id, {preview_of(o, 1, 1, 0x01)}).ok());
  const std::vector<std::vector<OrderPreview>> bad = {
      {},
      {preview_of(o, 1, 2, 0x02), preview_of(o, 3, 2, 0x02)},  // page past page_count
      {preview_of(o, 0, 2, 0x02)},
      {preview_of(o, 1, 2, 0x02), preview_of(o, 1, 2, 0x02)},  // repeated
      {preview_of(o, 1, 2, 0x02), preview_of(o, 2, 3, 0x02)},  // page counts disagree
      {preview_of(o, 1, 2, 0x02, 0)},                          // empty PNG
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(store_->put_order_previews({}, w.tenant_id, o.order_id, bad[i]).code(), ErrorCode::kInvalidArgument)
        << i;
  }
  EXPECT_EQ(ok_value(store_->get_order_preview(w.tenant_id, o.order_id, 1)).png, Bytes(300, 0x01))
      << "the earlier previews stay";
  EXPECT_EQ(store_error_kind(store_->put_order_previews({}, w.tenant_id, "ord_missing",
                                                        {OrderPreview{w.tenant_id, "ord_missing", 1, 1, Bytes(3, 1), kNow}})),
            StoreError::kNotFound);
}

TEST_P(StoreContractTest, RetentionPurgeErasesAnOrdersPreviews) {
  World w = make_world("previews-retention");
  SignOrder o = create(order_for(w, 1));
  ASSERT_TRUE(store_->put_order_previews({}, w.tenant_id, o.order_id, {preview_of(o, 1, 1, 0x44)}).ok());
  ASSERT_TRUE(store_->reject_order({}, w.tenant_id, o.order_id, std::nullopt, kNow).ok());
  EXPECT_EQ(*store_->purge_order_payloads({}, kNow, kNow, "worker-a", 100), 1u);
  EXPECT_TRUE(ok_value(store_->list_order_previews(w.tenant_id, o.order_id)).empty());
  EXPECT_EQ(store_error_kind(store_->get_order_preview(w.tenant_id, o.order_id, 1)), StoreError::kNotFound);
}

}  // namespace duet::store::testing
