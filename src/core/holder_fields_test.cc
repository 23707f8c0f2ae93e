// core/holder_fields.h and core/holder_erasure.h (docs/privacy.md): fields
// under the holder's own data key, rows sealed before schema v25 still
// opening, and the erasure making every copy unreadable.
#include <gtest/gtest.h>

#include "core/holder_erasure.h"
#include "core/holder_fields.h"
#include "core/test_fixture.h"
#include "store/ids.h"

namespace duet::core {
namespace {

std::string text(const SecretBytes& s) { return std::string(s.view().begin(), s.view().end()); }

TEST_F(CoreTest, HolderFieldsSealUnderTheHoldersKeyAndOldRowsStillOpen) {
  TenantApp t = new_tenant("Fields bank");
  HolderFields fields{*store_, *protector, crypto::SystemRandom::instance(), clock};
  ASSERT_OK_AND_ASSIGN(Bytes a, fields.seal(t.tenant_id, "hld_a", "name", as_bytes(std::string("甲"))));
  ASSERT_OK_AND_ASSIGN(Bytes b, fields.seal(t.tenant_id, "hld_b", "name", as_bytes(std::string("乙"))));
  EXPECT_EQ(a.at(0), HolderFields::kFormat);
  ASSERT_OK_AND_ASSIGN(SecretBytes got, fields.open(t.tenant_id, "hld_a", "name", a));
  EXPECT_EQ(text(got), "甲");
  // Bound to its holder and field; the holders' keys differ.
  EXPECT_FALSE(fields.open(t.tenant_id, "hld_b", "name", a).ok());
  EXPECT_FALSE(fields.open(t.tenant_id, "hld_a", "phone", a).ok());
  store::HolderDataKeyStore& keys = *store::holder_data_keys(*store_);
  EXPECT_NE(*keys.get_holder_data_key(t.tenant_id, "hld_a"), *keys.get_holder_data_key(t.tenant_id, "hld_b"));
  // A field sealed before schema v25 (by the DataProtector) still opens.
  ASSERT_OK_AND_ASSIGN(Bytes legacy, protector->seal(HolderFields::field_context(t.tenant_id, "hld_c", "name"),
                                                     as_bytes(std::string("丙"))));
  ASSERT_OK_AND_ASSIGN(SecretBytes old, fields.open(t.tenant_id, "hld_c", "name", legacy));
  EXPECT_EQ(text(old), "丙");
  EXPECT_FALSE(keys.get_holder_data_key(t.tenant_id, "hld_c").ok()) << "opening creates no key";
}

TEST_F(CoreTest, ErasureDestroysTheKeyOfNewAndOldHolders) {
  TenantApp t = new_tenant("Erasure bank");
  ASSERT_OK_AND_ASSIGN(HolderView h, business->create_holder(
                                         t.sandbox, NewHolder{"王五", "resident_id", "110101199003079999", "",
                                                              "attested", {}}));
  ASSERT_OK_AND_ASSIGN(store::Holder row, store_->get_holder(t.tenant_id, h.holder_id));
  // An old holder, its fields sealed by the service key (before schema v25).
  store::Holder legacy = row;
  legacy.holder_id = store::new_id("hld_");
  legacy.lookup_hash = Bytes(32, 0x5a);
  ASSERT_OK_AND_ASSIGN(legacy.name_ciphertext,
                       protector->seal(HolderFields::field_context(t.tenant_id, legacy.holder_id, "name"),
                                       as_bytes(std::string("赵六"))));
  ASSERT_OK_AND_ASSIGN(legacy.id_number_ciphertext,
                       protector->seal(HolderFields::field_context(t.tenant_id, legacy.holder_id, "id_number"),
                                       as_bytes(std::string("resident_id:110101199003078888"))));
  ASSERT_OK(store_->create_holder({}, legacy));
  ASSERT_OK_AND_ASSIGN(HolderView lv, business->get_holder(t.sandbox, legacy.holder_id));
  EXPECT_EQ(lv.name_masked, "赵*");

  for (const std::string& id : {h.holder_id, legacy.holder_id}) {
    ASSERT_OK_AND_ASSIGN(store::Holder before, store_->get_holder(t.tenant_id, id));
    ASSERT_OK_AND_ASSIGN(store::HolderErasure e,
                         erase_holder(t.sandbox, before, *certs, *store_, crypto::SystemRandom::instance(),
                                      deps->metrics, clock.now()));
    EXPECT_EQ(e.erased_by, t.sandbox.app_id);
    EXPECT_EQ(e.retain_until, 0) << "no certificate";
    ASSERT_OK_AND_ASSIGN(HolderView v, business->get_holder(t.sandbox, id));
    EXPECT_TRUE(v.erased);
    EXPECT_EQ(v.name_masked, "");
    EXPECT_EQ(business->create_activation_code(t.sandbox, id).code(), ErrorCode::kConflict);
  }
  // The new holder's old ciphertext (a backup's copy) no longer opens.
  HolderFields fields{*store_, *protector, crypto::SystemRandom::instance(), clock};
  auto gone = fields.open(t.tenant_id, h.holder_id, "name", row.name_ciphertext);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.code(), ErrorCode::kConflict);
  EXPECT_NE(gone.error().message.find("data key destroyed"), std::string::npos);
  // No new key for an erased holder.
  EXPECT_EQ(fields.seal(t.tenant_id, h.holder_id, "name", as_bytes(std::string("x"))).code(), ErrorCode::kConflict);
}

}  // namespace
}  // namespace duet::core
