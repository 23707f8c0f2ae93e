#include "qr/qr_code.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace duet::qr {
namespace {

// Writes the PNG to a temporary file and decodes it with `zbarimg --raw -q`.
// Returns the decoded text without zbarimg's trailing newline.
// With `binary`, zbarimg -Sbinary prints the symbol's bytes without guessing a
// character set (without it, zbar guesses and may take UTF-8 for Shift-JIS).
std::string zbar_decode(const Bytes& png, bool binary = false) {
  std::string path = testing::TempDir() + "duet_qr_XXXXXX";
  int fd = mkstemp(path.data());
  EXPECT_GE(fd, 0);
  if (fd < 0) return {};
  size_t off = 0;
  while (off < png.size()) {
    ssize_t n = write(fd, png.data() + off, png.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(fd);
  EXPECT_EQ(off, png.size());
  // The path comes from mkstemp on our own template: no shell metacharacters.
  const std::string cmd =
      std::string("zbarimg --raw -q ") + (binary ? "-Sbinary '" : "'") + path + "' 2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << "zbarimg failed";
  } else {
    ADD_FAILURE() << "popen failed";
  }
  unlink(path.c_str());
  if (!binary && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string round_trip(std::string_view text, int module_px = 8, int quiet = 4) {
  auto code = encode_qr(text);
  EXPECT_TRUE(code.ok());
  if (!code.ok()) return {};
  auto png = to_png(*code, module_px, quiet);
  EXPECT_TRUE(png.ok());
  if (!png.ok()) return {};
  return zbar_decode(*png);
}

TEST(QrCode, EncodeGivesSquareSymbol) {
  auto code = encode_qr("hello");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->version, 1);
  EXPECT_EQ(code->width, 21);
  EXPECT_EQ(code->modules.size(), 21u * 21u);
  // Finder pattern: top-left corner module is dark, (7,7) separator is light.
  EXPECT_TRUE(code->dark(0, 0));
  EXPECT_FALSE(code->dark(7, 7));
  for (uint8_t m : code->modules) EXPECT_LE(m, 1);
}

TEST(QrCode, PngStartsWithSignature) {
  auto code = encode_qr("duet");
  ASSERT_TRUE(code.ok());
  auto png = to_png(*code);
  ASSERT_TRUE(png.ok()) << png.error().to_string();
  const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  ASSERT_GE(png->size(), 8u);
  EXPECT_TRUE(std::equal(sig, sig + 8, png->begin()));
  // IHDR: width and height are (21 + 8) * 8 = 232, bit depth 1, grayscale.
  ASSERT_GE(png->size(), 33u);
  EXPECT_EQ(std::string(png->begin() + 12, png->begin() + 16), "IHDR");
  auto be32 = [&](size_t o) {
    return (uint32_t{(*png)[o]} << 24) | (uint32_t{(*png)[o + 1]} << 16) | (uint32_t{(*png)[o + 2]} << 8) |
           (*png)[o + 3];
  };
  EXPECT_EQ(be32(16), 232u);
  EXPECT_EQ(be32(20), 232u);
  EXPECT_EQ((*png)[24], 1);  // bit depth
  EXPECT_EQ((*png)[25], 0);  // colour type gray
}

TEST(QrCode, ZbarDecodesExactText) {
  EXPECT_EQ(round_trip("hello, duet"), "hello, duet");
  EXPECT_EQ(round_trip("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  // Non-default sizes, odd pixel widths exercise the row padding bits.
  EXPECT_EQ(round_trip("small modules", 3, 4), "small modules");
  EXPECT_EQ(round_trip("odd size", 5, 2), "odd size");
}

TEST(QrCode, DuetUriWithQueryRoundTrips) {
  const std::string uri =
      "duet://sign?order=ord_01HZX3K9Q7&session=s%2F9a+b&digest=6b0f1c2e&exp=1735689600&t=a%26b%3Dc#frag";
  EXPECT_EQ(round_trip(uri), uri);
}

TEST(QrCode, Utf8BytesRoundTrip) {
  // The symbol carries the UTF-8 bytes unchanged (8-bit mode, no ECI marker);
  // decoders guess the character set, so duet:// URIs percent-encode non-ASCII.
  const std::string text = "duet://sign?title=\xe5\x8a\xb3\xe5\x8a\xa8\xe5\x90\x88\xe5\x90\x8c&n=1";  // 劳动合同
  auto code = encode_qr(text);
  ASSERT_TRUE(code.ok());
  auto png = to_png(*code);
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(zbar_decode(*png, /*binary=*/true), text);
}

TEST(QrCode, LongTextRoundTrips) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "duet-" + std::to_string(i) + ";";
  auto code = encode_qr(text);
  ASSERT_TRUE(code.ok());
  EXPECT_GT(code->version, 5);
  EXPECT_EQ(round_trip(text, 4), text);
}

TEST(QrCode, OverLongTextIsRefused) {
  auto ok = encode_qr(std::string(2331, 'a'));  // the 40-M byte-mode capacity
  EXPECT_TRUE(ok.ok());
  if (ok.ok()) {
    EXPECT_EQ(ok->version, 40);
  }
  auto r = encode_qr(std::string(2332, 'a'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(encode_qr(std::string(10000, 'x')).code(), ErrorCode::kInvalidArgument);
}

TEST(QrCode, EmptyAndNulTextAreRefused) {
  EXPECT_EQ(encode_qr("").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(encode_qr(std::string_view("a\0b", 3)).code(), ErrorCode::kInvalidArgument);
}

TEST(QrCode, PngArgumentsAreChecked) {
  auto code = encode_qr("x");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(to_png(*code, 0).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(to_png(*code, 65).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(to_png(*code, 8, -1).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(to_png(QrCode{}).code(), ErrorCode::kInvalidArgument);
  auto big = encode_qr(std::string(2331, 'a'));  // version 40: 177 modules
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(to_png(*big, 64, 64).code(), ErrorCode::kInvalidArgument);  // (177+128)*64 > 16384 px
  EXPECT_EQ(to_png(*code, 8, 65).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(to_png(*code, 1, 0).ok());
}

TEST(QrCode, SvgIsWellFormedish) {
  auto code = encode_qr("duet://activate?code=ABCD-EFGH");
  ASSERT_TRUE(code.ok());
  const std::string svg = to_svg(*code, 8, 4);
  const int n = code->width + 8;
  const std::string px = std::to_string(n * 8);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"" + px + "\""), std::string::npos);
  EXPECT_NE(svg.find("height=\"" + px + "\""), std::string::npos);
  EXPECT_NE(svg.find("viewBox=\"0 0 " + std::to_string(n) + " " + std::to_string(n) + "\""), std::string::npos);
  EXPECT_NE(svg.find("shape-rendering=\"crispEdges\""), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  // Exactly one path; tags balanced.
  EXPECT_EQ(svg.find("<path"), svg.rfind("<path"));
  size_t opens = 0, closes = 0;
  for (char c : svg) {
    opens += c == '<';
    closes += c == '>';
  }
  EXPECT_EQ(opens, closes);
  // The path covers exactly the dark modules: count unit squares by summing runs.
  size_t dark = 0;
  for (uint8_t m : code->modules) dark += m;
  size_t covered = 0;
  for (size_t pos = svg.find('h'); pos != std::string::npos; pos = svg.find('h', pos + 1)) {
    if (svg[pos + 1] == '-' || !isdigit(static_cast<unsigned char>(svg[pos + 1]))) continue;
    covered += std::stoul(svg.substr(pos + 1));
  }
  EXPECT_EQ(covered, dark);
  EXPECT_TRUE(to_svg(QrCode{}).empty());
}

}  // namespace
}  // namespace duet::qr
