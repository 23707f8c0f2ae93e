#include "server/faq.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace duet::server {

namespace {

// Generated from docs/faq/*.md and docs/integration.md: kFaqFiles[] =
// {{slug, text}, ...} and kIntegrationGuide.
struct FaqFile {
  std::string_view slug, text;
};
#include "faq_entries.inc"

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view title_of(std::string_view text) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    std::string_view line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.substr(0, 2) == "# ") return line.substr(2);
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return {};
}

}  // namespace

const std::vector<FaqEntry>& faq_entries() {
  static const std::vector<FaqEntry> entries = [] {
    std::vector<FaqEntry> out;
    for (const FaqFile& f : kFaqFiles) out.push_back(FaqEntry{f.slug, title_of(f.text), f.text});
    std::sort(out.begin(), out.end(), [](const FaqEntry& a, const FaqEntry& b) { return a.slug < b.slug; });
    return out;
  }();
  return entries;
}

std::vector<const FaqEntry*> search_faq(std::string_view query) {
  std::vector<std::string> words;
  std::string q = lower(query);
  size_t at = 0;
  while (at < q.size()) {
    size_t end = q.find(' ', at);
    if (end == std::string::npos) end = q.size();
    if (end > at) words.push_back(q.substr(at, end - at));
    at = end + 1;
  }
  std::vector<const FaqEntry*> in_title, in_body;
  for (const FaqEntry& e : faq_entries()) {
    const std::string title = lower(e.title), body = lower(e.body);
    bool all = true, all_title = true;
    for (const auto& w : words) {
      if (title.find(w) == std::string::npos) all_title = false;
      if (body.find(w) == std::string::npos) all = false;
    }
    if (all_title && !words.empty()) in_title.push_back(&e);
    else if (all) in_body.push_back(&e);
  }
  in_title.insert(in_title.end(), in_body.begin(), in_body.end());
  return in_title;
}

std::string_view integration_guide() { return kIntegrationGuide; }

}  // namespace duet::server
