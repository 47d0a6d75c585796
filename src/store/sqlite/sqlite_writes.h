// Internal to the SQLite backend: API writes shared by sqlite_apis.cc and sqlite_portal.cc.
// Every function expects to run inside a write transaction opened by the caller (InWriteTx).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>

#include "core/model.h"
#include "core/status.h"

namespace tollgate::store::sqlite {

// When `api` is the default version, takes the flag from the other versions of its name.
Status TakeDefaultVersion(sqlite3* db, const Api& api);

// Inserts the API row and its children (plans checked, default version moved) and reads it
// back. Conflicts "api_name_version_taken", "api_context_taken"; "plan_not_found".
Result<Api> InsertApi(sqlite3* db, const Api& api);

// Compare-and-set lifecycle transition, recorded as an event. Entering DEPRECATED sets
// deprecated_at (default: the event's time) and sunset_at; PUBLISHED from DEPRECATED clears both.
Result<Api> TransitionApiRow(sqlite3* db, const LifecycleEvent& event,
                             std::optional<int64_t> deprecated_at,
                             std::optional<int64_t> sunset_at);

}  // namespace tollgate::store::sqlite
