// Fuzz target: the strict field readers every cosign wire and state parser is
// built from (cosign/json_fields.h), applied to every key of the input object.
//
// Invariants checked:
//  - parse_object accepts exactly the texts nlohmann parses to an object
//    nested at most kMaxJsonDepth deep and holding no NUL byte
//    (base/json_limits.h);
//  - get_string gives the string as stored; get_point succeeds exactly when
//    the string is 130 hex digits decoding to a valid point (Point::from_hex)
//    and the point re-encodes to the string in lowercase; get_scalar exactly
//    when the string is 64 hex digits of a value < n (and non-zero when asked);
//  - get_proof succeeds exactly when the value is an object whose "t" and "z"
//    do, and proof_json round-trips through get_proof.
#include "base/json_limits.h"
#include "cosign/json_fields.h"
#include "json_agree.h"

namespace {

using namespace duet::cosign::json_fields;
using duet::crypto::Point;
using duet::crypto::Scalar;

void check_key(const json& obj, const std::string& key) {
  const json& v = obj.at(key);
  auto s = get_string(obj, key.c_str());
  FUZZ_CHECK(s.ok() == v.is_string());
  auto p = get_point(obj, key.c_str());
  auto z = get_scalar(obj, key.c_str(), false);
  auto nz = get_scalar(obj, key.c_str(), true);
  if (!s.ok()) {
    FUZZ_CHECK(!p.ok() && !z.ok() && !nz.ok());
  } else {
    FUZZ_CHECK(*s == v.get_ref<const std::string&>());
    auto p_ref = Point::from_hex(*s);
    FUZZ_CHECK(p.ok() == p_ref.ok());
    if (p.ok()) FUZZ_CHECK(p->to_hex() == duet::fuzz::lowercase(*s) && *p == *p_ref);
    auto z_ref = Scalar::from_hex(*s);
    FUZZ_CHECK(z.ok() == z_ref.ok());
    if (z.ok()) FUZZ_CHECK(z->to_hex() == duet::fuzz::lowercase(*s) && *z == *z_ref);
    FUZZ_CHECK(nz.ok() == (z.ok() && !z->is_zero()));
  }
  auto proof = get_proof(obj, key.c_str());
  if (!v.is_object()) {
    FUZZ_CHECK(!proof.ok());
    return;
  }
  bool parts = v.contains("t") && v.contains("z") && get_point(v, "t").ok() && get_scalar(v, "z", false).ok();
  FUZZ_CHECK(proof.ok() == parts);
  if (proof.ok()) {
    json again{{"p", proof_json(*proof)}};
    auto back = get_proof(again, "p");
    FUZZ_CHECK(back.ok() && back->t == proof->t && back->z == proof->z);
    FUZZ_CHECK(duet::fuzz::agrees(again["p"], v));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = duet::fuzz::as_text(data, size);
  auto obj = parse_object(text);
  json input = duet::fuzz::parse_input(text);
  // nlohmann alone stops at a NUL byte (then the depth scan would read past the
  // end of what it parsed); parse_object refuses any NUL.
  bool has_nul = text.find('\0') != std::string_view::npos;
  FUZZ_CHECK(obj.ok() == (!has_nul && !input.is_discarded() && input.is_object() &&
                          duet::fuzz::nesting_depth(text) <= duet::kMaxJsonDepth));
  if (!obj.ok()) {
    FUZZ_CHECK(obj.code() == duet::ErrorCode::kBadEncoding);
    return 0;
  }
  // Missing keys are refused by every reader.
  FUZZ_CHECK(obj->contains("\x01missing") || !get_string(*obj, "\x01missing").ok());
  for (auto it = obj->begin(); it != obj->end(); ++it) {
    if (it.key().find('\0') != std::string::npos) continue;  // a C-string key cannot name it
    check_key(*obj, it.key());
  }
  return 0;
}
