// The portal's FAQ (常见问题): the Markdown files docs/faq/*.md, compiled into
// duetd at build time (cmake/faq_embed.cmake), so nothing is read from disk
// or fetched at run time. An entry's title is its file's first "# " line.
#pragma once

#include <string_view>
#include <vector>

namespace duet::server {

struct FaqEntry {
  std::string_view slug;   // the file name without .md
  std::string_view title;
  std::string_view body;   // the whole file, Markdown
};

// Every entry, by slug.
const std::vector<FaqEntry>& faq_entries();

// The entries whose title or body contains every word of `query`
// (ASCII case-insensitive; other bytes compared as they are, so Chinese
// words match too); all entries for an empty query. Titles matching rank first.
std::vector<const FaqEntry*> search_faq(std::string_view query);

// docs/integration.md, compiled in the same way (the portal's guided
// integration shows its examples).
std::string_view integration_guide();

}  // namespace duet::server
