// Signing a PDF in two phases, because the signature value comes later from
// the two-party protocol (and, in the hybrid cloud, from another machine):
//
//   prepare_signature: one incremental update appended to the document: a
//     signature field (named, /FT /Sig) with one widget per placement, each
//     showing the appearance; the signature dictionary (/Filter
//     /Adobe.PPKLite, /SubFilter, /M, optional DocMDP /Reference) with /Contents
//     reserved as a zero-filled hex string; /ByteRange covering the whole file
//     except that hex string, '<' and '>' included. Returns the bytes and the
//     SM3 digest of the covered bytes, the CMS messageDigest.
//   embed_signature: writes the CMS (DER, hex) into the reserved /Contents;
//     no other byte changes, so the digest stays valid.
//
// The CMS is built in between by pki::cms_sign_detached_digest(prepared.digest,
// …, cms_sign_options(prepared)). Signing an already signed document appends a
// new update and leaves the earlier signatures valid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/sm3.h"
#include "pdf/pdf_document.h"
#include "pdf/seal_appearance.h"
#include "pdf/seal_placement.h"
#include "pki/cms.h"
#include "pki/pki_time.h"

namespace duet::pdf {

enum class SubFilter {
  kEtsiCadesDetached,  // ETSI.CAdES.detached: PAdES baseline B-B (no signingTime attribute; /M is the time)
  kAdbePkcs7Detached,  // adbe.pkcs7.detached: CMS with a signingTime attribute
};
std::string_view sub_filter_name(SubFilter f);

// The DER CMS that fits by default: a certificate (~1 KiB), the signed
// attributes, an SM2 signature, and room for an RFC 3161 timestamp token
// (PAdES B-T) later.
inline constexpr size_t kDefaultContentsReserve = 12 * 1024;
inline constexpr size_t kMaxContentsReserve = 256 * 1024;

struct SignOptions {
  SubFilter sub_filter = SubFilter::kEtsiCadesDetached;
  pki::Time signing_time = pki::now_seconds();  // /M, the printed time, and signingTime for adbe.pkcs7
  // Field name (/T); empty: "Signature<n>" with the first free n. An existing
  // name is refused (kConflict).
  std::string field_name;
  // DocMDP certification: only for the first signature of a document, with
  // the permissions docmdp_permission (ISO 32000-1 Table 254): 1 no changes
  // at all, 2 form filling and further signatures, 3 as 2 plus annotations.
  bool certify = false;
  int docmdp_permission = 2;
  size_t contents_reserve = kDefaultContentsReserve;  // bytes of DER; /Contents holds twice as many hex digits
  size_t max_pdf_bytes = kDefaultMaxPdfBytes;
};

// The two ranges of /ByteRange [offset1 length1 offset2 length2]; offset1 is 0
// and [length1, offset2) is exactly the /Contents hex string.
struct ByteRange {
  uint64_t offset1 = 0;
  uint64_t length1 = 0;
  uint64_t offset2 = 0;
  uint64_t length2 = 0;
};

struct PreparedPdf {
  Bytes pdf;               // the whole document with the update; /Contents all '0'
  ByteRange byte_range;
  crypto::Digest digest;   // SM3 over the two ranges
  SubFilter sub_filter = SubFilter::kEtsiCadesDetached;
  pki::Time signing_time;
  std::string field_name;
  std::vector<ResolvedPlacement> placements;  // where the widgets went
};

// Errors: the document errors of pdf_document.h (over options.max_pdf_bytes,
// not a PDF, encrypted, malformed); the placement errors of seal_placement.h;
// the appearance errors of seal_appearance.h; kInvalidArgument for a bad
// field name, a reserve beyond kMaxContentsReserve, certify on a signed
// document or with a docmdp_permission other than 1, 2, 3; kConflict for a field name in use or a document certified with
// P=1 (no changes allowed).
Result<PreparedPdf> prepare_signature(ByteView pdf, const std::vector<SealPlacement>& placements,
                                      const SealAppearance& appearance, const SignOptions& options = {});

// The CMS options that match the prepared signature: no signingTime attribute
// for ETSI.CAdES.detached, signingTime = /M for adbe.pkcs7.detached; detached.
pki::CmsSignOptions cms_sign_options(const PreparedPdf& prepared);

// kPayloadTooLarge when the DER does not fit the reserve; kInvalidArgument
// when the DER is not one complete ASN.1 SEQUENCE or `prepared` is not a
// prepared document (its /Contents is not reserved where its ByteRange says).
Result<Bytes> embed_signature(const PreparedPdf& prepared, ByteView cms_der);

}  // namespace duet::pdf
