// The `tollgate` command: dispatches to its subcommands.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/apply.h"
#include "cli/serve.h"

namespace {

constexpr const char* kUsage =
    "tollgate — API management for service meshes\n"
    "\n"
    "Usage: tollgate <command> [flags]\n"
    "\n"
    "Commands:\n"
    "  serve     run the management plane and the enforcer (see `tollgate serve --help`)\n"
    "  apply     apply a YAML file of plans, APIs, applications… (see `tollgate apply --help`)\n"
    "  version   print the version\n"
    "  help      print this help\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "serve") return tollgate::cli::Serve(argc, argv);
  if (command == "apply") return tollgate::cli::Apply(argc, argv);
  if (command == "version" || command == "--version") {
    std::printf("tollgate %s\n", TOLLGATE_VERSION);
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "tollgate: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
