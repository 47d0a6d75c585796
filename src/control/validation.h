// Input rules for management resources. Pure functions: they normalise a draft in place and
// return the first problem found, naming the field (JSON spelling) at fault.
#pragma once

#include "core/model.h"
#include "core/status.h"

namespace tollgate::control {

// name, version, context, virtualHost, upstream, apiKeyHeader, resources[i].method/path/auth,
// plans. Normalises: method upper case, virtual host lower case, default plan "Unlimited".
Status ValidateApi(Api& api);
Status ValidateApplication(Application& app);

}  // namespace tollgate::control
