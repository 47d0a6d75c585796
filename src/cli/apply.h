// `tollgate apply -f FILE.yaml`: declarative configuration. The file holds YAML documents of
// kind Plan, API, OpenAPI, Application or Subscription, each {kind, metadata: {name}, spec}, in
// the REST shapes; they are applied in order through the management REST API, idempotently:
// created when absent (by name; APIs by name + version), updated when they differ, else unchanged.
#pragma once

namespace tollgate::cli {

// argv[1] is "apply". Prints one line per resource; returns 0, 1 when a document failed, 2 on
// bad usage.
int Apply(int argc, char** argv);

}  // namespace tollgate::cli
