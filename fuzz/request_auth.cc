// Fuzz target: the Business API request signature (X-Duet-* headers) —
// core/request_signing.h (canonical strings v1 and v2) and
// core/business_auth.h authenticate_business_request over a real SQLite
// store, with arbitrary header values, some signed correctly by the target
// so that the checks past the signature are reached.
//
// Invariants checked:
//  - the canonical strings are the documented ones, rebuilt here from the doc
//    comment alone, and for field values an HTTP request can carry (no LF;
//    no '?' in the path) they parse back into the same fields: v1 has five
//    lines, v2 six, so one never verifies as the other;
//  - authentication succeeds exactly when the reference says it must: app id,
//    timestamp, nonce and signature present; nonce of 8..64 characters;
//    version "" or "2"; timestamp a plain decimal int64 within ±window; app
//    known; signature the reference HMAC-SM3 hex in either case; tenant not
//    suspended; v1 only before the tenant's cut-off; production only when
//    active. Every refusal before the signature has verified leaves the
//    deferred nonce unset (forged requests cannot burn nonces).
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "core/business_auth.h"
#include "core/quota_order.h"
#include "core/request_signing.h"
#include "crypto/sm3.h"
#include "fuzz_util.h"
#include "store/sqlite_store.h"

namespace {

using namespace duet;
using core::SignedRequest;

constexpr core::UnixSeconds kNow = 1'800'000'000;

struct AppFixture {
  const char* app_id;
  const char* tenant_id;
  const char* secret;
  store::AppEnvironment environment;
  bool v1_retired;            // tenant's v1 cut-off has passed
  bool production_active;     // tenant's production start has passed
  bool suspended;
};
// One app per rule past the signature.
constexpr AppFixture kApps[] = {
    {"app_sandbox", "ten_a", "secret-a", store::AppEnvironment::kSandbox, false, false, false},
    {"app_v2only", "ten_b", "secret-b", store::AppEnvironment::kSandbox, true, false, false},
    {"app_prod_off", "ten_c", "secret-c", store::AppEnvironment::kProduction, false, false, false},
    {"app_prod_on", "ten_d", "secret-d", store::AppEnvironment::kProduction, false, true, false},
    {"app_suspended", "ten_e", "secret-e", store::AppEnvironment::kSandbox, false, false, true},
};

struct World {
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<keys::DataProtector> protector;
  core::ManualClock clock{kNow};
  core::CoreMetrics metrics;
  std::unique_ptr<core::CoreDeps> deps;

  World() {
    char tmpl[] = "/tmp/duet-fuzz-auth.XXXXXX";
    FUZZ_CHECK(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    store::SqliteStoreOptions opts;
    opts.path = (dir / "duet.db").string();
    opts.quota_order = core::quota_order_rule();
    auto s = store::open_sqlite_store(opts);
    FUZZ_CHECK(s.ok());
    store = std::move(*s);
    auto p = keys::open_local_key_file((dir / "kek.key").string(), true);
    FUZZ_CHECK(p.ok());
    protector = std::move(*p);
    deps = std::make_unique<core::CoreDeps>(
        core::CoreDeps{*store, *protector, clock, crypto::SystemRandom::instance(), core::CoreConfig{}, metrics});
    for (const auto& a : kApps) {
      store::Tenant t;
      t.tenant_id = a.tenant_id;
      t.name = a.tenant_id;
      t.created_at = kNow - 1000;
      if (a.production_active) t.production_active_from = kNow - 10;
      t.suspended = a.suspended;
      FUZZ_CHECK(store->create_tenant({}, t).ok());
      // The cut-off is set on its own (it comes with a notice), never by create_tenant.
      if (a.v1_retired) FUZZ_CHECK(store->set_tenant_signature_v1_cutoff({}, a.tenant_id, kNow - 10, kNow - 20).ok());
      auto stored = store->get_tenant(a.tenant_id);
      FUZZ_CHECK(stored.ok() && stored->suspended == a.suspended &&
                 stored->production_active_from.has_value() == a.production_active &&
                 stored->signature_v1_cutoff.has_value() == a.v1_retired);
      auto sealed = protector->seal(std::string("app_secret:") + a.app_id, as_bytes(a.secret));
      FUZZ_CHECK(sealed.ok());
      store::App app;
      app.tenant_id = a.tenant_id;
      app.app_id = a.app_id;
      app.secret_ciphertext = *sealed;
      app.environment = a.environment;
      app.created_at = kNow - 1000;
      FUZZ_CHECK(store->create_app({}, app).ok());
    }
  }
  ~World() {
    deps.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

World& world() {
  static World* w = new World();  // NOLINT: lives for the process
  static bool cleanup = [] { return std::atexit([] { delete w; }) == 0; }();
  (void)cleanup;
  return *w;
}

// The canonical strings as the doc comment of core/request_signing.h states them.
std::string reference_canonical(const SignedRequest& r, bool v2) {
  std::string s = r.method + "\n" + r.path + (r.query.empty() ? "" : "?" + r.query) + "\n" + r.timestamp + "\n" +
                  r.nonce + "\n";
  if (v2) s += r.idempotency_key + "\n";
  return s + to_hex(crypto::sm3(as_bytes(r.body)));
}

core::RequestFields fields_of(const SignedRequest& r) {
  return core::RequestFields{.method = r.method,
                             .path = r.path,
                             .query = r.query,
                             .timestamp = r.timestamp,
                             .nonce = r.nonce,
                             .idempotency_key = r.idempotency_key,
                             .body = r.body};
}

std::vector<std::string_view> lines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

void check_canonical(const SignedRequest& r) {
  std::string v1 = core::canonical_request(r.method, r.path, r.query, r.timestamp, r.nonce, r.body);
  std::string v2 = core::canonical_request_v2(fields_of(r));
  FUZZ_CHECK(v1 == reference_canonical(r, false));
  FUZZ_CHECK(v2 == reference_canonical(r, true));
  auto no_lf = [](std::string_view s) { return s.find('\n') == std::string_view::npos; };
  if (!(no_lf(r.method) && no_lf(r.path) && no_lf(r.query) && no_lf(r.timestamp) && no_lf(r.nonce) &&
        no_lf(r.idempotency_key) && r.path.find('?') == std::string::npos)) {
    return;
  }
  // Parse back: the string determines the request (no two requests share one).
  for (bool is_v2 : {false, true}) {
    auto l = lines(is_v2 ? v2 : v1);
    FUZZ_CHECK(l.size() == (is_v2 ? 6u : 5u));
    size_t q = l[1].find('?');
    std::string_view path = l[1].substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view() : l[1].substr(q + 1);
    FUZZ_CHECK(l[0] == r.method && path == r.path && query == r.query && l[2] == r.timestamp && l[3] == r.nonce);
    if (is_v2) FUZZ_CHECK(l[4] == r.idempotency_key);
    FUZZ_CHECK(l.back() == to_hex(crypto::sm3(as_bytes(r.body))));
  }
  FUZZ_CHECK(v1 != v2);
}

// What authentication must answer, from the rules alone.
struct Expected {
  bool ok = false;
  ErrorCode code = ErrorCode::kUnauthenticated;
  bool nonce_spent = false;  // the signature verified: the deferred nonce is set
};

Expected reference_auth(const SignedRequest& r) {
  Expected refused;
  if (r.app_id.empty() || r.timestamp.empty() || r.nonce.empty() || r.signature.empty()) return refused;
  if (r.nonce.size() < 8 || r.nonce.size() > 64) return refused;
  bool v2 = r.signature_version == "2";
  if (!v2 && !r.signature_version.empty()) return refused;
  // A plain decimal: optional '-', digits only, fits int64.
  int64_t ts = 0;
  auto [end, ec] = std::from_chars(r.timestamp.data(), r.timestamp.data() + r.timestamp.size(), ts);
  if (ec != std::errc() || end != r.timestamp.data() + r.timestamp.size()) return refused;
  for (char c : r.timestamp) {
    if (!(c == '-' || (c >= '0' && c <= '9'))) return refused;
  }
  int64_t window = core::CoreConfig{}.request_window_seconds;
  if (ts < kNow - window || ts > kNow + window) return refused;
  const AppFixture* app = nullptr;
  for (const auto& a : kApps) {
    if (r.app_id == a.app_id) app = &a;
  }
  if (app == nullptr) return refused;
  std::string expected = to_hex(crypto::hmac_sm3(as_bytes(app->secret), as_bytes(reference_canonical(r, v2))));
  if (fuzz::lowercase(r.signature) != expected) return refused;
  if (app->suspended) return Expected{false, ErrorCode::kTenantSuspended, false};
  if (!v2 && app->v1_retired) return Expected{false, ErrorCode::kUnauthenticated, true};
  if (app->environment == store::AppEnvironment::kProduction && !app->production_active) {
    return Expected{false, ErrorCode::kServiceNotActive, true};
  }
  return Expected{true, ErrorCode::kOk, true};
}

std::string field(FuzzedDataProvider& in, size_t max) { return in.ConsumeRandomLengthString(max); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = world();
  FuzzedDataProvider in(data, size);
  SignedRequest r;
  r.method = field(in, 16);
  r.path = field(in, 256);
  r.query = field(in, 256);
  uint8_t app_choice = in.ConsumeIntegral<uint8_t>();
  r.app_id = app_choice < std::size(kApps) ? kApps[app_choice].app_id : field(in, 64);
  // The timestamp: near the clock (inside or just outside the window), or any text.
  if (in.ConsumeBool()) {
    r.timestamp = std::to_string(kNow + in.ConsumeIntegralInRange<int64_t>(-400, 400));
  } else {
    r.timestamp = field(in, 24);
  }
  r.nonce = field(in, 80);
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: r.signature_version = ""; break;
    case 1: r.signature_version = "2"; break;
    default: r.signature_version = field(in, 4); break;
  }
  r.idempotency_key = field(in, 80);
  // The signature: any text, or the right one for this or the other version
  // (then maybe uppercased), made with the app's secret when the app is known.
  int how = in.ConsumeIntegralInRange<int>(0, 3);
  std::string forged = field(in, 80);
  r.body = in.ConsumeRemainingBytesAsString();
  check_canonical(r);
  const char* secret = app_choice < std::size(kApps) ? kApps[app_choice].secret : "unknown";
  bool as_v2 = (r.signature_version == "2") != (how == 3);
  switch (how) {
    case 0: r.signature = forged; break;
    default:
      r.signature = as_v2 ? core::sign_request_v2(secret, fields_of(r))
                          : core::sign_request(secret, r.method, r.path, r.query, r.timestamp, r.nonce, r.body);
      if (how == 2) {
        for (char& c : r.signature) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      break;
  }

  store::PendingNonce nonce;
  auto got = core::authenticate_business_request(*w.deps, r, &nonce);
  Expected want = reference_auth(r);
  if (got.ok() != want.ok || (!got.ok() && got.code() != want.code)) {
    std::fprintf(stderr, "app_id=%s timestamp=%s nonce=%s version=%s signature=%s\ngot: %s\nwant ok=%d code=%s\n",
                 fuzz::escaped(r.app_id).c_str(), fuzz::escaped(r.timestamp).c_str(), fuzz::escaped(r.nonce).c_str(),
                 fuzz::escaped(r.signature_version).c_str(), fuzz::escaped(r.signature).c_str(),
                 got.ok() ? "ok" : got.error().to_string().c_str(), want.ok,
                 std::string(error_code_name(want.code)).c_str());
  }
  FUZZ_CHECK(got.ok() == want.ok);
  if (got.ok()) {
    FUZZ_CHECK(got->app_id == r.app_id);
  } else {
    FUZZ_CHECK(got.code() == want.code);
  }
  FUZZ_CHECK(nonce.nonce.empty() != want.nonce_spent);
  if (want.nonce_spent) FUZZ_CHECK(nonce.nonce == r.nonce && !nonce.recorded);
  return 0;
}
