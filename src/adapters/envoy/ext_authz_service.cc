// Envoy ext_authz v3 gRPC adapter: CheckRequest → AccessRequest, Decision → CheckResponse.
#include "adapters/envoy/ext_authz_service.h"

#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <absl/container/flat_hash_map.h>
#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <google/protobuf/struct.pb.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/slice.h>
#include <grpcpp/support/status.h>

#include "crypto/certificate.h"
#include "enforce/response.h"

namespace tollgate::adapters::envoy {
namespace {

namespace auth = ::envoy::service::auth::v3;
namespace core = ::envoy::config::core::v3;
using HttpAttributes = auth::AttributeContext::HttpRequest;

constexpr std::string_view kTollgatePrefix = "x-tollgate-";

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `a` in any case equals `lower` (already lower case).
bool EqualsLower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != lower[i]) return false;
  }
  return true;
}

bool HasTollgatePrefix(std::string_view name) {
  return name.size() >= kTollgatePrefix.size() &&
         EqualsLower(name.substr(0, kTollgatePrefix.size()), kTollgatePrefix);
}

std::string_view ValueOf(const core::HeaderValue& header) {
  return header.raw_value().empty() ? std::string_view(header.value())
                                    : std::string_view(header.raw_value());
}

// The original request's headers, read in place from the proto. Envoy fills the `headers` map
// (keys lower case, repeated headers joined with ','), or with encode_raw_headers the
// `header_map` list (values in raw_value bytes); both are read, the map first. A lookup never
// allocates.
class ProtoHeaders final : public HeaderLookup {
 public:
  explicit ProtoHeaders(const HttpAttributes& http) : http_(http) {}

  std::optional<std::string_view> Get(std::string_view lower_name) const override {
    if (!http_.headers().empty()) {
      // Transparent lookup: no std::string is built for the key.
      const auto it = http_.headers().find(lower_name);
      if (it != http_.headers().end()) return std::string_view(it->second);
    }
    for (const core::HeaderValue& header : http_.header_map().headers()) {
      if (EqualsLower(header.key(), lower_name)) return ValueOf(header);
    }
    return std::nullopt;
  }

  // Calls fn(name) for every header name of the original request.
  template <class Fn>
  void ForEachName(Fn&& fn) const {
    for (const auto& [name, value] : http_.headers()) fn(std::string_view(name));
    for (const core::HeaderValue& header : http_.header_map().headers()) {
      fn(std::string_view(header.key()));
    }
  }

 private:
  const HttpAttributes& http_;
};

void AddHeader(google::protobuf::RepeatedPtrField<core::HeaderValueOption>* headers,
               std::string_view name, std::string_view value) {
  core::HeaderValueOption* option = headers->Add();
  option->mutable_header()->set_key(name.data(), name.size());
  option->mutable_header()->set_value(value.data(), value.size());
  option->set_append_action(core::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
}

void SetFact(google::protobuf::Struct* metadata, const char* key, std::string_view value) {
  if (value.empty()) return;
  (*metadata->mutable_fields())[key].set_string_value(value.data(), value.size());
}

void FillMetadata(const Decision& decision, google::protobuf::Struct* metadata) {
  SetFact(metadata, "code", CodeName(decision.code));
  (*metadata->mutable_fields())["status"].set_number_value(decision.http_status());
  SetFact(metadata, "api_id", decision.api_id);
  SetFact(metadata, "api_name", decision.api_name);
  SetFact(metadata, "api_version", decision.api_version);
  SetFact(metadata, "application_id", decision.application_id);
  SetFact(metadata, "application_name", decision.application_name);
  SetFact(metadata, "subscriber", decision.subscriber);
  SetFact(metadata, "plan", decision.plan);
  SetFact(metadata, "credential_kind", decision.credential_kind);
}

// The backend JWT's header: the decision's, else the conventional one.
std::string_view BackendJwtHeader(const Decision& decision) {
  return decision.backend_jwt_header.empty() ? std::string_view("x-jwt-assertion")
                                             : decision.backend_jwt_header;
}

template <class Headers>
void AddClientHeaders(const Decision& decision, bool explain, Headers* headers) {
  for (const auto& header : enforce::LimitHeadersFor(decision)) {
    AddHeader(headers, header.name, header.value);
  }
  for (const auto& header : enforce::LifecycleHeadersFor(decision)) {
    AddHeader(headers, header.name, header.value);
  }
  if (explain) AddHeader(headers, enforce::kExplainHeader, enforce::ExplainValue(decision));
}

// The part of an allowed answer that depends only on the decision's facts (API, application,
// plan, credential location), never on this request: the same bytes for every call of one
// subscription, so the wire path caches them serialized (see AllowedPartsCache).
void FillAllowedStatic(const Decision& decision, auth::OkHttpResponse* ok) {
  for (const enforce::HeaderPair& header : enforce::UpstreamHeadersFor(decision)) {
    AddHeader(ok->mutable_headers(), header.name, header.value);
  }
  if (!decision.credential_header.empty()) {
    ok->add_headers_to_remove(decision.credential_header.data(), decision.credential_header.size());
  }
  if (!decision.credential_query.empty()) {
    ok->add_query_parameters_to_remove(decision.credential_query.data(),
                                       decision.credential_query.size());
  }
}

// The per-request rest: the backend JWT (renewed over time), the client's headers (remaining
// quota, lifecycle, explain) and the client-sent x-tollgate-* headers to drop. Appended after
// the static part, each repeated field keeps the order FillAllowed gives it.
void FillAllowedDynamic(const Decision& decision, const ProtoHeaders& request_headers,
                        bool explain, auth::OkHttpResponse* ok) {
  const bool has_jwt = !decision.backend_jwt.empty();
  if (has_jwt) AddHeader(ok->mutable_headers(), BackendJwtHeader(decision), decision.backend_jwt);
  // RateLimit, Deprecation and Sunset go to the client's response.
  AddClientHeaders(decision, explain, ok->mutable_response_headers_to_add());
  // A client-sent x-tollgate-* header that Tollgate does not overwrite (its fact is empty) would
  // otherwise reach the service looking authoritative.
  const enforce::UpstreamHeaders upstream = enforce::UpstreamHeadersFor(decision);
  request_headers.ForEachName([&](std::string_view name) {
    if (!HasTollgatePrefix(name)) return;
    for (const enforce::HeaderPair& header : upstream) {
      if (EqualsLower(name, header.name)) return;
    }
    if (has_jwt && EqualsLower(name, BackendJwtHeader(decision))) return;
    ok->add_headers_to_remove(name.data(), name.size());
  });
}

void FillAllowed(const Decision& decision, const ProtoHeaders& request_headers, bool explain,
                 auth::CheckResponse* response) {
  response->mutable_status()->set_code(grpc::StatusCode::OK);
  auth::OkHttpResponse* ok = response->mutable_ok_response();
  FillAllowedStatic(decision, ok);
  FillAllowedDynamic(decision, request_headers, explain, ok);
}

void FillDenied(const Decision& decision, bool explain, auth::CheckResponse* response) {
  const int status = decision.http_status();
  const std::string_view code = CodeName(decision.code);
  response->mutable_status()->set_code(status == 401 ? grpc::StatusCode::UNAUTHENTICATED
                                                     : grpc::StatusCode::PERMISSION_DENIED);
  response->mutable_status()->set_message(code.data(), code.size());

  auth::DeniedHttpResponse* denied = response->mutable_denied_response();
  // envoy.type.v3.StatusCode values are the HTTP codes themselves; an unknown one would fail
  // Envoy's validation, so it degrades to 403 (Envoy's own default for a denial).
  denied->mutable_status()->set_code(::envoy::type::v3::StatusCode_IsValid(status)
                                         ? static_cast<::envoy::type::v3::StatusCode>(status)
                                         : ::envoy::type::v3::Forbidden);
  denied->set_body(enforce::ProblemBody(decision));
  AddHeader(denied->mutable_headers(), "content-type", enforce::kProblemContentType);
  AddHeader(denied->mutable_headers(), "x-tollgate-code", code);
  const std::string challenge = enforce::WwwAuthenticate(decision);
  if (!challenge.empty()) AddHeader(denied->mutable_headers(), "www-authenticate", challenge);
  AddClientHeaders(decision, explain, denied->mutable_headers());
}

void Fill(const Decision& decision, const ProtoHeaders& headers, const ExtAuthzOptions& options,
          auth::CheckResponse* response) {
  if (decision.allowed()) {
    FillAllowed(decision, headers, options.explain, response);
  } else {
    FillDenied(decision, options.explain, response);
  }
  if (options.dynamic_metadata) FillMetadata(decision, response->mutable_dynamic_metadata());
}

// -- The wire path ------------------------------------------------------------------------------
// Check() is served through gRPC's raw (ByteBuffer) method: the request is parsed on a per-thread
// arena, and an allowed answer is assembled from cached serialized parts plus the few per-request
// fields instead of building and serializing some twenty messages per call. A message's encoding
// is the concatenation of its fields' encodings, so cached static part + per-request part encode
// one OkHttpResponse whose repeated fields keep FillAllowed's order.

// Appends `v` as a protobuf varint, with protobuf's own encoder.
void PutVarint(std::string& out, uint32_t v) {
  uint8_t bytes[5];  // a 32-bit varint takes at most 5 bytes
  const uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(v, bytes);
  out.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
}

// The tag and length of a length-delimited (message or bytes) field of `size` bytes.
void PutLengthDelimitedHead(std::string& out, int field, size_t size) {
  using google::protobuf::internal::WireFormatLite;
  PutVarint(out, WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  PutVarint(out, static_cast<uint32_t>(size));
}

struct AllowedParts {
  std::string ok;        // FillAllowedStatic's fields, serialized
  std::string metadata;  // FillMetadata's Struct, serialized (when dynamic metadata is on)
};

// Per thread: the serialized static parts of allowed answers, keyed by every input of
// FillAllowedStatic and FillMetadata (an allowed decision's code and status are constant).
// Keys are the inputs themselves, so an entry can never be stale; bounded, emptied when full.
class AllowedPartsCache {
 public:
  const AllowedParts& Get(const Decision& d, bool metadata) {
    key_.assign(1, metadata ? 'm' : '-');
    for (std::string_view part :
         {d.api_id, d.api_name, d.api_version, d.application_id, d.application_name, d.subscriber,
          d.plan, d.credential_kind, d.credential_header, d.credential_query}) {
      PutVarint(key_, static_cast<uint32_t>(part.size()));
      key_.append(part);
    }
    if (auto it = parts_.find(key_); it != parts_.end()) return it->second;
    if (parts_.size() >= kMaxEntries) parts_.clear();
    AllowedParts parts;
    auth::OkHttpResponse ok;
    FillAllowedStatic(d, &ok);
    ok.SerializeToString(&parts.ok);
    if (metadata) {
      google::protobuf::Struct facts;
      FillMetadata(d, &facts);
      facts.SerializeToString(&parts.metadata);
    }
    return parts_.emplace(key_, std::move(parts)).first->second;
  }

 private:
  static constexpr size_t kMaxEntries = 4096;
  std::string key_;
  absl::flat_hash_map<std::string, AllowedParts> parts_;
};

// The serialized CheckResponse for `decision` into `out` (replaced); messages built on `arena`.
void WireAnswer(const Decision& decision, const ProtoHeaders& headers,
                const ExtAuthzOptions& options, google::protobuf::Arena* arena, std::string* out) {
  out->clear();
  if (!decision.allowed()) {  // denials are rarer and carry per-request bodies: built in full
    auto* response = google::protobuf::Arena::CreateMessage<auth::CheckResponse>(arena);
    Fill(decision, headers, options, response);
    response->SerializeToString(out);
    return;
  }
  thread_local AllowedPartsCache cache;
  thread_local std::string dynamic_bytes;
  const AllowedParts& parts = cache.Get(decision, options.dynamic_metadata);
  auto* dynamic = google::protobuf::Arena::CreateMessage<auth::OkHttpResponse>(arena);
  FillAllowedDynamic(decision, headers, options.explain, dynamic);
  dynamic->SerializeToString(&dynamic_bytes);
  // Fields in number order, as protobuf writes them: status {code: OK} is an empty message.
  PutLengthDelimitedHead(*out, auth::CheckResponse::kStatusFieldNumber, 0);
  PutLengthDelimitedHead(*out, auth::CheckResponse::kOkResponseFieldNumber,
                         parts.ok.size() + dynamic_bytes.size());
  out->append(parts.ok);
  out->append(dynamic_bytes);
  if (options.dynamic_metadata) {
    PutLengthDelimitedHead(*out, auth::CheckResponse::kDynamicMetadataFieldNumber,
                           parts.metadata.size());
    out->append(parts.metadata);
  }
}

// A parse arena per gRPC thread whose first block lives inside it: a typical call allocates
// nothing.
struct CallScratch {
  static constexpr size_t kBlockBytes = 16 * 1024;
  CallScratch() : arena(Options(block)) {}
  static google::protobuf::ArenaOptions Options(char* first_block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = first_block;
    options.initial_block_size = kBlockBytes;
    return options;
  }
  alignas(16) char block[kBlockBytes];
  google::protobuf::Arena arena;
  std::string out;
};

// Translates `request`, decides, and calls fn(decision, headers) while the decision is valid;
// logs denials when asked.
template <class Fn>
void DecideOn(const enforce::Enforcer& enforcer, const ExtAuthzOptions& options,
              const auth::CheckRequest& request, Fn&& fn) {
  const auth::AttributeContext& attributes = request.attributes();
  const HttpAttributes& http = attributes.request().http();
  const ProtoHeaders headers(http);
  AccessRequest access;
  access.method = http.method();
  access.host = http.host();
  // A request without an authority (HTTP/1.0 without Host) is matched by the TLS session's SNI.
  if (access.host.empty()) access.host = attributes.tls_session().sni();
  access.path = http.path();
  access.headers = &headers;
  // The downstream client as Envoy saw it (for IP-keyed limits) and its mesh identity. A check
  // that carries the peer certificate (include_peer_certificate) but no source.principal names
  // the identity in the certificate; parsing costs microseconds, so only then. Owned here, viewed
  // by `access` for the duration of the decision.
  const auto& source = attributes.source();
  std::string certificate_principal;
  access.client_address = source.address().socket_address().address();
  access.principal = source.principal();
  if (access.principal.empty() && !source.certificate().empty()) {
    certificate_principal = crypto::FirstUriSanOfPem(source.certificate());
    access.principal = certificate_principal;
  }
  if (!attributes.context_extensions().empty()) {
    const auto hint = attributes.context_extensions().find(std::string_view("tollgate_api"));
    if (hint != attributes.context_extensions().end()) access.api_hint = hint->second;
  }

  enforcer.Check(access, [&](const Decision& decision) {
    fn(decision, headers);
    if (options.log_denials && !decision.allowed()) {
      const std::string line = enforce::DenialLogLine(decision, access);
      std::fprintf(stderr, "[ext_authz] debug: %s\n", line.c_str());
    }
  });
}

}  // namespace

ExtAuthzService::ExtAuthzService(const enforce::Enforcer& enforcer, ExtAuthzOptions options)
    : enforcer_(enforcer), options_(options) {}

grpc::ServerUnaryReactor* ExtAuthzService::Check(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request_bytes,
                                                 grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  thread_local CallScratch scratch;
  auto* request = google::protobuf::Arena::CreateMessage<auth::CheckRequest>(&scratch.arena);
  // The reader only reads through the pointer (its API takes it non-const).
  grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(request_bytes));
  if (!reader.status().ok() || !request->ParseFromZeroCopyStream(&reader)) {
    scratch.arena.Reset();
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed CheckRequest"));
    return reactor;
  }
  DecideOn(enforcer_, options_, *request, [&](const Decision& decision, const ProtoHeaders& h) {
    WireAnswer(decision, h, options_, &scratch.arena, &scratch.out);
  });
  grpc::Slice slice(scratch.out.data(), scratch.out.size());
  *response_bytes = grpc::ByteBuffer(&slice, 1);
  scratch.arena.Reset();
  // A denial is an answer, not an RPC failure: the RPC itself always succeeds and the verdict
  // travels in CheckResponse.status.
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

void ExtAuthzService::Answer(const auth::CheckRequest& request,
                             auth::CheckResponse* response) const {
  DecideOn(enforcer_, options_, request, [&](const Decision& decision, const ProtoHeaders& h) {
    Fill(decision, h, options_, response);
  });
}

void ExtAuthzService::AnswerWire(const auth::CheckRequest& request, std::string* out) const {
  google::protobuf::Arena arena;
  DecideOn(enforcer_, options_, request, [&](const Decision& decision, const ProtoHeaders& h) {
    WireAnswer(decision, h, options_, &arena, out);
  });
}

void ExtAuthzService::Respond(const Decision& decision, const auth::CheckRequest& request,
                              auth::CheckResponse* response) const {
  Fill(decision, ProtoHeaders(request.attributes().request().http()), options_, response);
}

void ExtAuthzService::RespondWire(const Decision& decision, const auth::CheckRequest& request,
                                  std::string* out) const {
  google::protobuf::Arena arena;
  WireAnswer(decision, ProtoHeaders(request.attributes().request().http()), options_, &arena, out);
}

}  // namespace tollgate::adapters::envoy
