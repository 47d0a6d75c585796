// Parsing and allocation-free matching of resource path templates.
#include "core/path_template.h"

namespace tollgate {
namespace {

// Splits "/a/b/c" into segments lazily: the next segment after position `pos` (which points at
// a '/'), advancing `pos`. Returns false at the end.
bool NextSegment(std::string_view path, size_t& pos, std::string_view& segment) {
  if (pos >= path.size()) return false;
  const size_t start = pos + 1;  // skip '/'
  size_t end = path.find('/', start);
  if (end == std::string_view::npos) end = path.size();
  segment = path.substr(start, end - start);
  pos = end;
  return true;
}

bool ValidLiteral(std::string_view s) {
  for (char c : s) {
    if (c == '{' || c == '}' || c == '*' || c == '?' || c == '#' || static_cast<unsigned char>(c) <= 0x20) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<PathTemplate> PathTemplate::Parse(std::string_view text, std::string_view field) {
  const std::string f(field);
  if (text.empty() || text.front() != '/') {
    return Invalid(f, "a path template starts with '/'", "invalid_path_template");
  }
  PathTemplate t;
  t.text_ = std::string(text);
  if (text == "/") {  // the API's root
    t.specificity_.push_back(3);
    return t;
  }
  std::string_view rest = text;
  if (rest.size() > 1 && rest.back() == '/') {
    return Invalid(f, "a path template has no trailing '/'", "invalid_path_template");
  }
  size_t pos = 0;
  std::string_view seg;
  while (NextSegment(rest, pos, seg)) {
    if (seg.empty()) return Invalid(f, "a path template has no empty segment ('//')", "invalid_path_template");
    if (seg == "*") {
      if (pos != rest.size()) {
        return Invalid(f, "'*' may only be the last segment", "invalid_path_template");
      }
      t.segments_.push_back({Kind::kWildcard, {}});
    } else if (seg.front() == '{') {
      if (seg.size() < 3 || seg.back() != '}' || !ValidLiteral(seg.substr(1, seg.size() - 2))) {
        return Invalid(f, "a parameter is a whole segment like '{id}'", "invalid_path_template");
      }
      t.segments_.push_back({Kind::kParam, {}});
    } else {
      if (!ValidLiteral(seg)) {
        return Invalid(f, "a literal segment may not contain '{', '}', '*', '?', '#' or spaces",
                       "invalid_path_template");
      }
      t.segments_.push_back({Kind::kLiteral, std::string(seg)});
    }
  }
  for (const Segment& s : t.segments_) t.specificity_.push_back(static_cast<uint8_t>(s.kind));
  // Longer templates are more specific at equal prefixes: a terminator sorts after any kind.
  t.specificity_.push_back(3);
  return t;
}

bool PathTemplate::Matches(std::string_view path) const {
  if (path.empty()) path = "/";
  if (segments_.empty()) return path == "/";
  size_t pos = 0;
  std::string_view seg;
  for (const Segment& s : segments_) {
    if (s.kind == Kind::kWildcard) return true;  // matches the rest, even nothing
    if (!NextSegment(path, pos, seg)) return false;
    if (s.kind == Kind::kLiteral) {
      if (seg != s.literal) return false;
    } else if (seg.empty()) {
      return false;  // a parameter needs a value
    }
  }
  // Exact length; a single trailing '/' is tolerated ("/pets/" matches "/pets").
  return pos == path.size() || (pos + 1 == path.size() && path.back() == '/');
}

}  // namespace tollgate
