// Flag parsing for the tollgate command.
#include "cli/flags.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace tollgate::cli {

std::string Flags::EnvName(const std::string& flag) {
  std::string env = "TOLLGATE_";
  for (char c : flag) env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

const FlagSpec* Flags::Find(const std::string& name) const {
  auto it = std::find_if(specs_.begin(), specs_.end(), [&](const FlagSpec& s) { return s.name == name; });
  return it == specs_.end() ? nullptr : &*it;
}

std::optional<std::string> Flags::Parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return "unexpected argument '" + arg + "'";
    arg = arg.substr(2);
    std::optional<std::string> value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const FlagSpec* spec = Find(arg);
    if (spec == nullptr) return "unknown flag --" + arg;
    if (spec->value_name.empty()) {
      if (value) return "--" + arg + " takes no value";
      given_[arg] = "true";
      continue;
    }
    if (!value) {
      if (i + 1 >= argc) return "--" + arg + " needs a value (" + spec->value_name + ")";
      value = argv[++i];
    }
    given_[arg] = *value;
  }
  return std::nullopt;
}

std::string Flags::Get(const std::string& name) const {
  if (auto it = given_.find(name); it != given_.end()) return it->second;
  if (const char* env = std::getenv(EnvName(name).c_str()); env != nullptr && *env != '\0') return env;
  const FlagSpec* spec = Find(name);
  return spec ? spec->default_value : std::string();
}

bool Flags::Has(const std::string& name) const {
  const std::string v = Get(name);
  return v == "true" || v == "1" || v == "yes";
}

std::optional<std::string> Flags::Port(const std::string& name, uint16_t& out) const {
  const std::string v = Get(name);
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 0 || n > 65535) {
    return "--" + name + " (or " + EnvName(name) + ") must be a port number 0-65535, got '" + v + "'";
  }
  out = static_cast<uint16_t>(n);
  return std::nullopt;
}

std::string Flags::Usage() const {
  std::string out;
  for (const FlagSpec& s : specs_) {
    std::string left = "  --" + s.name + (s.value_name.empty() ? "" : " " + s.value_name);
    if (left.size() < 24) left.resize(24, ' ');
    out += left + " " + s.help;
    if (!s.default_value.empty()) out += " (default " + s.default_value + ")";
    out += "\n" + std::string(25, ' ') + "env " + EnvName(s.name) + "\n";
  }
  return out;
}

}  // namespace tollgate::cli
