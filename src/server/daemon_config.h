// duetd's configuration: the structs, the TOML parser and the chain
// defaults < TOML file < environment < command line.
//
// Every key, its type, default and meaning: docs/configuration.md (the
// reference; a unit test checks it against accepted_config_keys()). Unknown
// keys are an error, to catch typos.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "core/certificate_service.h"
#include "core/config.h"
#include "core/rate_limit.h"
#include "core/sla_service.h"
#include "http/config.h"
#include "keys/kek.h"
#include "server/notice_mail_config.h"
#include "store/records.h"

namespace duet::server {

struct ServiceConfig {
  std::string data_dir = "./duet-data";
  int64_t callback_poll_ms = 500;
  int64_t expiry_interval_ms = 1000;
  int64_t nonce_prune_interval_seconds = 60;
  int store_max_connections = 4;
  std::string node_id;    // "" = the host name; names this node in the availability rows
  // Tenant-chosen webhook URLs (order callbacks, notice webhooks) to loopback,
  // private, link-local … addresses: "refuse" or "allow"; "" = "allow" with
  // --dev, "refuse" otherwise (httpclient/address_policy.h).
  std::string callback_private_addresses;
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
  // The audit witness file (docs/audit.md); "" = audit_witness_path()'s
  // default, beside the data directory. Must lie outside the data directory.
  std::string witness_file;
  // The checkpoint webhook (docs/audit.md "The checkpoint webhook"): ""
  // = none. The HMAC-SM3 secret is read from the file (mode 0600 advised).
  std::string checkpoint_webhook_url;
  std::string checkpoint_webhook_secret_file;
};

// [web]: where the built web front ends are read from (server/web_routes.h);
// "" = <directory of the duetd binary>/../web (build/web after scripts/setup).
struct WebConfig {
  std::string root;
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
  NoticeMailConfig notices;   // [notices] (server/notice_mail_config.h)
  int64_t crl_check_interval_seconds = 60;
  store::RetentionSettings retention;  // [retention] (core/retention.h)
  AuditConfig audit;                   // [audit]
  WebConfig web;                       // [web]
  bool kek_explicit = false;     // [keys] kek or DUET_KEK was given (else --dev picks "file")
  bool dev = false;

  // Ranges of the [service] keys and the [http] validation.
  Status validate() const;
  // Whether tenant-chosen webhook URLs may reach only public addresses
  // (service.callback_private_addresses; unset: refuse unless --dev).
  bool callback_public_addresses_only() const;
};

// [audit] witness_file, or by default "<data_dir>.audit-witness.jsonl" (a
// file beside the data directory, never inside it: a copy or restore of the
// data directory does not carry it along).
std::string audit_witness_path(const DaemonConfig& c);

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

// Every key the TOML parser accepts, "<table>.<key>" ("service.data_dir",
// "http.tls.cert", "sla.signature_tiers[].band_a"), read from the parsers'
// own key tables ([http]: http::server_config_keys(); [sla], [limits]:
// sla_config_keys()).
std::vector<std::string> accepted_config_keys();

}  // namespace duet::server
