// YAML ⇄ JSON with yaml-cpp and Boost.JSON.
#include "control/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <regex>

namespace tollgate::control {
namespace json = boost::json;
namespace {

constexpr int kMaxDepth = 256;  // aliases can make a "tree" of any size; refuse absurd nesting

bool IsNull(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

json::value Scalar(const YAML::Node& node, bool numbers_as_text) {
  const std::string& s = node.Scalar();
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return json::value(s);  // quoted or !!str
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (IsNull(s)) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (numbers_as_text) return json::value(s);
  const char c = s.front();
  if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.'))
    return json::value(s);
  if (std::regex_match(s, kInt)) {
    try {
      size_t used = 0;
      const long long v = std::stoll(s, &used);
      if (used == s.size()) return json::value(static_cast<int64_t>(v));
    } catch (const std::exception&) {
      // too large for int64: falls through to a double
    }
  }
  if (std::regex_match(s, kFloat)) {
    try {
      return json::value(std::stod(s));
    } catch (const std::exception&) {
      return json::value(s);
    }
  }
  return json::value(s);
}

json::value Convert(const YAML::Node& node, int depth, bool numbers_as_text) {
  if (depth > kMaxDepth) throw std::runtime_error("the document nests deeper than 256 levels");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return Scalar(node, numbers_as_text);
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const YAML::Node& item : node) a.push_back(Convert(item, depth + 1, numbers_as_text));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : node) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : YAML::Dump(kv.first);
        o[key] = Convert(kv.second, depth + 1, numbers_as_text);
      }
      return o;
    }
  }
  return nullptr;
}

Error ParseError(const std::string& what) {
  return Error{ErrorKind::kInvalid,
               "invalid_document",
               "the document is not valid YAML or JSON: " + what,
               {}};
}

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  static const std::regex kPlainSafe(R"([A-Za-z_/][A-Za-z0-9_./{}()\-]*)");
  const std::string str(s);
  if (!std::regex_match(str, kPlainSafe)) return true;
  static const std::regex kSpecial("(?:y|n|yes|no|on|off|true|false|null|~)",
                                   std::regex_constants::icase);
  return std::regex_match(str, kSpecial);
}

void Emit(YAML::Emitter& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out << YAML::Null;
      break;
    case json::kind::bool_:
      out << (v.get_bool() ? "true" : "false");
      break;
    case json::kind::int64:
      out << v.get_int64();
      break;
    case json::kind::uint64:
      out << v.get_uint64();
      break;
    case json::kind::double_:
      out << json::serialize(v);
      break;
    case json::kind::string: {
      const std::string s(v.get_string());
      if (NeedsQuotes(s)) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case json::kind::array:
      if (v.get_array().empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      out << YAML::BeginSeq;
      for (const json::value& item : v.get_array()) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case json::kind::object:
      if (v.get_object().empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      out << YAML::BeginMap;
      for (const auto& kv : v.get_object()) {
        out << YAML::Key;
        if (NeedsQuotes(kv.key())) out << YAML::DoubleQuoted;
        out << std::string(kv.key()) << YAML::Value;
        Emit(out, kv.value());
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

Result<json::value> YamlToJson(std::string_view text, bool numbers_as_text) {
  try {
    return Convert(YAML::Load(std::string(text)), 0, numbers_as_text);
  } catch (const std::exception& e) {
    return ParseError(e.what());
  }
}

Result<std::vector<json::value>> YamlDocumentsToJson(std::string_view text) {
  try {
    std::vector<json::value> out;
    for (const YAML::Node& doc : YAML::LoadAll(std::string(text))) {
      if (doc.IsNull() || !doc.IsDefined()) continue;
      out.push_back(Convert(doc, 0, false));
    }
    return out;
  } catch (const std::exception& e) {
    return ParseError(e.what());
  }
}

std::string ToYaml(const json::value& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

}  // namespace tollgate::control
