// The gateway's store: the outbox states only move forward and each move
// happens once; the local idempotency key names one order; nonces are spent
// once; everything survives closing and reopening the file.
#include "gateway/gateway_store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/temp_dir_testing.h"

namespace duet::gateway {
namespace {

GatewayOrder new_order(const std::string& id, const std::string& key) {
  GatewayOrder o;
  o.order_id = id;
  o.app_id = "erp";
  o.idempotency_key = key;
  o.request_digest = Bytes(32, 1);
  o.holder_id = "hld_1";
  o.title = "Loan";
  o.prepared_pdf = Bytes{'%', 'P', 'D', 'F'};
  o.byte_range = {0, 10, 20, 30};
  o.digest = Bytes(32, 7);
  o.sub_filter = "adbe.pkcs7.detached";
  o.signing_time = 1000;
  o.field_name = "Signature1";
  o.next_attempt_at = 100;
  o.created_at = 100;
  return o;
}

TEST(GatewayStore, StatesMoveForwardOnceAndSurviveAReopen) {
  testing_support::TempDir dir;
  const std::string path = dir.path().string() + "/gateway.db";
  {
    auto st = GatewayStore::open(path);
    ASSERT_TRUE(st.ok()) << st.error().message;
    bool replayed = true;
    auto o = (*st)->create_order(new_order("gwo_1", "k1"), &replayed);
    ASSERT_TRUE(o.ok()) << o.error().message;
    EXPECT_FALSE(replayed);
    EXPECT_EQ(o->state, OrderState::kPrepared);
    auto due = (*st)->due_orders(100, 10);
    ASSERT_TRUE(due.ok());
    EXPECT_EQ(due->size(), 1u);
    EXPECT_TRUE((*st)->due_orders(99, 10)->empty());
    // Out of order: refused, nothing changes.
    EXPECT_EQ((*st)->mark_cosigned("gwo_1", Bytes{1}, 101).code(), ErrorCode::kConflict);
    EXPECT_EQ((*st)->mark_signed("gwo_1", Bytes{1}, 101).code(), ErrorCode::kConflict);
    ASSERT_TRUE((*st)->mark_submitted("gwo_1", "ord_up", "pending", 101).ok());
    EXPECT_EQ((*st)->mark_submitted("gwo_1", "ord_other", "pending", 102).code(), ErrorCode::kConflict);
    EXPECT_EQ(*(*st)->order_of_upstream("ord_up"), "gwo_1");
  }
  auto st = GatewayStore::open(path);
  ASSERT_TRUE(st.ok());
  auto o = (*st)->get_order("erp", "gwo_1");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->state, OrderState::kSubmitted);
  EXPECT_EQ(o->upstream_order_id, "ord_up");
  EXPECT_EQ((*st)->get_order("other-app", "gwo_1").code(), ErrorCode::kNotFound);
  ASSERT_TRUE((*st)->mark_cosigned("gwo_1", Bytes{1, 2, 3}, 103).ok());
  ASSERT_TRUE((*st)->mark_signed("gwo_1", Bytes{'%', 'P'}, 104).ok());
  EXPECT_EQ((*st)->mark_failed("gwo_1", "x", "y", 105).code(), ErrorCode::kConflict);
  o = (*st)->get_order("erp", "gwo_1");
  EXPECT_EQ(o->state, OrderState::kSigned);
  EXPECT_EQ(o->signed_pdf, (Bytes{'%', 'P'}));
  EXPECT_TRUE(o->prepared_pdf.empty());
  EXPECT_TRUE((*st)->due_orders(1000, 10)->empty());
}

// The retention rule (gateway.signed_pdf_retention_days): only signed orders
// signed before the cut lose their PDF, the rows stay, and the bytes are not
// left in the file's free pages once the store is closed.
TEST(GatewayStore, TheRetentionRuleErasesOldSignedPdfsFromTheFile) {
  testing_support::TempDir dir;
  const std::string path = dir.path().string() + "/gateway.db";
  const std::string marker = "RETENTION-MARKER-7f3a9c-";
  Bytes pdf;
  for (int i = 0; i < 400; ++i) pdf.insert(pdf.end(), marker.begin(), marker.end());  // overflow pages
  {
    auto st = GatewayStore::open(path);
    ASSERT_TRUE(st.ok()) << st.error().message;
    bool replayed = false;
    for (const char* id : {"gwo_old", "gwo_new", "gwo_open"}) {
      ASSERT_TRUE((*st)->create_order(new_order(id, id), &replayed).ok());
    }
    for (const auto& [id, at] : {std::pair{"gwo_old", 1000}, std::pair{"gwo_new", 5000}}) {
      ASSERT_TRUE((*st)->mark_submitted(id, std::string("ord_") + id, "pending", at).ok());
      ASSERT_TRUE((*st)->mark_cosigned(id, Bytes{1, 2, 3}, at).ok());
      ASSERT_TRUE((*st)->mark_signed(id, pdf, at).ok());
    }
    auto erased = (*st)->erase_signed_pdfs(2000);
    ASSERT_TRUE(erased.ok()) << erased.error().message;
    EXPECT_EQ(*erased, 1);
    EXPECT_EQ(*(*st)->erase_signed_pdfs(2000), 0) << "erased once";
    auto old = (*st)->get_order("erp", "gwo_old");
    ASSERT_TRUE(old.ok());
    EXPECT_EQ(old->state, OrderState::kSigned);
    EXPECT_TRUE(old->signed_pdf.empty());
    EXPECT_EQ(old->cms, (Bytes{1, 2, 3})) << "the CMS stays";
    EXPECT_EQ((*st)->get_order("erp", "gwo_new")->signed_pdf, pdf);
    EXPECT_EQ((*st)->get_order("erp", "gwo_open")->state, OrderState::kPrepared);
    ASSERT_TRUE((*st)->erase_signed_pdfs(6000).ok());
  }
  // Closed (WAL checkpointed): no copy of the PDF's bytes anywhere in the file.
  std::FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string file;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) file.append(buf, n);
  std::fclose(f);
  EXPECT_EQ(file.find(marker), std::string::npos) << "erased PDF bytes left in gateway.db";
}

// A local callback is owed from the commit that makes an order final, is
// retried with its attempts counted, and is owed no more once done — across
// a reopen (the store is the only record of it).
TEST(GatewayStore, ALocalCallbackIsOwedFromTheFinalStateUntilDone) {
  testing_support::TempDir dir;
  const std::string path = dir.path().string() + "/gateway.db";
  {
    auto st = GatewayStore::open(path);
    ASSERT_TRUE(st.ok()) << st.error().message;
    bool replayed = false;
    ASSERT_TRUE((*st)->create_order(new_order("gwo_s", "s"), &replayed).ok());
    ASSERT_TRUE((*st)->create_order(new_order("gwo_f", "f"), &replayed).ok());
    EXPECT_TRUE((*st)->due_callbacks(10'000, 10)->empty()) << "nothing owed before a final state";
    ASSERT_TRUE((*st)->mark_submitted("gwo_s", "ord_s", "pending", 200).ok());
    ASSERT_TRUE((*st)->mark_cosigned("gwo_s", Bytes{1}, 201).ok());
    ASSERT_TRUE((*st)->mark_signed("gwo_s", Bytes{'%'}, 202).ok());
    ASSERT_TRUE((*st)->mark_failed("gwo_f", "not_found", "no holder", 203).ok());
    EXPECT_TRUE((*st)->due_callbacks(201, 10)->empty());
    EXPECT_EQ(*(*st)->due_callbacks(203, 10), (std::vector<std::string>{"gwo_s", "gwo_f"}));
    ASSERT_TRUE((*st)->callback_retry("gwo_s", 300).ok());
  }
  auto st = GatewayStore::open(path);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*(*st)->due_callbacks(299, 10), (std::vector<std::string>{"gwo_f"}));
  EXPECT_EQ((*st)->get_order_any("gwo_s")->callback_attempts, 1);
  ASSERT_TRUE((*st)->callback_done("gwo_f").ok());
  ASSERT_TRUE((*st)->callback_done("gwo_s").ok());
  EXPECT_TRUE((*st)->due_callbacks(100'000, 10)->empty());
  EXPECT_EQ((*st)->get_order_any("gwo_s")->callback_attempts, 0);
}

TEST(GatewayStore, AnIdempotencyKeyNamesOneOrderPerApp) {
  testing_support::TempDir dir;
  auto st = GatewayStore::open(dir.path().string() + "/gateway.db");
  ASSERT_TRUE(st.ok());
  bool replayed = false;
  ASSERT_TRUE((*st)->create_order(new_order("gwo_1", "k"), &replayed).ok());
  auto again = (*st)->create_order(new_order("gwo_2", "k"), &replayed);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again->order_id, "gwo_1");
  GatewayOrder other = new_order("gwo_3", "k");
  other.app_id = "crm";
  EXPECT_EQ((*st)->create_order(other, &replayed)->order_id, "gwo_3");
  EXPECT_FALSE(replayed);
  EXPECT_EQ((*st)->create_order(new_order("gwo_4", ""), &replayed)->order_id, "gwo_4");
  EXPECT_EQ((*st)->create_order(new_order("gwo_5", ""), &replayed)->order_id, "gwo_5");
}

TEST(GatewayStore, NoncesAreSpentOnceAndForgottenAfterTheWindow) {
  testing_support::TempDir dir;
  auto st = GatewayStore::open(dir.path().string() + "/gateway.db");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(*(*st)->record_nonce("erp", "n1234567", 100, 0));
  EXPECT_FALSE(*(*st)->record_nonce("erp", "n1234567", 101, 0));
  EXPECT_TRUE(*(*st)->record_nonce("crm", "n1234567", 101, 0));
  EXPECT_TRUE(*(*st)->record_nonce("erp", "n1234567", 1000, 500));
}

TEST(GatewayStore, UpstreamKeyIsDerivedFromTheOrderId) {
  EXPECT_EQ(upstream_key("gwo_ab"), "gateway-gwo_ab");
  EXPECT_EQ(upstream_key("gwo_ab"), upstream_key("gwo_ab"));
}

// Schema 3: the stamped pages and page count of the prepared document (the
// pages of a hybrid preview) are kept with the order and read back.
TEST(GatewayStore, StampedPagesAreKeptForPreviews) {
  testing_support::TempDir dir;
  const std::string path = dir.path().string() + "/gateway.db";
  {
    auto st = GatewayStore::open(path);
    ASSERT_TRUE(st.ok()) << st.error().message;
    GatewayOrder o = new_order("gwo_p", "kp");
    o.stamped_pages = {1, 3};
    o.page_count = 4;
    bool replayed = false;
    ASSERT_TRUE((*st)->create_order(o, &replayed).ok());
    ASSERT_TRUE((*st)->create_order(new_order("gwo_q", "kq"), &replayed).ok());
  }
  auto st = GatewayStore::open(path);
  ASSERT_TRUE(st.ok());
  auto o = (*st)->get_order("erp", "gwo_p");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->stamped_pages, (std::vector<int>{1, 3}));
  EXPECT_EQ(o->page_count, 4);
  auto none = (*st)->get_order("erp", "gwo_q");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->stamped_pages.empty()) << "no pages: no preview";
  EXPECT_EQ(none->page_count, 0);
}

// Schema 4: the seal's name and whether it was checked against the holder's
// certificate. An unchecked order cannot be submitted until it is checked.
TEST(GatewayStore, AnUncheckedSignerNameHoldsTheOrderBeforeTheUpstreamCreate) {
  testing_support::TempDir dir;
  auto st = GatewayStore::open(dir.path().string() + "/gateway.db");
  ASSERT_TRUE(st.ok());
  bool replayed = false;
  GatewayOrder o = new_order("gwo_u", "");
  o.signer_name = "张三";
  o.signer_checked = false;
  ASSERT_TRUE((*st)->create_order(o, &replayed).ok());
  auto got = (*st)->get_order_any("gwo_u");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->signer_name, "张三");
  EXPECT_FALSE(got->signer_checked);
  EXPECT_EQ((*st)->mark_submitted("gwo_u", "ord_u", "pending", 101).code(), ErrorCode::kConflict);
  ASSERT_TRUE((*st)->mark_signer_checked("gwo_u", 102).ok());
  EXPECT_TRUE((*st)->get_order_any("gwo_u")->signer_checked);
  ASSERT_TRUE((*st)->mark_submitted("gwo_u", "ord_u", "pending", 103).ok());
  // Only a prepared order is checked.
  EXPECT_EQ((*st)->mark_signer_checked("gwo_u", 104).code(), ErrorCode::kConflict);
  // An order stored without a name (as before schema 4) counts as checked.
  ASSERT_TRUE((*st)->create_order(new_order("gwo_old", ""), &replayed).ok());
  got = (*st)->get_order_any("gwo_old");
  EXPECT_EQ(got->signer_name, "");
  EXPECT_TRUE(got->signer_checked);
}

// Schema 5: a batch order's further documents move with the order in the same
// transactions; a move that does not fit them is rolled back whole.
TEST(GatewayStore, ABatchOrdersDocumentsMoveWithItInOneTransaction) {
  testing_support::TempDir dir;
  const std::string path = dir.path().string() + "/gateway.db";
  auto st = GatewayStore::open(path);
  ASSERT_TRUE(st.ok());
  GatewayOrder o = new_order("gwo_b", "kb");
  for (int i = 1; i <= 2; ++i) {
    GatewayDocument d;
    d.index = i;
    d.prepared_pdf = Bytes{'%', 'P', static_cast<uint8_t>('0' + i)};
    d.byte_range = {0, 10, 20, static_cast<uint64_t>(30 + i)};
    d.digest = Bytes(32, static_cast<uint8_t>(i));
    d.field_name = "Signature" + std::to_string(i + 1);
    d.stamped_pages = {i};
    d.page_count = 3;
    o.more_documents.push_back(d);
  }
  bool replayed = false;
  auto made = (*st)->create_order(o, &replayed);
  ASSERT_TRUE(made.ok()) << made.error().message;
  ASSERT_EQ(made->more_documents.size(), 2u);
  EXPECT_EQ(made->more_documents[1].index, 2);
  EXPECT_EQ(made->more_documents[1].digest, Bytes(32, 2));
  EXPECT_EQ(made->more_documents[1].stamped_pages, std::vector<int>{2});
  ASSERT_TRUE((*st)->mark_submitted("gwo_b", "ord_b", "pending", 101).ok());
  // One CMS short: nothing moves.
  EXPECT_EQ((*st)->mark_cosigned("gwo_b", Bytes{9}, 102, {Bytes{1}, Bytes{2}, Bytes{3}}).code(), ErrorCode::kConflict);
  EXPECT_EQ((*st)->get_order_any("gwo_b")->state, OrderState::kSubmitted);
  ASSERT_TRUE((*st)->mark_cosigned("gwo_b", Bytes{9}, 103, {Bytes{1}, Bytes{2}}).ok());
  ASSERT_TRUE((*st)->mark_signed("gwo_b", Bytes{'%', '0'}, 104, {Bytes{'%', '1'}, Bytes{'%', '2'}}).ok());
  st->reset();
  st = GatewayStore::open(path);
  ASSERT_TRUE(st.ok());
  auto got = (*st)->get_order("erp", "gwo_b");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, OrderState::kSigned);
  ASSERT_EQ(got->more_documents.size(), 2u);
  EXPECT_EQ(got->more_documents[0].cms, Bytes{1});
  EXPECT_EQ(got->more_documents[1].signed_pdf, (Bytes{'%', '2'}));
  EXPECT_TRUE(got->more_documents[1].prepared_pdf.empty());
  // The retention rule erases every document of the order.
  EXPECT_EQ(*(*st)->erase_signed_pdfs(200), 1);
  got = (*st)->get_order("erp", "gwo_b");
  EXPECT_TRUE(got->signed_pdf.empty());
  EXPECT_TRUE(got->more_documents[0].signed_pdf.empty());
  EXPECT_TRUE(got->more_documents[1].signed_pdf.empty());
}

}  // namespace
}  // namespace duet::gateway
