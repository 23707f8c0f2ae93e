// What of an error may reach an HTTP client (issue 10 item 11; docs/api/openapi.yaml).
//
// Invariant: an error body carries either a message core or the server wrote
// for the caller, or a fixed text per code. Everything else — a message that
// came from the store (SQL text, table and constraint names, SQLSTATE), or
// anything that looks like internals (a file path, strerror text) — is
// replaced by fixed_message(code) before it leaves, and the caller of
// public_error logs the original with the request id (store messages carry
// no values, store/store_error.h, so the log gets no personal data).
//
// How a store message is recognised: store::store_error() puts the token
// "store/<kind>: " at the start of every store message, and re-wrapping keeps
// it (store_error.h); it is searched anywhere in the message, so a message
// that core prefixed ("CA import: store/…") is caught too. The markers in
// public_errors.cc are a backstop for a path that lost the token.
#pragma once

#include <string_view>

#include "base/result.h"

namespace duet::server {

struct PublicError {
  Error error;            // what the client may see (code unchanged)
  bool replaced = false;  // the message was replaced: log the original
};

PublicError public_error(const Error& raw);

// The fixed client-facing text for a code whose message was replaced.
std::string_view fixed_message(ErrorCode code);

}  // namespace duet::server
