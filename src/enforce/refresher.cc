// Background rebuilding of the enforcer's snapshot.
#include "enforce/refresher.h"

#include <algorithm>
#include <cstdio>

namespace tollgate::enforce {

SnapshotRefresher::SnapshotRefresher(SnapshotHolder& holder, Loader load, RevisionProbe revision,
                                     std::chrono::milliseconds poll, ChangeLoader changes)
    : holder_(holder),
      load_(std::move(load)),
      revision_(std::move(revision)),
      changes_(std::move(changes)),
      poll_(poll) {}

SnapshotRefresher::~SnapshotRefresher() { Stop(); }

Status SnapshotRefresher::Refresh() {
  std::unique_lock refresh(refresh_mu_);
  if (changes_) {
    const std::shared_ptr<const Snapshot> current = holder_.Get();
    if (current->patchable()) {
      auto changes = changes_(current->revision());
      if (!changes.ok()) return changes.error();
      if (changes->patchable && changes->revision == current->revision()) return Ok();
      if (auto next = current->Patch(*changes)) {
        holder_.Set(std::move(next));
        std::lock_guard lock(mu_);
        ++builds_;
        ++patches_;
        return Ok();
      }
    }
  }
  refresh.unlock();
  return Rebuild();
}

Status SnapshotRefresher::Rebuild() {
  std::lock_guard refresh(refresh_mu_);
  auto data = load_();
  if (!data.ok()) return data.error();
  holder_.Set(Snapshot::Build(*data));
  std::lock_guard lock(mu_);
  ++builds_;
  return Ok();
}

void SnapshotRefresher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SnapshotRefresher::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
    ++requested_;
  }
  cv_.notify_one();
}

bool SnapshotRefresher::NotifyAndWait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  notified_ = true;
  const uint64_t target = ++requested_;
  cv_.notify_one();
  if (!thread_.joinable()) return false;  // not started: nobody will build
  return built_cv_.wait_for(lock, timeout, [&] { return served_ >= target || stopping_; });
}

void SnapshotRefresher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  built_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t SnapshotRefresher::builds() const {
  std::lock_guard lock(mu_);
  return builds_;
}

uint64_t SnapshotRefresher::patches() const {
  std::lock_guard lock(mu_);
  return patches_;
}

void SnapshotRefresher::Run() {
  bool failing = false;
  for (;;) {
    bool notified = false;
    uint64_t covering = 0;  // the Notify() calls this rebuild answers
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, poll_, [this] { return notified_ || stopping_; });
      if (stopping_) return;
      notified = notified_;
      notified_ = false;
      covering = requested_;
    }
    if (!notified) {
      auto rev = revision_();
      if (rev.ok() && *rev == holder_.Get()->revision()) continue;
    }
    Status s = Refresh();
    if (s.ok()) {
      std::lock_guard lock(mu_);
      served_ = std::max(served_, covering);
      built_cv_.notify_all();
    }
    // Log transitions only, not every failed poll: the last good snapshot keeps serving.
    if (!s.ok() && !failing) {
      std::fprintf(stderr, "tollgate: snapshot refresh failed, serving the last one: %s\n",
                   s.error().message.c_str());
    } else if (s.ok() && failing) {
      std::fprintf(stderr, "tollgate: snapshot refresh works again\n");
    }
    failing = !s.ok();
  }
}

}  // namespace tollgate::enforce
