// The HTTP authz conventions (nginx, Traefik, Envoy HTTP ext_authz), called directly with Beast
// requests shaped the way each gateway sends them.
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>

#include "adapters/http/authz_handler.h"
#include "adapters/petstore_fixture.h"
#include "crypto/test_certificate.h"
#include "core/access.h"

namespace tollgate::adapters::http {
namespace {

using boost::beast::http::verb;
using fixture::kApiKey;
using fixture::kHost;
using tollgate::http::Request;
using tollgate::http::Response;

std::string Header(const Response& response, std::string_view name) {
  const auto it = response.find(name);
  return it == response.end() ? "<absent>" : std::string(it->value());
}

int BodyStatus(const Response& response) {
  return boost::json::parse(response.body()).at("status").to_number<int>();
}

std::string BodyCode(const Response& response) {
  return std::string(boost::json::parse(response.body()).at("code").as_string());
}

class AuthzHandlerTest : public ::testing::Test {
 protected:
  Response Handle(const Request& request) const {
    return handler_(request, tollgate::http::RequestContext{"127.0.0.1"});
  }

  // nginx auth_request: a GET subrequest carrying the original request in X-Original-*.
  static Request Nginx(std::string_view uri, bool with_key = true) {
    Request request{verb::get, "/_tollgate/nginx", 11};
    request.set("Host", "authz.internal:9192");
    request.set("X-Original-Method", "GET");
    request.set("X-Original-Host", kHost);
    request.set("X-Original-URI", uri);
    if (with_key) request.set("apikey", kApiKey);
    return request;
  }

  fixture::PetstoreWorld world_;
  AuthzHandler handler_{world_.enforcer, "/_tollgate/envoy"};
};

TEST_F(AuthzHandlerTest, NginxAllowIsEmpty200WithTollgateHeaders) {
  const Response response = Handle(Nginx("/petstore/v1/pets/7?verbose=1"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(Header(response, "Content-Length"), "0");
  EXPECT_EQ(Header(response, "x-tollgate-application"), "app-mobile");
  EXPECT_EQ(Header(response, "x-tollgate-plan"), "Gold");
}

TEST_F(AuthzHandlerTest, NginxMissingKeyIs401WithChallengeAndTrueStatus) {
  const Response response = Handle(Nginx("/petstore/v1/pets", /*with_key=*/false));
  EXPECT_EQ(response.result_int(), 401);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(Header(response, "Content-Length"), "0");
  EXPECT_NE(Header(response, "WWW-Authenticate"), "<absent>");
  EXPECT_EQ(Header(response, "x-tollgate-status"), "401");
  EXPECT_EQ(Header(response, "x-tollgate-code"), "missing_credential");
}

TEST_F(AuthzHandlerTest, NginxNotFoundBecomes403CarryingTrue404) {
  const Response response = Handle(Nginx("/petstore/v1/owners"));
  EXPECT_EQ(response.result_int(), 403);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(Header(response, "x-tollgate-status"), "404");
  EXPECT_EQ(Header(response, "x-tollgate-code"), CodeName(DecisionCode::kResourceNotFound));
  EXPECT_EQ(Header(response, "WWW-Authenticate"), "<absent>");
}

TEST_F(AuthzHandlerTest, NginxUsesOriginalMethodAndFallsBackToHost) {
  Request request = Nginx("/petstore/v1/pets");
  request.set("X-Original-Method", "DELETE");
  EXPECT_EQ(Handle(request).result_int(), 403);  // no DELETE resource

  request = Nginx("/petstore/v1/pets");
  request.erase("X-Original-Host");
  request.set("Host", kHost);
  EXPECT_EQ(Handle(request).result_int(), 200);
}

TEST_F(AuthzHandlerTest, NginxWithoutOriginalUriIsAConfigurationError) {
  Request request = Nginx("/petstore/v1/pets");
  request.erase("X-Original-URI");
  const Response response = Handle(request);
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_EQ(BodyCode(response), "authz_request_incomplete");
}

Request Denied(std::string_view status, std::string_view code) {
  Request request{verb::get, "/_tollgate/denied", 11};
  if (!status.empty()) request.set("X-Tollgate-Status", status);
  if (!code.empty()) request.set("X-Tollgate-Code", code);
  return request;
}

TEST_F(AuthzHandlerTest, DeniedRendersTrueStatusWithProblemBody) {
  const Response response = Handle(Denied("404", CodeName(DecisionCode::kResourceNotFound)));
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(Header(response, "Content-Type"), "application/problem+json");
  EXPECT_EQ(BodyStatus(response), 404);
  EXPECT_EQ(BodyCode(response), CodeName(DecisionCode::kResourceNotFound));
}

TEST_F(AuthzHandlerTest, DeniedRendersChallengeAndPassesItAndRetryAfterThrough) {
  Response response = Handle(Denied("401", "missing_credential"));
  EXPECT_EQ(response.result_int(), 401);
  EXPECT_NE(Header(response, "WWW-Authenticate"), "<absent>");

  Request request = Denied("401", "missing_credential");
  request.set("X-Tollgate-WWW-Authenticate", "ApiKey header=\"x-api-key\"");
  request.set("X-Tollgate-Retry-After", "30");
  response = Handle(request);
  EXPECT_EQ(Header(response, "WWW-Authenticate"), "ApiKey header=\"x-api-key\"");
  EXPECT_EQ(Header(response, "Retry-After"), "30");
}

TEST_F(AuthzHandlerTest, DeniedWithUnknownCodeIsGeneric403) {
  const Response response = Handle(Denied("404", "no_such_code"));
  EXPECT_EQ(response.result_int(), 403);
  EXPECT_EQ(BodyStatus(response), 403);
}

TEST_F(AuthzHandlerTest, DeniedWithNonErrorStatusIs500) {
  EXPECT_EQ(Handle(Denied("200", "api_not_found")).result_int(), 500);
  EXPECT_EQ(Handle(Denied("4o4", "api_not_found")).result_int(), 500);
  EXPECT_EQ(Handle(Denied("600", "api_not_found")).result_int(), 500);
}

// Every denial code's name maps back to it (guards the name → code table).
TEST_F(AuthzHandlerTest, DeniedKnowsEveryCodeByName) {
  for (DecisionCode code :
       {DecisionCode::kApiNotFound, DecisionCode::kResourceNotFound,
        DecisionCode::kMissingCredential, DecisionCode::kInvalidCredential,
        DecisionCode::kExpiredCredential, DecisionCode::kNotSubscribed,
        DecisionCode::kSubscriptionBlocked, DecisionCode::kApiRetired, DecisionCode::kApiBlocked}) {
    const Response response = Handle(Denied("", CodeName(code)));
    EXPECT_EQ(response.result_int(), static_cast<unsigned>(HttpStatus(code))) << CodeName(code);
    EXPECT_EQ(BodyCode(response), CodeName(code));
  }
}

Request Traefik(std::string_view method, std::string_view uri, bool with_key) {
  Request request{verb::get, "/_tollgate/traefik", 11};
  request.set("X-Forwarded-Method", method);
  request.set("X-Forwarded-Proto", "https");
  request.set("X-Forwarded-Host", kHost);
  request.set("X-Forwarded-Uri", uri);
  if (with_key) request.set("X-Api-Key", kApiKey);
  return request;
}

TEST_F(AuthzHandlerTest, TraefikAllowIsEmpty200WithTollgateHeaders) {
  const Response response = Handle(Traefik("GET", "/petstore/v1/pets", true));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(Header(response, "x-tollgate-subscriber"), "alice");
}

TEST_F(AuthzHandlerTest, TraefikDenyIsTrueStatusWithProblemBody) {
  Response response = Handle(Traefik("GET", "/petstore/v1/owners", true));
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(Header(response, "Content-Type"), "application/problem+json");
  EXPECT_EQ(BodyStatus(response), 404);

  response = Handle(Traefik("GET", "/petstore/v1/pets", false));
  EXPECT_EQ(response.result_int(), 401);
  EXPECT_NE(Header(response, "WWW-Authenticate"), "<absent>");
  EXPECT_EQ(BodyCode(response), "missing_credential");
}

TEST_F(AuthzHandlerTest, EnvoyHttpStripsPrefixAndNamesHeadersToRemove) {
  Request request{verb::get, "/_tollgate/envoy/petstore/v1/pets/7?verbose=1", 11};
  request.set("Host", kHost);
  request.set("apikey", kApiKey);
  request.set("X-Tollgate-Forged", "yes");
  const Response response = Handle(request);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(Header(response, "x-tollgate-application"), "app-mobile");
  EXPECT_EQ(Header(response, "x-envoy-auth-headers-to-remove"), "apikey, X-Tollgate-Forged");
}

TEST_F(AuthzHandlerTest, EnvoyHttpDenyIsTrueStatusWithProblemBody) {
  Request request{verb::post, "/_tollgate/envoy/petstore/v1/pets", 11};
  request.set("Host", kHost);
  request.set("apikey", kApiKey);
  const Response response = Handle(request);  // no POST /pets resource
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(Header(response, "x-tollgate-code"), CodeName(DecisionCode::kResourceNotFound));
  EXPECT_EQ(BodyStatus(response), 404);
}

TEST_F(AuthzHandlerTest, EnvoyHttpWithoutPrefixUsesTheTargetAsIs) {
  const AuthzHandler plain(world_.enforcer);
  Request request{verb::get, "/petstore/v1/pets", 11};
  request.set("Host", kHost);
  EXPECT_EQ(plain(request, {}).result_int(), 401);
  request.set("apikey", kApiKey);
  EXPECT_EQ(plain(request, {}).result_int(), 200);
}

TEST_F(AuthzHandlerTest, PrefixCountsOnlyAtASegmentBoundary) {
  Request request{verb::get, "/_tollgate/envoyish/petstore/v1/pets", 11};
  request.set("Host", kHost);
  request.set("apikey", kApiKey);
  EXPECT_EQ(Handle(request).result_int(), 404);
}

TEST_F(AuthzHandlerTest, HealthzIsOk) {
  const Response response = Handle(Request{verb::get, "/_tollgate/healthz", 11});
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "ok");
}

TEST_F(AuthzHandlerTest, ExplainHeaderOnEveryAnswerWhenEnabled) {
  EXPECT_EQ(Header(Handle(Nginx("/petstore/v1/pets")), "x-tollgate-decision"), "<absent>");
  const AuthzHandler explaining(world_.enforcer, AuthzOptions{.explain = true});
  const Response allowed = explaining(Nginx("/petstore/v1/pets"), {});
  EXPECT_EQ(allowed.result_int(), 200);
  EXPECT_EQ(Header(allowed, "x-tollgate-decision").substr(0, 5), "allow");
  const Response denied = explaining(Nginx("/petstore/v1/pets", false), {});
  EXPECT_EQ(Header(denied, "x-tollgate-decision").substr(0, 18), "missing_credential");
  const Response traefik = explaining(Traefik("GET", "/petstore/v1/owners", true), {});
  EXPECT_EQ(Header(traefik, "x-tollgate-decision").substr(0, 18), "resource_not_found");
}

TEST_F(AuthzHandlerTest, DenialsAreLoggedWithoutTheKey) {
  const AuthzHandler logging(world_.enforcer, AuthzOptions{.log_denials = true});
  ::testing::internal::CaptureStderr();
  Request request = Nginx("/petstore/v1/owners?api_key=tg_secret_in_query");
  EXPECT_EQ(logging(request, {}).result_int(), 403);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("resource_not_found"), std::string::npos) << log;
  EXPECT_EQ(log.find("tg_secret_in_query"), std::string::npos) << log;
  EXPECT_EQ(log.find(kApiKey), std::string::npos) << log;
}

TEST(XfccTest, UriOfTheLastElementIsThePrincipal) {
  EXPECT_EQ(XfccUri("By=spiffe://cluster.local/ns/gw/sa/gw;Hash=abc;"
                    "URI=spiffe://cluster.local/ns/shop/sa/web"),
            "spiffe://cluster.local/ns/shop/sa/web");
  EXPECT_EQ(XfccUri("URI=spiffe://a;Hash=1,Hash=2;Subject=\"CN=x, O=y;z\";URI=spiffe://b"),
            "spiffe://b");
  EXPECT_EQ(XfccUri("Hash=1;uri=\"spiffe://quoted\""), "spiffe://quoted");
  EXPECT_EQ(XfccUri("URI=spiffe://a,Hash=2"), "");
  EXPECT_EQ(XfccUri(""), "");
}

TEST(XfccTest, ValuesOfTheLastElementByKey) {
  EXPECT_EQ(XfccValue("Hash=1;Cert=\"-----BEGIN%20A\";URI=spiffe://b", "cert"), "-----BEGIN%20A");
  EXPECT_EQ(XfccValue("Cert=\"x\",Hash=2", "cert"), "");
  EXPECT_EQ(XfccValue("Hash=abc", "hash"), "abc");
}

// The mesh-only resource through nginx: the identity from URI=, else from the Cert= PEM.
TEST_F(AuthzHandlerTest, MeshIdentityFromTheForwardedClientCertificate) {
  const auto mesh = [](const std::string& xfcc) {
    Request request = Nginx("/petstore/v1/internal", /*with_key=*/false);
    request.set("x-forwarded-client-cert", xfcc);
    return request;
  };
  const std::string principal(fixture::kMeshPrincipal);
  const std::string cert = tollgate::testing_certificate::EnvoyUrlEncoded(
      tollgate::testing_certificate::SelfSignedPem("URI:" + principal));
  const std::string stranger = tollgate::testing_certificate::EnvoyUrlEncoded(
      tollgate::testing_certificate::SelfSignedPem("URI:spiffe://cluster.local/ns/x/sa/stranger"));

  Response by_uri = Handle(mesh("Hash=1;URI=" + principal));
  EXPECT_EQ(by_uri.result_int(), 200);
  EXPECT_EQ(Header(by_uri, "x-tollgate-application"), "app-mobile");

  Response by_cert = Handle(mesh("By=spiffe://gw;Hash=1;Cert=\"" + cert + "\""));
  EXPECT_EQ(by_cert.result_int(), 200) << by_cert.body();
  EXPECT_EQ(Header(by_cert, "x-tollgate-application"), "app-mobile");

  // URI= wins over the certificate; an unknown or unreadable certificate is no known identity.
  EXPECT_EQ(Handle(mesh("Cert=\"" + cert + "\";URI=spiffe://cluster.local/ns/x/sa/stranger"))
                .result_int(), 401);
  EXPECT_EQ(Handle(mesh("Cert=\"" + stranger + "\"")).result_int(), 401);
  EXPECT_EQ(Handle(mesh("Cert=\"not%20a%20certificate\"")).result_int(), 401);
}

}  // namespace
}  // namespace tollgate::adapters::http
