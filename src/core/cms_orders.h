// CMS outputs of sign orders (issue 4 item 6): "cms-detached" and
// "cms-attached" SignedData (pki/cms.h) whose signature is the two-party one.
//
// The device signs e = SM3(Z_A ‖ DER(signed attributes)), so an item's e is
// derived from the signed attributes, which must be the same at every read.
// They are deterministic given what the order fixes when it is created: the
// content (or, for a digest item, its SM3 — detached only), the signer's
// certificate (SignOrder::signer_cert_id: the holder's newest good
// certificate of its active key at creation), the OID style
// (SignOrder::cms_oid_style, from the app's cms_oid_style) and signingTime =
// created_at, or none under SignOrder::cms_profile "pades" (the attributes
// of a PDF order's ETSI.CAdES.detached signature). cms_item_plan() runs pki::cms_sign with a signer that captures
// e and stops; cms_item_assemble() runs it again with the verified signature
// (refusing if the e asked for differs from the item's e).
#pragma once

#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/sm2.h"
#include "crypto/sm3.h"
#include "pki/certificate.h"
#include "store/records.h"

namespace duet::core {

bool is_cms_output(store::OutputFormat f);

struct CmsItemPlan {
  crypto::Digest e{};
  Bytes signed_attributes;  // DER SET OF Attribute (what e covers)
};

Result<CmsItemPlan> cms_item_plan(const pki::Certificate& cert, const store::SignOrder& order,
                                  const store::SignItem& item);

Result<Bytes> cms_item_assemble(const pki::Certificate& cert, const store::SignOrder& order,
                                const store::SignItem& item, const crypto::Digest& expected_e,
                                const crypto::Sm2Signature& signature);

}  // namespace duet::core
