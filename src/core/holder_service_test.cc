// The Holder API service (core/holder_service.h): enrollment, signing
// sessions, expiry, activation codes and re-keying, in process with the
// device role from cosign (core/test_fixture.h).
#include <gtest/gtest.h>
#include <thread>

#include "core/callbacks.h"
#include "core/holder_fields.h"
#include "core/holder_service.h"
#include "core/request_signing.h"
#include "core/test_fixture.h"
#include "cosign/handwriting_pin.h"
#include "crypto/sm2_evp.h"
#include "pdf/png_codec.h"

namespace duet::core {
namespace {

using testing_support::ok_value;

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


TEST_F(CoreTest, EnrollSignAndVerifyWithOpenSsl) {
  auto t = new_tenant("Bank A");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
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
  ASSERT_TRUE(dispatcher.run_once({}).ok());
  ASSERT_EQ(sender.calls.size(), 1u);
  std::string ts, sig;
  for (auto& h : sender.calls[0].headers) {
    if (h.name == "X-Duet-Timestamp") ts = h.value;
    if (h.name == "X-Duet-Signature") sig = h.value;
  }
  EXPECT_EQ(sig, sign_callback(t.app.sandbox.secret, ts, sender.calls[0].body));
  EXPECT_NE(sender.calls[0].body.find("\"order.signed\""), std::string::npos);
  ASSERT_TRUE(dispatcher.run_once({}).ok());
  EXPECT_EQ(sender.calls.size(), 1u);  // delivered exactly once
}

TEST_F(CoreTest, BatchOrderSignsEveryItemWithOneConfirmation) {
  auto t = new_tenant("Insurer");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "135790"));
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

TEST_F(CoreTest, ExpiryAndConcurrentFinishes) {
  auto t = new_tenant("T");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  auto order = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "x", "", store::OutputFormat::kRaw, {{Bytes{1}, false}}, 60, "http://x/cb", ""});
  ASSERT_TRUE(order.ok()) << order.error().to_string();
  clock.advance(61);
  ASSERT_EQ(ok_value(expire_due_orders(*deps, {})), 1u);
  EXPECT_EQ(ok_value(business->get_order(t.sandbox, order->order_id)).state, store::OrderState::kExpired);
  EXPECT_EQ(sign(d, order->order_id, "123456", "ses_late0000").code(), ErrorCode::kConflict);

  // Two sessions race to finish one order: exactly one wins.
  auto o2 = business->create_order(
      t.sandbox, NewOrder{d.ctx.holder_id, "y", "", store::OutputFormat::kRaw, {{Bytes{2}, false}}, std::nullopt, "", ""});
  ASSERT_TRUE(o2.ok()) << o2.error().to_string();
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
  ASSERT_TRUE(h.ok()) << h.error().to_string();
  auto code = business->create_activation_code(t.sandbox, h->holder_id);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->uri.rfind("duet://activate?code=", 0), 0u);
  EXPECT_NE(code->uri.find("&holder=" + h->holder_id + "&"), std::string::npos);
  EXPECT_NE(code->uri.find("&server="), std::string::npos);
  auto [dk, req] = *cosign::DeviceKeygen::start("hld_wrong", crypto::SystemRandom::instance());
  // Without the holder's acceptance of the texts nothing is spent.
  EXPECT_EQ(holders->redeem_activation({}, code->code, req).code(), ErrorCode::kConsentRequired);
  // Given in the app: recorded before the proof is checked.
  EXPECT_EQ(holders->redeem_activation({}, code->code, req, {}, accept_current_agreements()).code(),
            ErrorCode::kBadProof);  // proof for another holder
  auto [dk2, req2] = *cosign::DeviceKeygen::start(h->holder_id, crypto::SystemRandom::instance());
  std::string lower = code->code;
  for (auto& c : lower) c = static_cast<char>(std::tolower(c));
  ASSERT_TRUE(holders->redeem_activation({}, lower, req2).ok());
  EXPECT_EQ(holders->redeem_activation({}, code->code, req2).code(), ErrorCode::kConflict);
  EXPECT_EQ(holders->redeem_activation({}, "AAAA-BBBB-CCCC", req2).code(), ErrorCode::kNotFound);
  auto code2 = business->create_activation_code(t.sandbox, h->holder_id);
  ASSERT_TRUE(code2.ok()) << code2.error().to_string();
  clock.advance(601);
  EXPECT_EQ(holders->redeem_activation({}, code2->code, req2).code(), ErrorCode::kExpired);
}

// Forgotten PIN: a new activation code for an enrolled holder of an
// identity-source app asks the source again; a source that no longer confirms
// the identity stops the re-key before any code exists.
TEST_F(CoreTest, RekeyChecksTheIdentityAgain) {
  SwitchIdentitySource source;
  deps->identity_source = &source;
  business = std::make_unique<BusinessService>(*deps);
  auto t = new_tenant("T");
  ASSERT_TRUE(store_->update_app_settings({}, t.tenant_id, t.sandbox.app_id, "identity_source", false, "pkcs7").ok());
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456", "110101199003071234", "identity_source"));
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

TEST_F(CoreTest, HandwrittenSignatureIsCheckedSealedReplacedAndDeleted) {
  auto t = new_tenant("Bank H");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "123456"));
  // A fresh challenge for `op` and the device's proof for it (docs/protocol.md §6.1).
  auto hw_proof = [&](HolderService& hw_service, const Device& hw_device, const std::string& hw_op,
                      const std::string& hw_pin, ByteView hw_png = {}) {
    auto issued = ok_value(hw_service.handwriting_challenge(hw_device.ctx, hw_op));
    EXPECT_EQ(issued.challenge.operation, hw_op);
    cosign::HandwritingPinContext pc{hw_device.ctx.holder_id, issued.challenge.challenge_id, hw_op,
                                     hw_op == "put" ? cosign::handwriting_image_digest(hw_png) : Bytes{}};
    return ok_value(cosign::prove_handwriting_pin(hw_device.state, hw_pin, pc, crypto::SystemRandom::instance()));
  };
  auto get = [&] { return holders->handwritten_signature_png(d.ctx, hw_proof(*holders, d, "get", "123456")); };
  auto put = [&](ByteView png) {
    return holders->put_handwritten_signature(d.ctx, hw_proof(*holders, d, "put", "123456", png), png);
  };
  EXPECT_EQ(get().code(), ErrorCode::kNotFound);
  EXPECT_EQ(holders->delete_handwritten_signature(d.ctx, hw_proof(*holders, d, "delete", "123456")).code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(put(as_bytes("not a png")).code(), ErrorCode::kBadEncoding);
  // Each of those proofs was right: no attempt is left pending or failed.
  EXPECT_EQ(ok_value(store_->get_holder(d.ctx.tenant_id, d.ctx.holder_id)).failed_attempts, 0);
  pdf::RgbaImage ink;
  ink.width = 64;
  ink.height = 32;
  ink.pixels.assign(64 * 32 * 4, 0);
  for (size_t x = 0; x < 64; ++x) {
    uint8_t* px = &ink.pixels[(16 * 64 + x) * 4];
    px[2] = 200;
    px[3] = 255;
  }
  ASSERT_OK_AND_ASSIGN(Bytes png, pdf::encode_png(ink));
  ASSERT_OK_AND_ASSIGN(HandwrittenSignatureView v, put(png));
  EXPECT_EQ(v.width, 64);
  EXPECT_EQ(v.height, 32);
  ASSERT_OK_AND_ASSIGN(Bytes back, get());
  ASSERT_OK_AND_ASSIGN(pdf::RgbaImage decoded, pdf::decode_png(back));
  EXPECT_EQ(decoded.pixels, ink.pixels);
  // Sealed at rest, bound to this holder: the row holds no PNG, and it opens
  // under this holder's context only.
  ASSERT_OK_AND_ASSIGN(store::HandwrittenSignature rec,
                       store_->get_handwritten_signature(d.ctx.tenant_id, d.ctx.holder_id));
  const std::string sealed(rec.sealed_png.begin(), rec.sealed_png.end());
  EXPECT_EQ(sealed.find("IDAT"), std::string::npos);
  // Under the holder's own data key (core/holder_fields.h, docs/privacy.md):
  // the service key alone does not open it.
  HolderFields fields{*store_, *protector, crypto::SystemRandom::instance(), clock};
  EXPECT_EQ(rec.sealed_png.at(0), HolderFields::kFormat);
  EXPECT_TRUE(fields.open(d.ctx.tenant_id, d.ctx.holder_id, "handwritten_signature", rec.sealed_png).ok());
  EXPECT_FALSE(fields.open(d.ctx.tenant_id, d.ctx.holder_id, "name", rec.sealed_png).ok());
  EXPECT_FALSE(protector->open("holder:" + d.ctx.tenant_id + ":" + d.ctx.holder_id + ":handwritten_signature",
                               rec.sealed_png).ok());
  // Replaced by a second upload; deleted.
  ink.pixels[3] = 255;
  ASSERT_OK_AND_ASSIGN(Bytes png2, pdf::encode_png(ink));
  ASSERT_OK(put(png2));
  ASSERT_OK_AND_ASSIGN(Bytes back2, get());
  EXPECT_EQ(ok_value(pdf::decode_png(back2)).pixels, ink.pixels);
  // A proof for another image, operation or challenge is a wrong PIN; a
  // used challenge is refused before any proof is looked at.
  cosign::HandwritingPinProof for_png = hw_proof(*holders, d, "put", "123456", png);
  EXPECT_EQ(holders->put_handwritten_signature(d.ctx, for_png, png2).code(), ErrorCode::kPinInvalid);
  cosign::HandwritingPinProof for_get = hw_proof(*holders, d, "get", "123456");
  EXPECT_EQ(holders->delete_handwritten_signature(d.ctx, for_get).code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(holders->delete_handwritten_signature(d.ctx, for_get).code(), ErrorCode::kConflict);
  EXPECT_EQ(ok_value(store_->get_holder(d.ctx.tenant_id, d.ctx.holder_id)).failed_attempts, 2);
  ASSERT_OK(holders->delete_handwritten_signature(d.ctx, hw_proof(*holders, d, "delete", "123456")));
  EXPECT_EQ(ok_value(store_->get_holder(d.ctx.tenant_id, d.ctx.holder_id)).failed_attempts, 0);
  EXPECT_EQ(get().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace duet::core
