// Fuzz target: the OCSP responder (pki/ocsp.h ocsp_respond), which reads an
// untrusted DER OCSPRequest from GET/POST /pki/ocsp.
//
// Invariants checked:
//  - whatever the request, an answer is produced (a DER OCSPResponse: a
//    request that does not parse gets malformedRequest, never an error or a
//    crash), and it is a SEQUENCE;
//  - a successful answer (status 0) is signed by the responder: its
//    signature verifies under the responder's certificate.
#include "fuzz_util.h"
#include "crypto/point.h"
#include "crypto/random.h"
#include "pki/ca.h"
#include "pki/issuer.h"
#include "pki/ocsp.h"

namespace {

using namespace duet;

struct Responder {
  pki::CaHierarchy ca;
  crypto::Scalar key = crypto::Scalar::random_nonzero(crypto::SystemRandom::instance());
  pki::OcspResponderConfig config;

  Responder()
      : ca(pki::create_ca_hierarchy(pki::CaProfile{}, crypto::SystemRandom::instance()).value()),
        config{ca.issuing_certificate,
               pki::issue_ocsp_signer_certificate(ca.issuing_ca(), crypto::Point::mul_base(key).value(),
                                                  {"CN", "Duet", "", "Duet OCSP", ""}, std::chrono::days(30),
                                                  crypto::SystemRandom::instance())
                   .value(),
               key} {}
};

// OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, ... }: the status
// byte of a short-form DER encoding (the responses here are far under 2^32).
int response_status(const Bytes& der) {
  if (der.size() < 5 || der[0] != 0x30) return -1;
  size_t at = 2;
  if (der[1] & 0x80) at += der[1] & 0x7f;
  if (at + 2 >= der.size() || der[at] != 0x0a || der[at + 1] != 1) return -1;
  return der[at + 2];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Responder r;
  // Every third serial is revoked, the others good: both branches are built.
  pki::StatusLookup lookup = [](ByteView serial) -> Result<pki::StatusAnswer> {
    if (!serial.empty() && serial.back() % 3 == 0)
      return pki::StatusAnswer{pki::CertStatus::kRevoked, pki::now_seconds(), pki::RevocationReason::kKeyCompromise};
    return pki::StatusAnswer{pki::CertStatus::kGood, {}, {}};
  };
  auto answer = pki::ocsp_respond(r.config, ByteView(data, size), lookup);
  FUZZ_CHECK(answer.ok());
  const int status = response_status(*answer);
  FUZZ_CHECK(status >= 0);
  if (status == 0) FUZZ_CHECK(pki::verify_ocsp_response_signature(*answer, r.config.signer).ok());
  return 0;
}
