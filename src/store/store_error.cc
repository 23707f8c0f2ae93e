#include "store/store_error.h"

#include <array>

namespace duet::store {
namespace {

constexpr std::string_view kPrefix = "store/";

constexpr std::array<StoreError, 6> kAllKinds = {
    StoreError::kNotFound, StoreError::kConflict, StoreError::kDuplicate,
    StoreError::kUnavailable, StoreError::kCorrupt, StoreError::kRefused};

}  // namespace

std::string_view store_error_name(StoreError kind) {
  switch (kind) {
    case StoreError::kNotFound: return "not_found";
    case StoreError::kConflict: return "conflict";
    case StoreError::kDuplicate: return "duplicate";
    case StoreError::kUnavailable: return "unavailable";
    case StoreError::kCorrupt: return "corrupt";
    case StoreError::kRefused: return "refused";
  }
  return "unavailable";
}

ErrorCode store_error_code(StoreError kind) {
  switch (kind) {
    case StoreError::kNotFound: return ErrorCode::kNotFound;
    case StoreError::kConflict:
    case StoreError::kDuplicate: return ErrorCode::kConflict;
    case StoreError::kUnavailable: return ErrorCode::kUnavailable;
    case StoreError::kCorrupt: return ErrorCode::kInternal;
    case StoreError::kRefused: return ErrorCode::kInvalidArgument;
  }
  return ErrorCode::kInternal;
}

Unexpected store_error(StoreError kind, std::string_view message) {
  return store_error(kind, store_error_code(kind), message);
}

Unexpected store_error(StoreError kind, ErrorCode code, std::string_view message) {
  std::string text(kPrefix);
  text += store_error_name(kind);
  text += ": ";
  text += message;
  return make_error(code, std::move(text));
}

std::optional<StoreError> store_error_kind(const Error& error) {
  std::string_view m = error.message;
  if (!m.starts_with(kPrefix)) return std::nullopt;
  m.remove_prefix(kPrefix.size());
  for (StoreError kind : kAllKinds) {
    std::string_view name = store_error_name(kind);
    if (m.starts_with(name) && m.substr(name.size()).starts_with(":")) return kind;
  }
  return std::nullopt;
}

}  // namespace duet::store
