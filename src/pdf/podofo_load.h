// Internal to src/pdf (includes PoDoFo): loading an untrusted PDF into a
// PoDoFo document with the typed errors of pdf_document.h, and PoDoFo's
// exceptions turned into error values. PoDoFo's own logging is switched off:
// its messages can quote document content.
#pragma once

#include <podofo/podofo.h>

#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::pdf::internal {

// Size and header checks, and a lexical scan for an /Encrypt entry (one
// linear pass; before any parser sees the bytes, see the .cc for why):
// kPayloadTooLarge, kNotPdf, kPdfEncrypted.
Status check_pdf_envelope(ByteView pdf, size_t max_bytes);

// Loads `pdf` (checked by check_pdf_envelope first). `for_update` keeps the
// original bytes so that WriteUpdate can append an incremental update.
Result<std::unique_ptr<PoDoFo::PdfMemDocument>> load_podofo(ByteView pdf, size_t max_bytes, bool for_update);

// A PoDoFo exception as an error value of `code` (the PoDoFo error name, never
// document content, goes into the message).
Unexpected podofo_error(const PoDoFo::PdfError& e, ErrorCode code, const char* what);

// A page's visible box (CropBox, else MediaBox) in default user space.
PoDoFo::PdfRect visible_box(PoDoFo::PdfPage& page);

// The signature fields of the AcroForm (recursing into /Kids), in form order:
// terminal fields whose /FT is /Sig, inherited from the parent when absent.
std::vector<PoDoFo::PdfObject*> signature_fields(PoDoFo::PdfMemDocument& doc);

// Follows a reference (or returns the object itself); null when dangling.
PoDoFo::PdfObject* resolve(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfObject* obj);

}  // namespace duet::pdf::internal
