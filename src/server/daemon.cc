#include "server/daemon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include "core/admin_service.h"
#include "core/retention.h"
#include "http/server.h"
#include "keys/data_protector.h"
#include "server/api_routes.h"
#include "server/audit_recorder.h"
#include "server/log.h"
#include "server/identity_adapters.h"
#include "server/workers.h"
#include "server/sla_config.h"
#include "server/sla_workers.h"
#include "core/availability.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace duet::server {

namespace fs = std::filesystem;

namespace {

Unexpected bad(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

Result<int64_t> toml_int(const toml::node& n, std::string_view key) {
  auto v = n.value<int64_t>();
  if (!n.is_integer() || !v) return bad("service." + std::string(key) + " must be an integer");
  return *v;
}

Result<std::string> toml_string(const toml::node& n, std::string_view key) {
  auto v = n.value<std::string>();
  if (!n.is_string() || !v) return bad("service." + std::string(key) + " must be a string");
  return *v;
}

Result<int64_t> parse_int(std::string_view name, const std::string& v) {
  try {
    size_t pos = 0;
    long long n = std::stoll(v, &pos, 10);
    if (pos != v.size()) return bad(std::string(name) + " must be an integer");
    return static_cast<int64_t>(n);
  } catch (const std::exception&) {
    return bad(std::string(name) + " must be an integer");
  }
}

std::optional<bool> parse_bool(std::string v) {
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  return std::nullopt;
}

Status read_service_table(const toml::table& t, ServiceConfig& s) {
  core::CoreConfig& c = s.core;
  for (const auto& [k, node] : t) {
    std::string_view key = k.str();
    auto int_key = [&](auto& field) -> Status {
      DUET_ASSIGN_OR_RETURN(int64_t v, toml_int(node, key));
      if (v < 0) return bad("service." + std::string(key) + " must not be negative");
      field = static_cast<std::remove_reference_t<decltype(field)>>(v);
      return Status::Ok();
    };
    Status st;
    if (key == "data_dir") {
      DUET_ASSIGN_OR_RETURN(s.data_dir, toml_string(node, key));
    } else if (key == "public_url") {
      DUET_ASSIGN_OR_RETURN(c.public_url, toml_string(node, key));
    } else if (key == "node_id") {
      DUET_ASSIGN_OR_RETURN(s.node_id, toml_string(node, key));
    } else if (key == "max_failed_attempts") st = int_key(c.max_failed_attempts);
    else if (key == "pin_failure_budget") st = int_key(c.pin_failure_budget);
    else if (key == "pin_budget_window_seconds") st = int_key(c.pin_budget_window_seconds);
    else if (key == "refresh_ttl_seconds") st = int_key(c.refresh_ttl_seconds);
    else if (key == "request_window_seconds") st = int_key(c.request_window_seconds);
    else if (key == "activation_code_ttl_seconds") st = int_key(c.activation_code_ttl_seconds);
    else if (key == "activation_code_attempts") st = int_key(c.activation_code_attempts);
    else if (key == "order_default_ttl_seconds") st = int_key(c.order_default_ttl_seconds);
    else if (key == "order_max_ttl_seconds") st = int_key(c.order_max_ttl_seconds);
    else if (key == "order_max_items") st = int_key(c.order_max_items);
    else if (key == "order_max_item_bytes") st = int_key(c.order_max_item_bytes);
    else if (key == "title_max_chars") st = int_key(c.title_max_chars);
    else if (key == "display_text_max_bytes") st = int_key(c.display_text_max_bytes);
    else if (key == "callback_max_attempts") st = int_key(c.callback_max_attempts);
    else if (key == "callback_first_backoff_seconds") st = int_key(c.callback_first_backoff_seconds);
    else if (key == "callback_max_backoff_seconds") st = int_key(c.callback_max_backoff_seconds);
    else if (key == "callback_timeout_ms") st = int_key(c.callback_timeout_ms);
    else if (key == "callback_poll_ms") st = int_key(s.callback_poll_ms);
    else if (key == "expiry_interval_ms") st = int_key(s.expiry_interval_ms);
    else if (key == "nonce_prune_interval_seconds") st = int_key(s.nonce_prune_interval_seconds);
    else if (key == "store_max_connections") st = int_key(s.store_max_connections);
    else return bad("service: unknown key '" + std::string(key) + "'");
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status apply_service_env(DaemonConfig& c, const http::EnvLookup& env) {
  if (auto v = env("DUET_DATA_DIR")) c.service.data_dir = *v;
  if (auto v = env("DUET_PUBLIC_URL")) c.service.core.public_url = *v;
  if (auto v = env("DUET_NODE_ID")) c.service.node_id = *v;
  if (auto v = env("DUET_MAX_FAILED_ATTEMPTS")) {
    DUET_ASSIGN_OR_RETURN(int64_t n, parse_int("DUET_MAX_FAILED_ATTEMPTS", *v));
    c.service.core.max_failed_attempts = static_cast<int>(n);
  }
  if (auto v = env("DUET_DEV")) {
    auto b = parse_bool(*v);
    if (!b) return bad("DUET_DEV must be a boolean");
    c.dev = *b;
  }
  return Status::Ok();
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("cannot read config file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
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

Status DaemonConfig::validate() const {
  DUET_TRY_STATUS(http.validate());
  const core::CoreConfig& c = service.core;
  if (service.data_dir.empty()) return bad("service.data_dir must not be empty");
  if (keys.kek != "pkcs11" && keys.kek != "file") return bad("keys.kek must be \"pkcs11\" or \"file\"");
  if (keys.kek == "file" && !dev) return bad("keys.kek = \"file\" is only for development (--dev)");
  if (keys.data_key_algorithm != "aes-256-gcm" && keys.data_key_algorithm != "sm4-gcm")
    return bad("keys.data_key_algorithm must be \"aes-256-gcm\" or \"sm4-gcm\"");
  if (c.public_url.rfind("http://", 0) != 0 && c.public_url.rfind("https://", 0) != 0)
    return bad("service.public_url must be an http(s) URL");
  if (c.max_failed_attempts < 1 || c.max_failed_attempts > 100) return bad("service.max_failed_attempts must be 1..100");
  if (c.pin_failure_budget < c.max_failed_attempts || c.pin_failure_budget > 1000)
    return bad("service.pin_failure_budget must be max_failed_attempts..1000");
  if (c.pin_budget_window_seconds < 3600 || c.pin_budget_window_seconds > 366 * 86400)
    return bad("service.pin_budget_window_seconds must be 3600..31622400");
  if (c.refresh_ttl_seconds < 60 || c.refresh_ttl_seconds > 86400)
    return bad("service.refresh_ttl_seconds must be 60..86400");
  if (c.request_window_seconds < 10 || c.request_window_seconds > 3600)
    return bad("service.request_window_seconds must be 10..3600");
  if (c.activation_code_ttl_seconds < 60) return bad("service.activation_code_ttl_seconds must be >= 60");
  if (c.activation_code_attempts < 1) return bad("service.activation_code_attempts must be >= 1");
  if (c.order_default_ttl_seconds < 60 || c.order_default_ttl_seconds > c.order_max_ttl_seconds)
    return bad("service.order_default_ttl_seconds must be 60..order_max_ttl_seconds");
  if (c.order_max_items < 1 || c.order_max_items > 1000) return bad("service.order_max_items must be 1..1000");
  if (c.order_max_item_bytes < 1) return bad("service.order_max_item_bytes must be >= 1");
  if (c.title_max_chars < 1 || c.display_text_max_bytes < 1) return bad("service title/display limits must be >= 1");
  if (c.callback_max_attempts < 1) return bad("service.callback_max_attempts must be >= 1");
  if (c.callback_first_backoff_seconds < 1 || c.callback_max_backoff_seconds < c.callback_first_backoff_seconds)
    return bad("service callback backoff must be 1 <= first <= max");
  if (c.callback_timeout_ms < 100) return bad("service.callback_timeout_ms must be >= 100");
  if (service.callback_poll_ms < 10 || service.expiry_interval_ms < 10 || service.nonce_prune_interval_seconds < 1)
    return bad("service worker intervals are too small");
  if (service.store_max_connections < 1 || service.store_max_connections > 64)
    return bad("service.store_max_connections must be 1..64");
  if (store.backend != "sqlite" && store.backend != "postgres") return bad("store.backend must be sqlite or postgres");
  if (store.backend == "postgres" && store.postgres_dsn.empty())
    return bad("store.postgres_dsn (or DUET_PG_DSN) is required with store.backend = \"postgres\"");
  if (store.max_connections < 0 || store.max_connections > 64) return bad("store.max_connections must be 0..64");
  if (pki.validity_days < 1 || pki.validity_days > 1095) return bad("pki.validity_days must be 1..1095");
  if (pki.subject_country.size() != 0 && pki.subject_country.size() != 2)
    return bad("pki.country must be two letters or empty");
  if (pki.policy_oid.empty() || pki.policy_oid.find_first_not_of("0123456789.") != std::string::npos)
    return bad("pki.policy_oid must be a dotted OID");
  if (!pki.base_url.empty() && pki.base_url.rfind("http://", 0) != 0 && pki.base_url.rfind("https://", 0) != 0)
    return bad("pki.base_url must be an http(s) URL");
  if (pki.crl_refresh_seconds < 1 || pki.crl_next_update_seconds < pki.crl_refresh_seconds)
    return bad("pki CRL times must be 1 <= crl_refresh_seconds <= crl_next_update_seconds");
  if (crl_check_interval_seconds < 1) return bad("pki.crl_check_interval_seconds must be >= 1");
  if (pki.ocsp_validity_seconds < 60) return bad("pki.ocsp_validity_seconds must be >= 60");
  if (identity.source_timeout_ms < 100 || identity.source_timeout_ms > 120000)
    return bad("identity.source_timeout_ms must be 100 to 120000");
  if (!identity.source_url.empty() && identity.source_url.rfind("http://", 0) != 0 &&
      identity.source_url.rfind("https://", 0) != 0)
    return bad("identity.source_url must be an http(s) URL");
  if (pki.csr_order_ttl_seconds < 60) return bad("pki.csr_order_ttl_seconds must be >= 60");
  if (retention.order_payload_days < 0 || retention.identity_days < 0 || retention.expired_key_days < 0 ||
      retention.order_payload_days > 36500 || retention.identity_days > 36500 || retention.expired_key_days > 36500)
    return bad("retention days must be 0..36500");
  if (retention.interval_seconds < 1 || retention.interval_seconds > 7 * 86400)
    return bad("retention.interval_seconds must be 1..604800");
  if (audit.checkpoint_events < 1 || audit.checkpoint_events > 10'000'000)
    return bad("audit.checkpoint_events must be 1..10000000");
  if (audit.checkpoint_seconds < 1 || audit.checkpoint_seconds > 86400)
    return bad("audit.checkpoint_seconds must be 1..86400");
  if (!pki.ocsp_crl_sm2_id.empty() && pki.ocsp_crl_sm2_id.size() > 64)
    return bad("pki.ocsp_crl_sm2_id must be at most 64 bytes");
  {
    int n = !pki.import_root_cert.empty() + !pki.import_issuing_cert.empty() + !pki.import_issuing_key.empty();
    if (n != 0 && n != 3)
      return bad("pki.import_root_cert, import_issuing_cert and import_issuing_key go together (all or none)");
  }
  return Status::Ok();
}

Status read_pki_table(const toml::table& t, DaemonConfig& c) {
  core::PkiConfig& p = c.pki;
  for (const auto& [k, node] : t) {
    std::string_view key = k.str();
    auto str_key = [&](std::string& field) -> Status {
      if (!node.is_string()) return bad("pki." + std::string(key) + " must be a string");
      field = *node.value<std::string>();
      return Status::Ok();
    };
    auto int_key = [&](int64_t& field) -> Status {
      auto v = node.value<int64_t>();
      if (!node.is_integer() || !v) return bad("pki." + std::string(key) + " must be an integer");
      field = *v;
      return Status::Ok();
    };
    Status st;
    if (key == "organization") st = str_key(p.subject_organization);
    else if (key == "country") st = str_key(p.subject_country);
    else if (key == "validity_days") st = int_key(p.validity_days);
    else if (key == "policy_oid") st = str_key(p.policy_oid);
    else if (key == "base_url") st = str_key(p.base_url);
    else if (key == "crl_refresh_seconds") st = int_key(p.crl_refresh_seconds);
    else if (key == "crl_next_update_seconds") st = int_key(p.crl_next_update_seconds);
    else if (key == "crl_check_interval_seconds") st = int_key(c.crl_check_interval_seconds);
    else if (key == "ocsp_validity_seconds") st = int_key(p.ocsp_validity_seconds);
    else if (key == "csr_order_ttl_seconds") st = int_key(p.csr_order_ttl_seconds);
    else if (key == "ocsp_crl_sm2_id") st = str_key(p.ocsp_crl_sm2_id);
    else if (key == "import_root_cert") st = str_key(p.import_root_cert);
    else if (key == "import_issuing_cert") st = str_key(p.import_issuing_cert);
    else if (key == "import_issuing_key") st = str_key(p.import_issuing_key);
    else return bad("pki: unknown key '" + std::string(key) + "'");
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status read_identity_table(const toml::table& t, IdentityConfig& c) {
  for (const auto& [k, node] : t) {
    std::string_view key = k.str();
    if (key == "source_timeout_ms") {
      auto v = node.value<int64_t>();
      if (!node.is_integer() || !v) return bad("identity.source_timeout_ms must be an integer");
      c.source_timeout_ms = *v;
      continue;
    }
    if (!node.is_string()) return bad("identity." + std::string(key) + " must be a string");
    std::string v = *node.value<std::string>();
    if (key == "source_url") c.source_url = v;
    else if (key == "source_api_key_file") c.source_api_key_file = v;
    else if (key == "source_ca_file") c.source_ca_file = v;
    else if (key == "sms_sink") c.sms_sink = v;
    else return bad("identity: unknown key '" + std::string(key) + "'");
  }
  return Status::Ok();
}

Status read_retention_table(const toml::table& t, store::RetentionSettings& r) {
  for (const auto& [k, node] : t) {
    std::string_view key = k.str();
    auto v = node.value<int64_t>();
    if (!node.is_integer() || !v) return bad("retention." + std::string(key) + " must be an integer");
    if (key == "order_payload_days") r.order_payload_days = *v;
    else if (key == "identity_days") r.identity_days = *v;
    else if (key == "expired_key_days") r.expired_key_days = *v;
    else if (key == "interval_seconds") r.interval_seconds = *v;
    else return bad("retention: unknown key '" + std::string(key) + "'");
  }
  return Status::Ok();
}

Status read_audit_table(const toml::table& t, AuditConfig& a) {
  for (const auto& [k, node] : t) {
    std::string_view key = k.str();
    auto v = node.value<int64_t>();
    if (!node.is_integer() || !v) return bad("audit." + std::string(key) + " must be an integer");
    if (key == "checkpoint_events") a.checkpoint_events = *v;
    else if (key == "checkpoint_seconds") a.checkpoint_seconds = *v;
    else return bad("audit: unknown key '" + std::string(key) + "'");
  }
  return Status::Ok();
}

Status read_keys_table(const toml::table& t, DaemonConfig& c) {
  for (const auto& [k, node] : t) {
    std::string_view key = k.str();
    if (key == "create_key") {
      auto v = node.value<bool>();
      if (!node.is_boolean() || !v) return bad("keys.create_key must be true or false");
      c.keys.pkcs11.create_key_if_missing = *v;
      continue;
    }
    if (!node.is_string()) return bad("keys." + std::string(key) + " must be a string");
    std::string v = *node.value<std::string>();
    if (key == "kek") { c.keys.kek = v; c.kek_explicit = true; }
    else if (key == "pkcs11_module") c.keys.pkcs11.module_path = v;
    else if (key == "token_label") c.keys.pkcs11.token_label = v;
    else if (key == "key_label") c.keys.pkcs11.key_label = v;
    else if (key == "pin_file") c.keys.pkcs11.pin_file = v;
    else if (key == "data_key_algorithm") c.keys.data_key_algorithm = v;
    else return bad("keys: unknown key '" + std::string(key) + "'");
  }
  return Status::Ok();
}

Status read_store_table(const toml::table& t, StoreConfig& s) {
  for (const auto& [k, node] : t) {
    std::string_view key = k.str();
    if (key == "max_connections") {
      auto v = node.value<int64_t>();
      if (!node.is_integer() || !v) return bad("store.max_connections must be an integer");
      s.max_connections = static_cast<int>(std::clamp<int64_t>(*v, -1, 1000));
      continue;
    }
    if (!node.is_string()) return bad("store." + std::string(key) + " must be a string");
    if (key == "backend") s.backend = *node.value<std::string>();
    else if (key == "postgres_dsn") s.postgres_dsn = *node.value<std::string>();
    else return bad("store: unknown key '" + std::string(key) + "'");
  }
  return Status::Ok();
}

void apply_store_env(DaemonConfig& c, const http::EnvLookup& env) {
  if (auto v = env("DUET_STORE_BACKEND")) c.store.backend = *v;
  if (auto v = env("DUET_PG_DSN")) c.store.postgres_dsn = *v;
}

void apply_keys_env(DaemonConfig& c, const http::EnvLookup& env) {
  if (auto v = env("DUET_KEK")) { c.keys.kek = *v; c.kek_explicit = true; }
  if (auto v = env("DUET_PKCS11_MODULE")) c.keys.pkcs11.module_path = *v;
  if (auto v = env("DUET_PKCS11_TOKEN")) c.keys.pkcs11.token_label = *v;
  if (auto v = env("DUET_PKCS11_KEY")) c.keys.pkcs11.key_label = *v;
  if (auto v = env("DUET_PKCS11_PIN_FILE")) c.keys.pkcs11.pin_file = *v;
}

Result<DaemonConfig> parse_daemon_config(std::string_view toml_text, const http::EnvLookup& env) {
  DaemonConfig c;
  c.keys.pkcs11.create_key_if_missing = true;
  DUET_ASSIGN_OR_RETURN(c.http, http::parse_server_config(toml_text, env));
  try {
    toml::table root = toml::parse(toml_text);
    if (const toml::node* s = root.get("service")) {
      const toml::table* t = s->as_table();
      if (!t) return bad("[service] must be a table");
      DUET_TRY_STATUS(read_service_table(*t, c.service));
    }
    if (const toml::node* k = root.get("pki")) {
      const toml::table* t = k->as_table();
      if (!t) return bad("[pki] must be a table");
      DUET_TRY_STATUS(read_pki_table(*t, c));
    }
    if (const toml::node* k = root.get("keys")) {
      const toml::table* t = k->as_table();
      if (!t) return bad("[keys] must be a table");
      DUET_TRY_STATUS(read_keys_table(*t, c));
    }
    if (const toml::node* k = root.get("store")) {
      const toml::table* t = k->as_table();
      if (!t) return bad("[store] must be a table");
      DUET_TRY_STATUS(read_store_table(*t, c.store));
    }
    if (const toml::node* k = root.get("audit")) {
      const toml::table* t = k->as_table();
      if (!t) return bad("[audit] must be a table");
      DUET_TRY_STATUS(read_audit_table(*t, c.audit));
    }
    if (const toml::node* k = root.get("retention")) {
      const toml::table* t = k->as_table();
      if (!t) return bad("[retention] must be a table");
      DUET_TRY_STATUS(read_retention_table(*t, c.retention));
    }
    DUET_TRY_STATUS(parse_sla_config(toml_text, c.sla, c.limits));  // [sla], [limits]
    if (const toml::node* k = root.get("identity")) {
      const toml::table* t = k->as_table();
      if (!t) return bad("[identity] must be a table");
      DUET_TRY_STATUS(read_identity_table(*t, c.identity));
    }
  } catch (const toml::parse_error& e) {
    return make_error(ErrorCode::kInvalidArgument, std::string("config: ") + std::string(e.description()));
  }
  DUET_TRY_STATUS(apply_service_env(c, env));
  apply_keys_env(c, env);
  apply_store_env(c, env);
  return c;
}

Result<DaemonConfig> load_daemon_config(const CommandLine& cli, const http::EnvLookup& env) {
  std::string text;
  if (!cli.config_path.empty()) {
    DUET_ASSIGN_OR_RETURN(text, read_file(cli.config_path));
  }
  DUET_ASSIGN_OR_RETURN(DaemonConfig c, parse_daemon_config(text, env));
  if (cli.data_dir) c.service.data_dir = *cli.data_dir;
  if (cli.public_url) c.service.core.public_url = *cli.public_url;
  if (cli.listen) {
    DUET_ASSIGN_OR_RETURN(auto hp, http::parse_listen(*cli.listen));
    c.http.listen_host = hp.first;
    c.http.listen_port = hp.second;
  }
  if (cli.dev) c.dev = true;
  if (c.dev && !c.kek_explicit) c.keys.kek = "file";
  if (c.dev && c.http.tls_cert.empty() && c.http.tls_dev_dir.empty())
    c.http.tls_dev_dir = (fs::path(c.service.data_dir) / "tls").string();
  DUET_TRY_STATUS(c.validate());
  return c;
}

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
  std::unique_ptr<core::CertificateService> certs;
  std::unique_ptr<core::RetentionService> retention;  // [retention] + API overrides (core/retention.h)
  // SLA (issue 5 §2, §3, §7): declared before api and server, which use them.
  std::unique_ptr<core::AvailabilityRecorder> availability;
  std::unique_ptr<core::SlaService> sla;
  std::unique_ptr<core::RateLimiter> limiter;
  std::unique_ptr<SlaWorkers> sla_workers;
  std::unique_ptr<ApiRoutes> api;
  std::unique_ptr<Workers> workers;
  std::unique_ptr<AuditCheckpointWorker> audit_checkpoints;  // [audit]
  std::unique_ptr<http::Server> server;
  std::vector<http::Router::RouteInfo> route_list;
  bool started = false;
  bool stopped = false;

  std::string path(const char* name) const { return (fs::path(config.service.data_dir) / name).string(); }
};

Daemon::Daemon() : impl_(std::make_unique<Impl>()) {}

Daemon::~Daemon() { stop(); }

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonConfig config, DaemonOptions options) {
  DUET_TRY_STATUS(config.validate());
  std::unique_ptr<Daemon> d(new Daemon());
  Impl& m = *d->impl_;
  m.config = std::move(config);
  const std::string& dir = m.config.service.data_dir;
  DUET_TRY_STATUS(prepare_data_dir(dir));
  std::error_code ec;
  fs::remove(m.path("duetd.port"), ec);  // a stale one would mislead whoever waits for it

  // Keys first: with the KEK unavailable nothing (not even duet.db) is written.
  keys::KeyServicesConfig kc = m.config.keys;
  kc.data_dir = dir;
  kc.dev = m.config.dev;
  auto ks = keys::open_key_services(kc);
  if (!ks.ok()) return make_error(ks.code(), "keys: " + ks.error().message);
  m.kek = std::move(ks->kek);
  m.protector = std::move(ks->protector);

  const int pool_size = m.config.store.max_connections > 0 ? m.config.store.max_connections
                                                           : m.config.service.store_max_connections;
  if (m.config.store.backend == "postgres") {
    store::PostgresStoreOptions po;
    po.dsn = m.config.store.postgres_dsn;
    po.max_connections = pool_size;
    auto st = store::open_postgres_store(po);  // the DSN is not logged (it may name a password)
    if (!st.ok()) return make_error(st.code(), "store (postgres): " + st.error().message);
    m.store = std::move(*st);
  } else {
    store::SqliteStoreOptions so;
    so.path = m.path("duet.db");
    so.max_connections = pool_size;
    auto st = store::open_sqlite_store(so);
    if (!st.ok()) return make_error(st.code(), "store " + so.path + ": " + st.error().message);
    m.store = std::move(*st);
  }


  m.clock = options.clock ? options.clock : &m.system_clock;
  m.deps = std::make_unique<core::CoreDeps>(core::CoreDeps{*m.store, *m.protector, *m.clock,
                                                           crypto::SystemRandom::instance(), m.config.service.core,
                                                           m.core_metrics});
  // Identity adapters ([identity]): the source only when configured; the
  // development SMS sink always (a file only the service's user can read).
  const IdentityConfig& ic = m.config.identity;
  if (!ic.source_url.empty()) {
    std::string key;
    if (!ic.source_api_key_file.empty()) {
      auto text = read_file(ic.source_api_key_file);
      if (!text.ok()) return make_error(text.code(), "identity.source_api_key_file: " + text.error().message);
      key = *text;
      if (auto nl = key.find_first_of("\r\n"); nl != std::string::npos) key.resize(nl);
    }
    m.identity_source = make_http_identity_source(ic.source_url, key, ic.source_ca_file,
                                                  static_cast<int>(ic.source_timeout_ms));
    secure_wipe(key.data(), key.size());
    m.deps->identity_source = m.identity_source.get();
  }
  m.sms = std::make_unique<FileSmsSink>(d->sms_sink_path());
  m.deps->sms = m.sms.get();
  // The built-in CA: created at first start (keys sealed by the KEK), loaded after.
  m.certs = std::make_unique<core::CertificateService>(*m.deps, *m.kek, m.config.pki);
  if (Status ca = m.certs->bootstrap(m.clock->now()); !ca.ok()) {
    return make_error(ca.code(), "pki: " + ca.error().message);
  }
  m.api = std::make_unique<ApiRoutes>(*m.deps, m.metrics, m.certs.get());
  m.retention = std::make_unique<core::RetentionService>(*m.store, *m.clock, m.config.retention);
  m.api->set_retention(m.retention.get());
  std::string node_id = m.config.service.node_id;
  if (node_id.empty()) {
    char host[256] = {0};
    node_id = ::gethostname(host, sizeof host - 1) == 0 && host[0] ? host : "duetd";
  }
  m.availability = std::make_unique<core::AvailabilityRecorder>(*m.store, *m.clock, core::kSlowAnswerUs, node_id);
  m.sla = std::make_unique<core::SlaService>(*m.deps, m.config.sla);
  m.limiter = std::make_unique<core::RateLimiter>(*m.store, *m.clock, m.config.limits);
  m.api->set_sla(m.sla.get(), m.limiter.get());
  m.sla_workers = std::make_unique<SlaWorkers>(*m.deps, *m.availability, *m.sla, m.limiter.get());
  auto token = m.api->admin().bootstrap_admin_token(m.path("admin.token"));
  if (!token.ok()) return make_error(token.code(), "admin token: " + token.error().message);
  // Audit (docs/audit.md): the role tokens and the checkpoint key.
  for (auto [file, name, role] : {std::tuple{"security-officer.token", "security-officer", "security_officer"},
                                  std::tuple{"auditor.token", "auditor", "auditor"}}) {
    auto t = m.api->audit().bootstrap_role_token(m.path(file), name, role);
    if (!t.ok()) return make_error(t.code(), std::string(file) + ": " + t.error().message);
  }
  if (Status k = m.api->audit().ensure_key(); !k.ok()) return make_error(k.code(), "audit key: " + k.error().message);
  m.audit_checkpoints = std::make_unique<AuditCheckpointWorker>(m.api->audit(), m.config.audit.checkpoint_events,
                                                                m.config.audit.checkpoint_seconds);

  WorkerOptions wo;
  wo.callback_poll = std::chrono::milliseconds(m.config.service.callback_poll_ms);
  wo.expiry_interval = std::chrono::milliseconds(m.config.service.expiry_interval_ms);
  wo.nonce_prune_interval = std::chrono::seconds(m.config.service.nonce_prune_interval_seconds);
  wo.certs = m.certs.get();
  wo.crl_check_interval = std::chrono::seconds(m.config.crl_check_interval_seconds);
  wo.retention = m.retention.get();
  wo.retention_poll = std::chrono::seconds(std::min<int64_t>(30, m.config.retention.interval_seconds));
  m.workers = std::make_unique<Workers>(*m.deps, wo, std::move(options.webhook_sender));

  http::Router router;
  m.api->register_routes(router);
  http::ServerOptions sopts;
  sopts.metrics = m.metrics;
  sopts.access_log = options.access_log;
  sopts.on_request = [rec = m.availability.get()](const http::RequestOutcome& o) {
    rec->record_request(o.route, o.tenant_id, o.status, o.duration_us);
  };
  if (!sopts.access_log && m.config.http.access_log) {
    // stdout carries only duetd's startup line; every log line goes to stderr.
    auto logger = std::make_shared<spdlog::logger>("duet.access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::info);
    logger->flush_on(spdlog::level::info);
    sopts.access_log = std::move(logger);
  }
  Impl* impl = &m;
  sopts.readiness = [impl] {
    return impl->store->schema_version().ok() && impl->protector->check().ok();
  };
  m.server = std::make_unique<http::Server>(m.config.http, std::move(router), std::move(sopts));
  m.route_list = m.server->routes();
  return d;
}

Status Daemon::start() {
  Impl& m = *impl_;
  if (m.started) return make_error(ErrorCode::kBadState, "already started");
  m.started = true;
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
  (void)m.api->audit_recorder().flush();  // queued request events, then the last checkpoint
  m.audit_checkpoints->stop();
  m.sla_workers->stop();  // last availability flush
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
Status Daemon::flush_audit_events() { return impl_->api->audit_recorder().flush(); }
std::string Daemon::admin_token_path() const { return impl_->path("admin.token"); }
std::string Daemon::port_file_path() const { return impl_->path("duetd.port"); }
std::string Daemon::sms_sink_path() const {
  return impl_->config.identity.sms_sink.empty() ? impl_->path("sms-outbox.jsonl") : impl_->config.identity.sms_sink;
}

}  // namespace duet::server
