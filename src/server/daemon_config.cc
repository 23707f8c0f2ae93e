#include "server/daemon_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <toml++/toml.h>
#include <type_traits>

#include "base/toml_keys.h"
#include "server/sla_config.h"

namespace duet::server {

namespace fs = std::filesystem;

namespace {

Unexpected bad(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

// --- value readers of the key tables (the message names the key's full path)

Status read_string(const toml::node& n, const std::string& path, std::string& field) {
  auto v = n.value<std::string>();
  if (!n.is_string() || !v) return bad(path + " must be a string");
  field = *v;
  return Status::Ok();
}

Status read_int(const toml::node& n, const std::string& path, int64_t& field) {
  auto v = n.value<int64_t>();
  if (!n.is_integer() || !v) return bad(path + " must be an integer");
  field = *v;
  return Status::Ok();
}

// [service] integers are never negative (ranges: DaemonConfig::validate).
template <typename Field>
Status read_count(const toml::node& n, const std::string& path, Field& field) {
  int64_t v = 0;
  DUET_TRY_STATUS(read_int(n, path, v));
  if (v < 0) return bad(path + " must not be negative");
  field = static_cast<Field>(v);
  return Status::Ok();
}

Status read_bool(const toml::node& n, const std::string& path, bool& field) {
  auto v = n.value<bool>();
  if (!n.is_boolean() || !v) return bad(path + " must be true or false");
  field = *v;
  return Status::Ok();
}

// --- the key tables: one row per accepted key (docs/configuration.md)

using Key = TomlKey<DaemonConfig>;
using Node = const toml::node&;
using Path = const std::string&;

constexpr Key kServiceKeys[] = {
    {"data_dir", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.service.data_dir); }},
    {"public_url", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.service.core.public_url); }},
    {"node_id", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.service.node_id); }},
    {"max_failed_attempts",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.max_failed_attempts); }},
    {"pin_failure_budget",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.pin_failure_budget); }},
    {"pin_budget_window_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.pin_budget_window_seconds); }},
    {"refresh_ttl_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.refresh_ttl_seconds); }},
    {"request_window_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.request_window_seconds); }},
    {"activation_code_ttl_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.activation_code_ttl_seconds); }},
    {"activation_code_attempts",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.activation_code_attempts); }},
    {"order_default_ttl_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.order_default_ttl_seconds); }},
    {"order_max_ttl_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.order_max_ttl_seconds); }},
    {"order_max_items", [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.order_max_items); }},
    {"order_max_item_bytes",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.order_max_item_bytes); }},
    {"title_max_chars", [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.title_max_chars); }},
    {"display_text_max_bytes",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.display_text_max_bytes); }},
    {"callback_max_attempts",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.callback_max_attempts); }},
    {"callback_first_backoff_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.callback_first_backoff_seconds); }},
    {"callback_max_backoff_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.callback_max_backoff_seconds); }},
    {"callback_timeout_ms",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.callback_timeout_ms); }},
    {"callback_poll_ms", [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.callback_poll_ms); }},
    {"callback_private_addresses",
     [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.service.callback_private_addresses); }},
    {"expiry_interval_ms", [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.expiry_interval_ms); }},
    {"nonce_prune_interval_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.nonce_prune_interval_seconds); }},
    {"store_max_connections",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.store_max_connections); }},
};

constexpr Key kPkiKeys[] = {
    {"organization", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.pki.subject_organization); }},
    {"country", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.pki.subject_country); }},
    {"validity_days", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.pki.validity_days); }},
    {"policy_oid", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.pki.policy_oid); }},
    {"tsa_policy_oid", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.pki.tsa_policy_oid); }},
    {"base_url", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.pki.base_url); }},
    {"crl_refresh_seconds", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.pki.crl_refresh_seconds); }},
    {"crl_next_update_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.pki.crl_next_update_seconds); }},
    {"crl_check_interval_seconds",
     [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.crl_check_interval_seconds); }},
    {"ocsp_validity_seconds", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.pki.ocsp_validity_seconds); }},
    {"csr_order_ttl_seconds", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.pki.csr_order_ttl_seconds); }},
    {"ocsp_crl_sm2_id", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.pki.ocsp_crl_sm2_id); }},
    {"import_root_cert", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.pki.import_root_cert); }},
    {"import_issuing_cert", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.pki.import_issuing_cert); }},
    {"import_issuing_key", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.pki.import_issuing_key); }},
};

constexpr Key kKeysKeys[] = {
    {"kek",
     [](Node n, Path p, DaemonConfig& c) {
       c.kek_explicit = true;
       return read_string(n, p, c.keys.kek);
     }},
    {"pkcs11_module", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.keys.pkcs11.module_path); }},
    {"token_label", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.keys.pkcs11.token_label); }},
    {"key_label", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.keys.pkcs11.key_label); }},
    {"pin_file", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.keys.pkcs11.pin_file); }},
    {"create_key",
     [](Node n, Path p, DaemonConfig& c) { return read_bool(n, p, c.keys.pkcs11.create_key_if_missing); }},
    {"data_key_algorithm", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.keys.data_key_algorithm); }},
};

constexpr Key kStoreKeys[] = {
    {"backend", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.store.backend); }},
    {"postgres_dsn", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.store.postgres_dsn); }},
    {"max_connections",
     [](Node n, Path p, DaemonConfig& c) -> Status {
       int64_t v = 0;
       DUET_TRY_STATUS(read_int(n, p, v));
       c.store.max_connections = static_cast<int>(std::clamp<int64_t>(v, -1, 1000));  // range: validate()
       return Status::Ok();
     }},
};

constexpr Key kIdentityKeys[] = {
    {"source_url", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.identity.source_url); }},
    {"source_api_key_file",
     [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.identity.source_api_key_file); }},
    {"source_ca_file", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.identity.source_ca_file); }},
    {"source_timeout_ms", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.identity.source_timeout_ms); }},
    {"sms_sink", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.identity.sms_sink); }},
};

constexpr Key kRetentionKeys[] = {
    {"order_payload_days", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.retention.order_payload_days); }},
    {"identity_days", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.retention.identity_days); }},
    {"expired_key_days", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.retention.expired_key_days); }},
    {"interval_seconds", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.retention.interval_seconds); }},
};

constexpr Key kAuditKeys[] = {
    {"checkpoint_events", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.audit.checkpoint_events); }},
    {"checkpoint_seconds", [](Node n, Path p, DaemonConfig& c) { return read_int(n, p, c.audit.checkpoint_seconds); }},
    {"witness_file", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.audit.witness_file); }},
    {"checkpoint_webhook_url",
     [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.audit.checkpoint_webhook_url); }},
    {"checkpoint_webhook_secret_file",
     [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.audit.checkpoint_webhook_secret_file); }},
};

// [pdf]: PDF verification and sign orders with output "pdf" (docs/pdf.md).
constexpr Key kPdfKeys[] = {
    {"max_bytes", [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.pdf_max_bytes); }},
    {"font_path", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.service.core.pdf_font_path); }},
    {"preview_dpi", [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.pdf_preview_dpi); }},
    {"max_in_flight", [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.pdf_max_in_flight); }},
    {"max_in_flight_per_tenant",
     [](Node n, Path p, DaemonConfig& c) { return read_count(n, p, c.service.core.pdf_max_in_flight_per_tenant); }},
};

// [web]: the static web front ends (server/web_routes.h, docs/web.md).
constexpr Key kWebKeys[] = {
    {"root", [](Node n, Path p, DaemonConfig& c) { return read_string(n, p, c.web.root); }},
};

struct Table {
  std::string_view name;
  std::span<const Key> keys;
};

// The tables read here, in the order they are read ([http]: http/config.h;
// [sla] and [limits]: server/sla_config.h).
constexpr Table kTables[] = {
    {"service", kServiceKeys}, {"pki", kPkiKeys},         {"keys", kKeysKeys},           {"store", kStoreKeys},
    {"audit", kAuditKeys},     {"retention", kRetentionKeys}, {"identity", kIdentityKeys},
    {"pdf", kPdfKeys},         {"web", kWebKeys},
};

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

// Environment overrides of the tables read here (docs/configuration.md).
Status apply_env(DaemonConfig& c, const http::EnvLookup& env) {
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
  if (auto v = env("DUET_KEK")) {
    c.keys.kek = *v;
    c.kek_explicit = true;
  }
  if (auto v = env("DUET_PKCS11_MODULE")) c.keys.pkcs11.module_path = *v;
  if (auto v = env("DUET_PKCS11_TOKEN")) c.keys.pkcs11.token_label = *v;
  if (auto v = env("DUET_PKCS11_KEY")) c.keys.pkcs11.key_label = *v;
  if (auto v = env("DUET_PKCS11_PIN_FILE")) c.keys.pkcs11.pin_file = *v;
  if (auto v = env("DUET_STORE_BACKEND")) c.store.backend = *v;
  if (auto v = env("DUET_PG_DSN")) c.store.postgres_dsn = *v;
  return Status::Ok();
}

Result<std::string> read_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("cannot read config file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<std::string> accepted_config_keys() {
  std::vector<std::string> out = http::server_config_keys();
  for (const Table& t : kTables) append_toml_key_names(t.name, t.keys, out);
  std::vector<std::string> sla = sla_config_keys();
  out.insert(out.end(), sla.begin(), sla.end());
  std::vector<std::string> notices = notice_mail_config_keys();
  out.insert(out.end(), notices.begin(), notices.end());
  return out;
}

Result<DaemonConfig> parse_daemon_config(std::string_view toml_text, const http::EnvLookup& env) {
  DaemonConfig c;
  c.keys.pkcs11.create_key_if_missing = true;
  DUET_ASSIGN_OR_RETURN(c.http, http::parse_server_config(toml_text, env));
  try {
    toml::table root = toml::parse(toml_text);
    for (const Table& t : kTables) {
      const toml::node* node = root.get(t.name);
      if (node == nullptr) continue;
      const toml::table* table = node->as_table();
      if (!table) return bad("[" + std::string(t.name) + "] must be a table");
      DUET_TRY_STATUS(read_toml_table(*table, t.name, t.keys, c));
    }
    DUET_TRY_STATUS(parse_sla_config(toml_text, c.sla, c.limits));  // [sla], [limits]
    DUET_TRY_STATUS(parse_notice_mail_config(toml_text, c.notices));  // [notices]
  } catch (const toml::parse_error& e) {
    return make_error(ErrorCode::kInvalidArgument, std::string("config: ") + std::string(e.description()));
  }
  DUET_TRY_STATUS(apply_env(c, env));
  return c;
}

namespace {

// pdf.max_bytes at most 1 GiB: a document is held in memory a few times over
// while it is read (docs/pdf.md).
constexpr size_t kMaxPdfBytesLimit = size_t{1} << 30;

Status check_service(const ServiceConfig& service) {
  const core::CoreConfig& c = service.core;
  if (service.data_dir.empty()) return bad("service.data_dir must not be empty");
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
  if (c.pdf_preview_dpi < 18 || c.pdf_preview_dpi > 600) return bad("pdf.preview_dpi must be 18..600");
  if (c.pdf_max_in_flight > 1024) return bad("pdf.max_in_flight must be 0..1024");
  if (c.pdf_max_in_flight_per_tenant > 1024) return bad("pdf.max_in_flight_per_tenant must be 0..1024");
  if (c.pdf_font_path.size() < 5 || c.pdf_font_path.substr(c.pdf_font_path.size() - 4) != ".ttf")
    return bad("pdf.font_path must name a .ttf file");
  if (c.title_max_chars < 1 || c.display_text_max_bytes < 1) return bad("service title/display limits must be >= 1");
  if (c.callback_max_attempts < 1) return bad("service.callback_max_attempts must be >= 1");
  if (c.callback_first_backoff_seconds < 1 || c.callback_max_backoff_seconds < c.callback_first_backoff_seconds)
    return bad("service callback backoff must be 1 <= first <= max");
  if (c.callback_timeout_ms < 100) return bad("service.callback_timeout_ms must be >= 100");
  if (service.callback_poll_ms < 10 || service.expiry_interval_ms < 10 || service.nonce_prune_interval_seconds < 1)
    return bad("service worker intervals are too small");
  if (service.store_max_connections < 1 || service.store_max_connections > 64)
    return bad("service.store_max_connections must be 1..64");
  if (c.pdf_max_bytes < 1024 || c.pdf_max_bytes > kMaxPdfBytesLimit) return bad("pdf.max_bytes must be 1024..1073741824");
  return Status::Ok();
}

Status check_pki(const core::PkiConfig& pki, int64_t crl_check_interval_seconds) {
  if (pki.validity_days < 1 || pki.validity_days > 1095) return bad("pki.validity_days must be 1..1095");
  if (pki.subject_country.size() != 0 && pki.subject_country.size() != 2)
    return bad("pki.country must be two letters or empty");
  if (pki.policy_oid.empty() || pki.policy_oid.find_first_not_of("0123456789.") != std::string::npos)
    return bad("pki.policy_oid must be a dotted OID");
  if (pki.tsa_policy_oid.empty() || pki.tsa_policy_oid.find_first_not_of("0123456789.") != std::string::npos)
    return bad("pki.tsa_policy_oid must be a dotted OID");
  if (!pki.base_url.empty() && pki.base_url.rfind("http://", 0) != 0 && pki.base_url.rfind("https://", 0) != 0)
    return bad("pki.base_url must be an http(s) URL");
  if (pki.crl_refresh_seconds < 1 || pki.crl_next_update_seconds < pki.crl_refresh_seconds)
    return bad("pki CRL times must be 1 <= crl_refresh_seconds <= crl_next_update_seconds");
  if (crl_check_interval_seconds < 1) return bad("pki.crl_check_interval_seconds must be >= 1");
  if (pki.ocsp_validity_seconds < 60) return bad("pki.ocsp_validity_seconds must be >= 60");
  if (pki.csr_order_ttl_seconds < 60) return bad("pki.csr_order_ttl_seconds must be >= 60");
  if (!pki.ocsp_crl_sm2_id.empty() && pki.ocsp_crl_sm2_id.size() > 64)
    return bad("pki.ocsp_crl_sm2_id must be at most 64 bytes");
  {
    int n = !pki.import_root_cert.empty() + !pki.import_issuing_cert.empty() + !pki.import_issuing_key.empty();
    if (n != 0 && n != 3)
      return bad("pki.import_root_cert, import_issuing_cert and import_issuing_key go together (all or none)");
  }
  return Status::Ok();
}

}  // namespace

bool DaemonConfig::callback_public_addresses_only() const {
  const std::string& v = service.callback_private_addresses;
  return !(v == "allow" || (v.empty() && dev));
}

Status DaemonConfig::validate() const {
  DUET_TRY_STATUS(http.validate());
  DUET_TRY_STATUS(check_service(service));
  if (!service.callback_private_addresses.empty() && service.callback_private_addresses != "allow" &&
      service.callback_private_addresses != "refuse")
    return bad("service.callback_private_addresses must be \"refuse\" or \"allow\"");
  if (keys.kek != "pkcs11" && keys.kek != "file") return bad("keys.kek must be \"pkcs11\" or \"file\"");
  if (keys.kek == "file" && !dev) return bad("keys.kek = \"file\" is only for development (--dev)");
  if (keys.data_key_algorithm != "aes-256-gcm" && keys.data_key_algorithm != "sm4-gcm")
    return bad("keys.data_key_algorithm must be \"aes-256-gcm\" or \"sm4-gcm\"");
  if (store.backend != "sqlite" && store.backend != "postgres") return bad("store.backend must be sqlite or postgres");
  if (store.backend == "postgres" && store.postgres_dsn.empty())
    return bad("store.postgres_dsn (or DUET_PG_DSN) is required with store.backend = \"postgres\"");
  if (store.max_connections < 0 || store.max_connections > 64) return bad("store.max_connections must be 0..64");
  DUET_TRY_STATUS(check_pki(pki, crl_check_interval_seconds));
  if (identity.source_timeout_ms < 100 || identity.source_timeout_ms > 120000)
    return bad("identity.source_timeout_ms must be 100 to 120000");
  if (!identity.source_url.empty() && identity.source_url.rfind("http://", 0) != 0 &&
      identity.source_url.rfind("https://", 0) != 0)
    return bad("identity.source_url must be an http(s) URL");
  if (retention.order_payload_days < 0 || retention.identity_days < 0 || retention.expired_key_days < 0 ||
      retention.order_payload_days > 36500 || retention.identity_days > 36500 || retention.expired_key_days > 36500)
    return bad("retention days must be 0..36500");
  if (retention.interval_seconds < 1 || retention.interval_seconds > 7 * 86400)
    return bad("retention.interval_seconds must be 1..604800");
  if (audit.checkpoint_events < 1 || audit.checkpoint_events > 10'000'000)
    return bad("audit.checkpoint_events must be 1..10000000");
  if (audit.checkpoint_seconds < 1 || audit.checkpoint_seconds > 86400)
    return bad("audit.checkpoint_seconds must be 1..86400");
  if (!audit.checkpoint_webhook_url.empty() && audit.checkpoint_webhook_url.rfind("http://", 0) != 0 &&
      audit.checkpoint_webhook_url.rfind("https://", 0) != 0)
    return bad("audit.checkpoint_webhook_url must be an http(s) URL");
  if (!audit.checkpoint_webhook_url.empty() && audit.checkpoint_webhook_secret_file.empty())
    return bad("audit.checkpoint_webhook_url needs audit.checkpoint_webhook_secret_file");
  return Status::Ok();
}

Result<DaemonConfig> load_daemon_config(const CommandLine& cli, const http::EnvLookup& env) {
  std::string text;
  if (!cli.config_path.empty()) {
    DUET_ASSIGN_OR_RETURN(text, read_config_file(cli.config_path));
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

std::string audit_witness_path(const DaemonConfig& c) {
  if (!c.audit.witness_file.empty()) return c.audit.witness_file;
  std::string dir = c.service.data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + ".audit-witness.jsonl";
}

}  // namespace duet::server
