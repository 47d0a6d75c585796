// Helpers shared by the OpenAPI importer and exporter.
#include "control/openapi_common.h"

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <map>

#include "core/path_template.h"

namespace tollgate::control::openapi {
namespace json = boost::json;

std::string Pointer(std::string_view base, std::string_view token) {
  std::string out(base);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// "/pets/{petId}" stays; "/report.{format}" (text around a parameter) becomes "/{format}": Tollgate
// matches whole segments, so it routes a slightly wider set and the service answers the rest.
// Text after '#' or '?' is dropped (some documents use it to list one path twice).
Result<std::string> RoutePath(const std::string& key, const std::string& at) {
  std::string path = key.substr(0, key.find_first_of("#?"));
  if (path.empty() || path.front() != '/') {
    return Error{ErrorKind::kInvalid, "invalid_path", "a path starts with '/': " + key, at};
  }
  std::string out;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    std::string seg = path.substr(pos, end - pos);
    pos = end + 1;
    if (seg.empty()) {
      if (end == path.size()) break;  // trailing '/'
      return Error{ErrorKind::kInvalid, "invalid_path",
                   "a path has no empty segment ('//'): " + key, at};
    }
    const size_t open = seg.find('{');
    if (open != std::string::npos &&
        !(open == 0 && seg.back() == '}' && seg.find('{', 1) == std::string::npos)) {
      const size_t close = seg.find('}', open);
      if (close == std::string::npos)
        return Error{ErrorKind::kInvalid, "invalid_path", "unclosed '{' in path " + key, at};
      seg = seg.substr(open, close - open + 1);
    }
    out += '/';
    out += seg;
  }
  if (out.empty()) out.push_back('/');
  auto t = PathTemplate::Parse(out, at);
  if (!t.ok())
    return Error{ErrorKind::kInvalid, "invalid_path", t.error().message + ": " + key, at};
  return out;
}

// A path item or security scheme may be a local "$ref" ("#/…"); external ones are refused.
Result<const json::object*> ResolveRef(const json::value& doc, const json::object& item,
                                       const std::string& at) {
  const json::object* current = &item;
  for (int hops = 0; hops < 8; ++hops) {
    const json::value* ref = current->if_contains("$ref");
    if (ref == nullptr) return current;
    std::optional<std::string> target;
    if (ref->is_string()) target = std::string(ref->get_string());
    if (!target || target->rfind("#/", 0) != 0) {
      return Error{ErrorKind::kInvalid, "unsupported_ref",
                   "only local references (\"#/…\") are followed: " + target.value_or("?"),
                   at + "/$ref"};
    }
    boost::system::error_code ec;
    const json::value* found = doc.find_pointer(target->substr(1), ec);
    if (found == nullptr || !found->is_object()) {
      return Error{ErrorKind::kInvalid, "unsupported_ref",
                   "reference " + *target + " does not lead to an object", at + "/$ref"};
    }
    current = &found->get_object();
  }
  return Error{ErrorKind::kInvalid, "unsupported_ref", "too many chained references", at + "/$ref"};
}

std::string FormatTime(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<int64_t> ParseTime(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  if (*end == '.') {
    ++end;
    while (*end >= '0' && *end <= '9') ++end;
  }
  int sign = 0, oh = 0, om = 0;
  if (*end == 'Z' || *end == 'z') {
    ++end;
  } else if (*end == '+' || *end == '-') {
    sign = *end == '+' ? 1 : -1;
    if (std::sscanf(end + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    end += 6;
  } else {
    return std::nullopt;
  }
  if (*end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) - sign * (oh * 3600 + om * 60);
}

}  // namespace tollgate::control::openapi
