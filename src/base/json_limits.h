// Parsing untrusted JSON with a bound on nesting depth.
//
// nlohmann's parser is iterative and so is its destructor, but dump(), copies
// and comparisons recurse once per nesting level. A request body of 100,000
// '[' (200 KB, under the 1 MiB body limit) parses fine and then overflows an
// 8 MB thread stack in dump() — the whole process dies (found by fuzz/
// holder_body: server/json_body.h's parse_wire dumps each protocol message
// before cosign parses it). Every parser of JSON that arrives from outside
// (request bodies, service answers, stored blobs) goes through
// parse_json_bounded, so no value it returns nests deeper than max_depth.
//
// It also refuses a NUL byte anywhere: nlohmann's lexer takes NUL for the end
// of input, so `{"s":"…"}\0<anything>` would parse as the object and silently
// ignore the rest (found by fuzz/json_fields). Valid JSON never holds a raw
// NUL (inside strings it must be escaped as \u0000), so refusing is strict,
// not lossy.
//
// Header-only on purpose: base does not link nlohmann; only code that already
// uses nlohmann includes this.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace duet {

// Deeper than any message of this project (the deepest, a signing session, is
// 4: body → items → item → proof) with room for future fields, far below what
// a thread stack survives (~50,000 levels in dump() on 8 MB).
inline constexpr int kMaxJsonDepth = 64;

// The value of `text`, or a discarded value (is_discarded()) when `text` is
// not JSON, holds a NUL byte, or an object or array in it lies more than
// max_depth containers deep (the top-level value is at depth 1). Never
// throws except bad_alloc.
// Linear time: after the limit is hit the rest is scanned but not kept.
inline nlohmann::json parse_json_bounded(std::string_view text, int max_depth = kMaxJsonDepth) {
  using nlohmann::json;
  if (text.find('\0') != std::string_view::npos) return json(json::value_t::discarded);
  bool too_deep = false;
  // `depth` is the number of containers enclosing the event's value.
  auto limit = [&](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= max_depth) {
      too_deep = true;
    }
    return !too_deep;  // once too deep, nothing more is kept: the tree stays shallow
  };
  json j = json::parse(text.begin(), text.end(), limit, /*allow_exceptions=*/false);
  if (too_deep) return json(json::value_t::discarded);
  return j;
}

}  // namespace duet
