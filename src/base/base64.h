// Base64 (RFC 4648 §4: the standard alphabet, with padding) over OpenSSL's
// EVP_EncodeBlock / EVP_DecodeBlock. The one codec of the server (JSON
// fields such as data_base64, signature_base64, qr_png_base64) and the CLI.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace duet {

// Padded, no line breaks; "" for no bytes.
std::string encode_base64(ByteView data);

// Strict: only the canonical encoding is accepted, so every byte string has
// exactly one text. nullopt for a length that is not a multiple of 4, any
// character outside the alphabet (whitespace, '-', '_', '=' before the end),
// more than two '=', or stray bits in the last character before the padding
// ("Zm9vYh==" is refused; "Zm9vYg==" is the text of "foob"). "" decodes to no bytes.
std::optional<Bytes> decode_base64(std::string_view text);

}  // namespace duet
