// The domain settings core enforces; duetd fills them from its TOML config.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace duet::core {

struct CoreConfig {
  int max_failed_attempts = 5;            // docs/protocol.md: N consecutive failures lock the key
  // The failure budget (docs/protocol.md "Counting"): at most this many failed
  // PIN uses per holder in any window of pin_budget_window_seconds, however
  // many successes come between; reaching it locks the key.
  int pin_failure_budget = 10;
  int64_t pin_budget_window_seconds = 30 * 24 * 3600;
  int64_t refresh_ttl_seconds = 600;      // an open share refresh expires after this
  int64_t request_window_seconds = 300;   // ±window for X-Duet-Timestamp
  int64_t activation_code_ttl_seconds = 600;
  int activation_code_attempts = 5;       // failed redemptions (bad proofs) before the code dies
  int64_t order_default_ttl_seconds = 24 * 3600;
  int64_t order_max_ttl_seconds = 30 * 24 * 3600;
  size_t order_max_items = 100;
  size_t order_max_item_bytes = 256 * 1024;
  size_t title_max_chars = 200;
  size_t display_text_max_bytes = 4096;
  // Callback delivery.
  int callback_max_attempts = 12;
  int64_t callback_first_backoff_seconds = 5;
  int64_t callback_max_backoff_seconds = 3600;
  int callback_timeout_ms = 5000;
  // [pdf] max_bytes: the largest PDF the service reads (verification, PDF
  // orders); larger ones are 413 payload_too_large before any parsing.
  size_t pdf_max_bytes = size_t{20} * 1024 * 1024;
  // Sign orders with output "pdf" (docs/pdf.md "Sign orders"): the CJK
  // TrueType font of the seal's appearance (pdf.font_path) and the resolution
  // of the page previews the holder app shows (pdf.preview_dpi).
  std::string pdf_font_path = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";
  int pdf_preview_dpi = 96;
  // The most PDF documents held in memory at once by this process
  // (pdf.max_in_flight, core/pdf_admission.h); more are refused with 503 and
  // Retry-After. 0: no cap.
  size_t pdf_max_in_flight = 8;
  // The most of those one tenant may hold at once (pdf.max_in_flight_per_tenant):
  // beyond it that tenant gets 429 rate_limited while the others keep their
  // slots. 0: half of pdf_max_in_flight, at least 1.
  size_t pdf_max_in_flight_per_tenant = 0;
  // Base of the duet:// links in QR codes (the holder app's server address).
  std::string public_url = "https://localhost:8443";
};

}  // namespace duet::core
