#include "gateway/outbox.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <spdlog/spdlog.h>

#include "core/business_service.h"
#include "core/pdf_orders.h"
#include "gateway/fault_injection.h"
#include "gateway/signer_name.h"
#include "pdf/page_render.h"
#include "pdf/pdf_signer.h"
#include "pdf/pdf_verifier.h"
#include "pki/timestamp.h"

namespace duet::gateway {
namespace {

int64_t wall_now() { return static_cast<int64_t>(std::time(nullptr)); }

// PEM certificates of a bundle, in order.
std::vector<pki::Certificate> parse_chain(const std::string& pem) {
  std::vector<pki::Certificate> out;
  const std::string begin = "-----BEGIN CERTIFICATE-----";
  const std::string end = "-----END CERTIFICATE-----";
  size_t at = 0;
  while ((at = pem.find(begin, at)) != std::string::npos) {
    size_t stop = pem.find(end, at);
    if (stop == std::string::npos) break;
    stop += end.size();
    auto c = pki::Certificate::parse(std::string_view(pem).substr(at, stop - at));
    if (c.ok()) out.push_back(std::move(*c));
    at = stop;
  }
  return out;
}

// duetd's limits on one order's previews.
constexpr size_t kMaxPreviewPages = core::kMaxOrderPreviews;
constexpr size_t kMaxPreviewBytes = core::kMaxOrderPreviewBytes;

}  // namespace

Outbox::Outbox(const GatewayConfig& config, GatewayStore& store, Upstream& upstream, http::MetricsRegistry& metrics,
               LocalCallbacks* callbacks)
    : config_(config), store_(store), upstream_(upstream), metrics_(metrics), callbacks_(callbacks) {
  metrics_.declare("duet_gateway_upstream_errors_total", http::MetricsRegistry::Type::kCounter,
                   "Upstream calls to duetd that failed and will be retried.");
  metrics_.declare("duet_gateway_orders_completed_total", http::MetricsRegistry::Type::kCounter,
                   "Gateway orders that reached a final state, by state.");
  metrics_.declare("duet_gateway_preview_uploads_total", http::MetricsRegistry::Type::kCounter,
                   "Hybrid page previews offered to duetd, by result (uploaded, refused, not_rendered).");
}

Outbox::~Outbox() { stop(); }

void Outbox::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      run_once(wall_now());
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || woken_; });
      woken_ = false;
    }
  });
}

void Outbox::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Outbox::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Outbox::run_once(int64_t now) {
  // The retention rule, at most once a minute.
  if (config_.signed_pdf_retention_days > 0 && now - last_retention_run_ >= 60) {
    last_retention_run_ = now;
    auto erased = store_.erase_signed_pdfs(now - config_.signed_pdf_retention_days * 86400);
    if (!erased.ok()) spdlog::warn("outbox: the retention rule failed: {}", erased.error().message);
    else if (*erased > 0) spdlog::info("outbox: the retention rule erased {} signed PDFs", *erased);
  }
  auto due = store_.due_orders(now, 32);
  if (!due.ok()) {
    spdlog::warn("outbox: the store is not available: {}", due.error().message);
    return;
  }
  for (const std::string& id : *due) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto o = store_.get_order_any(id);
    if (!o.ok()) continue;
    advance(*o, now);
  }
  if (callbacks_ != nullptr) callbacks_->run_once(now);
}

void Outbox::advance(const GatewayOrder& o, int64_t now) {
  switch (o.state) {
    case OrderState::kPrepared: return submit(o, now);
    case OrderState::kSubmitted: return poll(o, now);
    case OrderState::kCosigned: return finish(o, now);
    case OrderState::kSigned:
    case OrderState::kFailed: return;
  }
}

void Outbox::retry_later(const GatewayOrder& o, int64_t now, std::string_view why) {
  metrics_.counter("duet_gateway_upstream_errors_total").inc();
  // 1, 2, 4, … seconds, at most retry_max_seconds.
  const int64_t wait = std::min<int64_t>(config_.retry_max_seconds, int64_t{1} << std::min<int64_t>(o.attempts, 20));
  spdlog::warn("outbox: order {} ({}): {}; retry in {} s", o.order_id, order_state_name(o.state), why, wait);
  (void)store_.reschedule(o.order_id, now + wait, true, "", now);
}

void Outbox::fail(const GatewayOrder& o, std::string_view code, std::string_view message, int64_t now) {
  spdlog::warn("outbox: order {} failed: {}", o.order_id, code);
  if (store_.mark_failed(o.order_id, code, message, now).ok())
    metrics_.counter("duet_gateway_orders_completed_total", {{"state", "failed"}}).inc();
}

bool Outbox::check_signer(const GatewayOrder& o, int64_t now) {
  // The order was accepted while duetd could not be asked: the name the
  // local system sent is drawn on the seal; it goes upstream only if it is
  // the CN of the holder's certificate (docs/gateway.md "The signer's name").
  UpstreamRefusal refusal;
  auto name = upstream_.holder_certificate_name(o.holder_id, now, &refusal);
  if (!name.ok()) {
    if (name.code() == ErrorCode::kUnavailable) {
      retry_later(o, now, name.error().message);
      return false;
    }
    fail(o, refusal.code.empty() ? "upstream_error" : refusal.code,
         "the holder's certificate cannot be read: " + refusal.message, now);
    return false;
  }
  if (*name != o.signer_name) {
    fail(o, kSignerNameMismatch, "signer_name is not the name on the holder's certificate", now);
    return false;
  }
  if (Status s = store_.mark_signer_checked(o.order_id, now); !s.ok()) {
    spdlog::warn("outbox: order {}: {}", o.order_id, s.error().message);
    return false;
  }
  return true;
}

void Outbox::submit(const GatewayOrder& o, int64_t now) {
  if (!o.signer_checked && !check_signer(o, now)) return;
  UpstreamRefusal refusal;
  auto up = upstream_.create_order(o, &refusal);
  if (!up.ok()) {
    if (up.code() == ErrorCode::kUnavailable) return retry_later(o, now, up.error().message);
    return fail(o, refusal.code, "duetd refused the order: " + refusal.message, now);
  }
  // The crash window the Idempotency-Key covers: duetd has the order, the
  // store still says prepared.
  crash_point("after_upstream_create");
  if (config_.upload_previews && !upload_previews(o, up->order_id)) {
    return retry_later(o, now, "duetd cannot take the previews now");
  }
  if (Status s = store_.mark_submitted(o.order_id, up->order_id, up->state, now); !s.ok()) {
    spdlog::warn("outbox: order {}: {}", o.order_id, s.error().message);
    return;
  }
  spdlog::info("outbox: order {} submitted as {}", o.order_id, up->order_id);
}

bool Outbox::upload_previews(const GatewayOrder& o, const std::string& upstream_order_id) {
  // Orders stored before schema 3 (no stamped pages) and orders no longer
  // holding their prepared document have nothing to show.
  if (o.stamped_pages.empty() || o.prepared_pdf.empty() || o.page_count < 1) return true;
  pdf::RenderOptions ro;
  ro.dpi = static_cast<double>(config_.preview_dpi);
  ro.max_pdf_bytes = o.prepared_pdf.size();
  std::vector<std::pair<int, Bytes>> pages;
  for (int page : o.stamped_pages) {
    if (pages.size() == kMaxPreviewPages) break;
    auto png = pdf::render_page_png(o.prepared_pdf, page, ro);
    if (!png.ok() || png->size() > kMaxPreviewBytes) {
      spdlog::warn("outbox: order {}: page {} gives no preview", o.order_id, page);
      metrics_.counter("duet_gateway_preview_uploads_total", {{"result", "not_rendered"}}).inc();
      return true;
    }
    pages.emplace_back(page, std::move(*png));
  }
  UpstreamRefusal refusal;
  Status up = upstream_.put_previews(upstream_order_id, o.page_count, pages, &refusal);
  if (!up.ok() && up.code() == ErrorCode::kUnavailable) return false;
  if (!up.ok()) {
    // The tenant has not enabled hybrid previews at duetd (forbidden), or the
    // order is no longer open: the holder sees the order's text and
    // "preview kept on premises"; the order goes on.
    spdlog::warn("outbox: order {}: duetd refused the previews ({})", o.order_id, refusal.code);
    metrics_.counter("duet_gateway_preview_uploads_total", {{"result", "refused"}}).inc();
    return true;
  }
  metrics_.counter("duet_gateway_preview_uploads_total", {{"result", "uploaded"}}).inc();
  return true;
}

void Outbox::poll(const GatewayOrder& o, int64_t now) {
  UpstreamRefusal refusal;
  auto up = upstream_.get_order(o.upstream_order_id, 1 + o.more_documents.size(), &refusal);
  if (!up.ok()) {
    if (up.code() == ErrorCode::kUnavailable) return retry_later(o, now, up.error().message);
    return fail(o, refusal.code, "duetd no longer has the order: " + refusal.message, now);
  }
  if (up->state == "signed") {
    if (Status s = store_.mark_cosigned(o.order_id, up->signature, now, up->more_signatures); !s.ok())
      spdlog::warn("outbox: order {}: {}", o.order_id, s.error().message);
    else
      spdlog::info("outbox: order {} co-signed", o.order_id);
    return;
  }
  if (up->state == "pending" || up->state == "signing") {
    (void)store_.reschedule(o.order_id, now + config_.poll_interval_seconds, false, up->state, now);
    return;
  }
  // rejected, expired, cancelled, failed: final upstream, final here.
  fail(o, up->state, "the upstream order is " + up->state, now);
}

Result<pki::CmsTrust> Outbox::trust() {
  if (trust_) return *trust_;
  DUET_ASSIGN_OR_RETURN(std::string pem, upstream_.ca_chain_pem());
  pki::CmsTrust t;
  for (auto& c : parse_chain(pem)) {
    if (c.subject() == c.issuer()) t.roots.push_back(std::move(c));
    else t.intermediates.push_back(std::move(c));
  }
  if (t.roots.empty()) return make_error(ErrorCode::kUnavailable, "duetd's CA chain has no root");
  trust_ = t;
  return t;
}

Outbox::Embedded Outbox::embed_and_check(const GatewayOrder& o, const DocumentParts& d) {
  Embedded out;
  auto failed = [&](std::string code, std::string message) {
    out.fail_code = std::move(code);
    out.message = std::move(message);
    return out;
  };
  auto later = [&](std::string message) {
    out.retry = true;
    out.message = std::move(message);
    return out;
  };
  // PAdES B-T: the RFC 3161 token over SM3(signature value) — a hash of the
  // signature, nothing of the document — from duetd's TSA, added to the CMS.
  auto imprint = pki::signature_timestamp_imprint(d.cms);
  if (!imprint.ok()) return failed("cosignature_invalid", "duetd's CMS does not parse");
  auto token = upstream_.timestamp_token(*imprint);
  if (!token.ok()) return later(token.error().message);
  auto cms = pki::add_signature_timestamp(d.cms, *token);
  if (!cms.ok()) return failed("cosignature_invalid", "the timestamp does not fit the signature");
  auto chain = trust();
  if (!chain.ok()) return later(chain.error().message);

  pdf::PreparedPdf p;
  p.pdf = d.prepared_pdf;
  p.byte_range = {d.byte_range[0], d.byte_range[1], d.byte_range[2], d.byte_range[3]};
  std::copy_n(d.digest.begin(), std::min(d.digest.size(), p.digest.size()), p.digest.begin());
  p.sub_filter = core::sub_filter_from_name(o.sub_filter).value_or(pdf::SubFilter::kAdbePkcs7Detached);
  p.signing_time = pki::Time(std::chrono::seconds(o.signing_time));
  p.field_name = d.field_name;
  auto signed_pdf = pdf::embed_signature(p, *cms);
  if (!signed_pdf.ok()) return failed(std::string(error_code_name(signed_pdf.code())), "the CMS cannot be embedded");
  // The whole result is checked before it is served: the ByteRange, that the
  // CMS's messageDigest is this document's, the SM2 signature and the chain.
  auto v = pdf::verify_pdf(*signed_pdf, *chain);
  if ((!v.ok() || !v->ok()) && trust_) {
    // Perhaps duetd's CA changed since the chain was fetched: once more with
    // a fresh chain before the order is given up.
    trust_.reset();
    chain = trust();
    if (!chain.ok()) return later(chain.error().message);
    v = pdf::verify_pdf(*signed_pdf, *chain);
  }
  if (!v.ok() || !v->ok() || v->signatures.empty())
    return failed("cosignature_invalid", "the co-signed PDF does not verify");
  // The seal must name the person whose certificate signed: the holder may
  // have been given another certificate since the order was prepared.
  if (!o.signer_name.empty()) {
    auto signer = certificate_common_name(v->signatures.back().signer_certificate_der);
    if (!signer.ok() || *signer != o.signer_name)
      return failed(std::string(kSignerNameMismatch), "the certificate that signed does not name the person on the seal");
  }
  out.pdf = std::move(*signed_pdf);
  return out;
}

void Outbox::finish(const GatewayOrder& o, int64_t now) {
  // Every document of the order (one, or a batch) is built and checked before
  // any is committed: all of them become signed in one transaction, or none.
  std::vector<Bytes> signed_pdfs;
  std::vector<DocumentParts> parts = {{o.prepared_pdf, o.byte_range, o.digest, o.field_name, o.cms}};
  for (const GatewayDocument& d : o.more_documents)
    parts.push_back({d.prepared_pdf, d.byte_range, d.digest, d.field_name, d.cms});
  for (const DocumentParts& d : parts) {
    Embedded e = embed_and_check(o, d);
    if (e.retry) return retry_later(o, now, e.message);
    if (!e.fail_code.empty()) return fail(o, e.fail_code, e.message, now);
    signed_pdfs.push_back(std::move(e.pdf));
  }
  // The signed PDFs are built but not yet committed: a restart builds them again.
  crash_point("before_signed_commit");
  const std::vector<Bytes> more(std::make_move_iterator(signed_pdfs.begin() + 1),
                                std::make_move_iterator(signed_pdfs.end()));
  if (Status s = store_.mark_signed(o.order_id, signed_pdfs.front(), now, more); !s.ok()) {
    spdlog::warn("outbox: order {}: {}", o.order_id, s.error().message);
    return;
  }
  metrics_.counter("duet_gateway_orders_completed_total", {{"state", "signed"}}).inc();
  spdlog::info("outbox: order {} signed ({} documents)", o.order_id, signed_pdfs.size());
}

}  // namespace duet::gateway
