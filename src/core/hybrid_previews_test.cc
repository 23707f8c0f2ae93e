// Hybrid-cloud page previews (issue 12 item 3, docs/gateway.md "Page
// previews"): BusinessService::put_order_previews is refused while the
// tenant's switch is off and checks every page before anything is kept; the
// holder's order lists what was kept, and HolderService::order_page_png
// serves it only while the order is open.
#include <gtest/gtest.h>

#include "core/holder_service.h"
#include "core/test_fixture.h"
#include "pdf/png_codec.h"

namespace duet::core {
namespace {

using testing_support::ok_value;

Bytes small_png(uint8_t shade) {
  pdf::RgbaImage img;
  img.width = 4;
  img.height = 3;
  img.pixels.assign(size_t{4} * 3 * 4, shade);
  return ok_value(pdf::encode_png(img));
}

TEST_F(CoreTest, HybridPreviewsNeedTheTenantsSwitchAndAnOpenDigestOrder) {
  auto t = new_tenant("Hybrid bank");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  // A CMS order needs the holder's certificate: the enrollment's request, signed.
  ASSERT_OK_AND_ASSIGN(store::SignOrder csr, certs->request_certificate(d.ctx));
  ASSERT_OK(sign(d, csr.order_id, "123456", "ses_csr_0001"));
  NewOrder no{d.ctx.holder_id, "Loan contract", "Kept on premises", store::OutputFormat::kCmsDetached,
              {{Bytes(32, 7), true}}, std::nullopt, "", ""};
  no.cms_profile = "pades";
  ASSERT_OK_AND_ASSIGN(store::SignOrder o, business->create_order(t.sandbox, no));
  const Bytes png = small_png(0x80);

  // Off (the default): refused, nothing kept, the holder sees no preview.
  EXPECT_EQ(business->put_order_previews(t.sandbox, o.order_id, 2, {{1, png}}).code(), ErrorCode::kForbidden);
  EXPECT_TRUE(ok_value(holders->order_details(d.ctx, o.order_id)).previews.empty());
  EXPECT_EQ(holders->order_page_png(d.ctx, o.order_id, 0, 1).code(), ErrorCode::kNotFound);

  ASSERT_OK_AND_ASSIGN(store::Tenant on, admin->set_hybrid_previews(op, t.tenant_id, true));
  EXPECT_TRUE(on.hybrid_previews);
  // Each wrong page refuses the whole upload.
  EXPECT_EQ(business->put_order_previews(t.sandbox, o.order_id, 2, {{1, png}, {3, png}}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(business->put_order_previews(t.sandbox, o.order_id, 2, {{1, png}, {1, png}}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(business->put_order_previews(t.sandbox, o.order_id, 2, {{1, png}, {2, Bytes(64, 1)}}).code(),
            ErrorCode::kBadEncoding);
  Bytes huge = png;
  huge.resize(kMaxOrderPreviewBytes + 1);
  EXPECT_EQ(business->put_order_previews(t.sandbox, o.order_id, 2, {{1, huge}}).code(), ErrorCode::kPayloadTooLarge);
  std::vector<std::pair<int, Bytes>> too_many;
  for (int p = 1; p <= static_cast<int>(kMaxOrderPreviews) + 1; ++p) too_many.emplace_back(p, png);
  EXPECT_EQ(business->put_order_previews(t.sandbox, o.order_id, 20, too_many).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ok_value(holders->order_details(d.ctx, o.order_id)).previews.empty());
  EXPECT_EQ(business->put_order_previews(t.sandbox, "ord_missing", 2, {{1, png}}).code(), ErrorCode::kNotFound);

  // Kept, listed and served to the holder exactly as uploaded.
  ASSERT_OK(business->put_order_previews(t.sandbox, o.order_id, 2, {{2, png}}));
  auto listed = ok_value(holders->order_details(d.ctx, o.order_id)).previews;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].page, 2);
  EXPECT_EQ(listed[0].page_count, 2);
  EXPECT_EQ(ok_value(holders->order_page_png(d.ctx, o.order_id, 0, 2)), png);
  EXPECT_EQ(holders->order_page_png(d.ctx, o.order_id, 0, 1).code(), ErrorCode::kNotFound);
  EXPECT_EQ(holders->order_page_png(d.ctx, o.order_id, 1, 2).code(), ErrorCode::kNotFound);

  // Not a digest-only cms-detached order: refused.
  std::string msg = "plain data";
  NewOrder der{d.ctx.holder_id, "Data", "", store::OutputFormat::kDer, {{Bytes(msg.begin(), msg.end()), false}},
               std::nullopt, "", ""};
  ASSERT_OK_AND_ASSIGN(store::SignOrder plain, business->create_order(t.sandbox, der));
  EXPECT_EQ(business->put_order_previews(t.sandbox, plain.order_id, 1, {{1, png}}).code(),
            ErrorCode::kInvalidArgument);

  // Once the order is closed: neither uploaded nor served.
  ASSERT_OK(business->cancel_order(t.sandbox, o.order_id));
  EXPECT_EQ(business->put_order_previews(t.sandbox, o.order_id, 2, {{2, png}}).code(), ErrorCode::kConflict);
  EXPECT_EQ(holders->order_page_png(d.ctx, o.order_id, 0, 2).code(), ErrorCode::kConflict);
}

}  // namespace
}  // namespace duet::core
