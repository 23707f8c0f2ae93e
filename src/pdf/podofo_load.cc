#include "pdf/podofo_load.h"

#include "pdf/poppler_load.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <set>
#include <string_view>

namespace duet::pdf::internal {
namespace {

// The PDF header may follow up to 1024 bytes of junk (what Acrobat and
// poppler accept, ISO 32000-1 Annex H.3 note 1).
constexpr size_t kHeaderWindow = 1024;
constexpr int kMaxFieldDepth = 32;  // /Kids nesting; deeper is a malformed (or hostile) form

void quiet_podofo() {
  static std::once_flag once;
  std::call_once(once, [] {
    PoDoFo::PdfError::EnableLogging(false);
    PoDoFo::PdfError::EnableDebug(false);
  });
}

void collect_fields(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfObject* node, bool inherited_sig, int depth,
                    std::set<PoDoFo::PdfReference>& seen, std::vector<PoDoFo::PdfObject*>& out) {
  if (node == nullptr || depth > kMaxFieldDepth) return;
  if (node->Reference().IsIndirect() && !seen.insert(node->Reference()).second) return;  // a cycle
  if (!node->IsDictionary()) return;
  const PoDoFo::PdfDictionary& dict = node->GetDictionary();
  bool is_sig = inherited_sig;
  if (const PoDoFo::PdfObject* ft = resolve(doc, const_cast<PoDoFo::PdfObject*>(dict.GetKey("FT")));
      ft != nullptr && ft->IsName()) {
    is_sig = ft->GetName() == PoDoFo::PdfName("Sig");
  }
  PoDoFo::PdfObject* kids = resolve(doc, const_cast<PoDoFo::PdfObject*>(dict.GetKey("Kids")));
  bool has_field_kids = false;
  if (kids != nullptr && kids->IsArray()) {
    for (PoDoFo::PdfObject& kid : kids->GetArray()) {
      PoDoFo::PdfObject* k = resolve(doc, &kid);
      // Kids that are only widgets (no /T) belong to this field; kids with a
      // /T are fields of their own.
      if (k != nullptr && k->IsDictionary() && k->GetDictionary().HasKey("T")) {
        has_field_kids = true;
        collect_fields(doc, k, is_sig, depth + 1, seen, out);
      }
    }
  }
  if (!has_field_kids && is_sig) out.push_back(node);
}

// PDF whitespace and delimiters end a name token (ISO 32000-1 7.2.2).
bool ends_name(uint8_t c) {
  return std::strchr(" \t\r\n\f()<>[]{}/%", c) != nullptr || c == 0;
}

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether any name token of the file is /Encrypt, #hh escapes decoded as the
// parsers decode them (so /Encr#79pt counts). The trailer or cross-reference
// stream dictionary that names the encryption dictionary is never compressed,
// so a file that a parser would treat as encrypted always has this token in
// clear. A token inside binary stream data is a false positive that only
// costs a refusal, which is the answer for an encrypted file anyway.
//
// Why this runs before any parser: PoDoFo 0.9.8 dereferences missing keys of
// an encryption dictionary (/OE, /UE, /Perms of AES-256) without checking,
// and a crafted file crashed the process (found by fuzz_pdf). Encrypted
// documents are refused in any case, so none reaches PoDoFo's handler.
bool names_encryption_dictionary(ByteView pdf) {
  static constexpr std::string_view kName = "Encrypt";
  const uint8_t* p = pdf.data();
  const uint8_t* end = p + pdf.size();
  while (p < end) {
    p = static_cast<const uint8_t*>(std::memchr(p, '/', static_cast<size_t>(end - p)));
    if (p == nullptr) return false;
    ++p;
    size_t matched = 0;
    bool same = true;
    while (p < end && !ends_name(*p)) {
      uint8_t c = *p++;
      if (c == '#' && end - p >= 2 && hex_value(p[0]) >= 0 && hex_value(p[1]) >= 0) {
        c = static_cast<uint8_t>(hex_value(p[0]) * 16 + hex_value(p[1]));
        p += 2;
      }
      if (matched >= kName.size() || static_cast<char>(c) != kName[matched]) same = false;
      ++matched;
    }
    if (same && matched == kName.size()) return true;
  }
  return false;
}

}  // namespace

Status check_pdf_envelope(ByteView pdf, size_t max_bytes) {
  if (pdf.size() > max_bytes) {
    return make_error(ErrorCode::kPayloadTooLarge,
                      "the PDF is " + std::to_string(pdf.size()) + " bytes, over the limit of " +
                          std::to_string(max_bytes));
  }
  std::string_view head(reinterpret_cast<const char*>(pdf.data()), std::min(pdf.size(), kHeaderWindow));
  if (head.find("%PDF-") == std::string_view::npos) return make_error(ErrorCode::kNotPdf, "no %PDF- header");
  if (names_encryption_dictionary(pdf)) return make_error(ErrorCode::kPdfEncrypted, "the PDF is encrypted");
  return Status::Ok();
}

Unexpected podofo_error(const PoDoFo::PdfError& e, ErrorCode code, const char* what) {
  const char* name = PoDoFo::PdfError::ErrorName(e.GetError());
  return make_error(code, std::string(what) + " (" + (name != nullptr ? name : "PoDoFo error") + ")");
}

Result<std::unique_ptr<PoDoFo::PdfMemDocument>> load_podofo(ByteView pdf, size_t max_bytes, bool for_update) {
  DUET_TRY_STATUS(check_pdf_envelope(pdf, max_bytes));
  quiet_podofo();
  try {
    auto doc = std::make_unique<PoDoFo::PdfMemDocument>();
    doc->LoadFromBuffer(reinterpret_cast<const char*>(pdf.data()), static_cast<long>(pdf.size()), for_update);
    // Encrypted with an empty user password loads; it is refused all the same:
    // an update would have to encrypt its own strings and streams.
    if (doc->GetEncrypted()) return make_error(ErrorCode::kPdfEncrypted, "the PDF is encrypted");
    if (doc->GetPageCount() <= 0) return make_error(ErrorCode::kPdfMalformed, "the PDF has no pages");
    return doc;
  } catch (const PoDoFo::PdfError& e) {
    // PoDoFo 0.9.8 reports a user password as InvalidPassword or, for AES-256
    // (R6) files, as InvalidHandle: poppler tells an encrypted file reliably.
    if (e.GetError() == PoDoFo::ePdfError_InvalidPassword ||
        load_poppler(pdf, max_bytes).code() == ErrorCode::kPdfEncrypted) {
      return make_error(ErrorCode::kPdfEncrypted, "the PDF is encrypted");
    }
    return podofo_error(e, ErrorCode::kPdfMalformed, "the PDF does not parse");
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kPdfMalformed, "the PDF does not parse (out of memory)");
  } catch (...) {
    return make_error(ErrorCode::kPdfMalformed, "the PDF does not parse");
  }
}

PoDoFo::PdfRect visible_box(PoDoFo::PdfPage& page) {
  PoDoFo::PdfRect box = page.GetCropBox();
  if (box.GetWidth() <= 0 || box.GetHeight() <= 0) box = page.GetMediaBox();
  return box;
}

PoDoFo::PdfObject* resolve(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfObject* obj) {
  // A reference chain is at most one step in a valid file; a few more are
  // tolerated, a loop is not followed.
  for (int i = 0; obj != nullptr && obj->IsReference() && i < 8; ++i) {
    obj = doc.GetObjects().GetObject(obj->GetReference());
  }
  return obj != nullptr && obj->IsReference() ? nullptr : obj;
}

std::vector<PoDoFo::PdfObject*> signature_fields(PoDoFo::PdfMemDocument& doc) {
  std::vector<PoDoFo::PdfObject*> out;
  PoDoFo::PdfObject* catalog = doc.GetCatalog();
  if (catalog == nullptr || !catalog->IsDictionary()) return out;
  PoDoFo::PdfObject* form = resolve(doc, catalog->GetDictionary().GetKey("AcroForm"));
  if (form == nullptr || !form->IsDictionary()) return out;
  PoDoFo::PdfObject* fields = resolve(doc, form->GetDictionary().GetKey("Fields"));
  if (fields == nullptr || !fields->IsArray()) return out;
  std::set<PoDoFo::PdfReference> seen;
  for (PoDoFo::PdfObject& f : fields->GetArray()) collect_fields(doc, resolve(doc, &f), false, 0, seen, out);
  return out;
}

}  // namespace duet::pdf::internal
