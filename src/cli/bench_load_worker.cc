#include "cli/bench_load_worker.h"

#include <algorithm>
#include <exception>
#include <iostream>
#include <thread>

#include "client/state_store.h"

namespace duet::cli {

SimHolder enroll_holder(BusinessClient& business, Connection& phone, const BenchOptions& o, int index) {
  std::string n = std::to_string(index);
  json holder = business.create_holder("压测用户" + n, "110105199001" + std::string(6 - std::min<size_t>(6, n.size()), '0') + n,
                                       "139" + std::string(8 - std::min<size_t>(8, n.size()), '0') + n);
  SimHolder h;
  h.index = index;
  h.holder_id = json_string(holder, "holder_id", "create holder");
  json code = business.issue_activation_code(h.holder_id);
  std::string activation = json_string(code, "code", "issue activation code");

  std::unique_ptr<client::StateStore> store;
  if (o.keep_holders.empty()) {
    store = std::make_unique<client::MemoryStateStore>();
  } else {
    store = std::make_unique<client::FileStateStore>(o.keep_holders + "/holder-" + n + ".state");
  }
  client::HolderOptions ho;
  ho.kdf_iterations = o.kdf_iterations;
  h.device = std::make_unique<client::HolderClient>(std::move(store), ho);
  std::string keygen = unwrap(h.device->begin_enrollment(h.holder_id), "key generation");
  json body = {{"code", activation}, {"keygen", json::parse(keygen)}};
  // The simulated holder accepts the agreement texts in the app (docs/consent.md).
  body["consents"] = consents_from_agreements(phone.send("GET", "/app/v1/agreements", {}), std::nullopt);
  json answer = expect_json(phone.send("POST", "/app/v1/activations", {}, body.dump()), {201, 200}, "activation");
  h.token = json_string(answer, "device_token", "activation");
  if (!answer.contains("keygen") || !answer["keygen"].is_object()) fail("activation: the answer has no keygen");
  unwrap(h.device->complete_enrollment(answer["keygen"].dump(), o.pin), "complete key generation");
  h.public_key_hex = answer.value("public_key", "");
  if (!o.keep_holders.empty()) {
    write_file(o.keep_holders + "/holder-" + n + ".state.token", h.token, /*private_file=*/true);
  }
  return h;
}

void WorkerStats::add(const WorkerStats& other) {
  for (int r = 0; r < kRoutes; ++r) {
    latency_ms[r].insert(latency_ms[r].end(), other.latency_ms[r].begin(), other.latency_ms[r].end());
  }
  flow_ms.insert(flow_ms.end(), other.flow_ms.begin(), other.flow_ms.end());
  late_starts += other.late_starts;
  for (auto& [k, v] : other.errors) errors[k] += v;
  cosignatures += other.cosignatures;
  flows += other.flows;
  transport_errors += other.transport_errors;
  http_errors += other.http_errors;
}

void LoadControl::log_order(const json& line) {
  if (!order_log) return;
  std::lock_guard lock(log_mutex);
  *order_log << line.dump() << std::endl;
}

int64_t bench_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(BenchClock::now().time_since_epoch()).count();
}

int64_t LoadWorker::ping(BenchClock::time_point until) {
  int64_t n = 0;
  while (BenchClock::now() < until) {
    try {
      if (phone_.send("GET", "/healthz", {}).status == 200) ++n;
    } catch (const CliError&) {
      return n;  // the server is gone: no floor from this worker
    }
  }
  return n;
}

void LoadWorker::run(int index, int count) {
  size_t next = 0;
  int64_t k = 0;  // open loop: this worker's next flow is number index + k·count of the run
  while (!control_.stop.load(std::memory_order_relaxed)) {
    std::optional<BenchClock::time_point> due;
    if (o_.rate > 0) {
      const double at_s = static_cast<double>(index + k * count) / o_.rate;
      ++k;
      due = control_.start + std::chrono::duration_cast<BenchClock::duration>(std::chrono::duration<double>(at_s));
      if (*due >= control_.deadline) break;  // offered only within the duration
      // Sleep in slices so that a stopped run ends promptly.
      while (BenchClock::now() < *due && !control_.stop.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_until(std::min(*due, BenchClock::now() + std::chrono::milliseconds(100)));
      }
      if (control_.stop.load(std::memory_order_relaxed)) break;
      if (BenchClock::now() - *due > std::chrono::milliseconds(1)) ++stats_.late_starts;
      // A flow due within the duration still runs when it starts after the
      // end (dropping it would hide the worst waits), but a backlog is not
      // drained for more than kOpenLoopDrain: what is left counts as offered
      // and not started.
      if (BenchClock::now() >= control_.deadline + kOpenLoopDrain) break;
    } else if (BenchClock::now() >= control_.deadline) {
      break;
    }
    if (control_.limited && control_.tickets.fetch_sub(1) <= 0) break;
    SimHolder& h = holders_[next++ % holders_.size()];
    try {
      one_flow(h, due);
    } catch (const std::exception& e) {  // e.g. an answer that is not JSON where JSON was parsed
      ++stats_.http_errors;
      ++stats_.errors["flow exception: " + std::string(e.what()).substr(0, 80)];
    }
  }
}

std::optional<httpclient::HttpResponse> LoadWorker::timed(Route route,
                                                         const std::function<httpclient::HttpResponse()>& send,
                                                         std::optional<BenchClock::time_point> since) {
  auto t0 = since.value_or(BenchClock::now());
  try {
    httpclient::HttpResponse r = send();
    double ms = std::chrono::duration<double, std::milli>(BenchClock::now() - t0).count();
    stats_.latency_ms[route].push_back(ms);
    return r;
  } catch (const CliError& e) {
    ++stats_.transport_errors;
    std::string kind = "transport";
    std::string what = e.what();
    if (what.find("timeout:") != std::string::npos) kind = "timeout";
    else if (what.find("connect:") != std::string::npos) kind = "connect";
    ++stats_.errors[std::string(kRouteNames[route]) + " " + kind];
    give_up_check();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return std::nullopt;
  }
}

void LoadWorker::give_up_check() {
  int64_t last = control_.last_success_ns.load();
  if (bench_now_ns() - last > static_cast<int64_t>(o_.give_up_after * 1e9)) {
    if (!control_.gave_up.exchange(true)) {
      std::cerr << "duet bench: no request succeeded for " << o_.give_up_after << " s; stopping" << std::endl;
    }
    control_.stop = true;
  }
}

bool LoadWorker::expect(Route route, const httpclient::HttpResponse& r, std::initializer_list<int> ok) {
  for (int s : ok) {
    if (r.status == s) {
      control_.last_success_ns.store(bench_now_ns(), std::memory_order_relaxed);
      return true;
    }
  }
  ++stats_.http_errors;
  std::string key = std::string(kRouteNames[route]) + " " + std::to_string(r.status);
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("code") &&
      j["error"]["code"].is_string()) {
    key += " " + j["error"]["code"].get<std::string>();
  }
  ++stats_.errors[key];
  if (r.status >= 500) control_.last_success_ns.store(bench_now_ns(), std::memory_order_relaxed);  // reachable
  return false;
}

void LoadWorker::wrong_answer(Route route, const std::string& what) {
  ++stats_.http_errors;
  ++stats_.errors[std::string(kRouteNames[route]) + " " + what];
}

void LoadWorker::one_flow(SimHolder& h, std::optional<BenchClock::time_point> due) {
  ++stats_.flows;
  // 1. The business system creates an order over some data.
  std::string payload = "duet bench order " + random_hex(8) + " for " + h.holder_id + " ";
  payload.resize(std::max(payload.size(), o_.data_bytes), '.');
  json create = {{"holder_id", h.holder_id},
                 {"title", "bench"},
                 {"output", "der"},
                 {"data_base64", encode_base64(as_bytes(payload))}};
  if (!o_.callback_url.empty()) create["callback_url"] = o_.callback_url;
  std::string body = create.dump();
  std::string idem = "bench-" + random_hex(12);
  auto created = timed(kCreate, [&] { return business_.call("POST", "/api/v1/orders", body, idem); }, due);
  if (!created || !expect(kCreate, *created, {201})) return;
  json order = json::parse(created->body, nullptr, false);
  if (!order.is_object() || !order.contains("order_id") || !order["order_id"].is_string()) {
    return wrong_answer(kCreate, "no order_id");
  }
  const std::string order_id = order["order_id"].get<std::string>();
  const std::string seg = url_encode(order_id);
  control_.log_order({{"event", "created"}, {"order_id", order_id}, {"holder_id", h.holder_id},
                     {"holder_index", h.index}, {"data_base64", create["data_base64"]}});

  // 2. The phone computes e itself and starts the co-signature.
  auto e = h.device->message_digest(as_bytes(payload));
  if (!e.ok()) return wrong_answer(kStart, "device digest " + e.error().to_string());
  std::string session_id = "ses_" + random_hex(16);
  auto request = h.device->begin_signing(order_id, session_id, {*e}, o_.pin);
  if (!request.ok()) return wrong_answer(kStart, "device start " + request.error().to_string());
  json start = json::parse(*request);  // {"items":[…],"pin_proof":{…}}
  start["session_id"] = session_id;
  std::string start_body = start.dump();
  const httpclient::HeaderList auth = {{"Authorization", "Bearer " + h.token}};
  auto started = timed(kStart, [&] { return phone_.send("POST", "/app/v1/orders/" + seg + "/sessions", auth, start_body); });
  if (!started || !expect(kStart, *started, {201, 200})) return;

  // 3. The phone finishes (its own check of (r, s) included) and sends s.
  auto finished = h.device->complete_signing(started->body);
  if (!finished.ok()) {
    return wrong_answer(finished.code() == ErrorCode::kBadEncoding ? kStart : kFinish,
                        "device finish " + finished.error().to_string());
  }
  const std::string& fin_body = finished->finish_json;
  auto done = timed(kFinish, [&] {
    return phone_.send("POST", "/app/v1/orders/" + seg + "/sessions/" + url_encode(session_id) + "/finish", auth,
                       fin_body);
  });
  if (!done || !expect(kFinish, *done, {200, 201})) return;
  json state = json::parse(done->body, nullptr, false);
  if (!state.is_object() || state.value("state", "") != "signed") return wrong_answer(kFinish, "not signed");
  ++stats_.cosignatures;
  control_.log_order({{"event", "signed"}, {"order_id", order_id}});

  // 4. The business system fetches the signed order.
  auto fetched = timed(kFetch, [&] { return business_.call("GET", "/api/v1/orders/" + seg); });
  if (!fetched || !expect(kFetch, *fetched, {200})) return;
  json got = json::parse(fetched->body, nullptr, false);
  if (!got.is_object() || got.value("state", "") != "signed" || !got.contains("items") || !got["items"].is_array() ||
      got["items"].empty() || !got["items"][0].is_object() || !got["items"][0].contains("signature") ||
      !got["items"][0]["signature"].is_string()) {
    return wrong_answer(kFetch, "no signature");
  }
  auto der = from_hex(got["items"][0]["signature"].get<std::string>());
  if (!der.ok() || finished->signatures_der.size() != 1 || *der != finished->signatures_der[0]) {
    return wrong_answer(kFetch, "signature differs");
  }
  if (due) stats_.flow_ms.push_back(std::chrono::duration<double, std::milli>(BenchClock::now() - *due).count());
}

}  // namespace duet::cli
