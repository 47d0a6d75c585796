// Periodic saving of quota counters.
#include "cli/quota_persistence.h"

#include <cstdio>
#include <cstdlib>


namespace tollgate::cli {
namespace {

std::string KeyText(uint64_t key) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(key));
  return buf;
}

}  // namespace

Status QuotaPersistence::Load() {
  auto rows = store_.LoadQuotaUsage(clock_.NowSeconds());
  if (!rows.ok()) return rows.error();
  std::vector<ratelimit::LocalCounterStore::QuotaRecord> records;
  for (const auto& r : *rows) {
    if (r.key.size() != 16) continue;
    records.push_back({std::strtoull(r.key.c_str(), nullptr, 16), r.window_start, r.window_end, r.used});
  }
  counters_.ImportQuotas(records);
  return Ok();
}

Status QuotaPersistence::Save() {
  std::vector<store::Store::QuotaUsage> rows;
  for (const auto& r : counters_.ExportQuotas()) {
    rows.push_back({KeyText(r.key), r.window_start, r.window_end, r.used});
  }
  return store_.SaveQuotaUsage(rows, clock_.NowSeconds());
}

void QuotaPersistence::Start(std::chrono::milliseconds every) {
  thread_ = std::thread([this, every] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, every, [this] { return stopping_; })) {
      lock.unlock();
      if (Status s = Save(); !s.ok()) {
        std::fprintf(stderr, "tollgate: saving quota counters failed: %s\n", s.error().message.c_str());
      }
      lock.lock();
    }
  });
}

void QuotaPersistence::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status s = Save(); !s.ok()) {
    std::fprintf(stderr, "tollgate: saving quota counters failed: %s\n", s.error().message.c_str());
  }
}

}  // namespace tollgate::cli
