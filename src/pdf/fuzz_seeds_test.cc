// Writes the seed corpus of fuzz/pdf.cc (fuzz/corpus/pdf/) when
// DUET_PDF_SEED_DIR names a directory; skipped otherwise. Small documents:
// libFuzzer raises its input size limit to the largest seed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "base/result_testing.h"
#include "pdf/pdf_test_support.h"

namespace duet::pdf {
namespace {

using namespace testing;
using testing_support::ok_value;

TEST(PdfFuzzSeeds, Write) {
  const char* out = std::getenv("DUET_PDF_SEED_DIR");
  if (out == nullptr) GTEST_SKIP() << "set DUET_PDF_SEED_DIR to write the seeds";
  auto write = [&](const std::string& name, ByteView b) {
    std::ofstream(std::string(out) + "/" + name, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                                                         static_cast<std::streamsize>(b.size()));
  };
  Bytes plain = make_pdf(1, {});
  write("plain.pdf", plain);
  RgbaImage dot{8, 4, Bytes(8 * 4 * 4, 0)};
  for (size_t i = 0; i < dot.pixels.size(); i += 8) dot.pixels[i + 3] = 255;
  SignOptions o;
  o.contents_reserve = 1536;
  o.certify = true;
  TestHolder holder("Li");
  SealAppearance a{HandwrittenSignature{ok_value(encode_png(dot))}, ""};
  a.show_signing_time = false;
  Bytes once = ok_value(sign_pdf(plain, {PagePlacement{1, {10, 10, 40, 20}}}, a, o, holder));
  write("signed.pdf", once);
  o.certify = false;
  o.sub_filter = SubFilter::kAdbePkcs7Detached;
  write("signed-twice.pdf", ok_value(sign_pdf(once, {PagePlacement{1, {60, 10, 40, 20}}, PagePlacement{1, {110, 10, 40, 20}}},
                                               a, o, holder)));
}

}  // namespace
}  // namespace duet::pdf
