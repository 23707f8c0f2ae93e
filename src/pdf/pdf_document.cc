#include "pdf/pdf_document.h"

#include "pdf/podofo_load.h"

namespace duet::pdf {

Result<PdfDocumentInfo> inspect_pdf(ByteView pdf, size_t max_bytes) {
  DUET_ASSIGN_OR_RETURN(auto doc, internal::load_podofo(pdf, max_bytes, /*for_update=*/false));
  PdfDocumentInfo info;
  info.file_size = pdf.size();
  try {
    for (int i = 0; i < doc->GetPageCount(); ++i) {
      PoDoFo::PdfPage* page = doc->GetPage(i);
      if (page == nullptr) return make_error(ErrorCode::kPdfMalformed, "page " + std::to_string(i + 1) + " is missing");
      PoDoFo::PdfRect box = internal::visible_box(*page);
      if (box.GetWidth() <= 0 || box.GetHeight() <= 0) {
        return make_error(ErrorCode::kPdfMalformed, "page " + std::to_string(i + 1) + " has no page box");
      }
      int rotation = ((page->GetRotation() % 360) + 360) % 360;
      info.pages.push_back(PageSize{box.GetWidth(), box.GetHeight(), rotation});
    }
    for (PoDoFo::PdfObject* field : internal::signature_fields(*doc)) {
      if (field->GetDictionary().HasKey("V")) ++info.signature_fields;
    }
  } catch (const PoDoFo::PdfError& e) {
    return internal::podofo_error(e, ErrorCode::kPdfMalformed, "the page tree does not parse");
  } catch (...) {
    return make_error(ErrorCode::kPdfMalformed, "the page tree does not parse");
  }
  return info;
}

}  // namespace duet::pdf
