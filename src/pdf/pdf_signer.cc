#include "pdf/pdf_signer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <set>
#include <string_view>

#include "pdf/appearance_xobject.h"
#include "pdf/podofo_load.h"

namespace duet::pdf {
namespace {

using internal::resolve;

// PoDoFo writes these two values verbatim (PdfData); they are then found in
// the appended update and overwritten in place, so that every other byte is
// PoDoFo's. (PdfSignOutputDevice does the same, but its AdjustByteRange
// assumes a fixed distance between /ByteRange and /Contents in the output.)
// The placeholder has room for three 10-digit numbers: files up to 9.3 GB.
constexpr std::string_view kByteRangePlaceholder = "[0 9999999999 9999999999 9999999999]";

constexpr size_t kMaxFieldName = 64;
constexpr int64_t kDocMdpFormFill = 2;  // DocMDP P=2: form filling and signing allowed

bool is_valid_field_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxFieldName) return false;
  // A partial field name never contains a period (ISO 32000-1 §12.7.3.2);
  // printable ASCII keeps it readable in every viewer.
  return std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '.'; });
}

std::set<std::string> top_level_field_names(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfObject* fields) {
  std::set<std::string> names;
  if (fields == nullptr || !fields->IsArray()) return names;
  for (PoDoFo::PdfObject& f : fields->GetArray()) {
    PoDoFo::PdfObject* field = resolve(doc, &f);
    if (field == nullptr || !field->IsDictionary()) continue;
    const PoDoFo::PdfObject* t = field->GetDictionary().GetKey("T");
    if (t != nullptr && (t->IsString() || t->IsHexString())) names.insert(t->GetString().GetStringUtf8());
  }
  return names;
}

// The P value of the document's DocMDP signature, if it is certified.
std::optional<int64_t> docmdp_permission(PoDoFo::PdfMemDocument& doc) {
  PoDoFo::PdfObject* perms = resolve(doc, doc.GetCatalog()->GetDictionary().GetKey("Perms"));
  if (perms == nullptr || !perms->IsDictionary()) return std::nullopt;
  PoDoFo::PdfObject* sig = resolve(doc, perms->GetDictionary().GetKey("DocMDP"));
  if (sig == nullptr || !sig->IsDictionary()) return std::nullopt;
  PoDoFo::PdfObject* refs = resolve(doc, sig->GetDictionary().GetKey("Reference"));
  if (refs == nullptr || !refs->IsArray()) return kDocMdpFormFill;
  for (PoDoFo::PdfObject& r : refs->GetArray()) {
    PoDoFo::PdfObject* ref = resolve(doc, &r);
    if (ref == nullptr || !ref->IsDictionary()) continue;
    PoDoFo::PdfObject* params = resolve(doc, ref->GetDictionary().GetKey("TransformParams"));
    if (params != nullptr && params->IsDictionary()) {
      const PoDoFo::PdfObject* p = params->GetDictionary().GetKey("P");
      if (p != nullptr && p->IsNumber()) return p->GetNumber();
    }
  }
  return kDocMdpFormFill;  // P defaults to 2
}

// "D:YYYYMMDDHHmmSSZ" (ISO 32000-1 §7.9.4), always UTC.
std::string pdf_date(pki::Time t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss<seconds> hms(t - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "D:%04d%02u%02u%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// The single occurrence of `needle` in `hay` at or after `from`; npos when
// absent or not unique.
size_t find_unique(std::string_view hay, std::string_view needle, size_t from) {
  size_t at = hay.find(needle, from);
  if (at == std::string_view::npos || hay.find(needle, at + 1) != std::string_view::npos) return std::string_view::npos;
  return at;
}

crypto::Digest digest_ranges(ByteView pdf, const ByteRange& br) {
  crypto::Sm3 h;
  h.update(pdf.subspan(br.offset1, br.length1));
  h.update(pdf.subspan(br.offset2, br.length2));
  return h.final();
}

struct UpdateInputs {
  const std::vector<ResolvedPlacement>& placements;
  const SealAppearance& appearance;
  const SignOptions& options;
  std::string field_name;
};

// Adds the field, widgets and signature dictionary to `doc` (loaded for update).
Status build_update(PoDoFo::PdfMemDocument& doc, const UpdateInputs& in, std::string_view contents_placeholder) {
  PoDoFo::PdfAcroForm* form = doc.GetAcroForm(true, PoDoFo::ePdfAcroFormDefaultAppearance_None);
  PoDoFo::PdfDictionary& form_dict = form->GetObject()->GetDictionary();
  // SignaturesExist | AppendOnly (ISO 32000-1 Table 219).
  form_dict.AddKey("SigFlags", PoDoFo::PdfObject(static_cast<PoDoFo::pdf_int64>(3)));
  if (resolve(doc, form_dict.GetKey("Fields")) == nullptr) form_dict.AddKey("Fields", PoDoFo::PdfArray());
  PoDoFo::PdfObject* fields = resolve(doc, form_dict.GetKey("Fields"));
  if (fields == nullptr || !fields->IsArray()) return make_error(ErrorCode::kPdfMalformed, "/AcroForm /Fields is not an array");

  PoDoFo::PdfVecObjects* objects = &doc.GetObjects();
  PoDoFo::PdfObject* sig = objects->CreateObject("Sig");
  PoDoFo::PdfDictionary& sd = sig->GetDictionary();
  sd.AddKey("Filter", PoDoFo::PdfName("Adobe.PPKLite"));
  sd.AddKey("SubFilter", PoDoFo::PdfName(std::string(sub_filter_name(in.options.sub_filter))));
  sd.AddKey("M", PoDoFo::PdfString(pdf_date(in.options.signing_time)));
  sd.AddKey("ByteRange", PoDoFo::PdfVariant(PoDoFo::PdfData(std::string(kByteRangePlaceholder).c_str())));
  sd.AddKey("Contents", PoDoFo::PdfVariant(PoDoFo::PdfData(std::string(contents_placeholder).c_str())));
  if (in.options.certify) {
    PoDoFo::PdfDictionary params;
    params.AddKey("Type", PoDoFo::PdfName("TransformParams"));
    params.AddKey("P", PoDoFo::PdfObject(static_cast<PoDoFo::pdf_int64>(in.options.docmdp_permission)));
    params.AddKey("V", PoDoFo::PdfName("1.2"));
    PoDoFo::PdfDictionary ref;
    ref.AddKey("Type", PoDoFo::PdfName("SigRef"));
    ref.AddKey("TransformMethod", PoDoFo::PdfName("DocMDP"));
    ref.AddKey("TransformParams", params);
    PoDoFo::PdfArray refs;
    refs.push_back(PoDoFo::PdfObject(ref));
    sd.AddKey("Reference", refs);
    PoDoFo::PdfDictionary perms;
    perms.AddKey("DocMDP", sig->Reference());
    doc.GetCatalog()->GetDictionary().AddKey("Perms", perms);
  }

  DUET_ASSIGN_OR_RETURN(auto drawer, internal::AppearanceDrawer::create(doc, in.appearance, in.options.signing_time));
  const bool merged = in.placements.size() == 1;  // one widget: field and widget in one dictionary
  PoDoFo::PdfObject* field = merged ? nullptr : objects->CreateObject();
  PoDoFo::PdfArray kids;
  for (const ResolvedPlacement& p : in.placements) {
    PoDoFo::PdfPage* page = doc.GetPage(p.page - 1);
    if (page == nullptr) return make_error(ErrorCode::kPdfMalformed, "page " + std::to_string(p.page) + " is missing");
    PoDoFo::PdfAnnotation* widget =
        page->CreateAnnotation(PoDoFo::ePdfAnnotation_Widget, PoDoFo::PdfRect(p.rect.x, p.rect.y, p.rect.width, p.rect.height));
    widget->SetFlags(PoDoFo::ePdfAnnotationFlags_Print | PoDoFo::ePdfAnnotationFlags_Locked);
    // On a page shown rotated (/Rotate), the appearance is drawn upright in
    // the display's frame and turned back by its /Matrix: a reader sees the
    // seal upright (ISO 32000-1 §12.5.5 fits the turned BBox into /Rect).
    const int rotation = ((page->GetRotation() % 360) + 360) % 360;
    const bool sideways = rotation == 90 || rotation == 270;
    DUET_ASSIGN_OR_RETURN(auto xobject, drawer->draw(sideways ? p.rect.height : p.rect.width,
                                                     sideways ? p.rect.width : p.rect.height));
    if (rotation != 0) {
      const double c = rotation == 180 ? -1 : 0, s = rotation == 90 ? 1 : rotation == 270 ? -1 : 0;
      PoDoFo::PdfArray matrix;
      for (double v : {c, s, -s, c, 0.0, 0.0}) matrix.push_back(PoDoFo::PdfObject(v));
      xobject->GetObject()->GetDictionary().AddKey("Matrix", matrix);
    }
    widget->SetAppearanceStream(xobject.get());
    PoDoFo::PdfDictionary& wd = widget->GetObject()->GetDictionary();
    if (merged) {
      field = widget->GetObject();
    } else {
      wd.AddKey("Parent", field->Reference());
      // /V is inheritable (ISO 32000-1 Table 220), but poppler (pdfsig, up to
      // 22.12 at least) reads it only from the widget itself: stated on each
      // widget, it names the same signature dictionary as the field's.
      wd.AddKey("V", sig->Reference());
      kids.push_back(widget->GetObject()->Reference());
    }
  }
  PoDoFo::PdfDictionary& fd = field->GetDictionary();
  fd.AddKey("FT", PoDoFo::PdfName("Sig"));
  fd.AddKey("T", PoDoFo::PdfString(in.field_name));
  fd.AddKey("V", sig->Reference());
  if (!merged) fd.AddKey("Kids", kids);
  fields->GetArray().push_back(field->Reference());
  return Status::Ok();
}

}  // namespace

std::string_view sub_filter_name(SubFilter f) {
  return f == SubFilter::kAdbePkcs7Detached ? "adbe.pkcs7.detached" : "ETSI.CAdES.detached";
}

Result<PreparedPdf> prepare_signature(ByteView pdf, const std::vector<SealPlacement>& placements,
                                      const SealAppearance& appearance, const SignOptions& options) {
  if (options.contents_reserve < 1024 || options.contents_reserve > kMaxContentsReserve) {
    return make_error(ErrorCode::kInvalidArgument, "the /Contents reserve must be 1 KiB to 256 KiB");
  }
  if (options.certify && (options.docmdp_permission < 1 || options.docmdp_permission > 3)) {
    return make_error(ErrorCode::kInvalidArgument, "the DocMDP permission P must be 1, 2 or 3");
  }
  if (!options.field_name.empty() && !is_valid_field_name(options.field_name)) {
    return make_error(ErrorCode::kInvalidArgument, "a field name is 1-64 printable ASCII characters without '.'");
  }
  DUET_ASSIGN_OR_RETURN(auto doc, internal::load_podofo(pdf, options.max_pdf_bytes, /*for_update=*/true));
  DUET_ASSIGN_OR_RETURN(std::vector<ResolvedPlacement> resolved,
                        resolve_placements(pdf, placements, options.max_pdf_bytes));
  DUET_TRY_STATUS(validate_appearance(appearance));

  PreparedPdf prepared;
  prepared.sub_filter = options.sub_filter;
  prepared.signing_time = options.signing_time;
  prepared.placements = resolved;
  const std::string contents_placeholder = "<" + std::string(options.contents_reserve * 2, '0') + ">";
  try {
    size_t signed_fields = 0;
    for (PoDoFo::PdfObject* f : internal::signature_fields(*doc)) signed_fields += f->GetDictionary().HasKey("V");
    if (options.certify && signed_fields > 0) {
      return make_error(ErrorCode::kInvalidArgument, "only the first signature of a document can certify it");
    }
    if (docmdp_permission(*doc) == 1) {
      return make_error(ErrorCode::kConflict, "the document is certified with no changes allowed (DocMDP P=1)");
    }
    PoDoFo::PdfAcroForm* existing = doc->GetAcroForm(false);
    std::set<std::string> names =
        existing == nullptr ? std::set<std::string>{}
                            : top_level_field_names(*doc, resolve(*doc, existing->GetObject()->GetDictionary().GetKey("Fields")));
    prepared.field_name = options.field_name;
    if (prepared.field_name.empty()) {
      for (size_t n = signed_fields + 1; prepared.field_name.empty(); ++n) {
        std::string candidate = "Signature" + std::to_string(n);
        if (!names.count(candidate)) prepared.field_name = candidate;
      }
    } else if (names.count(prepared.field_name)) {
      return make_error(ErrorCode::kConflict, "a field named " + prepared.field_name + " exists");
    }
    DUET_TRY_STATUS(build_update(*doc, UpdateInputs{resolved, appearance, options, prepared.field_name},
                                 contents_placeholder));
    PoDoFo::PdfRefCountedBuffer buffer;
    PoDoFo::PdfOutputDevice device(&buffer);
    doc->WriteUpdate(&device, true);
    const char* data = buffer.GetBuffer();
    prepared.pdf.assign(data, data + device.GetLength());
  } catch (const PoDoFo::PdfError& e) {
    return internal::podofo_error(e, ErrorCode::kPdfMalformed, "the incremental update cannot be written");
  } catch (...) {
    return make_error(ErrorCode::kPdfMalformed, "the incremental update cannot be written");
  }

  // The update only appends: the original bytes are a prefix of the result.
  Bytes& out = prepared.pdf;
  if (out.size() <= pdf.size() || !std::equal(pdf.begin(), pdf.end(), out.begin())) {
    return make_error(ErrorCode::kInternal, "the update did not append to the original");
  }
  std::string_view text(reinterpret_cast<const char*>(out.data()), out.size());
  size_t contents_at = find_unique(text, contents_placeholder, pdf.size());
  size_t range_at = find_unique(text, kByteRangePlaceholder, pdf.size());
  if (contents_at == std::string_view::npos || range_at == std::string_view::npos) {
    return make_error(ErrorCode::kInternal, "the reserved /Contents or /ByteRange was not written once");
  }
  ByteRange& br = prepared.byte_range;
  br.offset1 = 0;
  br.length1 = contents_at;
  br.offset2 = contents_at + contents_placeholder.size();
  br.length2 = out.size() - br.offset2;
  char range[kByteRangePlaceholder.size() + 1];
  int n = std::snprintf(range, sizeof range, "[0 %llu %llu %llu]", static_cast<unsigned long long>(br.length1),
                        static_cast<unsigned long long>(br.offset2), static_cast<unsigned long long>(br.length2));
  if (n < 0 || static_cast<size_t>(n) > kByteRangePlaceholder.size()) {
    return make_error(ErrorCode::kPayloadTooLarge, "the document is too large for the /ByteRange");
  }
  std::fill(out.begin() + static_cast<ptrdiff_t>(range_at),
            out.begin() + static_cast<ptrdiff_t>(range_at + kByteRangePlaceholder.size()), ' ');
  std::copy(range, range + n, out.begin() + static_cast<ptrdiff_t>(range_at));
  prepared.digest = digest_ranges(out, br);
  return prepared;
}

pki::CmsSignOptions cms_sign_options(const PreparedPdf& prepared) {
  pki::CmsSignOptions o;
  o.detached = true;
  o.signing_time = prepared.signing_time;
  o.signing_time_attribute = prepared.sub_filter == SubFilter::kAdbePkcs7Detached;
  return o;
}

Result<Bytes> embed_signature(const PreparedPdf& prepared, ByteView cms_der) {
  const Bytes& pdf = prepared.pdf;
  const ByteRange& br = prepared.byte_range;
  if (br.offset1 != 0 || br.length1 == 0 || br.offset2 <= br.length1 + 2 || br.offset2 > pdf.size() ||
      br.offset2 + br.length2 != pdf.size() || pdf[br.length1] != '<' || pdf[br.offset2 - 1] != '>') {
    return make_error(ErrorCode::kInvalidArgument, "not a prepared PDF: the ByteRange does not frame /Contents");
  }
  const size_t hex_begin = br.length1 + 1, hex_end = br.offset2 - 1;
  if (!std::all_of(pdf.begin() + static_cast<ptrdiff_t>(hex_begin), pdf.begin() + static_cast<ptrdiff_t>(hex_end),
                   [](uint8_t c) { return c == '0'; })) {
    return make_error(ErrorCode::kInvalidArgument, "not a prepared PDF: /Contents is not an empty reserve");
  }
  // One complete DER SEQUENCE (definite length): trailing zero padding must
  // not be mistaken for part of the CMS by a reader.
  auto der_length = [&]() -> size_t {
    if (cms_der.size() < 2 || cms_der[0] != 0x30) return 0;
    size_t len = cms_der[1], header = 2;
    if (len & 0x80) {
      size_t n = len & 0x7f;
      if (n == 0 || n > 4 || cms_der.size() < 2 + n) return 0;
      len = 0;
      for (size_t i = 0; i < n; ++i) len = (len << 8) | cms_der[2 + i];
      header += n;
    }
    return header + len;
  };
  if (der_length() != cms_der.size()) {
    return make_error(ErrorCode::kInvalidArgument, "the signature is not one DER SEQUENCE");
  }
  if (cms_der.size() * 2 > hex_end - hex_begin) {
    return make_error(ErrorCode::kPayloadTooLarge, "the CMS (" + std::to_string(cms_der.size()) +
                                                       " bytes) does not fit the reserved /Contents (" +
                                                       std::to_string((hex_end - hex_begin) / 2) + " bytes)");
  }
  Bytes out = pdf;
  std::string hex = to_hex(cms_der);
  std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  std::copy(hex.begin(), hex.end(), out.begin() + static_cast<ptrdiff_t>(hex_begin));
  return out;
}

}  // namespace duet::pdf
