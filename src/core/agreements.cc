#include "core/agreements.h"

#include "crypto/sm3.h"

namespace duet::core {
namespace agreement_files {
struct File {
  std::string_view document;
  std::string_view version;
  std::string_view language;
  std::string_view text;
};
extern const File kFiles[];
extern const int kFileCount;
}  // namespace agreement_files

const std::vector<AgreementText>& agreement_texts() {
  static const std::vector<AgreementText> texts = [] {
    std::vector<AgreementText> out;
    for (int i = 0; i < agreement_files::kFileCount; ++i) {
      const auto& f = agreement_files::kFiles[i];
      AgreementText t;
      t.document = std::string(f.document);
      t.version = std::string(f.version);
      t.language = std::string(f.language);
      t.text = std::string(f.text);
      crypto::Digest d = crypto::sm3(as_bytes(t.text));
      t.sm3.assign(d.begin(), d.end());
      out.push_back(std::move(t));
    }
    // The last listed version of each document is the current one.
    for (size_t i = 0; i < out.size(); ++i) {
      bool later = false;
      for (size_t j = i + 1; j < out.size(); ++j) later = later || out[j].document == out[i].document;
      out[i].current = !later;
    }
    return out;
  }();
  return texts;
}

const AgreementText* current_agreement(std::string_view document) {
  for (const AgreementText& t : agreement_texts())
    if (t.current && t.document == document) return &t;
  return nullptr;
}

const AgreementText* find_agreement(std::string_view document, std::string_view version) {
  for (const AgreementText& t : agreement_texts())
    if (t.document == document && t.version == version) return &t;
  return nullptr;
}

}  // namespace duet::core
