// duet_pdf_bench: what a PDF seal costs the service beyond the co-signature
// (issue 12 item 8, docs/performance.md "PDF seals").
//
// For a 50-page PDF of 1 MiB and of 20 MiB (made here: each page a line of
// text and an uncompressed grey image of random pixels, so size scales the
// way a scanned contract's does), in one run:
//   read_sm3/<MiB>       read the file from disk and SM3 it (the yardstick)
//   request_parse/<MiB>  the order's JSON body parsed and the document decoded
//                        from base64 (server/pdf_order_body.cc)
//   prepare/<MiB>        core::prepare_order_document + pdf_item_plan: what
//                        POST /api/v1/orders does with the document (inspect,
//                        placement, name stamp, incremental update, ByteRange
//                        digest, the signed attributes and e)
//   complete/<MiB>       core::pdf_item_assemble + the RFC 3161 signature
//                        timestamp (PAdES B-T) + core::pdf_embed: what the
//                        finish step does once the co-signature has verified
//   gateway_finish/<MiB> what duet-gateway's outbox does with duetd's CMS
//                        (src/gateway/outbox.cc Outbox::finish): the timestamp
//                        token added to the CMS, the CMS embedded, and the whole
//                        signed PDF verified against the CA chain before it is
//                        served (the token's fetch from duetd is network, not
//                        counted)
// and prints (prepare + complete) / read_sm3 and (request_parse + prepare +
// complete) / read_sm3 for duetd, and (request_parse + prepare +
// gateway_finish) / read_sm3 for the gateway, which does the document's work
// on the tenant's premises (duetd then only co-signs a digest and assembles a
// CMS of fixed size). The co-signature itself (bench/cosign_bench.cc) and the
// stores' writes are not in these figures.
//
//   duet_pdf_bench [--memory] [any --benchmark_* flag]
//
// --memory: instead of timing, for each size a child process runs one
// document through request_parse + prepare + complete, holding what duetd
// holds at once (the request body, its JSON, the decoded document, the
// prepared one, the signed one), and reports its peak resident memory above
// the baseline (getrusage ru_maxrss; a warm-up document loads fonts and
// libraries first) against the budget 4 × file size + 64 MiB.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "core/config.h"
#include "core/pdf_orders.h"
#include "core/business_service.h"
#include "crypto/random.h"
#include "crypto/sm2_evp.h"
#include "crypto/sm3.h"
#include "pki/ca.h"
#include "pki/issuer.h"
#include "pki/lint.h"
#include "pdf/pdf_verifier.h"
#include "pki/timestamp.h"
#include "server/pdf_order_body.h"

namespace {

using namespace duet;

constexpr int kPages = 50;
constexpr size_t kMiB = 1024 * 1024;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "duet_pdf_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.error().to_string());
  return std::move(r).value();
}

// A PDF of kPages A4 pages of about `target` bytes: each page draws a grey
// image of random pixels (uncompressed, /Filter none) and a line of text.
Bytes make_pdf(size_t target) {
  const size_t side = static_cast<size_t>(std::sqrt(static_cast<double>(target) / kPages));
  Bytes pixels(side * side);
  crypto::SystemRandom::instance().fill(pixels);
  std::string out = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
  std::vector<size_t> offsets;
  auto obj = [&](const std::string& body, const Bytes* stream = nullptr) {
    offsets.push_back(out.size());
    out += std::to_string(offsets.size()) + " 0 obj\n" + body;
    if (stream != nullptr) {
      out += "\nstream\n";
      out.append(reinterpret_cast<const char*>(stream->data()), stream->size());
      out += "\nendstream";
    }
    out += "\nendobj\n";
  };
  // 1 catalog, 2 pages, 3 font; page i: 4+3i page, 5+3i content, 6+3i image.
  obj("<< /Type /Catalog /Pages 2 0 R >>");
  std::string kids;
  for (int i = 0; i < kPages; ++i) kids += std::to_string(4 + 3 * i) + " 0 R ";
  obj("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(kPages) + " >>");
  obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  for (int i = 0; i < kPages; ++i) {
    const std::string content = "q 480 0 0 480 57 200 cm /Im1 Do Q BT /F1 14 Tf 72 760 Td (Contract page " +
                                std::to_string(i + 1) + ") Tj ET";
    const Bytes content_bytes(content.begin(), content.end());
    obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 " +
        std::to_string(6 + 3 * i) + " 0 R >> >> /Contents " + std::to_string(5 + 3 * i) + " 0 R >>");
    obj("<< /Length " + std::to_string(content_bytes.size()) + " >>", &content_bytes);
    obj("<< /Type /XObject /Subtype /Image /Width " + std::to_string(side) + " /Height " + std::to_string(side) +
            " /ColorSpace /DeviceGray /BitsPerComponent 8 /Length " + std::to_string(pixels.size()) + " >>",
        &pixels);
  }
  const size_t xref = out.size();
  out += "xref\n0 " + std::to_string(offsets.size() + 1) + "\n0000000000 65535 f \n";
  char line[32];
  for (size_t o : offsets) {
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(offsets.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return Bytes(out.begin(), out.end());
}

// The signer's certificate, the TSA and their keys, as the service has them.
struct Authority {
  pki::CaHierarchy ca;
  crypto::Scalar holder_key = crypto::Scalar::random_nonzero(crypto::SystemRandom::instance());
  crypto::Scalar tsa_key = crypto::Scalar::random_nonzero(crypto::SystemRandom::instance());
  std::unique_ptr<pki::Certificate> holder;
  std::unique_ptr<pki::TimestampAuthority> tsa;

  Authority() : ca(must(pki::create_ca_hierarchy(pki::CaProfile{}, crypto::SystemRandom::instance()), "CA")) {
    auto& rng = crypto::SystemRandom::instance();
    pki::HolderProfile p;
    p.subject = {"CN", "Example Co", "", "张三", "9c1e77ab20d4f3e5"};
    p.crl_url = "http://ca.duet.test/crl";
    p.ocsp_url = "http://ca.duet.test/ocsp";
    p.policy_oid = "1.3.6.1.4.1.99999.1.2.1";
    pki::IssuancePolicy policy;
    policy.policy_oid = p.policy_oid;
    const crypto::Point holder_pub = must(crypto::Point::mul_base(holder_key), "holder key");
    holder = std::make_unique<pki::Certificate>(
        must(pki::issue_holder_certificate(ca.issuing_ca(), holder_pub, p, policy, rng), "holder certificate"));
    const crypto::Point tsa_pub = must(crypto::Point::mul_base(tsa_key), "TSA key");
    pki::Certificate tsa_cert = must(pki::issue_tsa_certificate(ca.issuing_ca(), tsa_pub,
                                                                {"CN", "Example Co", "", "Duet TSA", ""},
                                                                std::chrono::days(365), rng),
                                     "TSA certificate");
    const crypto::Scalar k = tsa_key;
    tsa = std::make_unique<pki::TimestampAuthority>(pki::TimestampAuthority{
        std::move(tsa_cert),
        [k](const crypto::Digest& e) { return crypto::evp_sm2_sign_digest(k, e); }, "1.3.6.1.4.1.99999.1.3"});
  }
};

Authority& authority() {
  static Authority a;
  return a;
}

core::CoreConfig bench_config() {
  core::CoreConfig cfg;
  cfg.pdf_max_bytes = 32 * kMiB;
  return cfg;
}

struct Fixture {
  size_t target = 0;
  std::string path;  // the document on disk
  Bytes pdf;
  std::string body;  // the order's JSON body as the business system sends it
};

// The fixture of `bytes` bytes (1 MiB and 20 MiB for the figures; a small one
// for the memory run's warm-up).
Fixture& fixture_of(size_t bytes) {
  static std::map<size_t, Fixture> all;
  Fixture& f = all[bytes];
  if (f.pdf.empty()) {
    f.target = bytes;
    f.pdf = make_pdf(f.target);
    f.path = (std::filesystem::temp_directory_path() / ("duet-pdf-bench-" + std::to_string(::getpid()) + "-" +
                                                        std::to_string(bytes) + ".pdf"))
                 .string();
    std::ofstream(f.path, std::ios::binary).write(reinterpret_cast<const char*>(f.pdf.data()),
                                                  static_cast<std::streamsize>(f.pdf.size()));
    f.body = nlohmann::json{{"holder_id", "hld_bench"},
                            {"title", "Contract"},
                            {"output", "pdf"},
                            {"pdf_base64", encode_base64(f.pdf)},
                            {"placements", nlohmann::json::array({{{"page", kPages},
                                                                   {"x", 400},
                                                                   {"y", 60},
                                                                   {"width", 120},
                                                                   {"height", 80}}})}}
                 .dump();
  }
  return f;
}

Fixture& fixture(size_t mib) { return fixture_of(mib * kMiB); }
constexpr size_t kWarmUpBytes = 256 * 1024;

void remove_fixtures() {
  for (size_t bytes : {kMiB, 20 * kMiB, kWarmUpBytes}) {
    std::error_code ec;
    std::filesystem::remove(fixture_of(bytes).path, ec);
  }
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(0, std::ios::end);
  Bytes b(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return b;
}

core::NewOrder parse_request(const core::CoreConfig& cfg, const std::string& body) {
  core::NewOrder o;
  o.output = store::OutputFormat::kPdf;
  nlohmann::json j = nlohmann::json::parse(body);
  Status st = server::parse_pdf_documents(cfg, j, o);
  if (!st.ok()) die("parse: " + st.error().to_string());
  return o;
}

struct Prepared {
  core::PreparedOrderDocument doc;
  store::SignItem item;
  core::CmsItemPlan plan;
};

Prepared prepare(const core::CoreConfig& cfg, const core::NewPdfDocument& in) {
  Prepared p;
  p.doc = must(core::prepare_order_document(cfg, in, "张三", 1'765'000'000, 0), "prepare");
  p.item.input.assign(p.doc.digest.begin(), p.doc.digest.end());
  p.item.input_is_digest = true;
  p.plan = must(core::pdf_item_plan(*authority().holder, p.doc.document, p.item), "plan");
  return p;
}

Bytes complete(const Prepared& p, const crypto::Sm2Signature& cosignature) {
  Authority& a = authority();
  Bytes cms = must(core::pdf_item_assemble(*a.holder, p.doc.document, p.item, p.plan.e, cosignature), "assemble");
  // PAdES B-T as core::TimestampService::stamp_signature does it.
  crypto::Digest imprint = must(pki::signature_timestamp_imprint(cms), "imprint");
  pki::TimestampRequest req;
  req.imprint.assign(imprint.begin(), imprint.end());
  req.cert_req = true;
  const Bytes serial(16, 0x5a);
  Bytes response = must(pki::issue_timestamp(req, *a.tsa, serial, pki::now_seconds()), "timestamp");
  Bytes token = must(pki::timestamp_token_of_response(response), "token");
  Bytes stamped = must(pki::add_signature_timestamp(cms, token), "add timestamp");
  return must(core::pdf_embed(p.doc.document, p.item, stamped), "embed");
}

// The gateway's input from duetd: the co-signed CMS of a digest-only order
// and the RFC 3161 token over its signature value, made once per document.
struct GatewayInput {
  Bytes cms;
  Bytes token;
  pki::CmsTrust trust;
};

GatewayInput gateway_input(const Prepared& p, const crypto::Sm2Signature& cosignature) {
  Authority& a = authority();
  GatewayInput g;
  g.cms = must(core::pdf_item_assemble(*a.holder, p.doc.document, p.item, p.plan.e, cosignature), "assemble");
  crypto::Digest imprint = must(pki::signature_timestamp_imprint(g.cms), "imprint");
  pki::TimestampRequest req;
  req.imprint.assign(imprint.begin(), imprint.end());
  req.cert_req = true;
  g.token = must(pki::timestamp_token_of_response(
                     must(pki::issue_timestamp(req, *a.tsa, Bytes(16, 0x5a), pki::now_seconds()), "timestamp")),
                 "token");
  g.trust.roots.push_back(a.ca.root_certificate);
  g.trust.intermediates.push_back(a.ca.issuing_certificate);
  return g;
}

// Outbox::finish without the network: the token added, the CMS embedded, the
// result verified (ByteRange, messageDigest, SM2, chain) before it is kept.
Bytes gateway_finish(const Prepared& p, const GatewayInput& g) {
  Bytes stamped = must(pki::add_signature_timestamp(g.cms, g.token), "add timestamp");
  Bytes signed_pdf = must(core::pdf_embed(p.doc.document, p.item, stamped), "embed");
  pdf::PdfVerification v = must(pdf::verify_pdf(signed_pdf, g.trust, {32 * kMiB}), "verify");
  if (!v.ok()) die("the gateway's signed PDF does not verify");
  return signed_pdf;
}

// The co-signature is outside the measured path: one standard signature of
// e, made once per document.
crypto::Sm2Signature cosignature_for(const Prepared& p) {
  return must(crypto::evp_sm2_sign_digest(authority().holder_key, p.plan.e), "sign");
}

void BM_read_sm3(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    Bytes b = read_file(f.path);
    benchmark::DoNotOptimize(crypto::sm3(b));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.pdf.size()));
}

void BM_request_parse(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  const core::CoreConfig cfg = bench_config();
  for (auto _ : state) benchmark::DoNotOptimize(parse_request(cfg, f.body));
}

void BM_prepare(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  const core::CoreConfig cfg = bench_config();
  core::NewPdfDocument in;
  in.pdf = f.pdf;
  in.placements = {pdf::SealPlacement{pdf::PagePlacement{kPages, pdf::Rect{400, 60, 120, 80}}}};
  for (auto _ : state) benchmark::DoNotOptimize(prepare(cfg, in));
}

void BM_complete(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  const core::CoreConfig cfg = bench_config();
  core::NewPdfDocument in;
  in.pdf = f.pdf;
  in.placements = {pdf::SealPlacement{pdf::PagePlacement{kPages, pdf::Rect{400, 60, 120, 80}}}};
  const Prepared p = prepare(cfg, in);
  const crypto::Sm2Signature sig = cosignature_for(p);
  for (auto _ : state) benchmark::DoNotOptimize(complete(p, sig));
}

void BM_gateway_finish(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  const core::CoreConfig cfg = bench_config();
  core::NewPdfDocument in;
  in.pdf = f.pdf;
  in.placements = {pdf::SealPlacement{pdf::PagePlacement{kPages, pdf::Rect{400, 60, 120, 80}}}};
  const Prepared p = prepare(cfg, in);
  const GatewayInput g = gateway_input(p, cosignature_for(p));
  for (auto _ : state) benchmark::DoNotOptimize(gateway_finish(p, g));
}

// CPU seconds per operation by benchmark name ("prepare/20").
class Keeper : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& reports) override {
    for (const Run& run : reports) {
      if (run.error_occurred || run.iterations <= 0 || run.run_type != Run::RT_Iteration) continue;
      cpu_[run.benchmark_name()] = run.cpu_accumulated_time / static_cast<double>(run.iterations);
    }
    ConsoleReporter::ReportRuns(reports);
  }
  double cpu(const std::string& name) const {
    auto it = cpu_.find(name);
    return it == cpu_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double> cpu_;
};

long max_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss * 1024;  // Linux: KiB
}

long current_rss_bytes() {
  long pages = 0, resident = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// One document through the service's path in this (child) process; the peak
// resident memory above the baseline, in bytes.
long measure_peak(size_t mib) {
  const core::CoreConfig cfg = bench_config();
  {  // Warm-up on a small document: fonts, poppler, PoDoFo and the CA are
     // loaded once per process, as in a running duetd.
    Fixture& small = fixture_of(kWarmUpBytes);
    core::NewOrder o = parse_request(cfg, small.body);
    Prepared p = prepare(cfg, o.documents[0]);
    benchmark::DoNotOptimize(complete(p, cosignature_for(p)));
  }
  Fixture& f = fixture(mib);
  // What exists before the request arrives is not the request's (the
  // fixture: the document and its JSON); the body duetd would have received
  // is copied in below and counted. The peak is the high-water mark above
  // the resident memory now (conservative: the warm-up's own peak, if higher,
  // would be counted too).
  const long before = current_rss_bytes();
  std::string body = f.body;  // the request body duetd received
  core::NewOrder o = parse_request(cfg, body);
  Prepared p = prepare(cfg, o.documents[0]);
  Bytes signed_pdf = complete(p, cosignature_for(p));
  benchmark::DoNotOptimize(signed_pdf);
  return max_rss_bytes() - before;
}

int memory_report() {
  std::printf("%-8s %12s %14s %14s %8s\n", "size", "file bytes", "peak RSS +", "budget", "ok");
  int status_all = 0;
  fixture_of(kWarmUpBytes);
  for (size_t mib : {size_t{1}, size_t{20}}) {
    const size_t file_bytes = fixture(mib).pdf.size();
    int fds[2];
    if (pipe(fds) != 0) die("pipe");
    const pid_t child = fork();
    if (child == 0) {
      close(fds[0]);
      long peak = measure_peak(mib);
      if (write(fds[1], &peak, sizeof peak) != sizeof peak) _exit(2);
      _exit(0);
    }
    close(fds[1]);
    long peak = -1;
    if (read(fds[0], &peak, sizeof peak) != sizeof peak) peak = -1;
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    const double budget = 4.0 * static_cast<double>(file_bytes) + 64.0 * kMiB;
    const bool ok = peak >= 0 && static_cast<double>(peak) <= budget;
    if (!ok) status_all = 1;
    std::printf("%-8s %12zu %11.1f MiB %11.1f MiB %8s  (%.2f x file)\n", (std::to_string(mib) + "MiB").c_str(),
                file_bytes, static_cast<double>(peak) / kMiB, budget / kMiB, ok ? "yes" : "NO",
                static_cast<double>(peak) / static_cast<double>(file_bytes));
  }
  return status_all;
}

}  // namespace

int main(int argc, char** argv) {
  bool memory = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--memory") == 0) {
      memory = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  if (memory) {
    int rc = memory_report();
    remove_fixtures();
    return rc;
  }
  const std::pair<const char*, void (*)(benchmark::State&)> benches[] = {
      {"read_sm3", BM_read_sm3},  {"request_parse", BM_request_parse}, {"prepare", BM_prepare},
      {"complete", BM_complete}, {"gateway_finish", BM_gateway_finish}};
  for (const auto& [name, fn] : benches)
    benchmark::RegisterBenchmark(name, fn)->Arg(1)->Arg(20)->Unit(benchmark::kMillisecond);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  Keeper keeper;
  benchmark::RunSpecifiedBenchmarks(&keeper);
  std::printf("\nPDF seal cost beyond the co-signature, CPU per document, against reading + SM3 of the same file:\n");
  for (int mib : {1, 20}) {
    const std::string s = "/" + std::to_string(mib);
    const double base = keeper.cpu("read_sm3" + s);
    const double service = keeper.cpu("prepare" + s) + keeper.cpu("complete" + s);
    const double with_parse = service + keeper.cpu("request_parse" + s);
    if (base <= 0 || service <= 0) continue;
    std::printf("  %2d MiB, 50 pages: read+SM3 %8.2f ms; prepare+complete %8.2f ms = %6.1f x; "
                "with the request's JSON/base64 %8.2f ms = %6.1f x\n",
                mib, base * 1e3, service * 1e3, service / base, with_parse * 1e3, with_parse / base);
    const double gateway =
        keeper.cpu("request_parse" + s) + keeper.cpu("prepare" + s) + keeper.cpu("gateway_finish" + s);
    if (keeper.cpu("gateway_finish" + s) > 0)
      std::printf("  %2d MiB, 50 pages: duet-gateway (request + prepare + finish with verification) %8.2f ms = %6.1f x\n",
                  mib, gateway * 1e3, gateway / base);
  }
  remove_fixtures();
  benchmark::Shutdown();
  return 0;
}
