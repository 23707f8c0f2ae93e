#include "cosign/service_key_share.h"

#include "cosign/json_fields.h"

namespace duet::cosign {

using namespace json_fields;

SecretBytes ServiceKeyShare::serialize() const {
  std::string text = json{{"v", kVersion}, {"d2", d2.to_hex()}, {"public_key", public_key.to_hex()}}.dump();
  SecretBytes out{as_bytes(text)};
  secure_wipe(text.data(), text.size());
  return out;
}

Result<ServiceKeyShare> ServiceKeyShare::parse(ByteView text) {
  auto j = parse_object(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  if (!j.ok()) return make_error(ErrorCode::kBadState, "service share: " + j.error().to_string());
  auto v = j->find("v");
  if (v == j->end() || !v->is_number_integer() || v->get<int64_t>() != kVersion) {
    return make_error(ErrorCode::kUnsupportedVersion, "service share version");
  }
  auto d2 = get_scalar(*j, "d2", true);
  if (!d2.ok()) return make_error(ErrorCode::kBadState, "service share: " + d2.error().to_string());
  auto pk = get_point(*j, "public_key");
  if (!pk.ok()) return make_error(ErrorCode::kBadState, "service share: " + pk.error().to_string());
  return ServiceKeyShare{*d2, *pk};
}

}  // namespace duet::cosign
