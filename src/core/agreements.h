// The versioned texts a holder accepts before identity checking and issuance
// (docs/consent.md): the subscriber agreement and the consent to the
// identity-data-source check. The texts are the files under docs/agreements/
// (zh-CN), compiled into the service as they are (agreement_texts.cc is
// generated from them by CMake), so the SM3 a client shows is the SM3 of the
// file in the repository.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace duet::core {

inline constexpr std::string_view kSubscriberAgreement = "subscriber_agreement";
inline constexpr std::string_view kIdentityCheck = "identity_check";

struct AgreementText {
  std::string document;  // kSubscriberAgreement | kIdentityCheck
  std::string version;   // "v1", …
  std::string language;  // "zh-CN"
  std::string text;      // the file's bytes (UTF-8 Markdown)
  Bytes sm3;             // SM3 of text, 32 bytes
  bool current = false;  // the version enrollment requires now
};

// Every known version of every text, oldest first per document.
const std::vector<AgreementText>& agreement_texts();
// The current version of `document`; nullptr for an unknown document.
const AgreementText* current_agreement(std::string_view document);
// One version; nullptr when unknown.
const AgreementText* find_agreement(std::string_view document, std::string_view version);

}  // namespace duet::core
