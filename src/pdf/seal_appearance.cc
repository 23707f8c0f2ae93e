#include "pdf/seal_appearance.h"

#include <sys/stat.h>

#include <cstdio>

#include "pdf/png_codec.h"

namespace duet::pdf {
namespace {

constexpr size_t kMaxStampName = 8;
constexpr size_t kMaxSignerName = 32;

Status check_text(std::string_view text, size_t max_chars, const char* what, bool allow_empty) {
  auto cps = utf8_code_points(text);
  if (!cps.ok()) return make_error(ErrorCode::kInvalidArgument, std::string(what) + " is not valid UTF-8");
  if (cps->empty() && !allow_empty) return make_error(ErrorCode::kInvalidArgument, std::string(what) + " is empty");
  if (cps->size() > max_chars) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(what) + " is longer than " + std::to_string(max_chars) + " characters");
  }
  for (char32_t c : *cps) {
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      return make_error(ErrorCode::kInvalidArgument, std::string(what) + " holds a control character");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::u32string> utf8_code_points(std::string_view text) {
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    int n = b < 0x80 ? 0 : (b & 0xe0) == 0xc0 ? 1 : (b & 0xf0) == 0xe0 ? 2 : (b & 0xf8) == 0xf0 ? 3 : -1;
    if (n < 0) return make_error(ErrorCode::kBadEncoding, "invalid UTF-8");
    char32_t c = n == 0 ? b : n == 1 ? (b & 0x1f) : n == 2 ? (b & 0x0f) : (b & 0x07);
    for (int k = 1; k <= n; ++k) {
      if (i + k >= text.size()) return make_error(ErrorCode::kBadEncoding, "truncated UTF-8");
      auto cont = static_cast<unsigned char>(text[i + k]);
      if ((cont & 0xc0) != 0x80) return make_error(ErrorCode::kBadEncoding, "invalid UTF-8");
      c = (c << 6) | (cont & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (c < kMin[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
      return make_error(ErrorCode::kBadEncoding, "invalid UTF-8");
    }
    out.push_back(c);
    i += static_cast<size_t>(n) + 1;
  }
  return out;
}

std::u32string name_stamp_characters(std::string_view name) {
  auto cps = utf8_code_points(name);
  if (!cps.ok()) return {};
  std::u32string chars = *cps;
  if (chars.size() == 2) chars += U"之印";
  if (chars.size() == 3) chars += U"印";
  return chars;
}

std::string format_signing_time(pki::Time t, int utc_offset_minutes) {
  using namespace std::chrono;
  sys_seconds local = t + minutes(utc_offset_minutes);
  auto day = floor<days>(local);
  year_month_day ymd(day);
  hh_mm_ss<seconds> hms(local - day);
  int off = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d %c%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), utc_offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return buf;
}

Status validate_appearance(const SealAppearance& a) {
  if (const auto* stamp = std::get_if<NameStamp>(&a.mark)) {
    DUET_TRY_STATUS(check_text(stamp->name, kMaxStampName, "the stamp's name", false));
  } else {
    auto img = decode_png(std::get<HandwrittenSignature>(a.mark).png);
    if (!img.ok()) return Unexpected{img.error()};
  }
  DUET_TRY_STATUS(check_text(a.signer_name, kMaxSignerName, "the signer's name", true));
  if (a.utc_offset_minutes < -14 * 60 || a.utc_offset_minutes > 14 * 60) {
    return make_error(ErrorCode::kInvalidArgument, "the time offset is beyond ±14 hours");
  }
  struct stat st {};
  if (a.font_path.size() < 4 || a.font_path.compare(a.font_path.size() - 4, 4, ".ttf") != 0 ||
      ::stat(a.font_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::kInvalidArgument, "the CJK font is not an existing .ttf file: " + a.font_path);
  }
  return Status::Ok();
}

}  // namespace duet::pdf
