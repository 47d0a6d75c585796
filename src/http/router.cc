// Router: a segment trie over route patterns, walked without allocation on the request path; only
// the matched route's parameters are decoded into strings.
#include "http/router.h"

#include <array>
#include <boost/url/decode_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/segments_encoded_view.hpp>
#include <boost/url/url_view.hpp>
#include <stdexcept>

namespace tollgate::http {

namespace bhttp = boost::beast::http;
namespace urls = boost::urls;

namespace {

constexpr size_t kMaxParams = 16;

bool IsParam(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Splits "/a/{b}/*" into {"a", "{b}", "*"}; "/" gives no segments. Throws on a malformed pattern.
std::vector<std::string> SplitPattern(const std::string& pattern) {
  auto fail = [&](const char* why) {
    throw std::invalid_argument("route pattern \"" + pattern + "\": " + why);
  };
  if (pattern.empty() || pattern.front() != '/') fail("must start with '/'");
  std::vector<std::string> segments;
  if (pattern == "/") return segments;
  size_t params = 0;
  for (size_t begin = 1;;) {
    size_t end = pattern.find('/', begin);
    std::string segment = pattern.substr(begin, end == std::string::npos ? end : end - begin);
    if (segment.empty()) fail("empty segment");
    if (!segments.empty() && segments.back() == "*") fail("\"*\" must be the last segment");
    if (IsParam(segment) && ++params > kMaxParams) fail("too many {name} segments");
    if (segment.find_first_of("{}") != std::string::npos && !IsParam(segment)) {
      fail("a {name} must be a whole segment");
    }
    segments.push_back(std::move(segment));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return segments;
}

uint64_t Bit(bhttp::verb v) { return uint64_t{1} << static_cast<unsigned>(v); }

std::string AllowHeader(uint64_t allowed) {
  if (allowed & Bit(bhttp::verb::get)) allowed |= Bit(bhttp::verb::head);
  std::string out;
  for (unsigned v = 0; v < 64; ++v) {
    if (!(allowed & (uint64_t{1} << v))) continue;
    if (!out.empty()) out += ", ";
    out += bhttp::to_string(static_cast<bhttp::verb>(v));
  }
  return out;
}

}  // namespace

std::string_view PathParams::Get(std::string_view name) const {
  for (const auto& [key, value] : items_) {
    if (key == name) return value;
  }
  return {};
}

// One walk over the trie for one request. Tries, at each segment, the literal child, then the
// {name} child, then "*", returning the first route whose method matches; meanwhile collects the
// methods of every route whose pattern matches the path, for the 405 answer.
struct Router::Matcher {
  using Iter = urls::segments_encoded_view::iterator;

  const Router& router;
  bhttp::verb method;
  const char* path_end;
  uint64_t allowed = 0;
  std::array<urls::pct_string_view, kMaxParams> params{};
  std::string_view rest;  // encoded text matched by "*"

  int Match(uint32_t index, Iter it, Iter end, size_t depth) {
    const Node& node = router.nodes_[index];
    if (it == end) {
      if (int route = Pick(node); route >= 0) return route;
    } else {
      urls::pct_string_view segment = *it;
      Iter next = std::next(it);
      for (const auto& [literal, child] : node.literals) {
        if (*segment == literal) {
          if (int route = Match(child, next, end, depth); route >= 0) return route;
          break;
        }
      }
      if (node.param != 0 && !segment.empty()) {
        params[depth] = segment;
        if (int route = Match(node.param, next, end, depth + 1); route >= 0) return route;
      }
    }
    if (node.wildcard != 0) {
      rest = it == end ? std::string_view() : std::string_view(it->data(), path_end - it->data());
      if (int route = Pick(router.nodes_[node.wildcard]); route >= 0) return route;
    }
    return -1;
  }

  // The route at `node` for the request's method (HEAD falls back to GET), else -1.
  int Pick(const Node& node) {
    int get = -1;
    for (uint32_t route : node.routes) {
      bhttp::verb m = router.entries_[route].method;
      if (m == method) return static_cast<int>(route);
      if (m == bhttp::verb::get) get = static_cast<int>(route);
      allowed |= Bit(m);
    }
    return method == bhttp::verb::head ? get : -1;
  }
};

void Router::Add(bhttp::verb method, std::string pattern, RouteHandler handler) {
  std::vector<std::string> segments = SplitPattern(pattern);
  if (nodes_.empty()) nodes_.emplace_back();
  uint32_t at = 0;
  for (const std::string& segment : segments) {
    // Indices, not references: emplace_back may move the nodes.
    auto child_of = [&](uint32_t parent) -> uint32_t {
      Node& node = nodes_[parent];
      if (segment == "*") return node.wildcard;
      if (IsParam(segment)) return node.param;
      for (const auto& [literal, child] : node.literals) {
        if (literal == segment) return child;
      }
      return 0;
    };
    uint32_t next = child_of(at);
    if (next == 0) {
      next = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
      Node& node = nodes_[at];
      if (segment == "*") {
        node.wildcard = next;
      } else if (IsParam(segment)) {
        node.param = next;
      } else {
        node.literals.emplace_back(segment, next);
      }
    }
    at = next;
  }
  for (uint32_t route : nodes_[at].routes) {
    if (entries_[route].method == method) {
      throw std::invalid_argument("route " + std::string(bhttp::to_string(method)) + " " + pattern +
                                  " duplicates " + entries_[route].pattern);
    }
  }
  nodes_[at].routes.push_back(static_cast<uint32_t>(entries_.size()));
  entries_.push_back(Entry{method, std::move(pattern), std::move(segments), std::move(handler)});
}

Response Router::Dispatch(const Request& request, const RequestContext& context) const {
  urls::result<urls::url_view> target = urls::parse_uri_reference(request.target());
  if (!target || !target->is_path_absolute()) {
    return Problem(400, "invalid_target", "the request target is not a valid absolute path", {},
                   request.version());
  }
  urls::segments_encoded_view segments = target->encoded_segments();
  std::string_view path = target->encoded_path();
  Matcher matcher{*this, request.method(), path.data() + path.size()};
  int route = nodes_.empty() ? -1 : matcher.Match(0, segments.begin(), segments.end(), 0);
  if (route < 0) {
    if (matcher.allowed == 0) {
      return Problem(404, "route_not_found", "no route matches this path", {}, request.version());
    }
    Response response = Problem(405, "method_not_allowed", "the path does not support this method",
                                {}, request.version());
    response.set(bhttp::field::allow, AllowHeader(matcher.allowed));
    return response;
  }

  const Entry& entry = entries_[route];
  PathParams params;
  size_t index = 0;
  for (const std::string& segment : entry.segments) {
    if (IsParam(segment)) {
      params.Add(segment.substr(1, segment.size() - 2), matcher.params[index++].decode());
    } else if (segment == "*") {
      params.Add("*", urls::pct_string_view(matcher.rest).decode());
    }
  }
  return entry.handler(request, context, params);
}

std::vector<Router::Route> Router::Routes() const {
  std::vector<Route> routes;
  routes.reserve(entries_.size());
  for (const Entry& entry : entries_) routes.push_back(Route{entry.method, entry.pattern});
  return routes;
}

}  // namespace tollgate::http
