// `tollgate serve`: the composition root that wires store, control plane, enforcer and
// listeners together and runs until SIGINT/SIGTERM.
#pragma once

namespace tollgate::cli {

// argv[1] is "serve". Returns the process exit code.
int Serve(int argc, char** argv);

}  // namespace tollgate::cli
