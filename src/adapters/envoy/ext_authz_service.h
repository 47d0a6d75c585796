// Envoy external authorization (envoy.service.auth.v3.Authorization/Check) on the enforcer: turns
// a CheckRequest into one AccessRequest and the Decision back into a CheckResponse. No decision
// logic lives here (see enforce/decider.h, enforce/response.h).
#pragma once

#include <memory>
#include <string>


#include "enforce/enforcer.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"

namespace tollgate::adapters::envoy {

struct ExtAuthzOptions {
  // Fill CheckResponse.dynamic_metadata with the decision's facts (code, status, api_id,
  // api_name, api_version, application_id, application_name, subscriber, plan, credential_kind)
  // so that Envoy access logs and later filters can read them under the ext_authz filter's
  // namespace (%DYNAMIC_METADATA(envoy.filters.http.ext_authz:application_id)%). Costs a few small
  // allocations per call; off saves them.
  bool dynamic_metadata = true;
  // Add `x-tollgate-decision: <code>; reason="…"` to every answer the client sees (serve
  // --explain). For debugging a gateway set-up; off in production.
  bool explain = false;
  // Write one line per denied decision to stderr (serve --debug). Never carries a secret.
  bool log_denials = false;
};

// The gRPC ext_authz v3 service (callback API, raw method). Check() decides inline on the calling
// gRPC thread and never blocks: the decision reads an immutable snapshot. It parses the request
// itself on a per-thread arena and writes the serialized answer: an allowed answer reuses the
// serialized parts that depend only on the subscription (upstream headers, credential removal,
// dynamic metadata), cached per thread, and encodes only the per-request fields.
//
// Request translation: method, host (:authority) and path (with query) come from
// attributes.request.http; headers are read from its `headers` map (Envoy lower-cases the keys)
// and from `header_map` (Envoy with encode_raw_headers), taking raw_value when set and value
// otherwise; an empty host is replaced by tls_session.sni (Envoy's include_tls_session).
// context_extensions["tollgate_api"] (set per route) → AccessRequest.api_hint;
// source.principal (the peer's SPIFFE ID under mTLS) → principal, or when it is empty, the first
// URI SAN of source.certificate (the URL-encoded PEM peer certificate Envoy sends with
// include_peer_certificate; an unreadable certificate leaves the principal empty);
// source.address.socket_address.address → client_address. The certificate itself goes no further
// than this translation: neither the decision, the explain header nor the denial log carry it.
//
// Answer on allow: status OK; ok_response.headers = the x-tollgate-* upstream headers and the
// backend JWT (in Decision.backend_jwt_header) with append_action OVERWRITE_IF_EXISTS_OR_ADD (a
// client cannot spoof them); headers_to_remove = the credential header plus any other
// x-tollgate-* header the client sent; query_parameters_to_remove = the credential query
// parameter; response_headers_to_add = RateLimit*, Deprecation, Sunset (and the explain header).
// Answer on deny: status UNAUTHENTICATED for a 401, PERMISSION_DENIED otherwise; denied_response
// with the decision's HTTP status, the problem+json body, content-type, x-tollgate-code,
// WWW-Authenticate (enforce::WwwAuthenticate), RateLimit*/Retry-After, Deprecation/Sunset.
//
// Thread-safe; the Enforcer must outlive the service.
class ExtAuthzService final
    : public ::envoy::service::auth::v3::Authorization::WithRawCallbackMethod_Check<
          ::envoy::service::auth::v3::Authorization::CallbackService> {
 public:
  explicit ExtAuthzService(const enforce::Enforcer& enforcer, ExtAuthzOptions options = {});

  ::grpc::ServerUnaryReactor* Check(::grpc::CallbackServerContext* context,
                                    const ::grpc::ByteBuffer* request,
                                    ::grpc::ByteBuffer* response) override;

  // The translation Check() performs, without gRPC: fills `response` (expected empty) for
  // `request`. For tests and benchmarks.
  void Answer(const ::envoy::service::auth::v3::CheckRequest& request,
              ::envoy::service::auth::v3::CheckResponse* response) const;

  // The bytes Check() answers for `request` (the serialized CheckResponse, into `out`): parsed,
  // it equals what Answer() fills. For tests and benchmarks.
  void AnswerWire(const ::envoy::service::auth::v3::CheckRequest& request, std::string* out) const;

  // The answer half alone: fills `response` (expected empty) for `decision` taken on `request`.
  // For tests of facts the decision engine may not produce yet.
  void Respond(const Decision& decision, const ::envoy::service::auth::v3::CheckRequest& request,
               ::envoy::service::auth::v3::CheckResponse* response) const;
  // Respond() as Check() encodes it on the wire.
  void RespondWire(const Decision& decision,
                   const ::envoy::service::auth::v3::CheckRequest& request, std::string* out) const;

 private:
  const enforce::Enforcer& enforcer_;
  ExtAuthzOptions options_;
};

}  // namespace tollgate::adapters::envoy
