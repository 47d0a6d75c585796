// Internal to the SQLite backend: the schema and its migrations.
#pragma once

#include <sqlite3.h>

#include <cstdint>

#include "core/status.h"

namespace tollgate::store::sqlite {

// The schema version this code writes and understands (the number of migrations it knows).
int64_t KnownSchemaVersion();

// Brings the database up to KnownSchemaVersion(): applies, in order, each migration not yet
// recorded in schema_migrations, each in its own write transaction (so several processes opening
// the same file at once apply each migration exactly once). An up-to-date database is left
// untouched. A database newer than this code is refused with kInternal "store_schema_too_new".
Status Migrate(sqlite3* db);

// Like Migrate, but stops at schema version `target` (0..KnownSchemaVersion(); kInternal
// otherwise). For tests that build a database as an older release left it.
Status MigrateTo(sqlite3* db, int64_t target);

}  // namespace tollgate::store::sqlite
