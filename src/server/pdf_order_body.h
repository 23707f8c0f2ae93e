// The PDF part of POST /api/v1/orders with "output": "pdf"
// (docs/api/openapi.yaml NewOrder, docs/pdf.md "Sign orders"): one document
// in the body itself (pdf_base64, placements, sub_filter) or a batch in
// `documents` (objects of the same three fields).
#pragma once

#include "core/business_service.h"
#include "core/config.h"
#include "server/json_body.h"

namespace duet::server {

// Fills o.documents. Errors: invalid_argument for a missing or malformed
// field (named), bad_encoding for base64 that does not decode,
// payload_too_large for a document over cfg.pdf_max_bytes (checked on the
// base64 length before decoding, then on the bytes).
Status parse_pdf_documents(const core::CoreConfig& cfg, const nlohmann::json& body, core::NewOrder& o);

}  // namespace duet::server
