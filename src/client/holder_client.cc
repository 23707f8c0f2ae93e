#include "client/holder_client.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/json_limits.h"
#include "cosign/device_state.h"
#include "cosign/handwriting_pin.h"
#include "cosign/keygen.h"
#include "cosign/pin.h"
#include "cosign/refresh.h"
#include "cosign/sign.h"
#include "cosign/wire.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"

namespace duet::client {

using cosign::DeviceState;
using nlohmann::json;

namespace {

Unexpected not_enrolled() { return make_error(ErrorCode::kBadState, "not enrolled"); }

// ---- The device record -----------------------------------------------------
//
// What the store holds is either a plain DeviceState (cosign/device_state.h,
// "v":1), or while a refresh awaits acknowledgement:
//   {"v":2,"pending_refresh":"<refresh id>","state":<the NEW DeviceState>}
// written in exactly this form: ONE wrap, the refresh id, nothing else (no
// proof, no ρ, never the old wrap). "v":2 makes an older SDK refuse the record
// (kUnsupportedVersion) instead of signing with a share the service may not
// use yet. The framing is parsed by position, without a JSON parser, so that
// the state's bytes reach DeviceState::parse without another copy of the
// wrapped share.
constexpr std::string_view kPendingPrefix = R"({"v":2,"pending_refresh":")";
constexpr std::string_view kPendingMiddle = R"(","state":)";
constexpr std::string_view kPendingSuffix = "}";
constexpr size_t kMaxRefreshIdSize = 64;

bool valid_refresh_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRefreshIdSize) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

struct Record {
  DeviceState state;
  std::optional<std::string> pending_refresh;  // set: `state` is the new state of this refresh
};

SecretBytes encode_record(const Record& r) {
  SecretBytes state = r.state.serialize();
  if (!r.pending_refresh) return state;
  const std::string& id = *r.pending_refresh;  // valid_refresh_id: no JSON escaping needed
  SecretBytes out(kPendingPrefix.size() + id.size() + kPendingMiddle.size() + state.size() + kPendingSuffix.size());
  uint8_t* p = out.data();
  auto put = [&](const void* data, size_t n) {
    if (n != 0) std::memcpy(p, data, n);
    p += n;
  };
  put(kPendingPrefix.data(), kPendingPrefix.size());
  put(id.data(), id.size());
  put(kPendingMiddle.data(), kPendingMiddle.size());
  put(state.data(), state.size());
  put(kPendingSuffix.data(), kPendingSuffix.size());
  return out;
}

Result<Record> decode_record(ByteView blob) {
  std::string_view text(reinterpret_cast<const char*>(blob.data()), blob.size());
  if (text.substr(0, kPendingPrefix.size()) != kPendingPrefix) {
    DUET_ASSIGN_OR_RETURN(DeviceState state, DeviceState::parse(blob));
    return Record{std::move(state), std::nullopt};
  }
  size_t id_begin = kPendingPrefix.size();
  size_t id_end = text.find('"', id_begin);
  if (id_end == std::string_view::npos || !valid_refresh_id(text.substr(id_begin, id_end - id_begin)) ||
      text.substr(id_end, kPendingMiddle.size()) != kPendingMiddle ||
      text.size() < id_end + kPendingMiddle.size() + kPendingSuffix.size() ||
      text.substr(text.size() - kPendingSuffix.size()) != kPendingSuffix) {
    return make_error(ErrorCode::kBadState, "device state: malformed pending refresh record");
  }
  size_t state_begin = id_end + kPendingMiddle.size();
  size_t state_size = text.size() - kPendingSuffix.size() - state_begin;
  DUET_ASSIGN_OR_RETURN(DeviceState state, DeviceState::parse(blob.subspan(state_begin, state_size)));
  return Record{std::move(state), std::string(text.substr(id_begin, id_end - id_begin))};
}

// The ErrorCode whose wire name is `name`; kInternal for none.
ErrorCode code_from_name(std::string_view name) {
  for (int c = 1; c <= static_cast<int>(ErrorCode::kRefreshRequired); ++c) {
    if (error_code_name(static_cast<ErrorCode>(c)) == name) return static_cast<ErrorCode>(c);
  }
  return ErrorCode::kInternal;
}

// The answer's JSON object, kBadEncoding otherwise. Nesting is bounded: items
// are dumped for cosign's parsers, and dump() recurses per level (a service
// answer nested 100,000 deep would otherwise overflow the app's stack).
Result<json> parse_answer(std::string_view answer) {
  json j = parse_json_bounded(answer);
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorCode::kBadEncoding, "the answer is not a JSON object");
  return j;
}

Result<ServiceRefusal> refusal_of(const json& j) {
  auto e = j.find("error");
  if (e == j.end() || !e->is_object()) return make_error(ErrorCode::kBadEncoding, "not an error answer");
  auto code = e->find("code");
  if (code == e->end() || !code->is_string()) return make_error(ErrorCode::kBadEncoding, "error answer without code");
  ServiceRefusal r;
  r.wire_code = code->get<std::string>();
  r.code = code_from_name(r.wire_code);
  if (auto m = e->find("message"); m != e->end() && m->is_string()) r.message = m->get<std::string>();
  if (auto a = e->find("attempts_left"); a != e->end() && a->is_number_integer()) {
    int64_t v = a->get<int64_t>();
    r.attempts_left = v < 0 ? 0 : v > 1'000'000 ? 1'000'000 : static_cast<int>(v);
  }
  return r;
}

// What a person (and a program) should know about the refusal. The service's
// message is kept; the remedy is added for the codes of protocol v2.
Error to_error(const ServiceRefusal& r) {
  std::string msg;
  switch (r.code) {
    case ErrorCode::kPinInvalid:
      msg = "the service refused the PIN";
      if (r.attempts_left >= 0) msg += " (attempts left: " + std::to_string(r.attempts_left) + ")";
      break;
    case ErrorCode::kLocked:
      msg = "too many wrong PINs: the key is locked until the business system unlocks it";
      break;
    case ErrorCode::kClientUpgradeRequired:
      msg = "the service no longer serves this protocol version: update the app";
      break;
    case ErrorCode::kRefreshRequired:
      msg = "the key was unlocked: run a share refresh before signing again";
      break;
    default:
      msg = "the service refused";
      if (r.code == ErrorCode::kInternal && r.wire_code != "internal") msg += " (" + r.wire_code + ")";
      break;
  }
  if (!r.message.empty()) msg += ": " + r.message;
  return Error{r.code, std::move(msg)};
}

}  // namespace

Result<ServiceRefusal> parse_service_error(std::string_view body) {
  DUET_ASSIGN_OR_RETURN(json j, parse_answer(body));
  return refusal_of(j);
}

struct HolderClient::Impl {
  std::unique_ptr<StateStore> store;
  HolderOptions options;

  bool loaded = false;
  std::optional<Record> record;  // once loaded
  // The state a refresh completed by this object replaced, in memory only,
  // for abandon_refresh(); never written while the pending record exists.
  std::optional<DeviceState> previous;
  int attempts_left = -1;

  // Rounds in progress.
  std::optional<cosign::DeviceKeygen> keygen;
  std::optional<cosign::DeviceSignSession> session;
  std::optional<cosign::DeviceRefresh> refresh;

  crypto::RandomSource& rng() { return options.rng ? *options.rng : crypto::SystemRandom::instance(); }

  Status ensure_loaded() {
    if (loaded) return Status::Ok();
    DUET_ASSIGN_OR_RETURN(std::optional<SecretBytes> blob, store->load());
    if (blob) {
      DUET_ASSIGN_OR_RETURN(Record parsed, decode_record(blob->view()));
      record.emplace(std::move(parsed));
    } else {
      record.reset();
    }
    loaded = true;
    return Status::Ok();
  }

  Result<const Record*> enrolled() {
    DUET_TRY_STATUS(ensure_loaded());
    if (!record) return not_enrolled();
    return &*record;
  }

  // Enrolled and no refresh waiting for its acknowledgement.
  Result<const DeviceState*> usable() {
    DUET_ASSIGN_OR_RETURN(const Record* r, enrolled());
    if (r->pending_refresh) {
      return make_error(ErrorCode::kBadState,
                        "a share refresh awaits its confirm: confirm it (confirm_pending_refresh), then acknowledge it");
    }
    return &r->state;
  }

  // Saves and only then adopts: what is in memory never runs ahead of the store.
  Status save(Record r) {
    SecretBytes blob = encode_record(r);
    DUET_TRY_STATUS(store->save(blob.view()));
    record.emplace(std::move(r));
    loaded = true;
    return Status::Ok();
  }

  // An error answer ends the round it answered; it sets attempts_left.
  Error refused(const json& j) {
    auto r = refusal_of(j);
    if (!r.ok()) return r.error();
    if (r->attempts_left >= 0) attempts_left = r->attempts_left;
    return to_error(*r);
  }
};

HolderClient::HolderClient(std::unique_ptr<StateStore> store, HolderOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->store = store ? std::move(store) : std::make_unique<MemoryStateStore>();
  impl_->options = options;
}
HolderClient::~HolderClient() = default;
HolderClient::HolderClient(HolderClient&&) noexcept = default;
HolderClient& HolderClient::operator=(HolderClient&&) noexcept = default;

Status HolderClient::set_kdf_iterations(uint32_t iterations) {
  if (iterations < 1000) return make_error(ErrorCode::kInvalidArgument, "PIN KDF needs at least 1000 iterations");
  impl_->options.kdf_iterations = iterations;
  return Status::Ok();
}

Result<bool> HolderClient::is_enrolled() {
  DUET_TRY_STATUS(impl_->ensure_loaded());
  return impl_->record.has_value();
}

Result<std::string> HolderClient::holder_id() {
  DUET_ASSIGN_OR_RETURN(const Record* r, impl_->enrolled());
  return r->state.holder_id;
}

Result<std::string> HolderClient::public_key_pem() {
  DUET_ASSIGN_OR_RETURN(const Record* r, impl_->enrolled());
  return crypto::public_key_spki_pem(r->state.public_key);
}

Result<std::string> HolderClient::public_key_hex() {
  DUET_ASSIGN_OR_RETURN(const Record* r, impl_->enrolled());
  return r->state.public_key.to_hex();
}

Result<crypto::Digest> HolderClient::message_digest(ByteView message) {
  DUET_ASSIGN_OR_RETURN(const Record* r, impl_->enrolled());
  return crypto::sm2_digest(r->state.public_key, message);
}

namespace {

// One DER TLV at `at` in `der` (definite lengths only): its tag, and where its
// content starts and ends. False when it runs past the end.
struct Tlv {
  uint8_t tag = 0;
  size_t content = 0;
  size_t end = 0;
};
bool read_tlv(ByteView der, size_t at, Tlv& out) {
  if (at + 2 > der.size()) return false;
  out.tag = der[at];
  size_t len = der[at + 1];
  size_t pos = at + 2;
  if (len & 0x80) {
    const size_t n = len & 0x7f;
    if (n == 0 || n > 4 || pos + n > der.size()) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | der[pos + i];
    pos += n;
  }
  if (len > der.size() - pos) return false;
  out.content = pos;
  out.end = pos + len;
  return true;
}

}  // namespace

Result<crypto::Digest> HolderClient::signed_attributes_digest(ByteView attrs, const crypto::Digest& expected) {
  static constexpr uint8_t kMessageDigestOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
  Tlv set;
  if (!read_tlv(attrs, 0, set) || set.tag != 0x31 || set.end != attrs.size()) {
    return make_error(ErrorCode::kBadEncoding, "the signed attributes are not a DER SET");
  }
  int found = 0;
  for (size_t at = set.content; at < set.end;) {
    Tlv attr, oid, values;
    if (!read_tlv(attrs, at, attr) || attr.tag != 0x30 || attr.end > set.end) {
      return make_error(ErrorCode::kBadEncoding, "a signed attribute is not a SEQUENCE");
    }
    if (!read_tlv(attrs, attr.content, oid) || oid.tag != 0x06 || !read_tlv(attrs, oid.end, values) ||
        values.tag != 0x31 || values.end != attr.end) {
      return make_error(ErrorCode::kBadEncoding, "a signed attribute is malformed");
    }
    ByteView oid_bytes = attrs.subspan(oid.content, oid.end - oid.content);
    if (std::equal(oid_bytes.begin(), oid_bytes.end(), std::begin(kMessageDigestOid), std::end(kMessageDigestOid))) {
      Tlv value;
      if (!read_tlv(attrs, values.content, value) || value.tag != 0x04 || value.end != values.end ||
          value.end - value.content != expected.size() ||
          !std::equal(expected.begin(), expected.end(), attrs.begin() + static_cast<std::ptrdiff_t>(value.content))) {
        return make_error(ErrorCode::kInvalidArgument, "the signed attributes' messageDigest is not the expected digest");
      }
      ++found;
    }
    at = attr.end;
  }
  if (found != 1) return make_error(ErrorCode::kInvalidArgument, "the signed attributes need one messageDigest");
  return message_digest(attrs);
}

Error HolderClient::service_error(std::string_view body) {
  auto j = parse_answer(body);
  if (!j.ok()) return j.error();
  return impl_->refused(*j);
}

int HolderClient::last_attempts_left() const { return impl_->attempts_left; }

// ---- Enrollment ----------------------------------------------------------

Result<std::string> HolderClient::begin_enrollment(std::string holder_id) {
  DUET_TRY_STATUS(impl_->ensure_loaded());
  if (impl_->record) return make_error(ErrorCode::kBadState, "already enrolled (forget() first)");
  impl_->keygen.reset();
  DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceKeygen::start(std::move(holder_id), impl_->rng()));
  impl_->keygen.emplace(std::move(started.first));
  return cosign::to_json(started.second);
}

Status HolderClient::complete_enrollment(std::string_view keygen_response_json, std::string_view pin) {
  if (!impl_->keygen) return make_error(ErrorCode::kBadState, "no enrollment in progress");
  DUET_TRY_STATUS(cosign::check_pin(pin));
  DUET_ASSIGN_OR_RETURN(cosign::KeygenResponse response, cosign::parse_keygen_response(keygen_response_json));
  DUET_ASSIGN_OR_RETURN(DeviceState s,
                        impl_->keygen->finish(response, pin, impl_->options.kdf_iterations, impl_->rng()));
  impl_->previous.reset();
  DUET_TRY_STATUS(impl_->save(Record{std::move(s), std::nullopt}));
  impl_->keygen.reset();
  return Status::Ok();
}

// ---- Signing -------------------------------------------------------------

Result<std::string> HolderClient::begin_signing(std::string order_id, std::string session_id,
                                                std::vector<crypto::Digest> digests, std::string_view pin) {
  impl_->session.reset();
  if (digests.empty() || digests.size() > kMaxSessionItems) {
    return make_error(ErrorCode::kInvalidArgument, "a signing session takes 1 to 1000 digests");
  }
  DUET_TRY_STATUS(cosign::check_pin(pin));
  DUET_ASSIGN_OR_RETURN(const DeviceState* s, impl_->usable());
  cosign::SignSessionContext ctx{std::move(order_id), std::move(session_id), std::move(digests)};
  DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceSignSession::start(*s, pin, std::move(ctx), impl_->rng()));
  impl_->session.emplace(std::move(started.first));
  return cosign::to_json(started.second);
}

Result<SigningResult> HolderClient::complete_signing(std::string_view answer) {
  if (!impl_->session) return make_error(ErrorCode::kBadState, "no signing in progress");
  DUET_ASSIGN_OR_RETURN(json j, parse_answer(answer));
  if (j.contains("error")) {
    // The service answered no r, s2, s3 (a wrong PIN, a lock, …): this session
    // id is spent on its side; the next try starts a new session.
    impl_->session.reset();
    return Unexpected{impl_->refused(j)};
  }
  auto items = j.find("items");
  if (items == j.end() || !items->is_array()) return make_error(ErrorCode::kBadEncoding, "the answer has no items");
  if (items->size() != impl_->session->size()) {
    return make_error(ErrorCode::kBadEncoding, "the answer has " + std::to_string(items->size()) + " items for " +
                                                   std::to_string(impl_->session->size()));
  }
  // Parse everything before computing anything: a response that does not
  // parse leaves the session usable.
  std::vector<cosign::SignResponse> responses;
  for (const json& item : *items) {
    DUET_ASSIGN_OR_RETURN(cosign::SignResponse r, cosign::parse_sign_response(item.dump()));
    responses.push_back(r);
  }
  if (auto a = j.find("attempts_left"); a != j.end() && a->is_number_integer()) {
    impl_->attempts_left = static_cast<int>(std::clamp<int64_t>(a->get<int64_t>(), 0, 1'000'000));
  }
  // From here the nonces k1 are used up, whatever the outcome.
  cosign::DeviceSignSession session = std::move(*impl_->session);
  impl_->session.reset();
  DUET_ASSIGN_OR_RETURN(auto finished, session.finish(responses));
  SigningResult out;
  out.finish_json = "{\"items\":[";
  for (size_t i = 0; i < finished.first.size(); ++i) {
    if (i != 0) out.finish_json += ',';
    out.finish_json += cosign::to_json(finished.first[i]);
    out.signatures_der.push_back(finished.second[i].to_der());
  }
  out.finish_json += "]}";
  return out;
}

// ---- Share refresh and PIN change ----------------------------------------

Result<std::string> HolderClient::begin_refresh(std::string refresh_id, std::string_view pin) {
  impl_->refresh.reset();
  if (!valid_refresh_id(refresh_id)) {
    return make_error(ErrorCode::kInvalidArgument, "refresh id: 1 to 64 characters of A-Z a-z 0-9 _ -");
  }
  DUET_TRY_STATUS(cosign::check_pin(pin));
  DUET_ASSIGN_OR_RETURN(const DeviceState* s, impl_->usable());
  DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceRefresh::start(*s, pin, std::move(refresh_id), impl_->rng()));
  impl_->refresh.emplace(std::move(started.first));
  return cosign::to_json(started.second);
}

Result<std::string> HolderClient::handwriting_pin_proof(std::string_view challenge, std::string_view pin,
                                                        ByteView png) {
  DUET_TRY_STATUS(cosign::check_pin(pin));
  DUET_ASSIGN_OR_RETURN(json j, parse_answer(challenge));
  if (j.contains("error")) return Unexpected{impl_->refused(j)};
  auto id = j.find("challenge_id");
  auto op = j.find("operation");
  if (id == j.end() || !id->is_string() || op == j.end() || !op->is_string()) {
    return make_error(ErrorCode::kBadEncoding, "the answer is not a PIN challenge");
  }
  const std::string operation = op->get<std::string>();
  const bool put = operation == "put";
  if (put ? png.empty() : !png.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "an image goes with a put challenge, and only with one");
  }
  DUET_ASSIGN_OR_RETURN(const DeviceState* s, impl_->usable());
  cosign::HandwritingPinContext ctx{s->holder_id, id->get<std::string>(), operation,
                                    put ? cosign::handwriting_image_digest(png) : Bytes{}};
  DUET_ASSIGN_OR_RETURN(cosign::HandwritingPinProof proof, cosign::prove_handwriting_pin(*s, pin, ctx, impl_->rng()));
  return cosign::to_json(proof);
}

Result<std::string> HolderClient::begin_pin_change(std::string refresh_id, std::string_view old_pin) {
  // A PIN change is a refresh whose new state is wrapped under the new PIN
  // (complete_refresh). The old PIN is checked by the service, counted.
  return begin_refresh(std::move(refresh_id), old_pin);
}

Result<std::string> HolderClient::complete_refresh(std::string_view answer, std::string_view new_pin) {
  if (!impl_->refresh) return make_error(ErrorCode::kBadState, "no refresh in progress");
  DUET_TRY_STATUS(cosign::check_pin(new_pin));
  DUET_ASSIGN_OR_RETURN(json j, parse_answer(answer));
  if (j.contains("error")) {
    impl_->refresh.reset();  // the service keeps nothing open for a refused request
    return Unexpected{impl_->refused(j)};
  }
  if (auto id = j.find("refresh_id"); id != j.end() && (!id->is_string() || *id != impl_->refresh->refresh_id())) {
    return make_error(ErrorCode::kBadEncoding, "the answer is for another refresh");
  }
  auto inner = j.find("response");
  std::string response_json = inner != j.end() ? inner->dump() : j.dump();
  DUET_ASSIGN_OR_RETURN(cosign::RefreshResponse response, cosign::parse_refresh_response(response_json));
  // A bad proof (a forged answer) fails here and leaves the round usable.
  DUET_ASSIGN_OR_RETURN(auto finished,
                        impl_->refresh->finish(response, new_pin, impl_->options.kdf_iterations, impl_->rng()));
  const std::string refresh_id = impl_->refresh->refresh_id();
  // The new state REPLACES the old one on the store, with the refresh id: the
  // store then holds one wrap. The confirm is never stored; after a restart
  // confirm_pending_refresh() makes another one.
  std::optional<DeviceState> old;
  if (impl_->record) old = impl_->record->state;
  DUET_TRY_STATUS(impl_->save(Record{std::move(finished.first), refresh_id}));
  impl_->previous = std::move(old);
  impl_->refresh.reset();
  return cosign::to_json(finished.second);
}

Result<std::optional<std::string>> HolderClient::pending_refresh() {
  DUET_ASSIGN_OR_RETURN(const Record* r, impl_->enrolled());
  return r->pending_refresh;
}

Result<std::string> HolderClient::confirm_pending_refresh(std::string_view pin) {
  DUET_ASSIGN_OR_RETURN(const Record* r, impl_->enrolled());
  if (!r->pending_refresh) return make_error(ErrorCode::kBadState, "no refresh awaits its confirm");
  DUET_TRY_STATUS(cosign::check_pin(pin));
  DUET_ASSIGN_OR_RETURN(cosign::RefreshConfirm confirm,
                        cosign::DeviceRefresh::confirm_again(r->state, pin, *r->pending_refresh, impl_->rng()));
  return cosign::to_json(confirm);
}

Status HolderClient::acknowledge_refresh() {
  DUET_ASSIGN_OR_RETURN(const Record* r, impl_->enrolled());
  if (!r->pending_refresh) return make_error(ErrorCode::kBadState, "no refresh awaits acknowledgement");
  DUET_TRY_STATUS(impl_->save(Record{r->state, std::nullopt}));
  impl_->previous.reset();
  return Status::Ok();
}

Status HolderClient::abandon_refresh() {
  impl_->refresh.reset();
  DUET_ASSIGN_OR_RETURN(const Record* r, impl_->enrolled());
  if (!r->pending_refresh) return Status::Ok();  // at most a request was sent: nothing changed here
  if (!impl_->previous) {
    return make_error(ErrorCode::kBadState,
                      "the state before this refresh is gone (the app restarted since): confirm the refresh, "
                      "or forget() and enroll again");
  }
  DUET_TRY_STATUS(impl_->save(Record{*impl_->previous, std::nullopt}));
  impl_->previous.reset();
  return Status::Ok();
}

// ---- Housekeeping --------------------------------------------------------

void HolderClient::cancel() {
  impl_->keygen.reset();
  impl_->session.reset();
  impl_->refresh.reset();
}

Status HolderClient::forget() {
  cancel();
  DUET_TRY_STATUS(impl_->store->erase());
  impl_->record.reset();
  impl_->previous.reset();
  impl_->loaded = true;
  return Status::Ok();
}

}  // namespace duet::client
