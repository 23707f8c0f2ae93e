#include "server/daemon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/secret_file.h"
#include "core/availability.h"
#include "core/quota_order.h"
#include "http/server.h"
#include "keys/data_protector.h"
#include "server/api_routes.h"
#include "server/api_services.h"
#include "server/audit_recorder.h"
#include "server/audit_witness_file.h"
#include "server/identity_adapters.h"
#include "server/log.h"
#include "server/sla_workers.h"
#include "server/notice_mail_worker.h"
#include "server/token_bootstrap.h"
#include "server/web_routes.h"
#include "server/workers.h"
#include "store/audit_checkpoint_deliveries.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace duet::server {

namespace fs = std::filesystem;

namespace {

Unexpected bad(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

// The first line of a file holding one secret (an API key), without its line end.
Result<std::string> read_first_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (auto nl = text.find_first_of("\r\n"); nl != std::string::npos) text.resize(nl);
  return text;
}

// Creates `dir` with mode 0700 if missing (parents as needed).
Status prepare_data_dir(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) return bad("data_dir " + dir + " is not a directory");
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
      log_event("warn", "data_dir_permissions", {{"path", dir}, {"message", "group/other access; expected 0700"}});
    return Status::Ok();
  }
  fs::path p(dir);
  if (p.has_parent_path() && !p.parent_path().empty()) {
    fs::create_directories(p.parent_path(), ec);
    if (ec) return make_error(ErrorCode::kUnavailable, "cannot create " + p.parent_path().string() + ": " + ec.message());
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(ErrorCode::kUnavailable, "cannot create data_dir " + dir + ": " + std::strerror(errno));
  ::chmod(dir.c_str(), 0700);  // whatever the umask
  return Status::Ok();
}

Status write_file_atomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return make_error(ErrorCode::kUnavailable, "cannot write " + tmp);
    out << content;
    if (!out) return make_error(ErrorCode::kUnavailable, "cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return make_error(ErrorCode::kUnavailable, "cannot rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------

struct Daemon::Impl {
  DaemonConfig config;
  std::unique_ptr<store::Store> store;
  std::shared_ptr<keys::Kek> kek;  // wraps the CA keys (issue 4)
  std::unique_ptr<keys::DataProtector> protector;
  core::SystemClock system_clock;
  const core::Clock* clock = nullptr;
  core::CoreMetrics core_metrics;
  std::unique_ptr<core::CoreDeps> deps;
  std::unique_ptr<core::IdentitySource> identity_source;
  std::unique_ptr<core::SmsSender> sms;
  std::shared_ptr<http::MetricsRegistry> metrics = std::make_shared<http::MetricsRegistry>();
  // The core services, built here and handed to the routes and workers;
  // declared before api, workers and server, which use them.
  std::unique_ptr<core::CertificateService> certs;
  std::unique_ptr<core::TimestampService> tsa;  // after certs: it refers to it
  std::unique_ptr<core::RetentionService> retention;  // [retention] + API overrides (core/retention.h)
  std::unique_ptr<core::AdminService> admin;
  std::unique_ptr<core::BusinessService> business;
  std::unique_ptr<core::PortalService> portal;  // the tenant portal (docs/portal.md)
  std::unique_ptr<core::HolderService> holders;
  // Declared before the service and the checkpoint worker that write to it
  // (destroyed after them: the worker signs a last checkpoint when it stops).
  std::unique_ptr<AuditWitnessFile> audit_witness;  // [audit] witness_file
  // [audit] checkpoint_webhook_url (none: both null); used by audit_checkpoints.
  std::unique_ptr<CurlWebhookSender> checkpoint_sender;
  std::unique_ptr<core::CheckpointWebhook> checkpoint_webhook;
  std::unique_ptr<core::AuditService> audit;  // audit key, checkpoints, operators
  std::unique_ptr<core::MeteringService> metering;
  std::unique_ptr<AuditRecorder> audit_recorder;  // request events no write carried
  // SLA (issue 5 §2, §3, §7).
  std::unique_ptr<core::AvailabilityRecorder> availability;
  std::unique_ptr<core::SlaService> sla;
  std::unique_ptr<core::CompensationClaimService> claims;
  std::unique_ptr<core::StatementService> statements;
  std::unique_ptr<core::RateLimiter> limiter;
  std::unique_ptr<SlaWorkers> sla_workers;
  std::unique_ptr<NoticeMailWorker> notice_mail;  // e-mail of notices ([notices] smtp_url; off without it)
  std::unique_ptr<ApiRoutes> api;
  std::vector<WebMount> web;  // the static front ends, read once at start (server/web_routes.h)
  std::unique_ptr<Workers> workers;
  std::unique_ptr<AuditCheckpointWorker> audit_checkpoints;  // [audit]
  std::unique_ptr<http::Server> server;
  std::vector<http::Router::RouteInfo> route_list;
  bool started = false;
  bool stopped = false;

  std::string path(const char* name) const { return (fs::path(config.service.data_dir) / name).string(); }
  std::string sms_sink_path() const {
    return config.identity.sms_sink.empty() ? path("sms-outbox.jsonl") : config.identity.sms_sink;
  }

  Status open_keys_and_store();
  Status build_identity_adapters();
  Status build_services();
  Status bootstrap_tokens_and_audit_key();
  Status open_audit_witness();
  Status open_checkpoint_webhook();
  void build_workers(DaemonOptions& options);
  void build_server(DaemonOptions& options);
  ApiServices api_services();
  // The node's dependencies as /readyz and GET /metrics see them; the webhook
  // backlog is read only when `with_backlog` (a scrape, not a readiness probe).
  ServiceHealth service_health(bool with_backlog);
};

// Keys first: with the KEK unavailable nothing (not even duet.db) is written.
Status Daemon::Impl::open_keys_and_store() {
  keys::KeyServicesConfig kc = config.keys;
  kc.data_dir = config.service.data_dir;
  kc.dev = config.dev;
  auto ks = keys::open_key_services(kc);
  if (!ks.ok()) return make_error(ks.code(), "keys: " + ks.error().message);
  kek = std::move(ks->kek);
  protector = std::move(ks->protector);

  const int pool_size =
      config.store.max_connections > 0 ? config.store.max_connections : config.service.store_max_connections;
  if (config.store.backend == "postgres") {
    store::PostgresStoreOptions po;
    po.quota_order = core::quota_order_rule();
    po.dsn = config.store.postgres_dsn;
    po.max_connections = pool_size;
    auto st = store::open_postgres_store(po);  // the DSN is not logged (it may name a password)
    if (!st.ok()) return make_error(st.code(), "store (postgres): " + st.error().message);
    store = std::move(*st);
  } else {
    store::SqliteStoreOptions so;
    so.quota_order = core::quota_order_rule();
    so.path = path("duet.db");
    so.max_connections = pool_size;
    auto st = store::open_sqlite_store(so);
    if (!st.ok()) return make_error(st.code(), "store " + so.path + ": " + st.error().message);
    store = std::move(*st);
  }
  return Status::Ok();
}

// Identity adapters ([identity]): the source only when configured; the
// development SMS sink always (a file only the service's user can read).
Status Daemon::Impl::build_identity_adapters() {
  const IdentityConfig& ic = config.identity;
  if (!ic.source_url.empty()) {
    std::string key;
    if (!ic.source_api_key_file.empty()) {
      auto text = read_first_line(ic.source_api_key_file);
      if (!text.ok()) return make_error(text.code(), "identity.source_api_key_file: " + text.error().message);
      key = std::move(*text);
    }
    identity_source = make_http_identity_source(ic.source_url, key, ic.source_ca_file,
                                                static_cast<int>(ic.source_timeout_ms));
    secure_wipe(key.data(), key.size());
    deps->identity_source = identity_source.get();
  }
  sms = std::make_unique<FileSmsSink>(sms_sink_path());
  deps->sms = sms.get();
  return Status::Ok();
}

// The core services. Each takes a copy of `deps`, so the identity adapters
// are in it before any service is built.
Status Daemon::Impl::build_services() {
  // The built-in CA: created at first start (keys sealed by the KEK), loaded after.
  certs = std::make_unique<core::CertificateService>(*deps, *kek, config.pki);
  if (Status ca = certs->bootstrap(clock->now()); !ca.ok()) return make_error(ca.code(), "pki: " + ca.error().message);
  // The time-stamping unit, certified by that CA (created at first start too).
  tsa = std::make_unique<core::TimestampService>(*deps, *kek, *certs);
  if (Status t = tsa->bootstrap(clock->now()); !t.ok()) return make_error(t.code(), "pki (tsa): " + t.error().message);
  admin = std::make_unique<core::AdminService>(*deps);
  business = std::make_unique<core::BusinessService>(*deps);
  portal = std::make_unique<core::PortalService>(*deps, *business);
  holders = std::make_unique<core::HolderService>(*deps, certs.get(), tsa.get());
  audit = std::make_unique<core::AuditService>(*deps);
  metering = std::make_unique<core::MeteringService>(*deps);
  audit_recorder = std::make_unique<AuditRecorder>(*store);
  retention = std::make_unique<core::RetentionService>(*store, *clock, config.retention);
  std::string node_id = config.service.node_id;
  if (node_id.empty()) {
    char host[256] = {0};
    node_id = ::gethostname(host, sizeof host - 1) == 0 && host[0] ? host : "duetd";
  }
  availability = std::make_unique<core::AvailabilityRecorder>(*store, *clock, core::kSlowAnswerUs, node_id);
  sla = std::make_unique<core::SlaService>(*deps, config.sla);
  claims = std::make_unique<core::CompensationClaimService>(*deps, *sla);
  statements = std::make_unique<core::StatementService>(*deps, config.sla.calendar.utc_offset_minutes, config.sla.table);
  limiter = std::make_unique<core::RateLimiter>(*store, *clock, config.limits);
  return Status::Ok();
}

Status Daemon::Impl::bootstrap_tokens_and_audit_key() {
  auto token = bootstrap_admin_token(*admin, path("admin.token"));
  if (!token.ok()) return make_error(token.code(), "admin token: " + token.error().message);
  // Audit (docs/audit.md): the role tokens and the checkpoint key.
  for (auto [file, name, role] : {std::tuple{"security-officer.token", "security-officer", "security_officer"},
                                  std::tuple{"auditor.token", "auditor", "auditor"}}) {
    auto t = bootstrap_role_token(*audit, path(file), name, role);
    if (!t.ok()) return make_error(t.code(), std::string(file) + ": " + t.error().message);
  }
  if (Status k = audit->ensure_key(); !k.ok()) return make_error(k.code(), "audit key: " + k.error().message);
  return open_audit_witness();
}

// The witness file (docs/audit.md): outside the data directory, opened
// append-only before the first checkpoint; a witness that cannot be opened
// stops the start (the log's truncation would go unnoticed).
Status Daemon::Impl::open_audit_witness() {
  const std::string file = audit_witness_path(config);
  std::error_code ec;
  auto data = std::filesystem::weakly_canonical(config.service.data_dir, ec);
  auto where = std::filesystem::weakly_canonical(std::filesystem::path(file).parent_path().empty()
                                                     ? std::filesystem::current_path()
                                                     : std::filesystem::path(file).parent_path(), ec);
  auto rel = where.lexically_relative(data);
  if (!rel.empty() && *rel.begin() != "..")
    return make_error(ErrorCode::kInvalidArgument, "audit.witness_file must lie outside the data directory");
  auto w = AuditWitnessFile::open(file);
  if (!w.ok())
    return make_error(w.code(), "audit witness " + file + ": " + w.error().message + " (set [audit] witness_file)");
  audit_witness = std::move(*w);
  audit->set_witness(audit_witness.get());
  audit->set_checkpoint_seconds(config.audit.checkpoint_seconds);
  log_event("info", "audit_witness", {{"path", file}});
  return open_checkpoint_webhook();
}

// The checkpoint webhook (docs/audit.md "The checkpoint webhook"), when
// configured: its secret is read once at start (a file only the service may
// read, base/secret_file.h); a missing or empty secret stops the start.
Status Daemon::Impl::open_checkpoint_webhook() {
  if (config.audit.checkpoint_webhook_url.empty()) return Status::Ok();
  auto secret = read_secret_file(config.audit.checkpoint_webhook_secret_file, 4096);
  if (!secret.ok())
    return make_error(secret.code(), "audit.checkpoint_webhook_secret_file: " + secret.error().message);
  std::string key(reinterpret_cast<const char*>(secret->data()), secret->size());
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
  size_t first = 0;
  while (first < key.size() && std::isspace(static_cast<unsigned char>(key[first]))) ++first;
  key.erase(0, first);
  if (key.empty()) return make_error(ErrorCode::kInvalidArgument, "audit.checkpoint_webhook_secret_file is empty");
  auto deliveries = store::audit_checkpoint_delivery_store(*store);
  if (!deliveries.ok()) return Unexpected{deliveries.error()};
  checkpoint_sender = std::make_unique<CurlWebhookSender>();
  core::CheckpointWebhookConfig wc;
  wc.url = config.audit.checkpoint_webhook_url;
  wc.secret = std::move(key);
  wc.timeout_ms = config.service.core.callback_timeout_ms;
  checkpoint_webhook = std::make_unique<core::CheckpointWebhook>(**deliveries, *store, *checkpoint_sender,
                                                                 deps->clock, std::move(wc));
  log_event("info", "audit_checkpoint_webhook", {{"enabled", "true"}});
  return Status::Ok();
}

void Daemon::Impl::build_workers(DaemonOptions& options) {
  sla_workers = std::make_unique<SlaWorkers>(*deps, *availability, *sla, limiter.get());
  notice_mail = std::make_unique<NoticeMailWorker>(*deps, config.notices, config.sla.calendar.utc_offset_minutes);
  audit_checkpoints =
      std::make_unique<AuditCheckpointWorker>(*audit, config.audit.checkpoint_events, config.audit.checkpoint_seconds);
  audit_checkpoints->set_webhook(checkpoint_webhook.get());
  WorkerOptions wo;
  wo.callback_poll = std::chrono::milliseconds(config.service.callback_poll_ms);
  wo.expiry_interval = std::chrono::milliseconds(config.service.expiry_interval_ms);
  wo.nonce_prune_interval = std::chrono::seconds(config.service.nonce_prune_interval_seconds);
  wo.certs = certs.get();
  wo.crl_check_interval = std::chrono::seconds(config.crl_check_interval_seconds);
  wo.retention = retention.get();
  wo.callback_public_addresses_only = config.callback_public_addresses_only();
  wo.retention_poll = std::chrono::seconds(std::min<int64_t>(30, config.retention.interval_seconds));
  workers = std::make_unique<Workers>(*deps, wo, std::move(options.webhook_sender));
}

ApiServices Daemon::Impl::api_services() {
  ApiServices s{*deps,      *admin, *business, *holders,     *audit,         *metering,
                *retention, *sla,   limiter.get(), certs.get(), tsa.get(),    *audit_recorder};
  s.portal = portal.get();
  s.claims = claims.get();
  s.statements = statements.get();
  return s;
}

ServiceHealth Daemon::Impl::service_health(bool with_backlog) {
  ServiceHealth h;
  h.store_available = store->schema_version().ok();
  h.kek_available = protector->check().ok();
  if (with_backlog && h.store_available) {
    const store::UnixSeconds now = clock->now();
    if (auto backlog = store->callback_backlog(now); backlog.ok()) {
      h.callbacks_pending = backlog->due;
      if (backlog->oldest_due_at) h.callbacks_oldest_pending_seconds = std::max<int64_t>(0, now - *backlog->oldest_due_at);
    }
  }
  return h;
}

void Daemon::Impl::build_server(DaemonOptions& options) {
  api = std::make_unique<ApiRoutes>(api_services(), metrics, [this] { return service_health(true); });
  http::Router router;
  api->register_routes(router);
  web = web_mounts();
  load_web_files(config.web.root, web);
  register_web_routes(router, web);
  // A PDF order carries its document as base64 in the JSON (docs/pdf.md "Sign
  // orders"): its route takes a body of the base64 of pdf.max_bytes plus
  // 64 KiB, as POST /api/v1/verify does, and never less than the server's limit.
  const size_t order_body_limit =
      std::max(config.http.max_body_bytes, 4 * ((config.service.core.pdf_max_bytes + 2) / 3) + 64 * 1024);
  if (Status st = router.set_max_body_bytes("POST", "/api/v1/orders", order_body_limit); !st.ok()) std::abort();
  http::ServerOptions sopts;
  sopts.metrics = metrics;
  sopts.access_log = options.access_log;
  sopts.on_request = [rec = availability.get()](const http::RequestOutcome& o) {
    rec->record_request(o.route, o.tenant_id, o.status, o.duration_us);
  };
  if (!sopts.access_log && config.http.access_log) {
    // stdout carries only duetd's startup line; every log line goes to stderr.
    auto logger = std::make_shared<spdlog::logger>("duet.access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::info);
    logger->flush_on(spdlog::level::info);
    sopts.access_log = std::move(logger);
  }
  sopts.readiness = [this] { return service_health(false).ready(); };
  server = std::make_unique<http::Server>(config.http, std::move(router), std::move(sopts));
  route_list = server->routes();
}

Daemon::Daemon() : impl_(std::make_unique<Impl>()) {}

Daemon::~Daemon() { stop(); }

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonConfig config, DaemonOptions options) {
  DUET_TRY_STATUS(config.validate());
  std::unique_ptr<Daemon> d(new Daemon());
  Impl& m = *d->impl_;
  m.config = std::move(config);
  DUET_TRY_STATUS(prepare_data_dir(m.config.service.data_dir));
  std::error_code ec;
  fs::remove(m.path("duetd.port"), ec);  // a stale one would mislead whoever waits for it
  DUET_TRY_STATUS(m.open_keys_and_store());
  m.clock = options.clock ? options.clock : &m.system_clock;
  m.deps = std::make_unique<core::CoreDeps>(core::CoreDeps{*m.store, *m.protector, *m.clock,
                                                           crypto::SystemRandom::instance(), m.config.service.core,
                                                           m.core_metrics});
  DUET_TRY_STATUS(m.build_identity_adapters());
  DUET_TRY_STATUS(m.build_services());
  DUET_TRY_STATUS(m.bootstrap_tokens_and_audit_key());
  m.build_workers(options);
  m.build_server(options);
  return d;
}

Status Daemon::start() {
  Impl& m = *impl_;
  if (m.started) return make_error(ErrorCode::kBadState, "already started");
  m.started = true;
  DUET_TRY_STATUS(m.notice_mail->start());  // first: an unreadable SMTP password file stops the start
  DUET_TRY_STATUS(m.server->start());
  m.workers->start();
  m.audit_checkpoints->start();
  m.sla_workers->start();
  Status w = write_file_atomically(m.path("duetd.port"), std::to_string(m.server->port()) + "\n");
  if (!w.ok()) log_event("warn", "port_file", {{"message", w.error().message}});
  log_event("info", "started",
            {{"url", url()}, {"data_dir", m.config.service.data_dir}, {"tls", m.server->tls() ? "true" : "false"}});
  return Status::Ok();
}

void Daemon::stop() {
  Impl& m = *impl_;
  if (!m.started || m.stopped) return;
  m.stopped = true;
  log_event("info", "stopping");
  m.server->stop();   // stop accepting, drain in-flight requests
  m.workers->stop();  // finish the current iterations
  (void)m.audit_recorder->flush();  // queued request events, then the last checkpoint
  m.audit_checkpoints->stop();
  m.sla_workers->stop();  // last availability flush
  m.notice_mail->stop();
  std::error_code ec;
  fs::remove(m.path("duetd.port"), ec);
  log_event("info", "stopped");
}

uint16_t Daemon::port() const { return impl_->server->port(); }
bool Daemon::tls() const { return impl_->server->tls(); }

std::string Daemon::url() const {
  const std::string& host = impl_->config.http.listen_host;
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls() ? "https" : "http") + "://" + h + ":" + std::to_string(port());
}

bool Daemon::ready() { return impl_->store->schema_version().ok() && impl_->protector->check().ok(); }
std::vector<http::Router::RouteInfo> Daemon::routes() const { return impl_->route_list; }
const DaemonConfig& Daemon::config() const { return impl_->config; }
core::CoreMetrics& Daemon::core_metrics() { return impl_->core_metrics; }
core::CertificateService& Daemon::certificates() { return *impl_->certs; }
Status Daemon::flush_audit_events() { return impl_->audit_recorder->flush(); }
std::string Daemon::admin_token_path() const { return impl_->path("admin.token"); }
std::string Daemon::port_file_path() const { return impl_->path("duetd.port"); }
std::string Daemon::sms_sink_path() const { return impl_->sms_sink_path(); }

}  // namespace duet::server
