// Demo data for `tollgate serve --demo`: an API, an application subscribed to it, and a fresh
// key at every start (keys are stored hashed, so an old one cannot be shown again).
#pragma once

#include <string>

#include "control/service.h"

namespace tollgate::control {

struct DemoSeed {
  std::string api_id;
  std::string application_id;
  std::string key;  // the new key, to print once
};

// Idempotent apart from the new key: reuses the demo API and application when they exist.
// `upstream` is the URL of the demo service.
Result<DemoSeed> SeedDemo(Service& service, const Principal& admin, const std::string& upstream);

}  // namespace tollgate::control
