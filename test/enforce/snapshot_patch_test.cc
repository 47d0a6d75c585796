// Patching a snapshot with the store's changes gives the same answers as rebuilding it: a long
// random run of the writes a portal and its admins make (applications, keys with and without
// restrictions, subscriptions, blocking, plan changes, OAuth clients, mesh identities, revoked
// tokens, deleted applications, and now and then a write that forces a rebuild), each followed by
// both, compared on every lookup the decider makes.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>

#include "crypto/crypto.h"
#include "enforce/snapshot.h"
#include "store/sqlite/sqlite_store.h"
#include "temp_dir.h"

namespace tollgate::enforce {
namespace {

Plan MakePlan(const std::string& name, int64_t requests) {
  Plan p;
  p.id = "plan-" + name;
  p.name = name;
  p.rate = RateLimit{requests, Period::kMinute, 5};
  p.quota = Quota{requests * 1000, QuotaAnchor::kCalendar, "UTC"};
  return p;
}

Api MakeApi(const std::string& name) {
  Api api;
  api.id = "api-" + name;
  api.name = name;
  api.version = "v1";
  api.context = "/" + name + "/v1";
  api.upstream = "http://" + name + ".svc:8080";
  api.resources = {Resource{"GET", "/items", AuthType::kApiKey, {}, ""}};
  api.plans = {"Gold", "Silver"};
  return api;
}

std::string Limits(const CompiledPlanLimits& l) {
  std::ostringstream out;
  if (l.rate) out << " rate " << l.rate->name << ' ' << l.rate->rate.requests << ' ' << l.rate->key;
  if (l.quota) out << " quota " << l.quota->name << ' ' << l.quota->quota.requests << ' ' << l.quota->key;
  return out.str();
}

// Everything the decider can ask a snapshot about these ids, keys and tokens.
struct Universe {
  std::vector<std::string> key_hashes;
  std::vector<std::string> application_ids;
  std::vector<std::string> api_ids;
  std::vector<std::string> jtis;
  std::vector<std::string> principals;
  std::vector<std::string> client_ids;
};

std::string Describe(const Snapshot& s, const Universe& u) {
  std::ostringstream out;
  out << "revision " << s.revision() << " keys " << s.key_count() << '\n';
  for (const std::string& hex : u.key_hashes) {
    const std::string digest = crypto::HexDecode(hex);
    const CompiledKey* k = s.FindKey(digest);
    out << "key " << hex.substr(0, 8);
    if (k == nullptr) {
      out << " -\n";
      continue;
    }
    out << ' ' << s.application(k->application).id << " exp " << k->expires_at;
    if (k->restriction != kNoRestriction) {
      const CompiledKeyRestriction& r = s.key_restriction(k->restriction);
      out << " ips";
      for (const CompiledCidr& c : r.ips) out << ' ' << int(c.bytes[0]) << '/' << int(c.bits);
      out << " refs";
      for (const std::string& ref : r.referrers) out << ' ' << ref;
      out << " apis " << r.limit_apis;
      for (uint32_t a : r.apis) out << ' ' << s.apis()[a].id;
    }
    out << '\n';
  }
  for (const std::string& id : u.application_ids) {
    const CompiledApplication* app = s.FindApplication(id);
    out << "app " << id;
    if (app == nullptr) {
      out << " -\n";
      continue;
    }
    out << ' ' << app->name << ' ' << app->owner << " blocked " << app->blocked << " key "
        << app->key << Limits(app->limits) << '\n';
    EXPECT_EQ(&s.application(app->index), app) << "an application's index finds it";
    for (const std::string& api_id : u.api_ids) {
      const CompiledApi* api = s.FindApi(api_id);
      if (api == nullptr) continue;
      const CompiledSubscription* sub = s.FindSubscription(app->index, api->index);
      if (sub == nullptr) continue;
      out << "  sub " << api_id << ' ' << sub->plan << ' ' << ToString(sub->status) << ' '
          << sub->created_at << Limits(sub->limits) << '\n';
    }
  }
  for (const std::string& jti : u.jtis) out << "jti " << jti << ' ' << s.IsRevoked(jti) << '\n';
  auto app_of = [&](std::optional<uint32_t> index) {
    return index ? s.application(*index).id : std::string("-");
  };
  for (const std::string& p : u.principals) out << p << ' ' << app_of(s.FindMeshApplication(p)) << '\n';
  for (const std::string& c : u.client_ids) {
    out << c << ' ' << app_of(s.FindOAuthClientApplication(c)) << '\n';
  }
  return out.str();
}

TEST(SnapshotPatch, AnyRunOfWritesPatchesToWhatARebuildGives) {
  TempDir dir{"tollgate-patch"};
  auto opened = store::SqliteStore::Open(dir.File("t.db"));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  store::SqliteStore& db = **opened;
  ASSERT_TRUE(db.CreatePlan(MakePlan("Gold", 100)).ok());
  ASSERT_TRUE(db.CreatePlan(MakePlan("Silver", 10)).ok());
  Universe u;
  const std::vector<std::string> plans = {"Gold", "Silver"};
  for (const char* name : {"pets", "shop", "maps", "draft"}) {
    const Api api = MakeApi(name);
    ASSERT_TRUE(db.CreateApi(api).ok());
    u.api_ids.push_back(api.id);
    if (std::string_view(name) == "draft") continue;  // CREATED: not in the snapshot
    ASSERT_TRUE(db.TransitionApi({api.id, Lifecycle::kCreated, Lifecycle::kPublished, "alice", 1})
                    .ok());
  }

  std::mt19937 rng(20261127);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  struct Key {
    std::string app;
    std::string id;
  };
  std::vector<Key> keys;
  std::vector<std::string> live;  // applications not deleted
  int next = 0;
  auto add_app = [&] {
    Application app;
    app.id = "app-" + std::to_string(next++);
    app.name = app.id;
    app.owner = "dev" + std::to_string(pick(3));
    app.plan = pick(3) == 0 ? plans[pick(2)] : "";
    app.created_at = next;
    ASSERT_TRUE(db.CreateApplication(app).ok());
    u.application_ids.push_back(app.id);
    live.push_back(app.id);
  };
  for (int i = 0; i < 3; ++i) add_app();

  auto current = Snapshot::Build(*db.LoadSnapshotData());
  int patched = 0;
  int rebuilt = 0;
  for (int step = 0; step < 400; ++step) {
    const std::string app_id = live[pick(live.size())];
    const std::string api_id = u.api_ids[pick(u.api_ids.size())];
    const size_t op = pick(24);
    std::string what;
    if (op < 2) {
      what = "create application";
      add_app();
    } else if (op < 8) {
      what = "create key";
      ApiKey key;
      key.id = "key-" + std::to_string(next++);
      key.application_id = app_id;
      key.name = key.id;
      key.prefix = "tg_";
      key.hash = crypto::Sha256Hex(key.id);
      key.created_at = next;
      if (pick(4) == 0) key.expires_at = 1'000'000 + next;
      if (pick(3) == 0) key.allowed_ips = {"10." + std::to_string(pick(9)) + ".0.0/16"};
      if (pick(3) == 0) key.allowed_referrers = {"https://*.example.com/*"};
      if (pick(3) == 0) key.api_ids = {api_id};
      if (!db.CreateApiKey(key).ok()) continue;  // e.g. an application deleted meanwhile
      keys.push_back({app_id, key.id});
      u.key_hashes.push_back(key.hash);
    } else if (op < 10) {
      if (keys.empty()) continue;
      what = "revoke key";
      const size_t k = pick(keys.size());
      ASSERT_TRUE(db.DeleteApiKey(keys[k].app, keys[k].id).ok());
      keys.erase(keys.begin() + static_cast<long>(k));
    } else if (op < 13) {
      what = "subscribe";
      Subscription sub{"sub-" + std::to_string(next++), app_id, api_id, plans[pick(2)],
                       SubscriptionStatus::kActive, next};
      if (!db.CreateSubscription(sub).ok()) continue;  // already subscribed
    } else if (op < 15) {
      what = "subscription status";
      auto subs = db.ListSubscriptions(app_id, {0, 50});
      if (!subs.ok() || subs->items.empty()) continue;
      const auto statuses = {SubscriptionStatus::kActive, SubscriptionStatus::kBlocked,
                             SubscriptionStatus::kPending};
      const Subscription& sub = subs->items[pick(subs->items.size())];
      ASSERT_TRUE(
          db.SetSubscriptionStatus(sub.id, sub.status, *(statuses.begin() + pick(3))).ok());
    } else if (op < 16) {
      what = "unsubscribe";
      auto subs = db.ListSubscriptions(app_id, {0, 50});
      if (!subs.ok() || subs->items.empty()) continue;
      const Subscription& sub = subs->items[pick(subs->items.size())];
      ASSERT_TRUE(db.DeleteSubscription(sub.application_id, sub.id).ok());
    } else if (op < 17) {
      what = "block application";
      ASSERT_TRUE(db.SetApplicationBlocked(app_id, pick(2) == 0).ok());
    } else if (op < 18) {
      what = "change application";
      auto app = db.GetApplication(app_id);
      ASSERT_TRUE(app.ok());
      app->name = app->id + "-renamed" + std::to_string(step);
      app->plan = pick(2) == 0 ? plans[pick(2)] : "";
      ASSERT_TRUE(db.UpdateApplication(*app).ok());
    } else if (op < 19) {
      what = "revoke token";
      const std::string jti = "jti-" + std::to_string(next++);
      ASSERT_TRUE(db.RevokeToken({jti, 4'000'000'000}, 1000).ok());
      u.jtis.push_back(jti);
    } else if (op < 20) {
      what = "OAuth client";
      auto clients = db.ListOAuthClients(app_id);
      ASSERT_TRUE(clients.ok());
      if (!clients->empty() && pick(2) == 0) {
        ASSERT_TRUE(db.DeleteOAuthClient(app_id, clients->front().client_id).ok());
      } else {
        const std::string n = std::to_string(next++);
        ASSERT_TRUE(db.CreateOAuthClient({"oc-" + n, app_id, "tgc_" + n, std::string(64, 'a'), n, next})
                        .ok());
        u.client_ids.push_back("tgc_" + n);
      }
    } else if (op < 22) {
      what = "mesh identity";
      auto identities = db.ListMeshIdentities(app_id);
      ASSERT_TRUE(identities.ok());
      if (!identities->empty() && pick(2) == 0) {
        ASSERT_TRUE(db.DeleteMeshIdentity(app_id, identities->front().id).ok());
      } else {
        const std::string n = std::to_string(next++);
        const std::string principal = "spiffe://cluster.local/ns/shop/sa/w" + n;
        ASSERT_TRUE(db.CreateMeshIdentity({"mi-" + n, app_id, principal, next}).ok());
        u.principals.push_back(principal);
      }
    } else {
      // Rare: deleting an application (patched), and a write a snapshot cannot patch.
      if (pick(2) == 0) {
        what = "new plan";
        ASSERT_TRUE(db.CreatePlan(MakePlan("Tier" + std::to_string(next++), 7)).ok());
      } else {
        what = "delete application";
        if (live.size() < 2) continue;
        ASSERT_TRUE(db.DeleteApplication(app_id).ok());
        std::erase_if(keys, [&](const Key& k) { return k.app == app_id; });
        std::erase(live, app_id);
      }
    }
    auto changes = db.LoadSnapshotChanges(current->revision(), Snapshot::kMaxPatchEntries);
    ASSERT_TRUE(changes.ok()) << changes.error().message;
    auto data = db.LoadSnapshotData();
    ASSERT_TRUE(data.ok());
    auto fresh = Snapshot::Build(*data);
    auto next_snapshot = current->Patch(*changes);
    if (next_snapshot == nullptr) {
      ++rebuilt;
      current = fresh;
      continue;
    }
    ++patched;
    ASSERT_EQ(Describe(*next_snapshot, u), Describe(*fresh, u))
        << "step " << step << ": " << what << " (overlay " << next_snapshot->patch_size() << ")";
    current = next_snapshot;
  }
  // The run must mostly patch, and must also have gone through rebuilds.
  EXPECT_GT(patched, 300);
  EXPECT_GT(rebuilt, 3);
  EXPECT_GT(u.principals.size(), 5u);
  EXPECT_GT(u.client_ids.size(), 5u);
}

TEST(SnapshotPatch, IsRefusedForAnotherRevisionAnEmptySnapshotOrUnpatchableChanges) {
  SnapshotData data;
  data.revision = 7;
  auto s = Snapshot::Build(data);
  SnapshotChanges changes;
  changes.since = 7;
  changes.revision = 8;
  changes.patchable = true;
  EXPECT_NE(s->Patch(changes), nullptr);
  changes.since = 6;
  EXPECT_EQ(s->Patch(changes), nullptr) << "read after another revision";
  changes.since = 7;
  changes.patchable = false;
  EXPECT_EQ(s->Patch(changes), nullptr);
  changes.patchable = true;
  changes.since = 0;
  EXPECT_EQ(Snapshot::Empty()->Patch(changes), nullptr) << "Empty() is not from the store";
}

TEST(SnapshotPatch, AnOverlayPastItsLimitAsksForARebuild) {
  SnapshotData data;
  data.revision = 1;
  data.applications = {Application{"app", "app", "", "dev", "", 0, false}};
  auto s = Snapshot::Build(data);
  SnapshotChanges changes;
  changes.since = 1;
  changes.revision = 2;
  changes.patchable = true;
  for (size_t i = 0; i <= Snapshot::kMaxPatchEntries; ++i) {
    changes.key_hashes.push_back(crypto::Sha256Hex(std::to_string(i)));
  }
  EXPECT_EQ(s->Patch(changes), nullptr);
  changes.key_hashes.resize(100);
  auto patched = s->Patch(changes);
  ASSERT_NE(patched, nullptr);
  EXPECT_EQ(patched->patch_size(), 100u);
  EXPECT_EQ(patched->key_count(), 0u) << "deleted keys that never existed";
}

}  // namespace
}  // namespace tollgate::enforce
