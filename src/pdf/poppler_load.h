// Internal to src/pdf (includes poppler-cpp): an untrusted PDF as a poppler
// document, with the typed errors of pdf_document.h. poppler's error output is
// silenced: its messages can quote document content.
#pragma once

#include <poppler-document.h>
#include <poppler-page.h>

#include <memory>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::pdf::internal {

// poppler::document keeps a pointer to `pdf` (load_from_raw_data does not
// copy): the bytes must outlive the document.
Result<std::unique_ptr<poppler::document>> load_poppler(ByteView pdf, size_t max_bytes);

// Page `index` (0-based) of `doc`; kPdfMalformed if poppler cannot build it.
Result<std::unique_ptr<poppler::page>> poppler_page(const poppler::document& doc, int index);

}  // namespace duet::pdf::internal
