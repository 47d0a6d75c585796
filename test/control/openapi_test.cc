// OpenAPI import and export: security mapping and precedence, extensions, refusals naming the
// place in the document, and the round trip export → import.
#include "control/openapi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "control/validation.h"

namespace tollgate::control {
namespace {

namespace json = boost::json;

constexpr const char* kPetstore = R"(
openapi: 3.0.3
info:
  title: Petstore
  version: 1.0.0
  description: Pets for everyone.
servers:
  - url: https://petstore.internal:8443/petstore/v1
tags:
  - name: pets
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Pet-Key}
    token:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: https://idp/token, scopes: {read: r, write: w}}
    basic: {type: http, scheme: basic}
security:
  - key: []
paths:
  /pets:
    get:
      responses: {'200': {description: ok}}
    post:
      security:
        - token: [write, read]
      x-tollgate-plan: Gold
      responses: {'201': {description: created}}
  /pets/{petId}:
    get:
      security: [{key: []}, {token: [read]}]
      responses: {'200': {description: ok}}
    delete:
      security: []
      responses: {'204': {description: gone}}
  /health:
    get:
      security: [{}]
      responses: {'200': {description: ok}}
)";

const Resource* Find(const Api& api, std::string_view method, std::string_view path) {
  auto it = std::find_if(api.resources.begin(), api.resources.end(),
                         [&](const Resource& r) { return r.method == method && r.path == path; });
  return it == api.resources.end() ? nullptr : &*it;
}

TEST(OpenApiImport, MapsInfoServersAndOperations) {
  auto api = ImportOpenApi(kPetstore);
  ASSERT_TRUE(api.ok()) << api.error().code << " " << api.error().field << " "
                        << api.error().message;
  EXPECT_EQ(api->name, "Petstore");
  EXPECT_EQ(api->version, "1.0.0");
  EXPECT_EQ(api->description, "Pets for everyone.");
  EXPECT_EQ(api->context, "/petstore/v1");
  EXPECT_EQ(api->upstream, "https://petstore.internal:8443");
  EXPECT_EQ(api->tags, std::vector<std::string>{"pets"});
  EXPECT_EQ(api->resources.size(), 5u);
  EXPECT_EQ(api->api_key_header, "x-pet-key");
}

TEST(OpenApiImport, OperationSecurityOverridesTheRootAndEmptyMeansNone) {
  auto api = ImportOpenApi(kPetstore);
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(Find(*api, "GET", "/pets")->auth, AuthType::kApiKey);  // root security
  const Resource* post = Find(*api, "POST", "/pets");
  EXPECT_EQ(post->auth, AuthType::kOAuth2);
  EXPECT_EQ(post->scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(post->plan, "Gold");
  const Resource* get = Find(*api, "GET", "/pets/{petId}");
  EXPECT_EQ(get->auth, AuthType::kApiKeyOrOAuth2);
  EXPECT_EQ(get->scopes, std::vector<std::string>{"read"});
  EXPECT_EQ(Find(*api, "DELETE", "/pets/{petId}")->auth, AuthType::kNone);  // []
  EXPECT_EQ(Find(*api, "GET", "/health")->auth, AuthType::kNone);           // [{}]
}

TEST(OpenApiImport, OptionsWinOverTheDocument) {
  auto api = ImportOpenApi(kPetstore, {"Pets", "v2", "/pets/v2", "http://pets.default.svc:8080"});
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(api->name, "Pets");
  EXPECT_EQ(api->version, "v2");
  EXPECT_EQ(api->context, "/pets/v2");
  EXPECT_EQ(api->upstream, "http://pets.default.svc:8080");
}

TEST(OpenApiImport, QueryApiKeyBecomesQueryName) {
  auto api = ImportOpenApi(R"({"openapi":"3.1.0","info":{"title":"Q","version":"1"},
    "servers":[{"url":"http://q:80"}],
    "components":{"securitySchemes":{"k":{"type":"apiKey","in":"query","name":"api_key"}}},
    "paths":{"/a":{"get":{"security":[{"k":[]}],"responses":{"200":{"description":"ok"}}}}}})");
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(api->api_key_header, "query:api_key");
  EXPECT_EQ(api->context, "/q/1");  // no server path: name and version
}

TEST(OpenApiImport, ExtensionsCarryTollgateSettings) {
  auto api = ImportOpenApi(R"(
openapi: 3.0.0
info: {title: Ext, version: '2'}
servers: [{url: 'http://ext.svc'}]
x-tollgate:
  context: /ext/v2
  plans: [Gold, Silver]
  backendRate: {requests: 100, per: second}
  keyedLimits: [{key: ip, rate: {requests: 5, per: minute, burst: 0}}]
  failOpen: true
  audience: https://api.example.com
  virtualHost: API.example.com
  backendJwtHeader: x-jwt
  defaultAuth: oauth2
paths:
  /a:
    get: {responses: {'200': {description: ok}}}
    put: {x-tollgate-auth: mesh, responses: {'200': {description: ok}}}
)");
  ASSERT_TRUE(api.ok()) << api.error().field << " " << api.error().message;
  EXPECT_EQ(api->context, "/ext/v2");
  EXPECT_EQ(api->plans, (std::vector<std::string>{"Gold", "Silver"}));
  ASSERT_TRUE(api->backend_rate.has_value());
  EXPECT_EQ(api->backend_rate->requests, 100);
  EXPECT_EQ(api->backend_rate->per, Period::kSecond);
  EXPECT_EQ(api->backend_rate->burst, 99);  // default: a whole window
  ASSERT_EQ(api->keyed_limits.size(), 1u);
  EXPECT_EQ(api->keyed_limits[0].rate.burst, 0);
  EXPECT_TRUE(api->fail_open);
  EXPECT_EQ(api->audience, "https://api.example.com");
  EXPECT_EQ(api->virtual_host, "api.example.com");
  EXPECT_EQ(api->backend_jwt_header, "x-jwt");
  EXPECT_EQ(Find(*api, "GET", "/a")->auth, AuthType::kOAuth2);  // defaultAuth, no security
  EXPECT_EQ(Find(*api, "PUT", "/a")->auth, AuthType::kMesh);
}

void ExpectRefusal(std::string_view doc, std::string_view code, std::string_view field) {
  auto api = ImportOpenApi(doc);
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(api.error().code, code) << api.error().message;
  EXPECT_EQ(api.error().field, field) << api.error().message;
  EXPECT_FALSE(api.error().message.empty());
}

TEST(OpenApiImport, RefusalsNameTheCodeAndTheJsonPointer) {
  ExpectRefusal("swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n",
                "unsupported_openapi_version", "/swagger");
  ExpectRefusal("openapi: 4.0.0\n", "unsupported_openapi_version", "/openapi");
  ExpectRefusal("{not json", "invalid_document", "");
  ExpectRefusal("- a\n- b\n", "invalid_document", "");
  ExpectRefusal("openapi: 3.0.0\ninfo: {version: '1'}\npaths: {}\n", "missing_field",
                "/info/title");
  const std::string head = "openapi: 3.0.0\ninfo: {title: T, version: '1'}\n";
  ExpectRefusal(head + "paths: {/a: {get: {responses: {}}}}\n", "missing_upstream", "/servers");
  ExpectRefusal(head + "servers: [{url: /rel}]\npaths: {/a: {get: {responses: {}}}}\n",
                "missing_upstream", "/servers/0/url");
  ExpectRefusal(head + "servers: [{url: 'http://h/{base}'}]\npaths: {/a: {get: {}}}\n",
                "invalid_server_url", "/servers/0/variables/base");
  ExpectRefusal(head + "servers: [{url: 'http://h'}]\npaths: {}\n", "no_operations", "/paths");
  const std::string svc = head + "servers: [{url: 'http://h'}]\n";
  ExpectRefusal(svc +
                    "components: {securitySchemes: {b: {type: http, scheme: basic}}}\n"
                    "paths: {/pets: {get: {security: [{b: []}]}}}\n",
                "unsupported_security_scheme", "/paths/~1pets/get/security/0");
  ExpectRefusal(svc + "paths: {/pets: {get: {security: [{nope: []}]}}}\n",
                "unknown_security_scheme", "/paths/~1pets/get/security/0/nope");
  ExpectRefusal(svc +
                    "components: {securitySchemes: {c: {type: apiKey, in: cookie, name: k}}}\n"
                    "security: [{c: []}]\npaths: {/pets: {get: {}}}\n",
                "unsupported_security_scheme", "/security/0");
  ExpectRefusal(svc +
                    "components: {securitySchemes: {h: {type: apiKey, in: header, name: a},"
                    " q: {type: apiKey, in: query, name: b}}}\n"
                    "paths: {/a: {get: {security: [{h: []}]}}, /b: {get: {security: [{q: []}]}}}\n",
                "conflicting_api_key_schemes", "/paths/~1b/get/security");
  ExpectRefusal(svc + "paths: {/a: {$ref: 'other.yaml#/a'}}\n", "unsupported_ref",
                "/paths/~1a/$ref");
  ExpectRefusal(svc + "paths: {pets: {get: {}}}\n", "invalid_path", "/paths/pets");
  ExpectRefusal(
      svc + "x-tollgate: {backendRate: {requests: 10, per: fortnight}}\npaths: {/a: {get: {}}}\n",
      "invalid_extension", "/x-tollgate/backendRate/per");
  ExpectRefusal(svc + "x-tollgate: {contxt: /a}\npaths: {/a: {get: {}}}\n", "invalid_extension",
                "/x-tollgate/contxt");
  ExpectRefusal(svc + "paths: {/a: {get: {x-tollgate-auth: magic}}}\n", "invalid_extension",
                "/paths/~1a/get/x-tollgate-auth");
}

TEST(OpenApiImport, ExplicitAuthOverridesUnsupportedSecurity) {
  auto api = ImportOpenApi(
      "openapi: 3.0.0\ninfo: {title: T, version: '1'}\nservers: [{url: 'http://h/t'}]\n"
      "components: {securitySchemes: {b: {type: http, scheme: basic}}}\n"
      "paths: {/a: {get: {security: [{b: []}], x-tollgate-auth: apiKey}}}\n");
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(api->resources[0].auth, AuthType::kApiKey);
}

TEST(OpenApiImport, AFallbackAuthReplacesUnenforceableSecurity) {
  const std::string doc =
      "openapi: 3.0.0\ninfo: {title: T, version: '1'}\nservers: [{url: 'http://h/t'}]\n"
      "components: {securitySchemes: {b: {type: http, scheme: basic}}}\n"
      "paths: {/a: {get: {security: [{b: []}]}}, /b: {get: {security: [{nope: []}]}}}\n";
  ImportOptions options;
  options.fallback_auth = AuthType::kApiKey;
  auto api = ImportOpenApi(doc, options);
  ASSERT_FALSE(api.ok());  // an unknown scheme is still an error of the document
  EXPECT_EQ(api.error().code, "unknown_security_scheme");
  api = ImportOpenApi(doc.substr(0, doc.find(", /b:")) + "}\n", options);
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(api->resources[0].auth, AuthType::kApiKey);
}

TEST(OpenApiImport, PathsAreMadeTollgateTemplates) {
  auto api = ImportOpenApi(
      "openapi: 3.0.0\ninfo: {title: T, version: '1.0 beta'}\nservers: [{url: 'http://h/'}]\n"
      "paths:\n  /report.{format}: {get: {}}\n  /c#one: {get: {}}\n  /c#two: {get: {}}\n"
      "  /d/: {trace: {}, patch: {}}\n");
  ASSERT_TRUE(api.ok()) << api.error().field << " " << api.error().message;
  EXPECT_EQ(api->version, "1.0-beta");
  EXPECT_EQ(api->context, "/t/1.0-beta");
  ASSERT_EQ(api->resources.size(), 3u);  // the two /c collapse, trace is not routed
  EXPECT_EQ(api->resources[0].path, "/{format}");
  EXPECT_EQ(api->resources[1].path, "/c");
  EXPECT_EQ(api->resources[2].path, "/d");
  EXPECT_EQ(api->resources[2].method, "PATCH");
}

Api Rich() {
  Api api;
  api.name = "Rich API";
  api.version = "v3";
  api.description = "Everything Tollgate knows.";
  api.context = "/rich/v3";
  api.upstream = "http://rich.default.svc.cluster.local:8080";
  api.virtual_host = "api.example.com";
  api.api_key_header = "query:key";
  api.resources = {
      {"GET", "/items", AuthType::kApiKey, {}, ""},
      {"GET", "/items/{id}", AuthType::kApiKeyOrOAuth2, {"items:read"}, "Gold"},
      {"POST", "/items", AuthType::kOAuth2, {"items:read", "items:write"}, ""},
      {"*", "/files/*", AuthType::kNone, {}, ""},
      {"DELETE", "/items/{id}", AuthType::kMesh, {}, ""},
  };
  api.plans = {"Gold", "Unlimited"};
  api.backend_rate = RateLimit{1000, Period::kSecond, 50};
  api.keyed_limits = {{"header:x-tenant", RateLimit{10, Period::kMinute, 2}}};
  api.fail_open = true;
  api.tags = {"inventory", "beta"};
  api.is_default_version = true;
  api.deprecated_at = 1'800'000'000;
  api.sunset_at = 1'810'000'000;
  api.audience = "rich";
  api.backend_jwt_header = "x-backend-jwt";
  return api;
}

std::vector<std::tuple<std::string, std::string, AuthType, std::vector<std::string>, std::string>>
Sorted(const Api& api) {
  std::vector<std::tuple<std::string, std::string, AuthType, std::vector<std::string>, std::string>>
      out;
  for (const Resource& r : api.resources)
    out.emplace_back(r.method, r.path, r.auth, r.scopes, r.plan);
  std::sort(out.begin(), out.end());
  return out;
}

void ExpectSameApi(const Api& a, const Api& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.context, b.context);
  EXPECT_EQ(a.upstream, b.upstream);
  EXPECT_EQ(a.virtual_host, b.virtual_host);
  EXPECT_EQ(a.api_key_header, b.api_key_header);
  EXPECT_EQ(Sorted(a), Sorted(b));
  EXPECT_EQ(a.plans, b.plans);
  ASSERT_EQ(a.backend_rate.has_value(), b.backend_rate.has_value());
  if (a.backend_rate) {
    EXPECT_EQ(a.backend_rate->requests, b.backend_rate->requests);
    EXPECT_EQ(a.backend_rate->per, b.backend_rate->per);
    EXPECT_EQ(a.backend_rate->burst, b.backend_rate->burst);
  }
  ASSERT_EQ(a.keyed_limits.size(), b.keyed_limits.size());
  for (size_t i = 0; i < a.keyed_limits.size(); ++i) {
    EXPECT_EQ(a.keyed_limits[i].key, b.keyed_limits[i].key);
    EXPECT_EQ(a.keyed_limits[i].rate.burst, b.keyed_limits[i].rate.burst);
  }
  EXPECT_EQ(a.fail_open, b.fail_open);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.is_default_version, b.is_default_version);
  EXPECT_EQ(a.deprecated_at, b.deprecated_at);
  EXPECT_EQ(a.sunset_at, b.sunset_at);
  EXPECT_EQ(a.audience, b.audience);
  EXPECT_EQ(a.backend_jwt_header, b.backend_jwt_header);
}

TEST(OpenApiExport, ReimportingTheExportGivesTheSameApi) {
  const Api api = Rich();
  const std::string doc = ExportOpenApi(api, {}, {"https://gw.example.com/", "/oauth2/token"});
  auto back = ImportOpenApi(doc);
  ASSERT_TRUE(back.ok()) << back.error().code << " " << back.error().field << " "
                         << back.error().message << "\n"
                         << doc;
  ExpectSameApi(api, *back);
  // And through YAML.
  auto from_yaml = ImportOpenApi(JsonToYaml(doc));
  ASSERT_TRUE(from_yaml.ok()) << from_yaml.error().message << "\n" << JsonToYaml(doc);
  ExpectSameApi(api, *from_yaml);
}

TEST(OpenApiExport, DescribesTheGatewaysContract) {
  Api api = Rich();
  api.api_key_header.clear();
  const json::value doc =
      json::parse(ExportOpenApi(api, {}, {"https://gw.example.com", "/oauth2/token"}));
  EXPECT_EQ(doc.at("openapi"), "3.0.3");
  EXPECT_EQ(doc.at("servers").at(0).at("url"), "https://gw.example.com/rich/v3");
  const json::object& schemes = doc.at("components").at("securitySchemes").as_object();
  EXPECT_EQ(schemes.at("apiKey").at("in"), "header");
  EXPECT_EQ(schemes.at("apiKey").at("name"), "apikey");
  const json::value& cc = schemes.at("oauth2").at("flows").at("clientCredentials");
  EXPECT_EQ(cc.at("tokenUrl"), "/oauth2/token");
  EXPECT_EQ(cc.at("scopes").as_object().size(), 2u);  // the union
  const json::value& get = doc.at("paths").at("/items/{id}").at("get");
  EXPECT_EQ(get.at("operationId"), "getItemsId");
  EXPECT_EQ(get.at("parameters").at(0).at("name"), "id");
  EXPECT_EQ(get.at("security").as_array().size(), 2u);
  for (const char* code : {"401", "403", "429"})
    EXPECT_TRUE(get.at("responses").as_object().contains(code)) << code;
  EXPECT_EQ(get.at("x-tollgate-plan"), "Gold");
  // "*" becomes every method, marked so that it comes back as one resource.
  EXPECT_EQ(doc.at("paths").at("/files/*").as_object().size(), 7u);
}

TEST(OpenApiExport, KeepsTheOriginalDocumentsDetails) {
  auto api = ImportOpenApi(kPetstore);
  ASSERT_TRUE(api.ok());
  const json::value doc = json::parse(ExportOpenApi(*api, kPetstore));
  const json::value& post = doc.at("paths").at("/pets").at("post");
  EXPECT_TRUE(post.at("responses").as_object().contains("201"));
  EXPECT_TRUE(post.at("responses").as_object().contains("401"));
  EXPECT_EQ(post.at("security").at(0).as_object().begin()->key(), "oauth2");
  EXPECT_FALSE(doc.as_object().contains("security"));
  auto back = ImportOpenApi(json::serialize(doc));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ExpectSameApi(*api, *back);
}

}  // namespace
}  // namespace tollgate::control

namespace tollgate::control {
namespace {

TEST(ApiKeyLocation, AQueryParameterIsWrittenQueryColonName) {
  Api api;
  api.name = "Q";
  api.version = "v1";
  api.context = "/q/v1";
  api.upstream = "http://q:8080";
  api.api_key_header = "query:api_key";
  EXPECT_TRUE(ValidateApi(api).ok());
  for (const char* bad : {"query:", "query:a b", "x api key"}) {
    api.api_key_header = bad;
    auto s = ValidateApi(api);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().field, "apiKeyHeader");
  }
}

}  // namespace
}  // namespace tollgate::control
