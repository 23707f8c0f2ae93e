// Fuzz target: what the holder SDK (client/holder_client.h) reads without
// having computed it: its stored device record and the service's error
// answers. The StateStore holds one opaque blob and parses nothing; the
// record format is HolderClient's: a plain DeviceState ("v":1), or while a
// refresh awaits acknowledgement
//   {"v":2,"pending_refresh":"<id>","state":<the new DeviceState>}
// parsed by position. The whole input is used as the stored blob and as an
// error answer.
//
// Invariants checked:
//  - a record loads (is_enrolled true) or is refused with kBadState /
//    kUnsupportedVersion, never anything else; a record that loads has a
//    holder id, a public key (on the curve, lowercase SEC1 hex) and a PEM;
//  - a pending record's id is 1..64 characters of [A-Za-z0-9_-], its framing
//    is the documented one, and the same record rebuilt around the inner
//    state's canonical serialization loads to the same id, holder and key;
//  - acknowledging a pending refresh stores a plain DeviceState of the same
//    holder and key; a plain record cannot be acknowledged;
//  - parse_service_error gives back the code string as sent, the code's
//    ErrorCode exactly when the name is known, attempts_left in [-1, 10^6].
#include "client/holder_client.h"
#include "client/state_store.h"
#include "cosign/device_state.h"
#include "crypto/point.h"
#include "json_agree.h"

namespace {

using duet::ErrorCode;
using duet::client::HolderClient;
using duet::client::MemoryStateStore;

constexpr std::string_view kPrefix = R"({"v":2,"pending_refresh":")";
constexpr std::string_view kMiddle = R"(","state":)";

struct Loaded {
  std::string holder_id, public_key_hex;
  std::optional<std::string> pending;
};

// Loads `blob` through a fresh client; nullopt when it is refused.
std::optional<Loaded> load(std::string_view blob, MemoryStateStore** store_out = nullptr,
                           std::unique_ptr<HolderClient>* client_out = nullptr) {
  auto store = std::make_unique<MemoryStateStore>();
  FUZZ_CHECK(store->save(duet::as_bytes(blob)).ok());
  MemoryStateStore* raw = store.get();
  auto client = std::make_unique<HolderClient>(std::move(store));
  auto enrolled = client->is_enrolled();
  if (!enrolled.ok()) {
    FUZZ_CHECK(enrolled.code() == ErrorCode::kBadState || enrolled.code() == ErrorCode::kUnsupportedVersion);
    FUZZ_CHECK(!client->holder_id().ok());
    return std::nullopt;
  }
  FUZZ_CHECK(*enrolled);  // a stored blob is a record or refused
  Loaded l;
  auto id = client->holder_id();
  auto hex = client->public_key_hex();
  auto pending = client->pending_refresh();
  FUZZ_CHECK(id.ok() && hex.ok() && pending.ok() && client->public_key_pem().ok());
  FUZZ_CHECK(!id->empty());
  auto point = duet::crypto::Point::from_hex(*hex);
  FUZZ_CHECK(point.ok() && point->to_hex() == *hex);
  l.holder_id = *id;
  l.public_key_hex = *hex;
  l.pending = *pending;
  if (store_out) *store_out = raw;
  if (client_out) *client_out = std::move(client);
  return l;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string_view text_of(const duet::SecretBytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

void check_record(std::string_view blob) {
  MemoryStateStore* store = nullptr;
  std::unique_ptr<HolderClient> client;
  auto l = load(blob, &store, &client);
  if (!l) return;
  FUZZ_CHECK(blob.find('\0') == std::string_view::npos);  // nlohmann would stop at a NUL
  if (!l->pending) {
    // A plain record is a DeviceState.
    auto s = duet::cosign::DeviceState::parse(duet::as_bytes(blob));
    FUZZ_CHECK(s.ok() && s->holder_id == l->holder_id && s->public_key.to_hex() == l->public_key_hex);
    FUZZ_CHECK(!client->acknowledge_refresh().ok());
    return;
  }
  const std::string& id = *l->pending;
  FUZZ_CHECK(valid_id(id));
  std::string head = std::string(kPrefix) + id + std::string(kMiddle);
  FUZZ_CHECK(blob.substr(0, head.size()) == head && blob.back() == '}');
  // The inner state, re-serialized canonically and framed again, loads alike.
  std::string_view inner = blob.substr(head.size(), blob.size() - head.size() - 1);
  auto s = duet::cosign::DeviceState::parse(duet::as_bytes(inner));
  FUZZ_CHECK(s.ok() && s->holder_id == l->holder_id);
  duet::SecretBytes canonical = s->serialize();
  auto again = load(head + std::string(text_of(canonical)) + "}");
  FUZZ_CHECK(again && again->pending == l->pending && again->holder_id == l->holder_id &&
             again->public_key_hex == l->public_key_hex);
  // Acknowledging stores the new state alone, as a plain DeviceState.
  FUZZ_CHECK(client->acknowledge_refresh().ok());
  auto stored = store->load();
  FUZZ_CHECK(stored.ok() && stored->has_value());
  FUZZ_CHECK(text_of(**stored) == text_of(canonical));
  auto after = client->pending_refresh();
  FUZZ_CHECK(after.ok() && !after->has_value());
}

void check_service_error(std::string_view body) {
  auto r = duet::client::parse_service_error(body);
  if (!r.ok()) {
    FUZZ_CHECK(r.code() == ErrorCode::kBadEncoding);
    return;
  }
  auto j = duet::fuzz::parse_input(body);
  FUZZ_CHECK(!j.is_discarded() && j.is_object() && j["error"]["code"].is_string());
  FUZZ_CHECK(r->wire_code == j["error"]["code"].get<std::string>());
  FUZZ_CHECK(r->attempts_left >= -1 && r->attempts_left <= 1'000'000);
  if (r->code != ErrorCode::kInternal) FUZZ_CHECK(duet::error_code_name(r->code) == r->wire_code);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = duet::fuzz::as_text(data, size);
  check_record(text);
  check_service_error(text);
  return 0;
}
