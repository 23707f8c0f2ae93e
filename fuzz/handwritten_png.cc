// Fuzz target: the holder's handwritten-signature upload
// (pdf/handwritten_image.h check_handwritten_png, over libpng), which reads
// untrusted bytes from PUT /app/v1/handwritten-signature.
//
// Invariants checked:
//  - every refusal is one of the documented errors (payload too large, bad
//    encoding, invalid argument);
//  - an accepted image has sides within the documented bounds, and its
//    normalised PNG is accepted again with the same size and re-encodes to
//    the same bytes (what is kept is exactly what was checked).
#include "fuzz_util.h"
#include "pdf/handwritten_image.h"

using duet::ByteView;
using duet::ErrorCode;
namespace pdf = duet::pdf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto image = pdf::check_handwritten_png(ByteView(data, size));
  if (!image.ok()) {
    const ErrorCode c = image.code();
    FUZZ_CHECK(c == ErrorCode::kPayloadTooLarge || c == ErrorCode::kBadEncoding || c == ErrorCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(image->width >= pdf::kMinHandwrittenSide && image->width <= pdf::kMaxHandwrittenSide);
  FUZZ_CHECK(image->height >= pdf::kMinHandwrittenSide && image->height <= pdf::kMaxHandwrittenSide);
  auto again = pdf::check_handwritten_png(image->png);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->width == image->width && again->height == image->height);
  FUZZ_CHECK(again->png == image->png);
  return 0;
}
