#include "http/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace duet::http {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  // "/a/b" -> {"a", "b"}; "/" -> {""}; keeps empty segments ("/a//b").
  std::vector<std::string_view> out;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_token_char(char c) {
  // RFC 9110 tchar
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// Compares specificity of two matching routes: negative if a is more specific.
int compare_specificity(const auto& a, const auto& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].param != b[i].param) return a[i].param ? 1 : -1;
  }
  return 0;
}

}  // namespace

Status Router::add(std::string method, std::string pattern, Handler handler) {
  if (method.empty() || !std::all_of(method.begin(), method.end(), is_token_char))
    return make_error(ErrorCode::kInvalidArgument, "route method is not an HTTP token");
  if (!handler) return make_error(ErrorCode::kInvalidArgument, "route has no handler: " + pattern);
  if (pattern.empty() || pattern[0] != '/')
    return make_error(ErrorCode::kInvalidArgument, "route pattern must start with '/': " + pattern);
  if (pattern.find_first_of("?#") != std::string::npos)
    return make_error(ErrorCode::kInvalidArgument, "route pattern has a query or fragment: " + pattern);

  std::vector<Segment> segments;
  std::set<std::string, std::less<>> names;
  for (std::string_view s : split_path(pattern)) {
    Segment seg;
    if (!s.empty() && s.front() == '{') {
      if (s.size() < 3 || s.back() != '}')
        return make_error(ErrorCode::kInvalidArgument, "bad parameter segment in " + pattern);
      std::string_view name = s.substr(1, s.size() - 2);
      if (!std::all_of(name.begin(), name.end(), is_name_char))
        return make_error(ErrorCode::kInvalidArgument, "bad parameter name in " + pattern);
      if (!names.emplace(name).second)
        return make_error(ErrorCode::kInvalidArgument, "repeated parameter name in " + pattern);
      seg.param = true;
      seg.text = std::string(name);
    } else {
      if (s.find_first_of("{}") != std::string_view::npos)
        return make_error(ErrorCode::kInvalidArgument,
                          "a parameter must be a whole segment in " + pattern);
      seg.text = std::string(s);
    }
    segments.push_back(std::move(seg));
  }

  for (const Route& r : routes_) {
    if (r.method != method || r.segments.size() != segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < segments.size() && same; ++i) {
      same = r.segments[i].param == segments[i].param &&
             (segments[i].param || r.segments[i].text == segments[i].text);
    }
    if (same)
      return make_error(ErrorCode::kInvalidArgument,
                        "duplicate route " + method + " " + pattern + " (vs " + r.pattern + ")");
  }
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
  return Status::Ok();
}

Router& Router::on(std::string method, std::string pattern, Handler handler) {
  Status st = add(method, pattern, std::move(handler));
  if (!st.ok()) {
    std::fprintf(stderr, "duet::http::Router: %s\n", st.error().to_string().c_str());
    std::abort();
  }
  return *this;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  if (path.empty() || path[0] != '/') return result;
  std::vector<std::string_view> parts = split_path(path);

  const Route* best = nullptr;            // best route for this method
  const Route* best_other = nullptr;      // best route for the path, any method
  std::set<std::string> allow;
  for (const Route& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      ok = r.segments[i].param ? !parts[i].empty() : r.segments[i].text == parts[i];
    }
    if (!ok) continue;
    if (r.method == method) {
      if (!best || compare_specificity(r.segments, best->segments) < 0) best = &r;
    } else {
      allow.insert(r.method);
      if (!best_other || compare_specificity(r.segments, best_other->segments) < 0) best_other = &r;
    }
  }
  if (best) {
    result.kind = MatchKind::kFound;
    result.handler = &best->handler;
    result.pattern = best->pattern;
    result.max_body_bytes = best->max_body_bytes;
    for (size_t i = 0; i < parts.size(); ++i)
      if (best->segments[i].param)
        result.params.emplace(best->segments[i].text, percent_decode(parts[i]));
    return result;
  }
  if (best_other) {
    result.kind = MatchKind::kMethodNotAllowed;
    result.pattern = best_other->pattern;
    result.allow.assign(allow.begin(), allow.end());
  }
  return result;
}

Status Router::set_max_body_bytes(std::string_view method, std::string_view pattern, size_t max_body_bytes) {
  for (Route& r : routes_) {
    if (r.method == method && r.pattern == pattern) {
      r.max_body_bytes = max_body_bytes;
      return Status::Ok();
    }
  }
  return make_error(ErrorCode::kNotFound, "no route " + std::string(method) + " " + std::string(pattern));
}

size_t Router::largest_route_body_limit() const {
  size_t out = 0;
  for (const Route& r : routes_) out = std::max(out, r.max_body_bytes);
  return out;
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const Route& r : routes_) out.push_back({r.method, r.pattern});
  return out;
}

bool Router::has_pattern(std::string_view pattern) const {
  return std::any_of(routes_.begin(), routes_.end(),
                     [&](const Route& r) { return r.pattern == pattern; });
}

}  // namespace duet::http
