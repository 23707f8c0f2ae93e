// DistinguishedName: the subject fields the service puts in certificates and
// requests. Empty fields are left out. Values are UTF-8 (UTF8String), except C
// (PrintableString, two letters) and serialNumber (PrintableString).
#pragma once

#include <string>

namespace duet::pki {

struct DistinguishedName {
  std::string country;              // C, e.g. "CN"
  std::string organization;         // O
  std::string organizational_unit;  // OU
  std::string common_name;          // CN
  // serialNumber (2.5.4.5). For holders this is a keyed-hash-derived pseudonym
  // supplied by the caller, never the raw ID number.
  std::string serial_number;
};

}  // namespace duet::pki
