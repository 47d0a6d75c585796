// Keeps the enforcer's snapshot current: brings it up to date when told that something was
// committed (Notify, from this process's control plane) and when the store's revision moves
// (polling, for changes made by other processes sharing the store). With a change loader, changes
// the snapshot can absorb (keys, subscriptions, applications, OAuth clients, mesh identities,
// revoked tokens) are patched into it
// in time proportional to the change, not to the store; anything else rebuilds it. Serves the
// last good snapshot on errors.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "core/model.h"
#include "core/status.h"
#include "enforce/enforcer.h"

namespace tollgate::enforce {

class SnapshotRefresher {
 public:
  using Loader = std::function<Result<SnapshotData>()>;
  using RevisionProbe = std::function<Result<int64_t>()>;
  // What changed after a revision (store::Store::LoadSnapshotChanges with a size limit).
  using ChangeLoader = std::function<Result<SnapshotChanges>(int64_t since)>;

  // `holder` must outlive the refresher. `poll` is how often the revision is probed. Without
  // `changes`, every update is a rebuild.
  SnapshotRefresher(SnapshotHolder& holder, Loader load, RevisionProbe revision,
                    std::chrono::milliseconds poll, ChangeLoader changes = {});
  ~SnapshotRefresher();  // Stop()

  // Brings the snapshot up to the store's revision now, on the calling thread: a patch when the
  // changes allow it, else a rebuild.
  Status Refresh();
  // Loads and installs a whole new snapshot now, on the calling thread.
  Status Rebuild();
  // Starts the background thread. Call once.
  void Start();
  // Asks for a rebuild as soon as possible. Cheap, thread-safe, never blocks on a rebuild.
  void Notify();
  // Notify(), then waits (at most `timeout`) until a snapshot that started building after this
  // call is installed: a write followed by this is enforced when the call returns. Concurrent
  // callers share rebuilds. Returns false on timeout (the rebuild still happens later).
  bool NotifyAndWait(std::chrono::milliseconds timeout);
  void Stop();

  // Number of snapshots installed so far, rebuilt or patched (for metrics and tests).
  uint64_t builds() const;
  // How many of them were patches.
  uint64_t patches() const;

 private:
  void Run();

  SnapshotHolder& holder_;
  Loader load_;
  RevisionProbe revision_;
  ChangeLoader changes_;
  const std::chrono::milliseconds poll_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable built_cv_;
  bool notified_ = false;   // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  uint64_t builds_ = 0;     // guarded by mu_
  uint64_t patches_ = 0;    // guarded by mu_
  uint64_t requested_ = 0;  // guarded by mu_: Notify() calls so far
  uint64_t served_ = 0;     // guarded by mu_: requests covered by the installed snapshot
  std::mutex refresh_mu_;  // serialises Refresh() and Rebuild()
  std::thread thread_;
};

}  // namespace tollgate::enforce
