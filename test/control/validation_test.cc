// Input validation: each bad field is named, good input is normalised.
#include "control/validation.h"

#include <gtest/gtest.h>

namespace tollgate::control {
namespace {

Api GoodApi() {
  Api a;
  a.name = "Petstore";
  a.version = "v1";
  a.context = "/petstore/v1";
  a.upstream = "http://petstore.default.svc.cluster.local:8080";
  a.resources = {{"get", "/pets/{id}", AuthType::kApiKey, {}, {}}};
  return a;
}

std::string FieldOf(Api a) {
  Status s = ValidateApi(a);
  return s.ok() ? "<ok>" : s.error().field;
}

TEST(ValidateApi, NormalisesGoodInput) {
  Api a = GoodApi();
  a.name = "  Petstore ";
  a.virtual_host = "API.Example.com";
  ASSERT_TRUE(ValidateApi(a).ok());
  EXPECT_EQ(a.name, "Petstore");
  EXPECT_EQ(a.resources[0].method, "GET");
  EXPECT_EQ(a.virtual_host, "api.example.com");
  EXPECT_EQ(a.plans, std::vector<std::string>{"Unlimited"});
}

TEST(ValidateApi, NamesTheFieldAtFault) {
  Api a = GoodApi();
  a.name = "";
  EXPECT_EQ(FieldOf(a), "name");
  a = GoodApi();
  a.version = "v 1";
  EXPECT_EQ(FieldOf(a), "version");
  for (const char* context : {"", "petstore", "/", "/petstore/", "/pets/{id}", "/_tollgate/x"}) {
    a = GoodApi();
    a.context = context;
    EXPECT_EQ(FieldOf(a), "context") << context;
  }
  for (const char* upstream : {"", "petstore:8080", "ftp://x", "http://", "http://user@host"}) {
    a = GoodApi();
    a.upstream = upstream;
    EXPECT_EQ(FieldOf(a), "upstream") << upstream;
  }
  a = GoodApi();
  a.virtual_host = "api.example.com:443";
  EXPECT_EQ(FieldOf(a), "virtualHost");
  a = GoodApi();
  a.api_key_header = "bad header";
  EXPECT_EQ(FieldOf(a), "apiKeyHeader");
  a = GoodApi();
  a.resources.push_back({"FETCH", "/pets", AuthType::kApiKey, {}, {}});
  EXPECT_EQ(FieldOf(a), "resources[1].method");
  a = GoodApi();
  a.resources.push_back({"GET", "pets", AuthType::kApiKey, {}, {}});
  EXPECT_EQ(FieldOf(a), "resources[1].path");
  a = GoodApi();
  a.resources.push_back({"GET", "/pets/{id}", AuthType::kApiKey, {}, {}});
  EXPECT_EQ(FieldOf(a), "resources[1]");
  a = GoodApi();
  a.plans = {"Gold", "Gold"};
  EXPECT_EQ(FieldOf(a), "plans[1]");
}

TEST(ValidateApplication, NeedsAName) {
  Application app;
  Status s = ValidateApplication(app);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "name");
  app.name = "Mobile";
  EXPECT_TRUE(ValidateApplication(app).ok());
}

}  // namespace
}  // namespace tollgate::control
