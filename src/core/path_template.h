// Path templates of API resources ("/pets/{id}", "/files/*") compiled for matching, with the
// precedence OpenAPI specifies: at each segment a literal beats a {param}, which beats "*".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tollgate {

// The path part of a request target: everything before the first '?' or '#'. (A plain loop:
// std::string_view::find_first_of calls memchr once per character.)
inline std::string_view PathOfTarget(std::string_view target) {
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '?' || target[i] == '#') return target.substr(0, i);
  }
  return target;
}

class PathTemplate {
 public:
  // Parses a template. Rules: starts with '/'; segments are literals, "{name}" (whole segment),
  // or a final "*" (matches zero or more remaining segments). Error names `field`.
  static Result<PathTemplate> Parse(std::string_view text, std::string_view field = "path");

  // True when `path` (no query, no API context) matches. Allocation-free.
  bool Matches(std::string_view path) const;

  // Orders templates by specificity: a smaller key is more specific and is tried first.
  // Compares segment by segment (literal < param < wildcard), then longer before shorter.
  const std::vector<uint8_t>& specificity() const { return specificity_; }

  const std::string& text() const { return text_; }

 private:
  enum class Kind : uint8_t { kLiteral = 0, kParam = 1, kWildcard = 2 };
  struct Segment {
    Kind kind;
    std::string literal;
  };
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<uint8_t> specificity_;
};

}  // namespace tollgate
