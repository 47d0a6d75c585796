// Revocation at scale: how long after a key deletion commits does an enforcer sharing the store
// refuse the key, when the store holds 1M keys, 100k applications and subscriptions, 10k APIs?
//
//   build/bench/revocation_at_scale [--keys N] [--apps N] [--apis N] [--revocations N]
//                                   [--poll-ms M] [--rebuild-only]
//
// Seeds a fresh store file (a bulk import in one transaction, then the change log is started
// after it, as an upgrade would). The enforcer side is what `tollgate serve --role enforcer`
// runs: its own store connection, a SnapshotHolder and a SnapshotRefresher polling the revision
// every M ms (default 50, the serve default) with the change loader; --rebuild-only leaves the
// loader out (every change is a full rebuild, as before the change log). The writer side is
// another connection, as another process's control plane: for each of N revocations (default
// 200) it waits a random 0..M ms, deletes a random key, and then polls the enforcer's current
// snapshot every 100 µs until the key is gone; latency = gone − commit returned.
// Prints the seed and first-build times, resident memory, the latency percentiles, how many
// snapshots were patched and rebuilt, and the cost of one key lookup with and without an overlay.
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "enforce/enforcer.h"
#include "enforce/refresher.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using tollgate::enforce::Snapshot;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

long RssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

bool Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "sql failed: %s: %s\n", sql, error ? error : "?");
    sqlite3_free(error);
    return false;
  }
  return true;
}

// Runs `sql` once per i in [0, n) with bind(stmt, i).
template <class Bind>
bool Insert(sqlite3* db, const char* sql, long n, Bind bind) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) return false;
  for (long i = 0; i < n; ++i) {
    bind(st, i);
    if (sqlite3_step(st) != SQLITE_DONE) {
      std::fprintf(stderr, "insert failed: %s\n", sqlite3_errmsg(db));
      sqlite3_finalize(st);
      return false;
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return true;
}

void Text(sqlite3_stmt* st, int column, const std::string& value) {
  sqlite3_bind_text(st, column, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
}

std::string KeyHash(long i) { return tollgate::crypto::Sha256Hex("bench-key-" + std::to_string(i)); }

bool Seed(const std::string& path, long keys, long apps, long apis) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
  // The seed's own connection: no durability needed, a large page cache.
  bool ok = Exec(db, "PRAGMA foreign_keys = OFF") && Exec(db, "PRAGMA synchronous = OFF") &&
            Exec(db, "PRAGMA cache_size = -1048576") && Exec(db, "BEGIN IMMEDIATE") &&
            Exec(db,
                 "INSERT INTO plans (id, name, rate_requests, rate_per, rate_burst, created_at)"
                 " VALUES ('gold', 'Gold', 1000, 'second', 100, 1)");
  // Binds "<prefix><i>" as the first parameter.
  auto named = [](const char* prefix) {
    return [prefix](sqlite3_stmt* st, long i) { Text(st, 1, prefix + std::to_string(i)); };
  };
  ok = ok && Insert(db,
                    "INSERT INTO apis (id, name, version, context, upstream, lifecycle,"
                    " created_at, updated_at) VALUES (?1, ?1, 'v1', '/' || ?1 || '/v1',"
                    " 'http://upstream', 'PUBLISHED', 1, 1)",
                    apis, named("api"));
  ok = ok && Insert(db,
                    "INSERT INTO api_resources (api_id, position, method, path, auth)"
                    " VALUES (?1, 0, 'GET', '/items/{id}', 'apiKey')",
                    apis, named("api"));
  ok = ok && Insert(db, "INSERT INTO applications (id, name, owner, created_at) VALUES (?1, ?1, 'dev', 1)",
                    apps, named("app"));
  ok = ok && Insert(db,
                    "INSERT INTO subscriptions (id, application_id, api_id, plan, status,"
                    " created_at) VALUES ('sub' || ?1, ?1, ?2, 'Gold', 'ACTIVE', 1)",
                    apps, [apis](sqlite3_stmt* st, long i) {
                      Text(st, 1, "app" + std::to_string(i));
                      Text(st, 2, "api" + std::to_string(i % apis));
                    });
  ok = ok && Insert(db,
                    "INSERT INTO api_keys (id, application_id, name, prefix, hash, created_at)"
                    " VALUES ('key' || ?1, ?2, 'k', 'tg_', ?3, 1)",
                    keys, [apps](sqlite3_stmt* st, long i) {
                      sqlite3_bind_int64(st, 1, i);
                      Text(st, 2, "app" + std::to_string(i % apps));
                      Text(st, 3, KeyHash(i));
                    });
  // A bulk import, not a change to replay: the log starts after it.
  ok = ok && Exec(db, "DELETE FROM snapshot_changes") &&
       Exec(db, "UPDATE revision SET value = value + 1, log_from = value + 1 WHERE id = 1") &&
       Exec(db, "COMMIT");
  sqlite3_close(db);
  return ok;
}

long Flag(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atol(argv[i + 1]);
  }
  return fallback;
}

bool Has(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return true;
  }
  return false;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Nanoseconds per FindKey over `digests` (found or not), best of 5 passes.
double LookupNs(const Snapshot& s, const std::vector<std::string>& digests) {
  double best = 1e18;
  for (int pass = 0; pass < 5; ++pass) {
    size_t found = 0;
    const auto t0 = Clock::now();
    for (const std::string& d : digests) found += s.FindKey(d) != nullptr;
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    best = std::min(best, ns / static_cast<double>(digests.size()));
    if (found == 0) std::fprintf(stderr, "(no key found)\n");
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const long keys = Flag(argc, argv, "--keys", 1'000'000);
  const long apps = Flag(argc, argv, "--apps", 100'000);
  const long apis = Flag(argc, argv, "--apis", 10'000);
  const long revocations = Flag(argc, argv, "--revocations", 200);
  const long poll_ms = Flag(argc, argv, "--poll-ms", 50);
  const bool rebuild_only = Has(argc, argv, "--rebuild-only");
  if (keys < 1 || apps < 1 || apis < 1 || revocations < 1 || revocations > keys || poll_ms < 1) {
    std::fprintf(stderr,
                 "usage: revocation_at_scale [--keys N] [--apps N] [--apis N] [--revocations N]"
                 " [--poll-ms M] [--rebuild-only]\n");
    return 2;
  }
  std::string dir = (std::filesystem::temp_directory_path() / "tollgate-revoke-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return 1;
  const std::string path = dir + "/tollgate.db";
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};

  auto control = tollgate::store::SqliteStore::Open(path);  // creates the schema
  if (!control.ok()) return 1;
  auto t0 = Clock::now();
  if (!Seed(path, keys, apps, apis)) return 1;
  std::printf("seed: %ld keys, %ld applications and subscriptions, %ld APIs in %.0f ms\n", keys,
              apps, apis, Ms(Clock::now() - t0));

  auto enforcer_store = tollgate::store::SqliteStore::Open(path);
  if (!enforcer_store.ok()) return 1;
  auto& db = **enforcer_store;
  const long rss_before = RssKiB();
  tollgate::enforce::SnapshotHolder holder;
  tollgate::enforce::SnapshotRefresher::ChangeLoader changes;
  if (!rebuild_only) {
    changes = [&db](int64_t since) { return db.LoadSnapshotChanges(since, Snapshot::kMaxPatchEntries); };
  }
  tollgate::enforce::SnapshotRefresher refresher(
      holder, [&db] { return db.LoadSnapshotData(); }, [&db] { return db.Revision(); },
      std::chrono::milliseconds(poll_ms), changes);
  t0 = Clock::now();
  if (!refresher.Refresh().ok()) return 1;
  std::printf("first load + build: %.0f ms, snapshot resident: +%ld MiB, %zu keys\n",
              Ms(Clock::now() - t0), (RssKiB() - rss_before) / 1024, holder.Get()->key_count());
  refresher.Start();

  std::mt19937_64 rng(42);
  std::vector<long> order(static_cast<size_t>(keys));
  for (long i = 0; i < keys; ++i) order[static_cast<size_t>(i)] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<double> latencies;
  std::vector<double> commits;
  for (long r = 0; r < revocations; ++r) {
    const long k = order[static_cast<size_t>(r)];
    const auto digest = tollgate::crypto::Sha256("bench-key-" + std::to_string(k));
    const std::string d(reinterpret_cast<const char*>(digest.data()), digest.size());
    std::this_thread::sleep_for(std::chrono::microseconds(
        std::uniform_int_distribution<long>(0, poll_ms * 1000)(rng)));
    if (holder.Get()->FindKey(d) == nullptr) return std::fprintf(stderr, "key %ld missing\n", k), 1;
    const auto before = Clock::now();
    if (!(*control)->DeleteApiKey("app" + std::to_string(k % apps), "key" + std::to_string(k)).ok()) {
      return std::fprintf(stderr, "delete failed\n"), 1;
    }
    const auto committed = Clock::now();
    commits.push_back(Ms(committed - before));
    while (holder.Get()->FindKey(d) != nullptr) {
      if (Clock::now() - committed > std::chrono::seconds(30)) {
        return std::fprintf(stderr, "key %ld still allowed after 30 s\n", k), 1;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    latencies.push_back(Ms(Clock::now() - committed));
  }
  refresher.Stop();
  std::printf("revocation → refused (%ld, poll %ld ms, %s): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms,"
              " max %.1f ms; commit p50 %.2f ms\n",
              revocations, poll_ms, rebuild_only ? "rebuild only" : "patched", Percentile(latencies, 0.5),
              Percentile(latencies, 0.9), Percentile(latencies, 0.99), Percentile(latencies, 1.0),
              Percentile(commits, 0.5));
  std::printf("snapshots installed: %llu, of which patched: %llu; overlay entries now: %zu\n",
              static_cast<unsigned long long>(refresher.builds()),
              static_cast<unsigned long long>(refresher.patches()), holder.Get()->patch_size());

  // One patch alone: the change log read and Patch() for one more revocation.
  const auto current = holder.Get();
  if (!rebuild_only) {
    const long k = order[static_cast<size_t>(revocations)];
    if (!(*control)->DeleteApiKey("app" + std::to_string(k % apps), "key" + std::to_string(k)).ok()) {
      return 1;
    }
    t0 = Clock::now();
    auto one = db.LoadSnapshotChanges(current->revision(), Snapshot::kMaxPatchEntries);
    const auto t1 = Clock::now();
    auto patched = one.ok() ? current->Patch(*one) : nullptr;
    std::printf("one revocation: change log read %.2f ms, Patch %.3f ms (overlay %zu)\n",
                Ms(t1 - t0), Ms(Clock::now() - t1), patched ? patched->patch_size() : 0);
  }
  // Key lookups (half found, half unknown) on a rebuilt snapshot and on the patched one.
  std::vector<std::string> digests;
  for (long i = 0; i < 200'000; ++i) {
    const auto digest = tollgate::crypto::Sha256(
        "bench-key-" + std::to_string(i % 2 == 0 ? order[static_cast<size_t>(revocations + 1 + i)]
                                                 : keys + i));
    digests.emplace_back(reinterpret_cast<const char*>(digest.data()), digest.size());
  }
  auto rebuilt = Snapshot::Build(*db.LoadSnapshotData());
  std::printf("FindKey: %.1f ns rebuilt, %.1f ns with this overlay (%zu entries)\n",
              LookupNs(*rebuilt, digests), LookupNs(*current, digests), current->patch_size());
  return 0;
}
