#include "cli/bench_measure.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_common.h"
#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "crypto/random.h"
#include "crypto/sm2.h"

namespace duet::cli {

using Clock = std::chrono::steady_clock;

double process_cpu_seconds(int pid) {
  std::string text;
  try {
    text = read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const CliError&) {
    return -1;
  }
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream in(text.substr(paren + 2));
  std::string field;
  // After "pid (comm) ": state is field 3; utime is field 14, stime 15.
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (in >> field); ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

namespace {

// Fields 4 (ppid) and 14–17 (utime, stime, cutime, cstime) of /proc/PID/stat,
// in clock ticks; false if unreadable (the process is gone).
struct StatTimes {
  int ppid = 0;
  unsigned long long own = 0;       // utime + stime
  unsigned long long children = 0;  // cutime + cstime (reaped children)
};

bool read_stat(const std::string& path, StatTimes& t) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const CliError&) {
    return false;
  }
  size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 > text.size()) return false;
  std::istringstream in(text.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 17 && (in >> field); ++i) {
    if (i == 4) t.ppid = std::atoi(field.c_str());
    if (i == 14 || i == 15) t.own += std::stoull(field);
    if (i == 16 || i == 17) t.children += std::stoull(field);
  }
  return true;
}

}  // namespace

double process_tree_cpu_seconds(int pid) {
  StatTimes root;
  if (!read_stat("/proc/" + std::to_string(pid) + "/stat", root)) return -1;
  // One scan of /proc: every live process with its parent, then the sum over
  // the tree below `pid`.
  std::map<int, std::vector<std::pair<int, StatTimes>>> by_parent;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    StatTimes t;
    if (read_stat(entry.path().string() + "/stat", t)) by_parent[t.ppid].push_back({std::atoi(name.c_str()), t});
  }
  unsigned long long ticks = root.own + root.children;
  std::vector<int> todo{pid};
  while (!todo.empty()) {
    int parent = todo.back();
    todo.pop_back();
    auto it = by_parent.find(parent);
    if (it == by_parent.end()) continue;
    for (const auto& [child, t] : it->second) {
      ticks += t.own + t.children;
      todo.push_back(child);
    }
  }
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double self_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// ---- the crypto floor ---------------------------------------------------------------

// ServiceSigner::verify_session + respond + finish over a pool of complete
// one-item sessions built beforehand, as bench/cosign_bench.cc's
// service_sign_verify_session + service_sign_respond + service_sign_finish.
Floor measure_crypto_floor(double seconds, int repetitions) {
  crypto::RandomSource& rng = crypto::SystemRandom::instance();
  const std::string holder = "hld_bench_floor";
  const std::string pin = "482916";
  auto [keygen, request] = unwrap(cosign::DeviceKeygen::start(holder, rng), "floor: keygen start");
  auto [share, kresponse] = unwrap(cosign::ServiceKeygen::respond(holder, request, rng), "floor: keygen respond");
  cosign::DeviceState device = unwrap(keygen.finish(kresponse, pin, 1000, rng), "floor: keygen finish");

  struct Session {
    cosign::SignSessionContext ctx;
    cosign::SignSessionRequest request;
    cosign::SignResponse response;
    cosign::SignFinish finish;
  };
  // P1 as the service takes it from the sealed share record.
  const crypto::Point p1 = unwrap(share.p1_or_derive(), "floor: P1");
  std::vector<Session> pool;
  constexpr size_t kPool = 64;
  for (size_t i = 0; i < kPool; ++i) {
    Bytes m(32);
    for (size_t j = 0; j < m.size(); ++j) m[j] = static_cast<uint8_t>(i * 31 + j);
    cosign::SignSessionContext ctx{"ord_" + std::to_string(i), "ses_" + std::to_string(i),
                                   {unwrap(crypto::sm2_digest(share.public_key, m), "floor: digest")}};
    auto [signer, req] = unwrap(cosign::DeviceSignSession::start(device, pin, ctx, rng), "floor: sign start");
    auto verified = unwrap(cosign::ServiceSigner::verify_session(p1, ctx, req), "floor: verify session");
    auto resp = unwrap(cosign::ServiceSigner::respond(share, verified, rng), "floor: respond");
    auto [fin, sig] = unwrap(signer.finish(resp), "floor: device finish");
    unwrap(cosign::ServiceSigner::finish(share.public_key, ctx.item(0), resp[0].r, fin[0]), "floor: service finish");
    pool.push_back(Session{std::move(ctx), std::move(req), resp[0], fin[0]});
  }
  Floor f;
  f.repetitions = std::max(1, repetitions);
  const auto batch = std::chrono::duration<double>(seconds / f.repetitions);
  std::vector<double> per_batch;
  for (int b = 0; b < f.repetitions; ++b) {
    int64_t n = 0;
    const double start_cpu = thread_cpu_seconds();
    const auto deadline = Clock::now() + batch;
    do {
      for (int k = 0; k < 8; ++k) {
        const Session& s = pool[static_cast<size_t>(f.iterations + n) % pool.size()];
        auto v = cosign::ServiceSigner::verify_session(p1, s.ctx, s.request);
        if (!v.ok()) fail("floor: verify session: " + v.error().to_string());
        auto r = cosign::ServiceSigner::respond(share, *v, rng);
        if (!r.ok()) fail("floor: respond: " + r.error().to_string());
        auto sig = cosign::ServiceSigner::finish(share.public_key, s.ctx.item(0), s.response.r, s.finish);
        if (!sig.ok()) fail("floor: finish: " + sig.error().to_string());
        ++n;
      }
    } while (Clock::now() < deadline);
    per_batch.push_back((thread_cpu_seconds() - start_cpu) * 1e6 / static_cast<double>(n));
    f.iterations += n;
  }
  std::sort(per_batch.begin(), per_batch.end());
  f.us_min = per_batch.front();
  f.us_max = per_batch.back();
  // The median (of an even count, the mean of the two middle batches).
  const size_t m = per_batch.size() / 2;
  f.us_per_cosignature = per_batch.size() % 2 == 1 ? per_batch[m] : (per_batch[m - 1] + per_batch[m]) / 2;
  return f;
}

Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  p.n = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) ;
    return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  p.mean = sum / static_cast<double>(v.size());
  return p;
}

}  // namespace duet::cli
