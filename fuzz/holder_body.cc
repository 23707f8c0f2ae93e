// Fuzz target: Holder API request bodies (/app/v1, docs/api/openapi.yaml) as
// server/holder_routes.cc reads them (with server/json_body.h), without a server. The route handlers are
// lambdas that cannot be called alone, so this target drives the same
// building blocks in the same order: the body parsed without exceptions and
// required to be an object (parse_body), string/array/object
// fields (req_string, opt_string, req_array, req_object), and each protocol
// message re-serialized with dump() and given to cosign's strict parser
// (parse_wire; the session route dumps the whole body into
// parse_sign_session_request); answers are built from to_json() and parsed
// back with exceptions on (wire_message_json). Each input is read as every route's body:
//   POST /app/v1/activations                {code, keygen: KeygenRequest, otp?}
//   POST /app/v1/orders/{id}/sessions       {session_id, items: [SignRequest], pin_proof}
//   POST .../sessions/{id}/finish           {items: [SignFinish]}
//   POST /app/v1/key/refreshes              {refresh_id, request: RefreshRequest}
//   POST /app/v1/key/refreshes/{id}/confirm {confirm: RefreshConfirm}
//
// parse_body here uses base/json_limits.h parse_json_bounded. server/json_body.cc's
// parse_body must do the same: with plain json::parse, a body nested 100,000
// deep (fuzz/regress/holder_body/) overflows the stack in parse_wire's dump()
// and kills duetd, on POST /app/v1/activations without any credential.
//
// Invariants checked: nothing throws (handlers must not: nlohmann's dump()
// and parse() throw on bad UTF-8 and malformed text); a message that parses
// agrees with the JSON it came from (hex up to case) and survives the answer
// path (to_json → json::parse).
#include "base/json_limits.h"
#include "cosign/wire.h"
#include "json_agree.h"

namespace {

using nlohmann::json;
using namespace duet::cosign;

constexpr size_t kMaxItems = 100;  // core::CoreConfig::order_max_items default

// parse_body(req, allow_empty = false): nullopt where the route answers 400.
std::optional<json> parse_body(std::string_view body) {
  if (body.empty()) return std::nullopt;
  json j = duet::parse_json_bounded(body);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

bool has_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string();
}

const json* member(const json& obj, const char* key, bool (json::*kind)() const noexcept) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null() || !((*it).*kind)()) return nullptr;
  return &*it;
}

// parse_wire: the field's JSON, dumped, through the cosign parser.
template <typename M>
std::optional<M> parse_wire(const json& j, duet::Result<M> (*parse)(std::string_view)) {
  if (!j.is_object()) return std::nullopt;
  auto m = parse(j.dump());
  if (!m.ok()) return std::nullopt;
  std::string answer = to_json(*m);
  json back = json::parse(answer);  // wire_message_json: throws if the encoder wrote bad JSON
  FUZZ_CHECK(duet::fuzz::agrees(back, j));
  return std::move(*m);
}

template <typename M>
void items_route(const json& body, duet::Result<M> (*parse)(std::string_view)) {
  const json* items = member(body, "items", &json::is_array);
  if (items == nullptr || items->size() > kMaxItems) return;
  for (const auto& item : *items) {
    if (!parse_wire(item, parse)) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = parse_body(duet::fuzz::as_text(data, size));
  if (!body) return 0;

  if (has_string(*body, "code")) {
    if (const json* kg = member(*body, "keygen", &json::is_object)) parse_wire(*kg, &parse_keygen_request);
  }
  if (has_string(*body, "session_id")) {
    // Protocol v2's step 1: the whole body, dumped, is one session message.
    auto session = parse_sign_session_request(body->dump(), kMaxItems);
    if (session.ok()) {
      FUZZ_CHECK(duet::fuzz::agrees(json::parse(to_json(*session)), *body));
    }
  }
  items_route(*body, &parse_sign_finish);
  if (has_string(*body, "refresh_id")) {
    if (const json* rq = member(*body, "request", &json::is_object)) parse_wire(*rq, &parse_refresh_request);
  }
  if (const json* cf = member(*body, "confirm", &json::is_object)) parse_wire(*cf, &parse_refresh_confirm);
  return 0;
}
