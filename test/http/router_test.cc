// http::Router and Problem(): which route a request reaches, the params it gets, and the
// problem+json answers for unknown paths and methods.
#include "http/router.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <stdexcept>
#include <string>

namespace tollgate::http {
namespace {

namespace bhttp = boost::beast::http;
using bhttp::verb;

// A handler that answers "<name>" followed by " k=v" for each listed parameter.
RouteHandler Named(std::string name, std::vector<std::string> keys = {}) {
  return [name, keys](const Request&, const RequestContext&, const PathParams& params) {
    Response response{bhttp::status::ok, 11};
    response.body() = name;
    for (const auto& key : keys) response.body() += " " + key + "=" + std::string(params.Get(key));
    return response;
  };
}

Response Call(const Router& router, verb method, std::string target) {
  Request request{method, target, 11};
  return router.Dispatch(request, RequestContext{"127.0.0.1"});
}

std::string Body(const Router& router, verb method, std::string target) {
  return Call(router, method, std::move(target)).body();
}

boost::json::object Json(const Response& response) {
  return boost::json::parse(response.body()).as_object();
}

TEST(Router, LiteralSegmentBeatsParam) {
  Router router;
  router.Add(verb::get, "/api/v1/apis/{id}", Named("one", {"id"}));
  router.Add(verb::get, "/api/v1/apis/import", Named("import"));
  EXPECT_EQ(Body(router, verb::get, "/api/v1/apis/import"), "import");
  EXPECT_EQ(Body(router, verb::get, "/api/v1/apis/7"), "one id=7");
}

TEST(Router, BacktracksFromALiteralThatLeadsNowhere) {
  Router router;
  router.Add(verb::get, "/apis/import", Named("import"));
  router.Add(verb::post, "/apis/{id}/lifecycle", Named("lifecycle", {"id"}));
  EXPECT_EQ(Body(router, verb::post, "/apis/import/lifecycle"), "lifecycle id=import");
}

TEST(Router, PrefersARouteWhoseMethodMatches) {
  Router router;
  router.Add(verb::post, "/apis/import", Named("import"));
  router.Add(verb::get, "/apis/{id}", Named("get", {"id"}));
  EXPECT_EQ(Body(router, verb::get, "/apis/import"), "get id=import");
  EXPECT_EQ(Body(router, verb::post, "/apis/import"), "import");
}

TEST(Router, ParamsAreUrlDecodedAndQueryIsIgnored) {
  Router router;
  router.Add(verb::get, "/apps/{id}/subscriptions/{subId}", Named("sub", {"id", "subId"}));
  EXPECT_EQ(Body(router, verb::get, "/apps/a%20b%2Fc/subscriptions/x+y?limit=5"),
            "sub id=a b/c subId=x+y");
  EXPECT_EQ(Body(router, verb::get, "/ap%70s/1/subscriptions/2"), "sub id=1 subId=2");
}

TEST(Router, ParamDoesNotMatchAnEmptySegment) {
  Router router;
  router.Add(verb::get, "/apis/{id}", Named("one"));
  EXPECT_EQ(Call(router, verb::get, "/apis/").result(), bhttp::status::not_found);
}

TEST(Router, UnknownPathIs404Problem) {
  Router router;
  router.Add(verb::get, "/api/v1/apis", Named("list"));
  Response response = Call(router, verb::get, "/api/v1/nothing");
  EXPECT_EQ(response.result(), bhttp::status::not_found);
  EXPECT_EQ(response[bhttp::field::content_type], "application/problem+json");
  boost::json::object body = Json(response);
  EXPECT_EQ(body.at("type"), "urn:tollgate:problem:route_not_found");
  EXPECT_EQ(body.at("title"), "Not Found");
  EXPECT_EQ(body.at("status"), 404);
  EXPECT_EQ(body.at("code"), "route_not_found");
  EXPECT_TRUE(body.contains("detail"));
  EXPECT_FALSE(body.contains("field"));
  EXPECT_EQ(Call(Router(), verb::get, "/").result(), bhttp::status::not_found);
}

TEST(Router, KnownPathWithOtherMethodIs405WithAllow) {
  Router router;
  router.Add(verb::get, "/apis/{id}", Named("get"));
  router.Add(verb::delete_, "/apis/{id}", Named("delete"));
  router.Add(verb::put, "/apis/{id}", Named("put"));
  Response response = Call(router, verb::post, "/apis/7");
  EXPECT_EQ(response.result(), bhttp::status::method_not_allowed);
  EXPECT_EQ(response[bhttp::field::allow], "DELETE, GET, HEAD, PUT");
  EXPECT_EQ(Json(response).at("code"), "method_not_allowed");
}

TEST(Router, HeadFallsBackToGet) {
  Router router;
  router.Add(verb::get, "/healthz", Named("health"));
  EXPECT_EQ(Body(router, verb::head, "/healthz"), "health");
}

TEST(Router, TrailingStarMatchesTheRest) {
  Router router;
  router.Add(verb::get, "/portal/*", Named("portal", {"*"}));
  router.Add(verb::get, "/portal/index.html", Named("index"));
  EXPECT_EQ(Body(router, verb::get, "/portal/assets/app%20x.js"), "portal *=assets/app x.js");
  EXPECT_EQ(Body(router, verb::get, "/portal"), "portal *=");
  EXPECT_EQ(Body(router, verb::get, "/portal/index.html"), "index");
}

TEST(Router, RootPattern) {
  Router router;
  router.Add(verb::get, "/", Named("root"));
  EXPECT_EQ(Body(router, verb::get, "/"), "root");
  EXPECT_EQ(Body(router, verb::get, "/?q=1"), "root");
}

TEST(Router, TargetThatIsNotAnAbsolutePathIs400) {
  Router router;
  router.Add(verb::get, "/", Named("root"));
  EXPECT_EQ(Call(router, verb::get, "relative").result(), bhttp::status::bad_request);
  EXPECT_EQ(Call(router, verb::get, "/a%zz").result(), bhttp::status::bad_request);
}

TEST(Router, ListsRoutesAndRefusesBadPatterns) {
  Router router;
  router.Add(verb::get, "/a/{id}", Named("a"));
  router.Add(verb::post, "/a", Named("b"));
  ASSERT_EQ(router.Routes().size(), 2u);
  EXPECT_EQ(router.Routes()[0].pattern, "/a/{id}");
  EXPECT_EQ(router.Routes()[1].method, verb::post);
  EXPECT_THROW(router.Add(verb::get, "/a/{other}", Named("dup")), std::invalid_argument);
  EXPECT_THROW(router.Add(verb::get, "no-slash", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add(verb::get, "/a//b", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add(verb::get, "/*/b", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add(verb::get, "/x{id}", Named("x")), std::invalid_argument);
}

TEST(Problem, CarriesFieldAndReasonPhrase) {
  Response response = Problem(400, "invalid_field", "name is required", "name");
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_EQ(response[bhttp::field::content_length], std::to_string(response.body().size()));
  boost::json::object body = Json(response);
  EXPECT_EQ(body.at("title"), "Bad Request");
  EXPECT_EQ(body.at("field"), "name");
  EXPECT_EQ(body.at("detail"), "name is required");
  EXPECT_EQ(Json(Problem(429, "rate_limited", "slow down")).at("title"), "Too Many Requests");
}

}  // namespace
}  // namespace tollgate::http
