#include "pki/lint.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "pki/identify_code.h"
#include "pki/ossl.h"

namespace duet::pki {
namespace {

Unexpected refuse(const std::string& why) { return make_error(ErrorCode::kInvalidArgument, "lint: " + why); }

// -1 absent, 0 present non-critical, 1 present critical.
int criticality(X509* x, int nid) {
  int i = X509_get_ext_by_NID(x, nid, -1);
  if (i < 0) return -1;
  return X509_EXTENSION_get_critical(X509_get_ext(x, i)) ? 1 : 0;
}

template <typename T, void (*F)(T*)>
struct Decoded {
  T* p;
  explicit Decoded(void* v) : p(static_cast<T*>(v)) {}
  ~Decoded() {
    if (p) F(p);
  }
  Decoded(const Decoded&) = delete;
  Decoded& operator=(const Decoded&) = delete;
};

void free_crldp(CRL_DIST_POINTS* d) { CRL_DIST_POINTS_free(d); }
void free_aia(AUTHORITY_INFO_ACCESS* a) { AUTHORITY_INFO_ACCESS_free(a); }
void free_pols(CERTIFICATEPOLICIES* p) { CERTIFICATEPOLICIES_free(p); }
void free_bc(BASIC_CONSTRAINTS* b) { BASIC_CONSTRAINTS_free(b); }
void free_bits(ASN1_BIT_STRING* b) { ASN1_BIT_STRING_free(b); }
void free_octets(ASN1_OCTET_STRING* o) { ASN1_OCTET_STRING_free(o); }
void free_akid(AUTHORITY_KEYID* a) { AUTHORITY_KEYID_free(a); }

// keyUsage bits as X509_get_key_usage reports them. Extensions are decoded
// directly (X509_get_ext_d2i): the to-be-signed certificate must not get
// OpenSSL's extension cache filled before it is signed.
long key_usage_bits(X509* x) {
  Decoded<ASN1_BIT_STRING, free_bits> ku(X509_get_ext_d2i(x, NID_key_usage, nullptr, nullptr));
  if (!ku.p) return -1;
  long bits = 0;
  for (int i = 0; i < 9; ++i) {
    if (ASN1_BIT_STRING_get_bit(ku.p, i)) bits |= (i < 8 ? (0x80L >> i) : 0x8000L);
  }
  return bits;
}

bool is_uri(const GENERAL_NAME* g) {
  return g != nullptr && g->type == GEN_URI && g->d.uniformResourceIdentifier != nullptr &&
         ASN1_STRING_length(g->d.uniformResourceIdentifier) > 0;
}

bool has_crl_uri(X509* x) {
  Decoded<CRL_DIST_POINTS, free_crldp> dps(X509_get_ext_d2i(x, NID_crl_distribution_points, nullptr, nullptr));
  if (!dps.p) return false;
  for (int i = 0; i < sk_DIST_POINT_num(dps.p); ++i) {
    DIST_POINT* dp = sk_DIST_POINT_value(dps.p, i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;
    GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      if (is_uri(sk_GENERAL_NAME_value(names, j))) return true;
    }
  }
  return false;
}

bool has_ocsp_uri(X509* x) {
  Decoded<AUTHORITY_INFO_ACCESS, free_aia> aia(X509_get_ext_d2i(x, NID_info_access, nullptr, nullptr));
  if (!aia.p) return false;
  for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia.p); ++i) {
    ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia.p, i);
    if (OBJ_obj2nid(ad->method) == NID_ad_OCSP && is_uri(ad->location)) return true;
  }
  return false;
}

bool has_only_policy(X509* x, const std::string& oid) {
  Decoded<CERTIFICATEPOLICIES, free_pols> pols(X509_get_ext_d2i(x, NID_certificate_policies, nullptr, nullptr));
  if (!pols.p || sk_POLICYINFO_num(pols.p) != 1) return false;
  ossl::ObjPtr want(OBJ_txt2obj(oid.c_str(), 1));
  return want && OBJ_cmp(sk_POLICYINFO_value(pols.p, 0)->policyid, want.get()) == 0;
}

// ISO 7064 MOD 11-2 check of an 18-character PRC resident ID.
bool valid_resident_id_checksum(std::string_view id) {
  static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static const char check[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[static_cast<size_t>(i)] - '0') * weights[i];
  return std::toupper(static_cast<unsigned char>(id[17])) == check[sum % 11];
}

// The IdentifyCode extensions of `x` (by index); normally none or one.
std::vector<int> identify_code_extensions(X509* x) {
  std::vector<int> out;
  ossl::ObjPtr oid(OBJ_txt2obj(kIdentifyCodeOid, 1));
  if (!oid) return out;
  for (int i = X509_get_ext_by_OBJ(x, oid.get(), -1); i >= 0; i = X509_get_ext_by_OBJ(x, oid.get(), i)) out.push_back(i);
  return out;
}

// The IdentifyCode extension against the policy; *allowed gets the index of
// the one extension the raw-ID scan may skip (-1: none).
Status check_identify_code(X509* x, const IssuancePolicy& policy, int* allowed) {
  *allowed = -1;
  std::vector<int> at = identify_code_extensions(x);
  if (policy.expected_identify_code.empty()) {
    if (!at.empty()) return refuse("identity-code extension present, but the tenant's policy is none");
    return Status::Ok();
  }
  if (at.size() != 1) return refuse("identity-code extension missing or repeated");
  X509_EXTENSION* ext = X509_get_ext(x, at[0]);
  if (X509_EXTENSION_get_critical(ext)) return refuse("identity-code extension is critical");
  auto want = encode_identify_code(policy.expected_identify_code);
  if (!want.ok()) return refuse("the expected identity code is not a resident ID number");
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  if (static_cast<size_t>(ASN1_STRING_length(value)) != want->size() ||
      !std::equal(want->begin(), want->end(), ASN1_STRING_get0_data(value))) {
    return refuse("identity-code extension is not the holder's");
  }
  *allowed = at[0];
  return Status::Ok();
}

template <typename T>
bool append_der(std::string& out, const T* item, int (*encode)(const T*, unsigned char**)) {
  unsigned char* p = nullptr;
  int n = encode(item, &p);
  if (n <= 0) return false;
  out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  OPENSSL_free(p);
  return true;
}

// True if `needle` (at least kMinLiteralIdNumber characters) occurs in
// `hay`, ASCII letters compared without case.
bool contains_ignoring_case(std::string_view hay, std::string_view needle) {
  if (needle.size() < kMinLiteralIdNumber) return false;
  auto same = [](char a, char b) {
    return std::toupper(static_cast<unsigned char>(a)) == std::toupper(static_cast<unsigned char>(b));
  };
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), same) != hay.end();
}

// The raw-ID scan over every part of the to-be-signed certificate that can
// carry text — issuer, subject, every extension (names, URLs, anything a
// profile might add) — except the one allowed extension. (The serial,
// validity, key and algorithm are numbers and fixed encodings.) Scanned as
// DER, so the number is found whatever string type holds it: anything shaped
// like a resident ID number, and the holder's own number of any type.
Status check_no_raw_id(X509* x, int allowed, std::string_view holder_id_number) {
  std::string der;
  bool ok = append_der<X509_NAME>(der, X509_get_issuer_name(x), i2d_X509_NAME) &&
            append_der<X509_NAME>(der, X509_get_subject_name(x), i2d_X509_NAME);
  for (int i = 0; ok && i < X509_get_ext_count(x); ++i) {
    if (i == allowed) continue;
    ok = append_der<X509_EXTENSION>(der, X509_get_ext(x, i), i2d_X509_EXTENSION);
  }
  bool found = ok && (looks_like_resident_id(der) || contains_ignoring_case(der, holder_id_number));
  std::fill(der.begin(), der.end(), '\0');
  if (!ok) return refuse("the certificate cannot be encoded");
  if (found) return refuse("the certificate carries what looks like a raw ID number");
  return Status::Ok();
}

}  // namespace

bool looks_like_resident_id(std::string_view v) {
  auto digit = [&](size_t i) { return i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])) != 0; };
  auto alnum = [&](size_t i) { return i < v.size() && std::isalnum(static_cast<unsigned char>(v[i])) != 0; };
  for (size_t i = 0; i < v.size(); ++i) {
    if (!digit(i) || (i > 0 && digit(i - 1))) continue;  // start of a digit run
    size_t j = i;
    while (digit(j)) ++j;
    size_t run = j - i;
    // 17 digits + check character (digit or X), anywhere, with a valid check.
    if (run == 18 || (run == 17 && j < v.size() && (v[j] == 'X' || v[j] == 'x'))) {
      if (valid_resident_id_checksum(v.substr(i, 18))) return true;
    }
    // The old 15-digit form as a whole token.
    if (run == 15 && (i == 0 || !alnum(i - 1)) && !alnum(j)) return true;
  }
  return false;
}

Status lint_certificate(X509* x, X509* issuer, const IssuancePolicy& policy) {
  if (x == nullptr || issuer == nullptr) return refuse("no certificate");
  if (X509_get_version(x) != X509_VERSION_3) return refuse("not an X.509 v3 certificate");
  if (!ossl::point_of(X509_get0_pubkey(x)).ok()) return refuse("subject key is not an SM2 public key");

  // Serial.
  const ASN1_INTEGER* sn = X509_get0_serialNumber(x);
  ossl::BnPtr bn(ASN1_INTEGER_to_BN(sn, nullptr));
  if (!bn || BN_is_negative(bn.get()) || BN_is_zero(bn.get())) return refuse("serial number must be positive");
  int octets = BN_num_bytes(bn.get());
  if (octets > 20) return refuse("serial number longer than 20 octets");
  if (octets < 8) return refuse("serial number shorter than 64 bits");
  if (policy.serial_is_unused) {
    Bytes serial(static_cast<size_t>(octets));
    BN_bn2bin(bn.get(), serial.data());
    DUET_ASSIGN_OR_RETURN(bool unused, policy.serial_is_unused(serial));
    if (!unused) return refuse("serial number already used");
  }

  // Validity.
  DUET_ASSIGN_OR_RETURN(Time nb, ossl::from_asn1_time(X509_get0_notBefore(x)));
  DUET_ASSIGN_OR_RETURN(Time na, ossl::from_asn1_time(X509_get0_notAfter(x)));
  DUET_ASSIGN_OR_RETURN(Time inb, ossl::from_asn1_time(X509_get0_notBefore(issuer)));
  DUET_ASSIGN_OR_RETURN(Time ina, ossl::from_asn1_time(X509_get0_notAfter(issuer)));
  if (!(nb < na)) return refuse("notBefore is not before notAfter");
  if (nb < inb) return refuse("validity starts before the issuer's");
  if (na > ina) return refuse("validity ends after the issuer's");
  if (na - nb > policy.max_validity) return refuse("validity longer than the policy allows");

  // Names.
  if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(issuer)) != 0) {
    return refuse("issuer name is not the issuing CA's subject");
  }
  DistinguishedName dn = ossl::dn_fields(X509_get_subject_name(x));
  if (dn.common_name.empty()) return refuse("subject has no CN");
  if (!policy.expected_common_name.empty() && dn.common_name != policy.expected_common_name) {
    return refuse("subject CN is not the name the service meant to certify");
  }
  if (dn.serial_number.empty()) return refuse("subject has no serialNumber");
  if (!dn.country.empty() && dn.country.size() != 2) return refuse("subject C is not a two-letter code");
  if (policy.expected_organizational_unit) {
    const std::string& ou = *policy.expected_organizational_unit;
    if (dn.organizational_unit != ou) return refuse("subject OU is not the environment marker the service meant to write");
    if (!ou.empty() && ossl::dn_fields(X509_get_subject_name(issuer)).organizational_unit != ou) {
      return refuse("subject OU marks an environment the issuing CA does not belong to");
    }
  }
  for (const std::string* f : {&dn.common_name, &dn.serial_number, &dn.organization, &dn.organizational_unit}) {
    if (looks_like_resident_id(*f)) return refuse("subject carries what looks like a raw ID number");
  }

  // Extensions.
  if (criticality(x, NID_key_usage) != 1) return refuse("keyUsage missing or not critical");
  if (key_usage_bits(x) != (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) {
    return refuse("keyUsage is not exactly digitalSignature + nonRepudiation");
  }
  {
    Decoded<BASIC_CONSTRAINTS, free_bc> bc(X509_get_ext_d2i(x, NID_basic_constraints, nullptr, nullptr));
    if (!bc.p || bc.p->ca) return refuse("basicConstraints missing or CA:TRUE");
  }
  {
    Decoded<ASN1_OCTET_STRING, free_octets> ski(X509_get_ext_d2i(x, NID_subject_key_identifier, nullptr, nullptr));
    if (!ski.p) return refuse("subjectKeyIdentifier missing");
    Decoded<AUTHORITY_KEYID, free_akid> aki(X509_get_ext_d2i(x, NID_authority_key_identifier, nullptr, nullptr));
    Decoded<ASN1_OCTET_STRING, free_octets> issuer_ski(
        X509_get_ext_d2i(issuer, NID_subject_key_identifier, nullptr, nullptr));
    if (!aki.p || aki.p->keyid == nullptr || !issuer_ski.p || ASN1_OCTET_STRING_cmp(aki.p->keyid, issuer_ski.p) != 0) {
      return refuse("authorityKeyIdentifier missing or not the issuer's key identifier");
    }
  }
  if (!has_crl_uri(x)) return refuse("CRL distribution point (URI) missing");
  if (!has_ocsp_uri(x)) return refuse("authorityInfoAccess OCSP URI missing");
  if (policy.policy_oid.empty()) return refuse("the issuance policy names no certificate policy");
  if (!has_only_policy(x, policy.policy_oid)) return refuse("certificatePolicies is not " + policy.policy_oid);
  for (int i = 0; i < X509_get_ext_count(x); ++i) {
    X509_EXTENSION* ext = X509_get_ext(x, i);
    if (X509_EXTENSION_get_critical(ext) && X509_supported_extension(ext) != 1) {
      return refuse("unknown critical extension");
    }
  }
  int allowed_id_extension = -1;
  DUET_TRY_STATUS(check_identify_code(x, policy, &allowed_id_extension));
  DUET_TRY_STATUS(check_no_raw_id(x, allowed_id_extension, policy.holder_id_number));
  ossl::clear_errors();
  return Status::Ok();
}

}  // namespace duet::pki
