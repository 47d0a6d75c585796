// `tollgate serve`: wires store → control → enforcer → listeners and runs until a signal.
#include "cli/serve.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "adapters/envoy/grpc_server.h"
#include "adapters/envoy/rls_service.h"
#include "adapters/http/authz_handler.h"
#include "adapters/rest/management_api.h"
#include "cli/counter_usage.h"
#include "cli/flags.h"
#include "cli/key_manager_setup.h"
#include "cli/quota_persistence.h"
#include "control/accounts.h"
#include "control/demo.h"
#include "control/service.h"
#include "enforce/enforcer.h"
#include "enforce/refresher.h"
#include "http/lean_server.h"
#include "http/server.h"
#include "ratelimit/local_counter_store.h"
#include "ratelimit/redis/redis_counter_store.h"
#include "store/sqlite/sqlite_store.h"
#ifdef TOLLGATE_HAVE_JWT
#include "cli/jwks_fetcher.h"
#include "enforce/jwt_verifier.h"
#endif

namespace tollgate::cli {
namespace {

std::vector<FlagSpec> ServeFlags() {
  std::vector<FlagSpec> specs = {
      {"data", "DIR", "data directory of the embedded SQLite store", "./data"},
      {"store", "URL", "store URL: sqlite:PATH (default: sqlite:DIR/tollgate.db)", ""},
      {"role", "ROLE", "all | control (management API) | enforcer (gateway listeners)", "all"},
      {"counters", "URL", "rate-limit counters: memory (this process) or redis://[:password@]host:port[/db]",
       "memory"},
      {"listen", "ADDR", "address every listener binds", "127.0.0.1"},
      {"http-port", "N", "management REST API, /healthz, /readyz", "8080"},
      {"grpc-port", "N", "gRPC: Envoy ext_authz v3", "9191"},
      {"authz-port", "N", "HTTP authz for nginx, Envoy HTTP and Traefik", "9192"},
      {"authz-prefix", "PATH", "path prefix Envoy's HTTP ext_authz puts before the original path", ""},
      {"poll-ms", "N", "how often the store's revision is checked for other processes' changes", "50"},
      {"threads", "N", "I/O threads per HTTP listener", "2"},
      {"max-connections", "N", "open connections the HTTP authz listener keeps at most (more are closed at once)", "10000"},
      {"explain", "", "add x-tollgate-decision: <code>; reason=\"…\" to every authz answer", ""},
      {"debug", "", "log one line per denied authz decision (never a secret)", ""},
      {"demo", "", "seed a demo API, application and a fresh key (printed)", ""},
      {"signup", "", "let anyone create a subscriber account (POST /api/v1/signup)", ""},
      {"secure-cookies", "", "mark the portal session cookie Secure (serve the portals over HTTPS)", ""},
      {"demo-upstream", "URL", "upstream of the demo API", "http://127.0.0.1:9090"},
      {"help", "", "print this help", ""},
  };
  for (FlagSpec& spec : KeyManagerFlags()) specs.insert(specs.end() - 1, std::move(spec));
  return specs;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "tollgate serve: %s\n", message.c_str());
  return 1;
}

// Blocks SIGINT/SIGTERM in every thread (threads started later inherit the mask) so that the
// main thread can wait for them with sigwait.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

Result<std::string> StorePath(const Flags& flags) {
  std::string url = flags.Get("store");
  if (url.empty()) {
    const std::filesystem::path dir = flags.Get("data");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Invalid("data", "cannot create data directory " + dir.string() + ": " + ec.message());
    return (dir / "tollgate.db").string();
  }
  if (url.rfind("sqlite:", 0) == 0) return url.substr(7);
  return Invalid("store", "--store must be sqlite:PATH (postgres:// is not supported yet)");
}

}  // namespace

int Serve(int argc, char** argv) {
  Flags flags(ServeFlags());
  if (auto err = flags.Parse(argc, argv, 2)) return Fail(*err + " (see tollgate serve --help)");
  if (flags.Has("help")) {
    std::printf("Usage: tollgate serve [flags]\n\nFlags:\n%s", flags.Usage().c_str());
    return 0;
  }
  const std::string role = flags.Get("role");
  if (role != "all" && role != "control" && role != "enforcer") {
    return Fail("--role must be all, control or enforcer, got '" + role + "'");
  }
  const bool control_role = role != "enforcer";
  const bool enforcer_role = role != "control";
  uint16_t http_port = 0, grpc_port = 0, authz_port = 0;
  for (auto [name, port] : {std::pair{"http-port", &http_port}, {"grpc-port", &grpc_port},
                            {"authz-port", &authz_port}}) {
    if (auto err = flags.Port(name, *port)) return Fail(*err);
  }
  const int threads = std::max(1, std::atoi(flags.Get("threads").c_str()));
  const int poll_ms = std::max(10, std::atoi(flags.Get("poll-ms").c_str()));
  const std::string listen = flags.Get("listen");

  const sigset_t stop_signals = BlockStopSignals();

  auto path = StorePath(flags);
  if (!path.ok()) return Fail(path.error().message);
  auto opened = store::SqliteStore::Open(*path);
  if (!opened.ok()) return Fail("cannot open store " + *path + ": " + opened.error().message);
  std::unique_ptr<store::SqliteStore> db = std::move(opened.value());

  SystemClock clock;
  enforce::SnapshotHolder holder;
  enforce::SnapshotRefresher refresher(
      holder, [&] { return db->LoadSnapshotData(); }, [&] { return db->Revision(); },
      std::chrono::milliseconds(poll_ms), [&](int64_t since) {
        return db->LoadSnapshotChanges(since, enforce::Snapshot::kMaxPatchEntries);
      });
  // A write returns once the enforcer applies it (bounded: a huge snapshot may take longer).
  control::Service service(*db, clock, [&] { refresher.NotifyAndWait(std::chrono::milliseconds(500)); });
  service.accounts().SetSignupEnabled(flags.Has("signup"));

  if (control_role) {
    const char* given = std::getenv("TOLLGATE_ADMIN_PASSWORD");
    auto admin = service.EnsureAdmin(given ? std::optional<std::string>(given) : std::nullopt);
    if (!admin.ok()) return Fail("cannot create the admin user: " + admin.error().message);
    if (!admin->generated_password.empty()) {
      std::printf("admin password (shown once, store it now): %s\n",
                  admin->generated_password.c_str());
    }
  }
  std::unique_ptr<control::KeyManager> key_manager;  // OAuth2 authorization server
  if (control_role) {
    auto started = StartKeyManager(flags, *db, clock,
                                   [&] { refresher.NotifyAndWait(std::chrono::milliseconds(500)); }, http_port);
    if (!started.ok()) return Fail("cannot start the key manager: " + started.error().message);
    key_manager = std::move(started.value());
    service.AttachKeyManager(key_manager.get());
    std::printf("OAuth2 issuer %s\n", key_manager->options().issuer.c_str());
  }
  if (flags.Has("demo")) {
    auto seed = control::SeedDemo(service, control::Principal{"admin", Role::kAdmin},
                                  flags.Get("demo-upstream"));
    if (!seed.ok()) return Fail("cannot seed the demo: " + seed.error().message);
    std::printf("demo api key: %s\n", seed->key.c_str());
  }
  if (Status s = refresher.Refresh(); !s.ok()) return Fail("cannot load snapshot: " + s.error().message);
  refresher.Start();

  // Rate-limit counters: in this process (quotas saved to the store) or shared through Redis.
  const std::string counters_url = flags.Get("counters");
  std::unique_ptr<ratelimit::LocalCounterStore> local_counters;
  std::unique_ptr<ratelimit::RedisCounterStore> redis_counters;
  std::unique_ptr<QuotaPersistence> quota_persistence;
  ratelimit::CounterStore* counters = nullptr;
  if (counters_url == "memory") {
    local_counters = std::make_unique<ratelimit::LocalCounterStore>();
    quota_persistence = std::make_unique<QuotaPersistence>(*db, *local_counters, clock);
    if (Status s = quota_persistence->Load(); !s.ok()) {
      return Fail("cannot load saved quota counters: " + s.error().message);
    }
    quota_persistence->Start(std::chrono::seconds(5));
    counters = local_counters.get();
  } else {
    auto options = ratelimit::ParseRedisUrl(counters_url);
    if (!options.ok()) return Fail("--counters: " + options.error().message);
    auto connected = ratelimit::RedisCounterStore::Connect(*options);
    if (!connected.ok()) return Fail("--counters: " + connected.error().message);
    redis_counters = std::move(connected.value());
    redis_counters->Start();
    counters = redis_counters.get();
  }
  CounterUsageSource usage(*counters);

  enforce::Enforcer enforcer(holder, clock, counters);
#ifdef TOLLGATE_HAVE_JWT
  // Bearer JWTs: our own keys come with the snapshot; external issuers' keys are fetched here
  // (every 10 minutes, and on an unknown kid at most every 30 s per issuer). Our issuer name is
  // --issuer (default http://<listen>:<http-port>), the same as the key manager's. Backend JWTs
  // are signed with the newest active signing key, unsealed with the master key.
  const std::string own_issuer = OwnIssuer(flags, http_port);
  enforce::JwksCache jwks;
  HttpJwksFetcher jwks_fetcher;
  enforce::JwksRefresher jwks_refresher(
      jwks, jwks_fetcher, clock, [&holder] { return holder.Get()->issuers(); }, {});
  enforcer.SetTokenVerifier(std::make_shared<enforce::JwtVerifier>(
      enforce::JwtVerifier::Options{own_issuer, 60, 100'000}, &jwks));
  if (auto data = db->LoadSnapshotData(); data.ok() && enforcer_role) {
    const SigningKey* newest = nullptr;
    for (const SigningKey& k : data->signing_keys) {
      if (!k.retired_at && (newest == nullptr || k.created_at > newest->created_at)) newest = &k;
    }
    auto alg = newest ? jwt::ParseAlg(newest->alg) : std::nullopt;
    auto master = newest ? LoadMasterKey(flags) : Result<control::MasterKey>(Internal("no key"));
    auto pem = master.ok() ? master->Open(newest->private_key, newest->kid)
                           : Result<std::string>(master.error());
    if (alg && pem.ok()) {
      if (auto key = jwt::SignKey::FromPem(*pem, *alg, newest->kid); key.ok()) {
        enforcer.SetBackendSigner(std::make_shared<enforce::JwtBackendSigner>(
            std::make_shared<const jwt::SignKey>(std::move(key.value())), own_issuer));
      }
    } else if (newest != nullptr) {
      std::fprintf(stderr, "backend JWTs disabled: cannot unseal signing key %s\n",
                   newest->kid.c_str());
    }
  }
  if (enforcer_role) jwks_refresher.Start();
#endif
  std::unique_ptr<adapters::rest::ManagementApi> management;
  std::unique_ptr<http::Server> management_server;
  std::unique_ptr<http::LeanServer> authz_server;
  std::unique_ptr<adapters::http::AuthzHandler> authz;
  adapters::envoy::RateLimitService rate_limit_service(enforcer);  // outlives the server below
  std::unique_ptr<adapters::envoy::GrpcServer> grpc;

  if (control_role) {
    adapters::rest::ManagementOptions rest_options;
    rest_options.secure_cookies = flags.Has("secure-cookies");
    management = std::make_unique<adapters::rest::ManagementApi>(service, [] { return true; }, &usage,
                                                                 rest_options);
    management_server = std::make_unique<http::Server>(
        http::ServerOptions{listen, http_port, threads, 1 << 20, std::chrono::seconds(60), "management"},
        [&](const http::Request& r, const http::RequestContext& c) { return (*management)(r, c); });
    if (Status s = management_server->Start(); !s.ok()) return Fail(s.error().message);
    std::printf("management API on http://%s:%u\n", listen.c_str(), management_server->port());
  }
  if (enforcer_role) {
    const bool explain = flags.Has("explain"), debug = flags.Has("debug");
    authz = std::make_unique<adapters::http::AuthzHandler>(
        enforcer, adapters::http::AuthzOptions{flags.Get("authz-prefix"), explain, debug});
    http::LeanServerOptions authz_options;
    authz_options.address = listen;
    authz_options.port = authz_port;
    authz_options.threads = threads;
    authz_options.max_connections =
        static_cast<size_t>(std::max(1, std::atoi(flags.Get("max-connections").c_str())));
    authz_server = std::make_unique<http::LeanServer>(
        authz_options,
        [&](const http::RequestHead& r, http::ResponseSink& sink) { (*authz)(r, sink); });
    if (Status s = authz_server->Start(); !s.ok()) return Fail(s.error().message);
    std::printf("HTTP authz on http://%s:%u\n", listen.c_str(), authz_server->port());
    grpc = std::make_unique<adapters::envoy::GrpcServer>(
        enforcer, adapters::envoy::ExtAuthzOptions{.explain = explain, .log_denials = debug});
    grpc->AddService(&rate_limit_service);
    if (Status s = grpc->Start(listen, grpc_port); !s.ok()) return Fail(s.error().message);
    std::printf("gRPC ext_authz and rate limit service on %s:%u\n", listen.c_str(), grpc->port());
  }
  std::printf("tollgate ready (role %s, store %s)\n", role.c_str(), path->c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::printf("tollgate: %s received, finishing in-flight requests\n",
              signal == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  // Stop taking traffic first, then the control plane, then background work.
  if (grpc) grpc->Stop();
  if (authz_server) authz_server->Stop();
  if (management_server) management_server->Stop();
  refresher.Stop();
#ifdef TOLLGATE_HAVE_JWT
  jwks_refresher.Stop();
#endif
  if (quota_persistence) quota_persistence->Stop();  // saves a last time
  if (redis_counters) redis_counters->Stop();          // returns unused leases
  return 0;
}

}  // namespace tollgate::cli
