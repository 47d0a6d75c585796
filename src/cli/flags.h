// Command-line flags with TOLLGATE_* environment fallbacks: `--http-port 8080`,
// `--http-port=8080`, or TOLLGATE_HTTP_PORT=8080. Flags win over the environment.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tollgate::cli {

struct FlagSpec {
  std::string name;       // without dashes: "http-port"
  std::string value_name; // "N", "DIR"; empty for a boolean switch
  std::string help;
  std::string default_value;
};

class Flags {
 public:
  explicit Flags(std::vector<FlagSpec> specs) : specs_(std::move(specs)) {}

  // Parses argv[first..]; on error returns a message naming the flag.
  std::optional<std::string> Parse(int argc, char** argv, int first);

  std::string Get(const std::string& name) const;  // flag, env, or default
  bool Has(const std::string& name) const;          // switch given (or env "1"/"true")
  // Port flag: error message naming the flag when not in 0..65535.
  std::optional<std::string> Port(const std::string& name, uint16_t& out) const;

  std::string Usage() const;
  static std::string EnvName(const std::string& flag);  // "http-port" → "TOLLGATE_HTTP_PORT"

 private:
  const FlagSpec* Find(const std::string& name) const;
  std::vector<FlagSpec> specs_;
  std::map<std::string, std::string> given_;
};

}  // namespace tollgate::cli
