// Maps method + path pattern ("/api/v1/apis/{id}") to a handler. Unknown path → 404, known path
// with another method → 405 with Allow; both as problem+json.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/server.h"

namespace tollgate::http {

// Values of the {name} segments of the matched pattern, URL-decoded. A pattern ending in "*" also
// yields "*": the rest of the path after the matched prefix, decoded ("" when nothing follows).
class PathParams {
 public:
  std::string_view Get(std::string_view name) const;  // "" when absent
  void Add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

using RouteHandler =
    std::function<Response(const Request&, const RequestContext&, const PathParams&)>;

class Router {
 public:
  // Patterns are literal segments and {name} segments; the last segment may be "*" (rest of the
  // path). Literal segments win over {name} at the same position. Not thread-safe to Add while
  // dispatching: build the router, then serve. A malformed pattern (not starting with '/', empty
  // segment, "*" not last, more than 16 {name}s) or a duplicate method + pattern is a programming
  // error: throws std::invalid_argument.
  void Add(boost::beast::http::verb method, std::string pattern, RouteHandler handler);

  // Dispatches on the request target's path (query ignored). Literal segments match the decoded
  // request segment exactly; {name} matches one non-empty segment. When several patterns match,
  // the first in precedence order whose method matches wins, backtracking past a literal if
  // needed (GET /apis/import/docs reaches /apis/{id}/docs). HEAD falls back to GET. No match for
  // the path: 404 "route_not_found"; path matched but no method: 405 "method_not_allowed" with
  // Allow; unparsable target: 400 "invalid_target". Thread-safe (const) once built.
  Response Dispatch(const Request& request, const RequestContext& context) const;

  // The registered routes, e.g. for checking them against the OpenAPI document.
  struct Route {
    boost::beast::http::verb method;
    std::string pattern;
  };
  std::vector<Route> Routes() const;

 private:
  struct Entry {
    boost::beast::http::verb method;
    std::string pattern;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  // A segment trie over the patterns; nodes_[0] is the root. Child links are indices into nodes_
  // (0 = none, since the root is nobody's child), so the Router stays copyable and cheap to walk.
  struct Node {
    std::vector<std::pair<std::string, uint32_t>> literals;
    uint32_t param = 0;            // child for a {name} segment
    uint32_t wildcard = 0;         // node for a trailing "*"
    std::vector<uint32_t> routes;  // indices into entries_ of patterns ending here
  };
  struct Matcher;  // the allocation-free walk, in router.cc
  std::vector<Entry> entries_;
  std::vector<Node> nodes_;
};

// A problem+json response (RFC 9457): {"type","title","status","code","detail"[,"field"]} with
// type "urn:tollgate:problem:<code>" and title the standard reason phrase of `status`.
// Content-Type application/problem+json; Content-Length set.
Response Problem(unsigned status, std::string_view code, std::string_view detail,
                 std::string_view field = {}, unsigned version = 11);

}  // namespace tollgate::http
