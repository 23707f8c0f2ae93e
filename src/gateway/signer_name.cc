#include "gateway/signer_name.h"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include "pki/certificate.h"

namespace duet::gateway {

Result<std::string> certificate_common_name(ByteView pem_or_der) {
  auto cert = pki::Certificate::parse(pem_or_der);
  if (!cert.ok()) return make_error(ErrorCode::kBadEncoding, "the certificate does not parse");
  const X509_NAME* subject = X509_get_subject_name(cert->raw());
  const int at = subject == nullptr ? -1 : X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0) return make_error(ErrorCode::kInvalidArgument, "the certificate's subject has no CN");
  // Two CNs would make "the name" ambiguous.
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, at) >= 0)
    return make_error(ErrorCode::kInvalidArgument, "the certificate's subject has more than one CN");
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return make_error(ErrorCode::kBadEncoding, "the certificate's CN is not text");
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  if (out.empty()) return make_error(ErrorCode::kInvalidArgument, "the certificate's CN is empty");
  return out;
}

Result<std::string> current_certificate_name(std::string_view certificates_json, int64_t now) {
  auto j = nlohmann::json::parse(certificates_json, nullptr, false);
  if (!j.is_object() || !j.contains("certificates") || !j["certificates"].is_array())
    return make_error(ErrorCode::kUnavailable, "duetd's certificate list does not parse");
  for (const auto& c : j["certificates"]) {
    if (!c.is_object() || c.value("status", "") != "good") continue;
    const auto nb = c.find("not_before");
    const auto na = c.find("not_after");
    if (nb == c.end() || na == c.end() || !nb->is_number_integer() || !na->is_number_integer()) continue;
    // Five minutes' grace for a clock behind duetd's (a certificate issued a moment ago).
    if (nb->get<int64_t>() > now + 300 || na->get<int64_t>() <= now) continue;
    const auto pem = c.find("certificate_pem");
    if (pem == c.end() || !pem->is_string()) continue;
    return certificate_common_name(as_bytes(pem->get_ref<const std::string&>()));
  }
  return make_error(ErrorCode::kNotFound, "the holder has no valid certificate");
}

bool valid_holder_id(std::string_view holder_id) {
  if (holder_id.empty() || holder_id.size() > 64) return false;
  for (char ch : holder_id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                    ch == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace duet::gateway
