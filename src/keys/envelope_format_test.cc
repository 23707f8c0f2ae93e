// The envelope bytes on disk and in the stores, checked against the AEAD
// directly (not through keys/envelope_format.h): version ‖ nonce ‖ ct ‖ tag,
// additional data = prefix ‖ context, for the file KEK's wraps and for the
// local key file's seals.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "crypto/aead.h"
#include "keys/data_protector.h"
#include "keys/envelope_format.h"
#include "keys/kek.h"

namespace duet::keys {
namespace {

namespace fs = std::filesystem;

std::string fresh_path(const char* name) {
  auto dir = fs::temp_directory_path() / ("duet-envelope-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::remove(dir / name);
  return (dir / name).string();
}

Bytes file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(EnvelopeFormat, FileKekWrapIsVersionNonceCiphertextTag) {
  std::string path = fresh_path("kek");
  auto kek = open_file_kek(path, true);
  ASSERT_TRUE(kek.ok()) << kek.error().to_string();
  Bytes key = file_bytes(path);
  ASSERT_EQ(key.size(), 32u);

  auto wrapped = (*kek)->wrap("ca/root", as_bytes("private scalar"));
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().to_string();
  ASSERT_EQ(wrapped->size(), 1 + 12 + 14 + 16u);
  EXPECT_EQ((*wrapped)[0], 1);
  ByteView w(*wrapped);
  auto plain = crypto::aead_open(crypto::AeadAlgorithm::kAes256Gcm, key, w.subspan(1, 12),
                                 text("duet/kek/v1/ca/root"), w.subspan(13));
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  EXPECT_EQ(Bytes(plain->view().begin(), plain->view().end()), text("private scalar"));

  // And the other way: an envelope assembled by hand unwraps.
  Bytes nonce(12, 0x42);
  auto sealed = crypto::aead_seal(crypto::AeadAlgorithm::kAes256Gcm, key, nonce, text("duet/kek/v1/ctx"),
                                  as_bytes("by hand"));
  ASSERT_TRUE(sealed.ok());
  Bytes envelope = {1};
  envelope.insert(envelope.end(), nonce.begin(), nonce.end());
  envelope.insert(envelope.end(), sealed->begin(), sealed->end());
  auto back = (*kek)->unwrap("ctx", envelope);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(Bytes(back->view().begin(), back->view().end()), text("by hand"));
  envelope[0] = 2;
  EXPECT_EQ((*kek)->unwrap("ctx", envelope).code(), ErrorCode::kBadEncoding);
}

TEST(EnvelopeFormat, LocalKeyFileSealIsTheSameEnvelopeWithTheSealPrefix) {
  std::string path = fresh_path("local");
  auto dp = open_local_key_file(path, true);
  ASSERT_TRUE(dp.ok()) << dp.error().to_string();
  Bytes keys = file_bytes(path);
  ASSERT_EQ(keys.size(), 64u);
  auto sealed = (*dp)->seal("app_secret:a", as_bytes("s3cret"));
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(sealed->size(), 1 + 12 + 6 + 16u);
  EXPECT_EQ((*sealed)[0], 1);  // AES-256-GCM
  ByteView s(*sealed);
  auto plain = crypto::aead_open(crypto::AeadAlgorithm::kAes256Gcm, ByteView(keys).first(32), s.subspan(1, 12),
                                 text("duet/seal/v1/app_secret:a"), s.subspan(13));
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  EXPECT_EQ(Bytes(plain->view().begin(), plain->view().end()), text("s3cret"));
}

TEST(EnvelopeFormat, ParseRefusesShortWrongVersionAndOversized) {
  using internal::kKekWrapFormat;
  Bytes minimal(1 + 12 + 16, 0);
  minimal[0] = 1;
  EXPECT_TRUE(internal::parse_envelope(kKekWrapFormat, minimal).has_value());
  EXPECT_FALSE(internal::parse_envelope(kKekWrapFormat, ByteView(minimal).first(28)).has_value());
  minimal[0] = 2;
  EXPECT_FALSE(internal::parse_envelope(kKekWrapFormat, minimal).has_value());
  Bytes ten(1 + 12 + 10 + 16, 0);
  ten[0] = 1;
  EXPECT_TRUE(internal::parse_envelope(kKekWrapFormat, ten, 10).has_value());
  EXPECT_FALSE(internal::parse_envelope(kKekWrapFormat, ten, 9).has_value());
}

}  // namespace
}  // namespace duet::keys
