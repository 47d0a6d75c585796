// Shared test world for the adapter tests: one published Petstore API, one subscribed
// application with its API key and mesh identity, decided by a real Enforcer on a FakeClock.
#pragma once

#include <openssl/evp.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/model.h"
#include "enforce/enforcer.h"
#include "enforce/snapshot.h"

namespace tollgate::adapters::fixture {

inline constexpr std::string_view kApiKey = "tg_petstore_test_key_0001";
inline constexpr std::string_view kHost = "api.example.com";
// The SPIFFE ID registered as the application's mesh identity (for GET /petstore/v1/internal).
inline constexpr std::string_view kMeshPrincipal = "spiffe://cluster.local/ns/shop/sa/checkout";

// Lower-case hex SHA-256, as ApiKey::hash stores it.
inline std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

inline SnapshotData PetstoreData() {
  SnapshotData data;
  data.revision = 7;
  Api api;
  api.id = "api-petstore";
  api.name = "Petstore";
  api.version = "v1";
  api.context = "/petstore/v1";
  api.upstream = "http://petstore.default.svc.cluster.local:8080";
  api.lifecycle = Lifecycle::kPublished;
  api.plans = {"Gold"};
  api.resources.push_back(Resource{"GET", "/pets", AuthType::kApiKey, {}, {}});
  api.resources.push_back(Resource{"GET", "/pets/{id}", AuthType::kApiKey, {}, {}});
  api.resources.push_back(Resource{"GET", "/internal", AuthType::kMesh, {}, {}});
  data.apis.push_back(api);

  Application app;
  app.id = "app-mobile";
  app.name = "Mobile";
  app.owner = "alice";
  data.applications.push_back(app);

  Subscription subscription;
  subscription.id = "sub-1";
  subscription.application_id = app.id;
  subscription.api_id = api.id;
  subscription.plan = "Gold";
  data.subscriptions.push_back(subscription);

  ApiKey key;
  key.id = "key-1";
  key.application_id = app.id;
  key.name = "ci";
  key.prefix = std::string(kApiKey.substr(0, 8));
  key.hash = Sha256Hex(kApiKey);
  data.api_keys.push_back(key);

  data.mesh_identities.push_back(MeshIdentity{"mesh-1", app.id, std::string(kMeshPrincipal), 0});
  return data;
}

// An Enforcer deciding on the Petstore snapshot.
struct PetstoreWorld {
  PetstoreWorld() { holder.Set(enforce::Snapshot::Build(PetstoreData())); }
  FakeClock clock;
  enforce::SnapshotHolder holder;
  enforce::Enforcer enforcer{holder, clock};
};

}  // namespace tollgate::adapters::fixture
