// duetd as a library: configuration, the data directory, and the lifetime of
// store, keys, services, HTTP server and background workers.
//
// Configuration = defaults < TOML file < environment < command line. The TOML
// file holds the [http] table of http::ServerConfig (see http/config.h, read
// by http::parse_server_config) and this [service] table (all keys optional;
// unknown keys are an error, to catch typos):
//
//   [service]
//   data_dir                    = "./duet-data"  # holds duet.db (SQLite), kek.key, admin.token,
//                                                 #   duetd.port and tls/ (with --dev); created with
//                                                 #   mode 0700 if missing. env DUET_DATA_DIR
//   public_url                  = "https://localhost:8443"  # base of the duet:// links (server=…)
//                                                 #   in QR codes; env DUET_PUBLIC_URL
//   max_failed_attempts         = 5      # consecutive failed PIN uses that lock a holder's key;
//                                        #   env DUET_MAX_FAILED_ATTEMPTS
//   pin_failure_budget          = 10     # failed PIN uses in any window that lock the key, however
//                                        #   many successes come between (>= max_failed_attempts)
//   pin_budget_window_seconds   = 2592000  # that window (30 days)
//   refresh_ttl_seconds         = 600    # an open share refresh expires after this
//   request_window_seconds      = 300    # ±window of X-Duet-Timestamp; nonces are kept 2× as long
//   activation_code_ttl_seconds = 600    # lifetime of an activation code
//   activation_code_attempts    = 5      # bad key-generation proofs before a code dies
//   order_default_ttl_seconds   = 86400  # an order's expires_in when the request has none
//   order_max_ttl_seconds       = 2592000  # largest expires_in accepted (30 days)
//   order_max_items             = 100    # items per batch order
//   order_max_item_bytes        = 262144 # data bytes per item (keep below [http] max_body_bytes)
//   title_max_chars             = 200    # order title length
//   display_text_max_bytes      = 4096   # order display_text length
//   callback_max_attempts       = 12     # webhook deliveries before a job is given up
//   callback_first_backoff_seconds = 5   # first retry delay, doubling …
//   callback_max_backoff_seconds   = 3600  # … up to this
//   callback_timeout_ms         = 5000   # one webhook POST, connect included
//   callback_poll_ms            = 500    # how often the dispatcher looks for due callbacks
//   expiry_interval_ms          = 1000   # how often past-due orders are expired
//   nonce_prune_interval_seconds = 60    # how often old request nonces are forgotten
//   store_max_connections       = 4      # SQLite connection pool size
//   node_id                     = ""     # this node's name in the per-node availability rows
//                                        #   ("node:<id>"); "" = the host name. env DUET_NODE_ID
//
// and this [keys] table (the key-encryption key, DESIGN.md §4):
//
//   [keys]
//   kek             = "pkcs11"   # "pkcs11": an AES-256 key in a PKCS#11 token wraps the data
//                                #   keys (<data_dir>/datakeys.wrapped) and the CA keys;
//                                #   "file": a key file in data_dir, only with --dev (the
//                                #   default there). env DUET_KEK
//   pkcs11_module   = "/usr/lib/softhsm/libsofthsm2.so"   # env DUET_PKCS11_MODULE
//   token_label     = "duet"     # the token is found by label; env DUET_PKCS11_TOKEN
//   key_label       = "duet-kek" # env DUET_PKCS11_KEY
//   pin_file        = ""         # user PIN (first line); else env DUET_PKCS11_PIN. env DUET_PKCS11_PIN_FILE
//   create_key      = true       # generate the key object in the token at first start
//   data_key_algorithm = "aes-256-gcm"   # or "sm4-gcm", for a data-key record created now
//
// and this [pki] table (the built-in CA, issue 4; created at first start, its
// keys sealed by the KEK and kept in the store):
//
//   [pki]
//   organization            = "Duet"    # O of the CA and holder certificates
//   country                 = "CN"      # C (two letters; "" for none)
//   validity_days           = 365       # holder certificate lifetime (1..1095)
//   policy_oid              = "1.3.6.1.4.1.99999.1.2.1"  # certificatePolicies (placeholder: set yours)
//   base_url                = ""        # base of the CRL/OCSP/caIssuers URLs put in certificates;
//                                       #   "" = service.public_url (…/pki/crl/<ca_id>.crl, …/pki/ocsp)
//   crl_refresh_seconds     = 3600      # a CRL older than this is rebuilt (also after a revocation)
//   crl_next_update_seconds = 86400     # nextUpdate of each CRL
//   crl_check_interval_seconds = 60     # how often the worker looks for a stale CRL
//   ocsp_validity_seconds   = 86400     # nextUpdate of each OCSP answer
//   csr_order_ttl_seconds   = 86400     # how long a certificate request waits to be signed
//   ocsp_crl_sm2_id         = "1234567812345678"  # SM2 ID of CRL and OCSP signatures; "" for
//                                       #   OpenSSL 3.0 clients (`openssl ocsp`, `openssl crl -verify`
//                                       #   check those signatures with an empty ID only)
//   import_root_cert        = ""        # CA import at first start (all three or none): PEM paths of
//   import_issuing_cert     = ""        #   the root certificate, the issuing CA certificate and its
//   import_issuing_key      = ""        #   PKCS#8 SM2 key; used instead of creating a CA when the
//                                       #   store has none yet (the key is sealed by the KEK; ignored after)
//
// and this [identity] table (identity checks at enrollment, DESIGN.md §3;
// per app: POST /admin/v1/tenants/{t}/apps/{a}/settings):
//
//   [identity]
//   source_url          = ""   # the trusted identity data source (HttpIdentitySource,
//                              #   server/identity_adapters.h): POST {name, id_type, id_number,
//                              #   phone} → {"match", "reference", "reason"}. "" = none: apps
//                              #   with identity_mode = "identity_source" get 503 unavailable
//   source_api_key_file = ""   # its bearer key (first line of the file); "" = no key
//   source_ca_file      = ""   # CA bundle that verifies the source's TLS ("" = system)
//   source_timeout_ms   = 5000 # one request to the source
//   sms_sink            = ""   # the development SMS gateway: one JSON line per message
//                              #   (mode 0600, phone masked); "" = <data_dir>/sms-outbox.jsonl
//
// and this [retention] table (personal data and payloads, issue 5 §5; the
// rules in core/retention.h). Days are whole days of 86,400 s; settings
// changed over the Admin API (GET/PUT /admin/v1/retention, PUT needs the
// security_officer role) are kept in the store and override this table:
//
//   [retention]
//   order_payload_days = 180   # final orders: item data and display text purged this long after
//                              #   the order ended (SM3 of the data, signatures, state stay); 0 = never
//   identity_days      = 30    # holders: ID number and phone ciphertexts purged this long after the
//                              #   first certificate was issued (name and lookup hash stay); 0 = never
//   expired_key_days   = 0     # service share of a key whose last certificate expired: wiped (and the
//                              #   key retired) this long after the expiry; revoked keys at revocation
//   interval_seconds   = 3600  # how often the purge worker runs (one node at a time: store lease
//                              #   "retention.purge"); every purged record is an audit event
//
// and this [store] table (which database backs the service, DESIGN.md §5):
//
//   [store]
//   backend         = "sqlite"  # "sqlite": <data_dir>/duet.db (one node); "postgres": the
//                               #   database at postgres_dsn (several duetd nodes may share it)
//                               #   env DUET_STORE_BACKEND
//   postgres_dsn    = ""        # libpq connection string or URI, e.g. "host=/run/postgresql
//                               #   dbname=duet user=duet" (needed with "postgres"); env DUET_PG_DSN.
//                               #   A password belongs in ~/.pgpass or PGPASSWORD, not here
//   max_connections = 0         # connection pool size 1..64; 0 = [service] store_max_connections
//
// and these [sla] and [limits] tables (availability accounting, compensation
// and rate limits, issue 5 §2, §3, §7; rules in core/sla_report.h,
// core/compensation.h, core/rate_limit.h):
//
//   [sla]
//   utc_offset_minutes  = 480    # local time of months and working days (+08:00)
//   notice_working_days = 3      # maintenance announced this many whole working days ahead is excluded
//   holidays            = ["2026-10-01"]  # dates (local) that are not working days
//   working_weekends    = ["2026-09-27"]  # Saturdays/Sundays that are working days
//   flush_interval_ms   = 5000   # per-minute counts written to the store this often (and at stop)
//   probe_interval_seconds = 60  # the self-check runs once per minute (only 60 is accepted)
//   signature_tiers = [          # per-signature tenants: free signatures in % of the purchased
//     { min_quantity = 0, band_a = 1.0, band_b = 3.0, band_c = 7.0 },        # annual quantity by
//     { min_quantity = 100000, band_a = 1.5, band_b = 4.0, band_c = 7.5 },   # tier (largest
//     { min_quantity = 1000000, band_a = 2.0, band_b = 5.0, band_c = 8.0 },  # min_quantity <=
//     { min_quantity = 10000000, band_a = 2.5, band_b = 6.0, band_c = 8.5 }] # purchased)
//   day_tiers = [                # per-user (by users) and unlimited (top tier) tenants: free days
//     { min_quantity = 0, band_a = 1, band_b = 5, band_c = 10 },
//     { min_quantity = 10000, band_a = 2, band_b = 7, band_c = 15 },
//     { min_quantity = 100000, band_a = 3, band_b = 10, band_c = 20 }]
//
//   [limits]
//   sandbox_requests_per_second = 10   # per sandbox app (429 rate_limited + Retry-After); 0 = none
//   refresh_seconds             = 10   # how often each node reloads the production per-tenant
//                                      #   limits (PUT /admin/v1/tenants/{id}/rate-limit)
//
// and this [audit] table (the hash-chained audit log, docs/audit.md). At
// first start the data directory also receives security-officer.token and
// auditor.token (mode 0600) next to admin.token (roles: docs/operations-roles.md),
// and the audit SM2 key is created (private key sealed by the KEK, public
// key in clear in the store so `duet audit verify --data` needs no KEK):
//
//   [audit]
//   checkpoint_events  = 1000  # sign the chain head after this many new events …
//   checkpoint_seconds = 300   # … or this long after the last checkpoint (if anything new);
//                              #   and once more at shutdown
//
// Command line (duetd): --config FILE, --data-dir DIR (= data_dir), --listen
// HOST:PORT (= [http] listen), --public-url URL (= public_url), --dev (HTTPS
// with a self-signed certificate in <data_dir>/tls unless [http.tls] cert/key
// are set; env DUET_DEV=1 as well).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/config.h"
#include "core/callbacks.h"
#include "core/certificate_service.h"
#include "core/core_deps.h"
#include "core/rate_limit.h"
#include "core/sla_service.h"
#include "http/config.h"
#include "http/router.h"
#include "keys/kek.h"
#include "store/records.h"

namespace spdlog {
class logger;
}

namespace duet::server {

struct ServiceConfig {
  std::string data_dir = "./duet-data";
  int64_t callback_poll_ms = 500;
  int64_t expiry_interval_ms = 1000;
  int64_t nonce_prune_interval_seconds = 60;
  int store_max_connections = 4;
  std::string node_id;    // "" = the host name; names this node in the availability rows
  core::CoreConfig core;  // public_url, max_failed_attempts, order limits, callbacks …
};

struct IdentityConfig {
  std::string source_url;
  std::string source_api_key_file;
  std::string source_ca_file;
  int64_t source_timeout_ms = 5000;
  std::string sms_sink;  // "" = <data_dir>/sms-outbox.jsonl
};

struct StoreConfig {
  std::string backend = "sqlite";  // "sqlite" | "postgres"
  std::string postgres_dsn;
  int max_connections = 0;  // 0: ServiceConfig::store_max_connections
};

struct AuditConfig {
  int64_t checkpoint_events = 1000;
  int64_t checkpoint_seconds = 300;
};

struct DaemonConfig {
  http::ServerConfig http;
  ServiceConfig service;
  StoreConfig store;  // [store]
  keys::KeyServicesConfig keys;  // data_dir and dev are filled from the above at start
  core::PkiConfig pki;
  IdentityConfig identity;
  core::SlaConfig sla;        // [sla]
  core::LimitsConfig limits;  // [limits]
  int64_t crl_check_interval_seconds = 60;
  store::RetentionSettings retention;  // [retention] (core/retention.h)
  AuditConfig audit;                   // [audit]
  bool kek_explicit = false;     // [keys] kek or DUET_KEK was given (else --dev picks "file")
  bool dev = false;

  // Ranges of the [service] keys and the [http] validation.
  Status validate() const;
};

struct CommandLine {
  std::string config_path;
  std::optional<std::string> data_dir;
  std::optional<std::string> listen;
  std::optional<std::string> public_url;
  bool dev = false;
};

// TOML text → config, then environment overrides (no command line, no validation).
Result<DaemonConfig> parse_daemon_config(std::string_view toml_text, const http::EnvLookup& env = http::process_env);

// The whole chain: file (if any) < environment < command line, validated;
// --dev fills http.tls_dev_dir with <data_dir>/tls when no certificate is set.
Result<DaemonConfig> load_daemon_config(const CommandLine& cli, const http::EnvLookup& env = http::process_env);

struct DaemonOptions {
  // Null: the system clock. Tests may pass their own (it must outlive the daemon).
  const core::Clock* clock = nullptr;
  // Null: libcurl. Tests may record instead.
  std::unique_ptr<core::WebhookSender> webhook_sender;
  // Access log destination when config.http.access_log (null: JSON lines on
  // stderr, next to the daemon's own logs; stdout is left to the caller).
  std::shared_ptr<spdlog::logger> access_log;
};

class Daemon {
 public:
  // Prepares the data directory (mode 0700 when created), opens <data_dir>/duet.db,
  // <data_dir>/kek.key (created if missing), bootstraps <data_dir>/admin.token,
  // builds the routes. Nothing listens yet.
  static Result<std::unique_ptr<Daemon>> create(DaemonConfig config, DaemonOptions options = {});
  ~Daemon();  // stop()
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Binds and serves, starts the workers, writes <data_dir>/duetd.port.
  Status start();
  // Graceful: stop accepting, drain in-flight requests, stop the workers,
  // remove duetd.port. Idempotent; not from a handler.
  void stop();

  uint16_t port() const;
  bool tls() const;
  std::string url() const;  // e.g. "https://127.0.0.1:8443"
  bool ready();             // store schema readable and keys usable
  std::vector<http::Router::RouteInfo> routes() const;
  const DaemonConfig& config() const;
  core::CoreMetrics& core_metrics();
  core::CertificateService& certificates();
  // Waits until every request audit event queued so far (read-only and
  // refused requests, the outcome of audited writes: audit_recorder.h) is
  // appended to the store. A request's event is queued before its response
  // is sent, so after a response has been received its event is visible once
  // this returns. For tests; the error of a failed append, else Ok.
  Status flush_audit_events();
  std::string admin_token_path() const;
  std::string port_file_path() const;
  std::string sms_sink_path() const;

 private:
  Daemon();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::server
