// Method + path-pattern routing. Patterns are absolute paths whose segments are
// literals or `{name}` parameters matching one non-empty segment, e.g.
// "/api/v1/orders/{id}". When several routes match, the most specific wins
// (at the first differing segment a literal beats a parameter). A path that
// matches no pattern is 404; a path that matches only under other methods is
// 405 with Allow.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "http/http.h"

namespace duet::http {

class Router {
 public:
  struct RouteInfo {
    std::string method;
    std::string pattern;
    friend bool operator==(const RouteInfo&, const RouteInfo&) = default;
  };

  enum class MatchKind { kFound, kNotFound, kMethodNotAllowed };

  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    const Handler* handler = nullptr;  // kFound only; owned by the router
    std::string pattern;               // kFound (the route) or kMethodNotAllowed (best path match)
    std::map<std::string, std::string, std::less<>> params;  // percent-decoded
    std::vector<std::string> allow;    // kMethodNotAllowed: methods valid for the path, sorted
    size_t max_body_bytes = 0;         // kFound: the route's own body limit (0: the server's)
  };

  // Registers a route. kInvalidArgument for a malformed pattern, an empty or
  // non-token method, a missing handler, or a route that duplicates an existing
  // one for the same method (patterns equal up to parameter names).
  Status add(std::string method, std::string pattern, Handler handler);

  // As add(), for registration code at startup: a bad route is a programming
  // error, so it aborts with a message on stderr.
  Router& on(std::string method, std::string pattern, Handler handler);
  Router& get(std::string pattern, Handler h) { return on("GET", std::move(pattern), std::move(h)); }
  Router& post(std::string pattern, Handler h) { return on("POST", std::move(pattern), std::move(h)); }
  Router& put(std::string pattern, Handler h) { return on("PUT", std::move(pattern), std::move(h)); }
  Router& patch(std::string pattern, Handler h) { return on("PATCH", std::move(pattern), std::move(h)); }
  Router& del(std::string pattern, Handler h) { return on("DELETE", std::move(pattern), std::move(h)); }

  // Gives the route METHOD `pattern` (registered, exactly as written) its own
  // body limit instead of the server's max_body_bytes, for the few routes that
  // take documents. kNotFound when no such route is registered.
  Status set_max_body_bytes(std::string_view method, std::string_view pattern, size_t max_body_bytes);
  // The largest body limit of any route (0: none set): what the server lets
  // through until the request's headers say which route it is for.
  size_t largest_route_body_limit() const;

  // `path` is the raw request path (no query).
  Match match(std::string_view method, std::string_view path) const;

  // Every registered route, in registration order (for docs/api/openapi.yaml checks).
  std::vector<RouteInfo> routes() const;

  // Whether `pattern` is a registered pattern (any method).
  bool has_pattern(std::string_view pattern) const;

 private:
  struct Segment {
    bool param = false;
    std::string text;  // literal text, or the parameter name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    size_t max_body_bytes = 0;
  };
  std::vector<Route> routes_;
};

}  // namespace duet::http
