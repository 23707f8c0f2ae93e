#include "cosign/service_key_share.h"

#include "cosign/json_fields.h"

namespace duet::cosign {

using namespace json_fields;
using crypto::Point;
using crypto::Scalar;

// Format v2 is binary so that d2 never passes through a text or JSON
// temporary: 0x02 ‖ d2 (32) ‖ P1 (65, SEC1) ‖ P (65, SEC1).
static constexpr uint8_t kBinaryTag = 0x02;
static constexpr size_t kBinarySize = 1 + Scalar::kSize + 2 * Point::kSize;

Result<Point> ServiceKeyShare::p1_or_derive() const {
  if (p1) return *p1;
  DUET_ASSIGN_OR_RETURN(Point p_plus_g, public_key.add(Point::generator()));
  return p_plus_g.mul(d2);  // d2·(P + G) = d1⁻¹·G
}

Result<SecretBytes> ServiceKeyShare::serialize() const {
  DUET_ASSIGN_OR_RETURN(Point p1_value, p1_or_derive());
  SecretBytes out(kBinarySize);
  uint8_t* w = out.data();
  *w++ = kBinaryTag;
  std::copy(d2.bytes().begin(), d2.bytes().end(), w);
  w += Scalar::kSize;
  auto p1_enc = p1_value.to_sec1();
  std::copy(p1_enc.begin(), p1_enc.end(), w);
  w += Point::kSize;
  auto p_enc = public_key.to_sec1();
  std::copy(p_enc.begin(), p_enc.end(), w);
  return out;
}

static Result<ServiceKeyShare> parse_v1_json(ByteView text) {
  // Legacy records (before protocol v2). The JSON temporaries may hold d2's
  // hex; callers re-seal such a record in the v2 form on first use.
  auto j = parse_object(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  if (!j.ok()) return make_error(ErrorCode::kBadState, "service share: " + j.error().to_string());
  auto v = j->find("v");
  if (v == j->end() || !v->is_number_integer() || v->get<int64_t>() != 1) {
    return make_error(ErrorCode::kUnsupportedVersion, "service share version");
  }
  auto d2 = get_scalar(*j, "d2", true);
  if (auto it = j->find("d2"); it != j->end() && it->is_string()) {
    auto& hex = it->get_ref<std::string&>();
    secure_wipe(hex.data(), hex.size());
  }
  if (!d2.ok()) return make_error(ErrorCode::kBadState, "service share: " + d2.error().to_string());
  auto pk = get_point(*j, "public_key");
  if (!pk.ok()) return make_error(ErrorCode::kBadState, "service share: " + pk.error().to_string());
  return ServiceKeyShare{*d2, *pk, std::nullopt};
}

Result<ServiceKeyShare> ServiceKeyShare::parse(ByteView data) {
  if (!data.empty() && data[0] == '{') return parse_v1_json(data);
  if (data.size() != kBinarySize || data[0] != kBinaryTag) {
    return make_error(ErrorCode::kUnsupportedVersion, "service share version");
  }
  auto d2 = Scalar::from_bytes_nonzero(data.subspan(1, Scalar::kSize));
  if (!d2.ok()) return make_error(ErrorCode::kBadState, "service share: d2");
  auto p1 = Point::from_sec1(data.subspan(1 + Scalar::kSize, Point::kSize));
  if (!p1.ok()) return make_error(ErrorCode::kBadState, "service share: p1");
  auto pk = Point::from_sec1(data.subspan(1 + Scalar::kSize + Point::kSize, Point::kSize));
  if (!pk.ok()) return make_error(ErrorCode::kBadState, "service share: public key");
  return ServiceKeyShare{*d2, *pk, *p1};
}

}  // namespace duet::cosign
