// Internal to src/pdf (includes PoDoFo): what the revisions after a signed
// one changed, object by object, sorted into what a signature permits
// afterwards and what it does not.
//
// Allowed (ISO 32000-1 §12.8.2.2.2 DocMDP P=2, the changes a later signer
// makes): new objects that nothing else refers to; a page whose only change
// is /Annots gaining signature widgets; arrays gaining signature fields or
// widgets (/Fields, /Annots, /Kids); the AcroForm's /Fields, /SigFlags, /DR,
// /DA; the catalog's /AcroForm; the document information dictionary
// (metadata: PoDoFo rewrites /ModDate on every update). Everything else —
// page content, resources, other annotations, removed objects, an earlier
// signature's dictionary — is a modification.
#pragma once

#include <podofo/podofo.h>

#include <string>
#include <vector>

namespace duet::pdf::internal {

struct ObjectChange {
  bool allowed = false;
  std::string what;  // e.g. "page 1 0 R: /Annots gained a signature widget"; never document text
};

std::vector<ObjectChange> diff_revisions(PoDoFo::PdfMemDocument& signed_doc, PoDoFo::PdfMemDocument& final_doc);

}  // namespace duet::pdf::internal
