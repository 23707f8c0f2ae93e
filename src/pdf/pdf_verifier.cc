#include "pdf/pdf_verifier.h"

#include <algorithm>
#include <cctype>
#include <memory>

#include "pdf/podofo_load.h"
#include "pdf/revision_diff.h"

namespace duet::pdf {
namespace {

using internal::resolve;

// The fields of a signature dictionary, read with PoDoFo.
struct SignatureDict {
  std::string field_name;
  std::string sub_filter;
  std::vector<int64_t> byte_range;
  Bytes contents;  // decoded /Contents, padding included
  std::optional<pki::Time> m;
  std::optional<int> docmdp;
};

// "D:YYYYMMDDHHmmSSOHH'mm'" (ISO 32000-1 §7.9.4; everything after the year
// optional) to UTC.
std::optional<pki::Time> parse_pdf_date(std::string s) {
  if (s.rfind("D:", 0) == 0) s = s.substr(2);
  auto num = [&](size_t at, size_t n, int dflt) -> std::optional<int> {
    if (s.size() < at + n) return dflt;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 4) return std::nullopt;
  auto y = num(0, 4, 0), mo = num(4, 2, 1), d = num(6, 2, 1), h = num(8, 2, 0), mi = num(10, 2, 0), se = num(12, 2, 0);
  if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 59) {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  pki::Time t = sys_days(ymd) + hours(*h) + minutes(*mi) + seconds(*se);
  if (s.size() > 14 && (s[14] == '+' || s[14] == '-')) {
    auto oh = num(15, 2, 0);
    auto om = s.size() >= 20 ? num(18, 2, 0) : std::optional<int>(0);
    if (!oh || !om) return std::nullopt;
    minutes off = hours(*oh) + minutes(*om);
    t = s[14] == '+' ? t - off : t + off;
  }
  return t;
}

std::optional<int> docmdp_of(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfObject* sig) {
  PoDoFo::PdfObject* refs = resolve(doc, sig->GetDictionary().GetKey("Reference"));
  if (refs == nullptr || !refs->IsArray()) return std::nullopt;
  for (PoDoFo::PdfObject& r : refs->GetArray()) {
    PoDoFo::PdfObject* ref = resolve(doc, &r);
    if (ref == nullptr || !ref->IsDictionary()) continue;
    const PoDoFo::PdfObject* method = ref->GetDictionary().GetKey("TransformMethod");
    if (method == nullptr || !method->IsName() || method->GetName() != PoDoFo::PdfName("DocMDP")) continue;
    PoDoFo::PdfObject* params = resolve(doc, ref->GetDictionary().GetKey("TransformParams"));
    if (params != nullptr && params->IsDictionary()) {
      const PoDoFo::PdfObject* p = params->GetDictionary().GetKey("P");
      if (p != nullptr && p->IsNumber()) return static_cast<int>(p->GetNumber());
    }
    return 2;
  }
  return std::nullopt;
}

std::vector<SignatureDict> read_signatures(PoDoFo::PdfMemDocument& doc) {
  std::vector<SignatureDict> out;
  for (PoDoFo::PdfObject* field : internal::signature_fields(doc)) {
    PoDoFo::PdfObject* sig = resolve(doc, field->GetDictionary().GetKey("V"));
    if (sig == nullptr || !sig->IsDictionary()) continue;  // an empty signature field
    const PoDoFo::PdfDictionary& d = sig->GetDictionary();
    SignatureDict s;
    if (const PoDoFo::PdfObject* t = field->GetDictionary().GetKey("T"); t != nullptr && (t->IsString() || t->IsHexString())) {
      s.field_name = t->GetString().GetStringUtf8();
    }
    if (const PoDoFo::PdfObject* sf = resolve(doc, const_cast<PoDoFo::PdfObject*>(d.GetKey("SubFilter")));
        sf != nullptr && sf->IsName()) {
      s.sub_filter = sf->GetName().GetName();
    }
    if (PoDoFo::PdfObject* br = resolve(doc, const_cast<PoDoFo::PdfObject*>(d.GetKey("ByteRange")));
        br != nullptr && br->IsArray()) {
      for (const PoDoFo::PdfObject& n : br->GetArray()) s.byte_range.push_back(n.IsNumber() ? n.GetNumber() : -1);
    }
    if (const PoDoFo::PdfObject* c = d.GetKey("Contents"); c != nullptr && (c->IsString() || c->IsHexString())) {
      const PoDoFo::PdfString& str = c->GetString();
      s.contents.assign(reinterpret_cast<const uint8_t*>(str.GetString()),
                        reinterpret_cast<const uint8_t*>(str.GetString()) + str.GetLength());
    }
    if (const PoDoFo::PdfObject* m = d.GetKey("M"); m != nullptr && (m->IsString() || m->IsHexString())) {
      s.m = parse_pdf_date(m->GetString().GetStringUtf8());
    }
    s.docmdp = docmdp_of(doc, sig);
    out.push_back(std::move(s));
  }
  return out;
}

// The DER CMS at the start of the zero-padded /Contents.
std::optional<ByteView> der_prefix(ByteView contents) {
  if (contents.size() < 2 || contents[0] != 0x30) return std::nullopt;
  size_t len = contents[1], header = 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 4 || contents.size() < 2 + n) return std::nullopt;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | contents[2 + i];
    header += n;
  }
  if (header + len > contents.size()) return std::nullopt;
  return contents.first(header + len);
}

// Whether `end` is the end of a revision: "%%EOF", then at most an EOL.
bool is_revision_end(ByteView pdf, size_t end) {
  std::string_view s(reinterpret_cast<const char*>(pdf.data()), end);
  size_t i = s.size();
  for (int eol = 0; i > 0 && (s[i - 1] == '\n' || s[i - 1] == '\r') && eol < 2; ++eol) --i;
  return i >= 5 && s.substr(i - 5, 5) == "%%EOF";
}

void check_byte_range(ByteView pdf, const SignatureDict& s, SignatureReport& r) {
  const auto& b = s.byte_range;
  if (b.size() != 4 || std::any_of(b.begin(), b.end(), [](int64_t v) { return v < 0; })) {
    r.problems.push_back("/ByteRange is not four non-negative integers");
    return;
  }
  ByteRange br{static_cast<uint64_t>(b[0]), static_cast<uint64_t>(b[1]), static_cast<uint64_t>(b[2]),
               static_cast<uint64_t>(b[3])};
  if (br.length1 > pdf.size() || br.offset2 > pdf.size() || br.length2 > pdf.size() - br.offset2 ||
      br.offset2 < br.length1) {
    r.problems.push_back("/ByteRange reaches outside the file");
    return;
  }
  r.byte_range = br;
  r.revision_end = br.offset2 + br.length2;
  r.covers_whole_file = r.revision_end == pdf.size();
  bool ok = true;
  if (br.offset1 != 0) {
    r.problems.push_back("/ByteRange does not start at 0");
    ok = false;
  }
  // The gap must be exactly '<' hex '>' and that hex must be this /Contents.
  bool framed = br.offset2 >= br.length1 + 2 && pdf[br.length1] == '<' && pdf[br.offset2 - 1] == '>';
  if (framed) {
    std::string_view hex(reinterpret_cast<const char*>(pdf.data()) + br.length1 + 1, br.offset2 - br.length1 - 2);
    auto decoded = from_hex(hex);
    framed = decoded.ok() && *decoded == s.contents;
  }
  if (!framed) {
    r.problems.push_back("the /ByteRange gap is not exactly this signature's /Contents");
    ok = false;
  }
  if (!is_revision_end(pdf, r.revision_end)) {
    r.problems.push_back("/ByteRange does not end at the end of a revision (%%EOF)");
    ok = false;
  }
  r.byte_range_ok = ok;
}

void check_cms(ByteView pdf, const SignatureDict& s, const pki::CmsTrust& trust, const VerifyOptions& options,
               SignatureReport& r) {
  auto der = der_prefix(s.contents);
  if (!der) {
    r.problems.push_back("/Contents is not a DER CMS");
    return;
  }
  if (!r.byte_range) return;  // nothing to digest
  crypto::Sm3 h;
  h.update(pdf.subspan(r.byte_range->offset1, r.byte_range->length1));
  h.update(pdf.subspan(r.byte_range->offset2, r.byte_range->length2));
  crypto::Digest digest = h.final();
  const bool pades = s.sub_filter == "ETSI.CAdES.detached";
  if (!pades && s.sub_filter != "adbe.pkcs7.detached") r.problems.push_back("unsupported /SubFilter " + s.sub_filter);
  auto v = pki::verify_cms_detached_digest(*der, digest, trust, options.sm2_id, {.signing_time_required = !pades});
  if (!v.ok()) {
    r.problems.push_back("the CMS does not parse: " + v.error().message);
    return;
  }
  r.digest_matches = !v->has(pki::CmsProblem::kMessageDigestMismatch) &&
                     std::none_of(v->reasons.begin(), v->reasons.end(), [](const std::string& why) {
                       return why.find("messageDigest attribute missing") != std::string::npos;
                     });
  r.cms_ok = v->ok();
  for (const std::string& why : v->reasons) r.problems.push_back("CMS: " + why);
  if (pades && v->signing_time) {
    r.cms_ok = false;
    r.problems.push_back("CMS: a signingTime attribute in a PAdES (ETSI.CAdES.detached) signature");
  }
  r.cms_signing_time = v->signing_time;
  if (v->signer) {
    r.signer_subject = v->signer->subject();
    r.signer_issuer = v->signer->issuer();
    r.signer_serial = v->signer->serial_hex();
    r.signer_certificate_der = v->signer->der();
  }
}

// The revocation state of the signer certificate, from the caller's source.
void check_revocation(const RevocationSource& source, SignatureReport& r) {
  using State = RevocationStatus::State;
  if (r.signer_certificate_der.empty()) {
    r.revocation = {State::kNotChecked, std::nullopt, "", "the signature carries no signer certificate"};
    return;
  }
  if (!source.check) {
    r.revocation = {State::kNotChecked, std::nullopt, "", source.not_checked_because};
    return;
  }
  auto cert = pki::Certificate::parse(r.signer_certificate_der);
  if (!cert.ok()) {
    r.revocation = {State::kNotChecked, std::nullopt, "", "the signer certificate does not parse"};
    return;
  }
  r.revocation = source.check(*cert);
  if (r.revocation.state == State::kRevoked) r.problems.push_back("the signer certificate is revoked");
}

}  // namespace

std::string_view revocation_state_name(RevocationStatus::State s) {
  switch (s) {
    case RevocationStatus::State::kGood:
      return "good";
    case RevocationStatus::State::kRevoked:
      return "revoked";
    case RevocationStatus::State::kUnknown:
      return "unknown";
    case RevocationStatus::State::kNotChecked:
      break;
  }
  return "not_checked";
}

bool PdfVerification::ok() const {
  return !signatures.empty() && last_covers_whole_file &&
         std::all_of(signatures.begin(), signatures.end(), [](const SignatureReport& s) { return s.ok(); });
}

Result<PdfVerification> verify_pdf(ByteView pdf, const pki::CmsTrust& trust, const VerifyOptions& options,
                                   const RevocationSource& revocation) {
  DUET_ASSIGN_OR_RETURN(auto doc, internal::load_podofo(pdf, options.max_pdf_bytes, /*for_update=*/false));
  PdfVerification out;
  out.file_size = pdf.size();
  std::vector<SignatureDict> dicts;
  try {
    dicts = read_signatures(*doc);
  } catch (const PoDoFo::PdfError& e) {
    return internal::podofo_error(e, ErrorCode::kPdfMalformed, "the signature fields do not parse");
  } catch (...) {
    return make_error(ErrorCode::kPdfMalformed, "the signature fields do not parse");
  }
  for (const SignatureDict& s : dicts) {
    SignatureReport r;
    r.field_name = s.field_name;
    r.sub_filter = s.sub_filter;
    r.signing_time = s.m;
    r.docmdp_permission = s.docmdp;
    if (!s.m) r.problems.push_back("no readable /M (signing time)");
    check_byte_range(pdf, s, r);
    check_cms(pdf, s, trust, options, r);
    check_revocation(revocation, r);
    if (r.byte_range && r.revision_end < pdf.size()) {
      auto signed_doc = internal::load_podofo(pdf.first(r.revision_end), options.max_pdf_bytes, false);
      if (!signed_doc.ok()) {
        r.modified_after = true;
        r.problems.push_back("the signed revision does not parse on its own: " + signed_doc.error().message);
      } else {
        try {
          for (auto& c : internal::diff_revisions(**signed_doc, *doc)) {
            if (!c.allowed) r.modified_after = true;
            r.later_changes.push_back({c.allowed, std::move(c.what)});
          }
        } catch (const PoDoFo::PdfError&) {
          r.modified_after = true;
          r.problems.push_back("the later revisions cannot be compared");
        }
        if (r.docmdp_permission == 1 && !r.later_changes.empty()) {
          r.modified_after = true;
          r.problems.push_back("certified with no changes allowed (DocMDP P=1), but the document changed");
        }
      }
      if (r.modified_after) r.problems.push_back("the document was modified after this signature");
    }
    out.signatures.push_back(std::move(r));
  }
  std::stable_sort(out.signatures.begin(), out.signatures.end(),
                   [](const SignatureReport& a, const SignatureReport& b) { return a.revision_end < b.revision_end; });
  out.last_covers_whole_file = !out.signatures.empty() && out.signatures.back().covers_whole_file;
  return out;
}

}  // namespace duet::pdf
