// Errors of the store layer.
//
// Every store call returns duet::Result<T> / duet::Status like the rest of the
// project. A store failure additionally carries a StoreError kind so that core
// can tell "not found" (HTTP 404) from "another caller won" (409) from "the
// database is down" (503) without parsing free text:
//
//   auto order = store.get_order(tenant, id);
//   if (!order.ok() && store_error_kind(order.error()) == StoreError::kNotFound) ...
//
// Mechanism: base/error.h has no slot for a sub-kind and may not grow one for
// the store alone, so the kind travels as a fixed machine token at the start of
// Error::message ("store/not_found: ..."). The token is written only by
// store_error() and read only by store_error_kind() below; nothing else may
// build or parse it. Callers that re-wrap a store error must keep the message
// prefix intact (or classify before re-wrapping).
//
// The ErrorCode is the service-level code core can pass on as is:
//   kNotFound              -> ErrorCode::kNotFound
//   kConflict, kDuplicate  -> ErrorCode::kConflict
//   kUnavailable           -> ErrorCode::kUnavailable
//   kCorrupt               -> ErrorCode::kInternal
//   kRefused               -> ErrorCode::kInvalidArgument
// with one exception: start_sign_session on a locked holder answers
// ErrorCode::kLocked (kind kConflict).
//
// Messages name the operation and the kind of row, never values (no ids of
// other tenants, no hashes, no ciphertext, no SQL parameters). They may name
// tables, constraints and SQL text: they are for the log, never for an API
// client (server/public_errors.h replaces every message with the token).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace duet::store {

enum class StoreError {
  kNotFound,     // no such row for this tenant (rows of other tenants are "not found" too)
  kConflict,     // a conditional update lost: the row is not in the required state
  kDuplicate,    // a unique key already exists (id, app id, nonce, hash, ...)
  kUnavailable,  // the database could not be reached, is busy past the timeout, disk full, I/O
  kCorrupt,      // the database content does not parse, or its schema is newer than this binary
  kRefused,      // the schema refuses the record (CHECK, NOT NULL, a trigger, a bad value)
};

// The stable token of a kind, e.g. "not_found".
std::string_view store_error_name(StoreError kind);

// The ErrorCode a kind maps to (see the table above).
ErrorCode store_error_code(StoreError kind);

// Builds an error carrying `kind`. `code` overrides the default mapping (used
// for ErrorCode::kLocked).
Unexpected store_error(StoreError kind, std::string_view message);
Unexpected store_error(StoreError kind, ErrorCode code, std::string_view message);

// The kind of a store error, or nullopt for errors that did not come from
// store_error() (e.g. kInvalidArgument for a malformed record).
std::optional<StoreError> store_error_kind(const Error& error);

template <typename T>
std::optional<StoreError> store_error_kind(const Result<T>& r) {
  return r.ok() ? std::nullopt : store_error_kind(r.error());
}
inline std::optional<StoreError> store_error_kind(const Status& s) {
  return s.ok() ? std::nullopt : store_error_kind(s.error());
}

}  // namespace duet::store
