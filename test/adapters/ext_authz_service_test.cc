// Envoy ext_authz v3 over real gRPC: a GrpcServer on loopback, called with the generated stub.
#include <chrono>
#include <future>
#include <map>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "adapters/envoy/grpc_server.h"
#include "adapters/petstore_fixture.h"
#include "crypto/test_certificate.h"
#include "enforce/response.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "envoy/service/ratelimit/v3/rls.grpc.pb.h"

namespace tollgate::adapters::envoy {
namespace {

namespace auth = ::envoy::service::auth::v3;
namespace core = ::envoy::config::core::v3;
using fixture::kApiKey;
using fixture::kHost;
using fixture::kMeshPrincipal;
using testing_certificate::EnvoyUrlEncoded;
using testing_certificate::SelfSignedPem;

auth::CheckRequest MakeRequest(const std::string& method, const std::string& path,
                               const std::map<std::string, std::string>& headers) {
  auth::CheckRequest request;
  auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method(method);
  http->set_host(std::string(kHost));
  http->set_path(path);
  for (const auto& [name, value] : headers) (*http->mutable_headers())[name] = value;
  return request;
}

const core::HeaderValueOption* FindHeader(
    const google::protobuf::RepeatedPtrField<core::HeaderValueOption>& headers,
    const std::string& name) {
  for (const auto& header : headers) {
    if (header.header().key() == name) return &header;
  }
  return nullptr;
}

std::string HeaderValue(const google::protobuf::RepeatedPtrField<core::HeaderValueOption>& headers,
                        const std::string& name) {
  const core::HeaderValueOption* header = FindHeader(headers, name);
  return header == nullptr ? "<absent>" : header->header().value();
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  for (const auto& item : list) {
    if (item == s) return true;
  }
  return false;
}

class ExtAuthzServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start("127.0.0.1", 0).ok());
    ASSERT_NE(server_.port(), 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_.port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = auth::Authorization::NewStub(channel_);
  }

  auth::CheckResponse Call(const auth::CheckRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auth::CheckResponse response;
    const grpc::Status status = stub_->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  fixture::PetstoreWorld world_;
  GrpcServer server_{world_.enforcer};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<auth::Authorization::Stub> stub_;
};

TEST_F(ExtAuthzServiceTest, AllowedCallGetsOverwritingTollgateHeadersAndLosesItsKey) {
  const auto response = Call(MakeRequest("GET", "/petstore/v1/pets/7?verbose=1",
                                         {{"apikey", std::string(kApiKey)},
                                          {"x-tollgate-plan", "Platinum"},
                                          {"x-tollgate-forged", "yes"}}));
  EXPECT_EQ(response.status().code(), 0);
  ASSERT_TRUE(response.has_ok_response());
  const auto& ok = response.ok_response();
  EXPECT_EQ(HeaderValue(ok.headers(), "x-tollgate-application"), "app-mobile");
  EXPECT_EQ(HeaderValue(ok.headers(), "x-tollgate-subscriber"), "alice");
  EXPECT_EQ(HeaderValue(ok.headers(), "x-tollgate-plan"), "Gold");
  for (const auto& header : ok.headers()) {
    EXPECT_EQ(header.append_action(), core::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD)
        << header.header().key();
  }
  EXPECT_TRUE(Contains(ok.headers_to_remove(), "apikey"));
  // Overwritten anyway, so not removed; a forged one Tollgate does not set is removed.
  EXPECT_FALSE(Contains(ok.headers_to_remove(), "x-tollgate-plan"));
  EXPECT_TRUE(Contains(ok.headers_to_remove(), "x-tollgate-forged"));
  const auto& facts = response.dynamic_metadata().fields();
  ASSERT_TRUE(facts.contains("application_id"));
  EXPECT_EQ(facts.at("application_id").string_value(), "app-mobile");
  EXPECT_EQ(facts.at("code").string_value(), CodeName(DecisionCode::kAllow));
}

TEST_F(ExtAuthzServiceTest, MissingKeyIsUnauthenticatedWithProblemBodyAndChallenge) {
  const auto response = Call(MakeRequest("GET", "/petstore/v1/pets", {}));
  EXPECT_EQ(response.status().code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(response.has_denied_response());
  const auto& denied = response.denied_response();
  EXPECT_EQ(denied.status().code(), ::envoy::type::v3::Unauthorized);
  EXPECT_EQ(HeaderValue(denied.headers(), "content-type"), "application/problem+json");
  EXPECT_EQ(HeaderValue(denied.headers(), "x-tollgate-code"), "missing_credential");
  EXPECT_NE(HeaderValue(denied.headers(), "www-authenticate"), "<absent>");
  EXPECT_NE(HeaderValue(denied.headers(), "www-authenticate"), "");
  const boost::json::value body = boost::json::parse(denied.body());
  EXPECT_EQ(body.at("status").to_number<int>(), 401);
  EXPECT_EQ(body.at("code").as_string(), "missing_credential");
  EXPECT_EQ(response.dynamic_metadata().fields().at("code").string_value(), "missing_credential");
}

TEST_F(ExtAuthzServiceTest, WrongKeyIsUnauthenticated) {
  const auto response =
      Call(MakeRequest("GET", "/petstore/v1/pets", {{"apikey", "tg_not_a_real_key"}}));
  EXPECT_EQ(response.status().code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(response.denied_response().status().code(), ::envoy::type::v3::Unauthorized);
  EXPECT_EQ(HeaderValue(response.denied_response().headers(), "x-tollgate-code"),
            CodeName(DecisionCode::kInvalidCredential));
}

TEST_F(ExtAuthzServiceTest, UnknownResourceIsPermissionDeniedWith404) {
  const auto response =
      Call(MakeRequest("GET", "/petstore/v1/owners", {{"apikey", std::string(kApiKey)}}));
  EXPECT_EQ(response.status().code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(response.denied_response().status().code(), ::envoy::type::v3::NotFound);
  EXPECT_EQ(FindHeader(response.denied_response().headers(), "www-authenticate"), nullptr);
  EXPECT_EQ(HeaderValue(response.denied_response().headers(), "x-tollgate-code"),
            CodeName(DecisionCode::kResourceNotFound));
}

TEST_F(ExtAuthzServiceTest, HeadersFromHeaderMapAreReadWhenTheMapIsEmpty) {
  auth::CheckRequest request = MakeRequest("GET", "/petstore/v1/pets", {});
  auto* header_map =
      request.mutable_attributes()->mutable_request()->mutable_http()->mutable_header_map();
  auto* other = header_map->add_headers();
  other->set_key("accept");
  other->set_raw_value("*/*");
  auto* key = header_map->add_headers();
  key->set_key("apikey");
  key->set_raw_value(std::string(kApiKey));  // encode_raw_headers: bytes, no `value`
  const auto response = Call(request);
  EXPECT_EQ(response.status().code(), 0);
  EXPECT_TRUE(response.has_ok_response());
}

TEST_F(ExtAuthzServiceTest, HealthServiceAnswersServing) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  grpc::Slice empty("", 0);
  const grpc::ByteBuffer request(&empty, 1);  // HealthCheckRequest{service: ""}
  grpc::ByteBuffer reply;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &reply,
                    [&](grpc::Status status) { done.set_value(status); });
  const grpc::Status status = done.get_future().get();
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  std::string bytes;
  for (const auto& slice : slices)
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(ExtAuthzServiceTest, TakenPortIsListenFailed) {
  GrpcServer second(world_.enforcer);
  const Status started = second.Start("127.0.0.1", server_.port());
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, "listen_failed");
}

TEST_F(ExtAuthzServiceTest, StopIsIdempotentAndEndsService) {
  server_.Stop(std::chrono::milliseconds(100));
  server_.Stop();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  auth::CheckResponse response;
  EXPECT_FALSE(stub_->Check(&context, MakeRequest("GET", "/petstore/v1/pets", {}), &response).ok());
}

// A service added next to ext_authz whose calls stay in flight until the test finishes them.
class HeldRateLimitService final
    : public ::envoy::service::ratelimit::v3::RateLimitService::CallbackService {
 public:
  grpc::ServerUnaryReactor* ShouldRateLimit(
      grpc::CallbackServerContext* context, const ::envoy::service::ratelimit::v3::RateLimitRequest*,
      ::envoy::service::ratelimit::v3::RateLimitResponse* response) override {
    response->set_overall_code(::envoy::service::ratelimit::v3::RateLimitResponse::OK);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    arrived.set_value(reactor);
    return reactor;
  }
  std::promise<grpc::ServerUnaryReactor*> arrived;
};

TEST(GrpcServerTest, StopLetsCallsInFlightFinish) {
  fixture::PetstoreWorld world;
  HeldRateLimitService held;
  GrpcServer server(world.enforcer);
  server.AddService(&held);
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  const auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                                           grpc::InsecureChannelCredentials());
  auto rls = ::envoy::service::ratelimit::v3::RateLimitService::NewStub(channel);
  auto authz = auth::Authorization::NewStub(channel);

  grpc::ClientContext context;
  ::envoy::service::ratelimit::v3::RateLimitRequest request;
  ::envoy::service::ratelimit::v3::RateLimitResponse response;
  std::promise<grpc::Status> finished;
  rls->async()->ShouldRateLimit(&context, &request, &response,
                                [&](grpc::Status status) { finished.set_value(status); });
  grpc::ServerUnaryReactor* reactor = held.arrived.get_future().get();

  std::thread stopper([&] { server.Stop(std::chrono::seconds(10)); });
  // Once new calls are refused the server is shutting down; the held call is still open.
  bool refusing = false;
  for (int i = 0; i < 200 && !refusing; ++i) {
    grpc::ClientContext probe;
    probe.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(50));
    auth::CheckResponse ignored;
    refusing = !authz->Check(&probe, MakeRequest("GET", "/petstore/v1/pets", {}), &ignored).ok();
  }
  EXPECT_TRUE(refusing);
  reactor->Finish(grpc::Status::OK);
  const grpc::Status status = finished.get_future().get();
  stopper.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.overall_code(), ::envoy::service::ratelimit::v3::RateLimitResponse::OK);
}

// Answer() is the same translation without the transport.
TEST(ExtAuthzAnswerTest, WithoutMetadataOptionLeavesDynamicMetadataEmpty) {
  fixture::PetstoreWorld world;
  const ExtAuthzService service(world.enforcer, ExtAuthzOptions{.dynamic_metadata = false});
  auth::CheckResponse response;
  service.Answer(MakeRequest("GET", "/petstore/v1/pets", {{"apikey", std::string(kApiKey)}}),
                 &response);
  EXPECT_EQ(response.status().code(), 0);
  EXPECT_FALSE(response.has_dynamic_metadata());
}

// Facts the decision engine may add (backend JWT, query key, lifecycle, limits, reason): how
// each travels in the CheckResponse.
Decision RichAllow() {
  Decision d;
  d.code = DecisionCode::kAllow;
  d.api_id = "api-petstore";
  d.api_name = "Petstore";
  d.api_version = "v1";
  d.application_id = "app-mobile";
  d.application_name = "Mobile";
  d.subscriber = "alice";
  d.plan = "Gold";
  d.credential_query = "api_key";
  d.credential_kind = "apiKey";
  d.reason = "key valid";
  d.deprecated_at = 1688169599;
  d.sunset_at = 1735689600;  // 2025-01-01T00:00:00Z
  d.backend_jwt = "eyJhbGciOiJSUzI1NiJ9.e30.sig";
  d.backend_jwt_header = "x-backend-jwt";
  d.limit = {true, "Gold", 100, 60, 99, 60, 0};
  return d;
}

TEST(ExtAuthzRespondTest, AllowCarriesJwtQueryRemovalLifecycleAndLimitHeaders) {
  fixture::PetstoreWorld world;
  const ExtAuthzService service(world.enforcer, ExtAuthzOptions{.explain = true});
  auth::CheckResponse response;
  service.Respond(RichAllow(),
                  MakeRequest("GET", "/petstore/v1/pets?api_key=k&x=1",
                              {{"x-backend-jwt", "forged"}, {"x-tollgate-forged", "1"}}),
                  &response);
  ASSERT_TRUE(response.has_ok_response());
  const auto& ok = response.ok_response();
  EXPECT_EQ(HeaderValue(ok.headers(), "x-backend-jwt"), "eyJhbGciOiJSUzI1NiJ9.e30.sig");
  EXPECT_EQ(FindHeader(ok.headers(), "x-backend-jwt")->append_action(),
            core::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  ASSERT_EQ(ok.query_parameters_to_remove_size(), 1);
  EXPECT_EQ(ok.query_parameters_to_remove(0), "api_key");
  EXPECT_TRUE(Contains(ok.headers_to_remove(), "x-tollgate-forged"));
  EXPECT_EQ(HeaderValue(ok.response_headers_to_add(), "Deprecation"), "@1688169599");
  EXPECT_EQ(HeaderValue(ok.response_headers_to_add(), "Sunset"), "Wed, 01 Jan 2025 00:00:00 GMT");
  EXPECT_EQ(HeaderValue(ok.response_headers_to_add(), "RateLimit"), "\"Gold\";r=99;t=60");
  EXPECT_EQ(HeaderValue(ok.response_headers_to_add(), "x-tollgate-decision"),
            "allow; reason=\"key valid\"");
  const auto& facts = response.dynamic_metadata().fields();
  EXPECT_EQ(facts.at("api_name").string_value(), "Petstore");
  EXPECT_EQ(facts.at("api_version").string_value(), "v1");
  EXPECT_EQ(facts.at("application_name").string_value(), "Mobile");
  EXPECT_EQ(facts.at("subscriber").string_value(), "alice");
  EXPECT_EQ(facts.at("plan").string_value(), "Gold");
  EXPECT_EQ(facts.at("status").number_value(), 200);
}

TEST(ExtAuthzRespondTest, BearerChallengesFollowRfc6750) {
  fixture::PetstoreWorld world;
  const ExtAuthzService service(world.enforcer);
  Decision d;
  d.code = DecisionCode::kExpiredCredential;
  d.credential_kind = "oauth2";
  d.credential_header = "authorization";
  auth::CheckResponse response;
  service.Respond(d, MakeRequest("GET", "/petstore/v1/pets", {}), &response);
  EXPECT_EQ(HeaderValue(response.denied_response().headers(), "www-authenticate"),
            "Bearer realm=\"tollgate\", error=\"invalid_token\"");

  d.code = DecisionCode::kInsufficientScope;
  response.Clear();
  service.Respond(d, MakeRequest("GET", "/petstore/v1/pets", {}), &response);
  EXPECT_EQ(response.status().code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(response.denied_response().status().code(), ::envoy::type::v3::Forbidden);
  EXPECT_EQ(HeaderValue(response.denied_response().headers(), "www-authenticate"),
            "Bearer realm=\"tollgate\", error=\"insufficient_scope\"");
  EXPECT_EQ(FindHeader(response.denied_response().headers(), "x-tollgate-decision"), nullptr);
}

TEST(ExtAuthzRespondTest, RateLimitedDenialCarriesRetryAfterAndExplain) {
  fixture::PetstoreWorld world;
  const ExtAuthzService service(world.enforcer, ExtAuthzOptions{.explain = true});
  Decision d = RichAllow();
  d.code = DecisionCode::kRateLimited;
  d.reason = "plan \"Gold\" exhausted";
  d.limit.remaining = 0;
  d.limit.retry_after_seconds = 7;
  auth::CheckResponse response;
  service.Respond(d, MakeRequest("GET", "/petstore/v1/pets", {}), &response);
  const auto& headers = response.denied_response().headers();
  EXPECT_EQ(response.denied_response().status().code(), ::envoy::type::v3::TooManyRequests);
  EXPECT_EQ(HeaderValue(headers, "Retry-After"), "7");
  EXPECT_EQ(HeaderValue(headers, "x-tollgate-decision"),
            "rate_limited; reason=\"plan \\\"Gold\\\" exhausted\"");
  EXPECT_EQ(HeaderValue(headers, "Deprecation"), "@1688169599");
}

TEST_F(ExtAuthzServiceTest, HeadersAreFoundInBothFormsAndExtensionsAndPrincipalAreRead) {
  // The key only in header_map although the map carries other headers.
  auth::CheckRequest request = MakeRequest("GET", "/petstore/v1/pets", {{"accept", "*/*"}});
  auto* key = request.mutable_attributes()->mutable_request()->mutable_http()
                  ->mutable_header_map()->add_headers();
  key->set_key("apikey");
  key->set_raw_value(std::string(kApiKey));
  (*request.mutable_attributes()->mutable_context_extensions())["tollgate_api"] = "api-petstore";
  request.mutable_attributes()->mutable_source()->set_principal(
      "spiffe://cluster.local/ns/shop/sa/web");
  const auto response = Call(request);
  EXPECT_EQ(response.status().code(), 0);
  EXPECT_TRUE(response.has_ok_response());
}

// --- The peer certificate and the TLS session (include_peer_certificate, include_tls_session).

// GET /petstore/v1/internal (auth: mesh) from a peer known by `principal` and/or `certificate`.
auth::CheckRequest MeshRequest(const std::string& principal, const std::string& certificate) {
  auth::CheckRequest request = MakeRequest("GET", "/petstore/v1/internal", {});
  auto* source = request.mutable_attributes()->mutable_source();
  source->set_principal(principal);
  source->set_certificate(certificate);
  return request;
}

std::string CertificateFor(std::string_view uri) {
  return EnvoyUrlEncoded(SelfSignedPem("DNS:checkout.shop.svc, URI:" + std::string(uri)));
}

TEST_F(ExtAuthzServiceTest, MeshIdentityIsAllowedWhenOnlyThePeerCertificateCarriesIt) {
  const auto response = Call(MeshRequest("", CertificateFor(kMeshPrincipal)));
  EXPECT_EQ(response.status().code(), 0);
  ASSERT_TRUE(response.has_ok_response()) << response.DebugString();
  EXPECT_EQ(HeaderValue(response.ok_response().headers(), "x-tollgate-application"), "app-mobile");
  EXPECT_EQ(response.dynamic_metadata().fields().at("credential_kind").string_value(), "mesh");
  // The same identity as source.principal is the same answer.
  EXPECT_TRUE(Call(MeshRequest(std::string(kMeshPrincipal), "")).has_ok_response());
}

TEST_F(ExtAuthzServiceTest, UnknownCertificateIdentityIsRefusedLikeAnUnknownPrincipal) {
  const std::string stranger = "spiffe://cluster.local/ns/other/sa/stranger";
  const auto by_certificate = Call(MeshRequest("", CertificateFor(stranger)));
  const auto by_principal = Call(MeshRequest(stranger, ""));
  EXPECT_EQ(by_certificate.status().code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(by_certificate.denied_response().status().code(), ::envoy::type::v3::Unauthorized);
  EXPECT_EQ(HeaderValue(by_certificate.denied_response().headers(), "x-tollgate-code"),
            CodeName(DecisionCode::kInvalidCredential));
  EXPECT_EQ(by_certificate.status().code(), by_principal.status().code());
  EXPECT_EQ(by_certificate.denied_response().body(), by_principal.denied_response().body());
}

TEST_F(ExtAuthzServiceTest, SourcePrincipalIsUsedEvenWhenTheCertificateNamesAnother) {
  // Envoy's own principal wins: the certificate is not read at all.
  const auto response = Call(
      MeshRequest("spiffe://cluster.local/ns/other/sa/stranger", CertificateFor(kMeshPrincipal)));
  EXPECT_EQ(HeaderValue(response.denied_response().headers(), "x-tollgate-code"),
            CodeName(DecisionCode::kInvalidCredential));
}

TEST_F(ExtAuthzServiceTest, UnreadableCertificateIsTreatedAsNoMeshIdentity) {
  const std::string pem = SelfSignedPem("URI:" + std::string(kMeshPrincipal));
  for (const std::string& certificate :
       {std::string("garbage%"), std::string("-----BEGIN CERTIFICATE-----%0AAAAA%0A"),
        EnvoyUrlEncoded(pem.substr(0, pem.size() / 2)),
        EnvoyUrlEncoded(SelfSignedPem("DNS:checkout.shop.svc"))}) {
    const auto response = Call(MeshRequest("", certificate));
    EXPECT_EQ(response.status().code(), grpc::StatusCode::UNAUTHENTICATED) << certificate;
    EXPECT_EQ(HeaderValue(response.denied_response().headers(), "x-tollgate-code"),
              CodeName(DecisionCode::kMissingCredential))
        << certificate;
  }
}

TEST(ExtAuthzAnswerTest, SniRoutesWhenTheRequestHasNoHost) {
  // The Petstore API served only at its virtual host.
  fixture::PetstoreWorld world;
  SnapshotData data = fixture::PetstoreData();
  data.apis[0].virtual_host = std::string(kHost);
  world.holder.Set(enforce::Snapshot::Build(data));
  const ExtAuthzService service(world.enforcer);
  const auto answer = [&](const auth::CheckRequest& request) {
    auth::CheckResponse response;
    service.Answer(request, &response);
    return response;
  };

  auth::CheckRequest request =
      MakeRequest("GET", "/petstore/v1/pets", {{"apikey", std::string(kApiKey)}});
  request.mutable_attributes()->mutable_request()->mutable_http()->clear_host();
  EXPECT_EQ(HeaderValue(answer(request).denied_response().headers(), "x-tollgate-code"),
            CodeName(DecisionCode::kApiNotFound));

  request.mutable_attributes()->mutable_tls_session()->set_sni(std::string(kHost));
  const auto response = answer(request);
  EXPECT_EQ(response.status().code(), 0);
  EXPECT_TRUE(response.has_ok_response());

  // The authority, when sent, is what routes.
  request.mutable_attributes()->mutable_request()->mutable_http()->set_host("other.example.com");
  EXPECT_EQ(HeaderValue(answer(request).denied_response().headers(), "x-tollgate-code"),
            CodeName(DecisionCode::kApiNotFound));
}

TEST(ExtAuthzAnswerTest, CertificateAppearsInNeitherExplainHeaderNorDenialLog) {
  fixture::PetstoreWorld world;
  const ExtAuthzService service(world.enforcer,
                                ExtAuthzOptions{.explain = true, .log_denials = true});
  const std::string pem = SelfSignedPem("URI:spiffe://cluster.local/ns/other/sa/stranger");
  const std::string certificate = EnvoyUrlEncoded(pem);
  // A line of the certificate's base64 body, as it would appear if printed.
  const std::string body_line = pem.substr(pem.find('\n') + 1, 40);
  auth::CheckResponse response;
  ::testing::internal::CaptureStderr();
  service.Answer(MeshRequest("", certificate), &response);
  const std::string log = ::testing::internal::GetCapturedStderr();

  ASSERT_TRUE(response.has_denied_response());
  const std::string explain =
      HeaderValue(response.denied_response().headers(), "x-tollgate-decision");
  EXPECT_EQ(explain, "invalid_credential; reason=\"unknown mesh identity\"");
  EXPECT_NE(log.find("deny code=invalid_credential"), std::string::npos) << log;
  for (const std::string& text : {log, explain, response.denied_response().body(),
                                  response.dynamic_metadata().DebugString()}) {
    EXPECT_EQ(text.find("CERTIFICATE"), std::string::npos) << text;
    EXPECT_EQ(text.find("%0A"), std::string::npos) << text;
    EXPECT_EQ(text.find(body_line), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace tollgate::adapters::envoy

namespace tollgate::adapters::envoy {
namespace {

// Check() writes the answer's bytes itself (cached static parts + per-request fields): parsed,
// they must say exactly what the typed translation says, for every shape of answer.
void ExpectWireEqualsTyped(const auth::CheckResponse& typed, const std::string& wire,
                           const std::string& what) {
  auth::CheckResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire)) << what;
  std::string report;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&report);
  EXPECT_TRUE(differ.Compare(typed, parsed)) << what << ":\n" << report;
}

TEST(ExtAuthzWireTest, AnswersEqualTheTypedTranslation) {
  fixture::PetstoreWorld world;
  const std::vector<auth::CheckRequest> requests = {
      MakeRequest("GET", "/petstore/v1/pets/7", {{"apikey", std::string(kApiKey)}}),
      MakeRequest("GET", "/petstore/v1/pets/7?verbose=1",
                  {{"apikey", std::string(kApiKey)},
                   {"x-tollgate-plan", "Platinum"},
                   {"x-tollgate-forged", "yes"}}),
      MakeRequest("GET", "/petstore/v1/pets", {}),                          // 401
      MakeRequest("GET", "/petstore/v1/pets", {{"apikey", "tg_wrong"}}),    // 401
      MakeRequest("PATCH", "/petstore/v1/nothing", {{"apikey", std::string(kApiKey)}}),  // 404
  };
  for (const ExtAuthzOptions& options :
       {ExtAuthzOptions{}, ExtAuthzOptions{.dynamic_metadata = false},
        ExtAuthzOptions{.explain = true}}) {
    const ExtAuthzService service(world.enforcer, options);
    for (size_t i = 0; i < requests.size(); ++i) {
      // Twice: the first call fills the per-thread cache, the second is served from it.
      for (int round = 0; round < 2; ++round) {
        auth::CheckResponse typed;
        service.Answer(requests[i], &typed);
        std::string wire;
        service.AnswerWire(requests[i], &wire);
        ExpectWireEqualsTyped(typed, wire,
                              "request " + std::to_string(i) + " round " + std::to_string(round) +
                                  " metadata " + std::to_string(options.dynamic_metadata) +
                                  " explain " + std::to_string(options.explain));
      }
    }
  }
}

TEST(ExtAuthzWireTest, RichAllowEqualsTheTypedTranslationAndPerRequestFieldsAreNotCached) {
  fixture::PetstoreWorld world;
  const ExtAuthzService service(world.enforcer, ExtAuthzOptions{.explain = true});
  const auto request = MakeRequest("GET", "/petstore/v1/pets?api_key=k&x=1",
                                   {{"x-backend-jwt", "forged"}, {"x-tollgate-forged", "1"}});
  Decision d = RichAllow();
  std::string jwt;  // outlives every use of d.backend_jwt
  for (int remaining : {99, 42}) {  // same subscription, new remaining quota and JWT
    d.limit.remaining = remaining;
    jwt = "eyJhbGciOiJSUzI1NiJ9.e30.sig" + std::to_string(remaining);
    d.backend_jwt = jwt;
    auth::CheckResponse typed;
    service.Respond(d, request, &typed);
    std::string wire;
    service.RespondWire(d, request, &wire);
    ExpectWireEqualsTyped(typed, wire, "remaining " + std::to_string(remaining));
    auth::CheckResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire));
    EXPECT_EQ(HeaderValue(parsed.ok_response().response_headers_to_add(), "RateLimit"),
              "\"Gold\";r=" + std::to_string(remaining) + ";t=60");
    EXPECT_EQ(HeaderValue(parsed.ok_response().headers(), "x-backend-jwt"), jwt);
  }
  // Another application on the same API gets its own facts, not the cached ones.
  d.application_id = "app-web";
  d.application_name = "Web";
  auth::CheckResponse typed;
  service.Respond(d, request, &typed);
  std::string wire;
  service.RespondWire(d, request, &wire);
  ExpectWireEqualsTyped(typed, wire, "other application");
}

TEST_F(ExtAuthzServiceTest, MalformedRequestBytesAreInvalidArgument) {
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const std::string garbage = "\x0a\xff\xff\xff\xff\x0f";  // a length past the end
  grpc::Slice slice(garbage.data(), garbage.size());
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/envoy.service.auth.v3.Authorization/Check", grpc::StubOptions(),
                 &request, &response, [&done](grpc::Status s) { done.set_value(s); });
  const grpc::Status status = done.get_future().get();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace tollgate::adapters::envoy
