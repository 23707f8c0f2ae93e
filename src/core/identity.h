// Identity checks at enrollment (docs/api/openapi.yaml, issue 4): adapters to the
// outside world, implemented in the server layer (HTTP, files) and by tests.
//
// - IdentitySource: a trusted identity data source answers whether a claimed
//   identity (name, ID type and number, phone) matches its records.
// - SmsSender: delivers the one-time code checked at activation.
// Neither logs what it is given; both are called outside store transactions.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace duet::core {

struct IdentityClaim {
  std::string name;
  std::string id_type;
  std::string id_number;
  std::string phone;
};

struct IdentityVerdict {
  bool match = false;
  std::string reference;  // the source's reference for its answer (kept with the holder)
  std::string reason;     // why not, when match is false (no personal data)
};

class IdentitySource {
 public:
  virtual ~IdentitySource() = default;
  // kUnavailable when the source cannot be asked (the holder is not created).
  virtual Result<IdentityVerdict> verify(const IdentityClaim& claim) = 0;
};

class SmsSender {
 public:
  virtual ~SmsSender() = default;
  virtual Status send(std::string_view phone, std::string_view text) = 0;
};

}  // namespace duet::core
