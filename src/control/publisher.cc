// The service's publisher features beyond plain API CRUD: deprecation instants, new versions,
// documents, subscription approval and blocking, and application blocking.
#include <algorithm>
#include <utility>

#include "control/audit.h"
#include "control/service.h"
#include "control/validation.h"
#include "crypto/crypto.h"

namespace tollgate::control {
namespace {

constexpr int64_t kPageSize = 500;  // the store's largest page

Error Forbidden(std::string message) {
  return Error{ErrorKind::kForbidden, "forbidden", std::move(message), {}};
}

bool IsPublisher(const Principal& who) {
  return who.role == Role::kAdmin || who.role == Role::kPublisher;
}

store::PageRequest ClampPage(store::PageRequest page) {
  page.offset = std::max<int64_t>(page.offset, 0);
  page.limit = std::clamp<int64_t>(page.limit, 1, kPageSize);
  return page;
}

// Documents are public only with their API: kNotFound "api_not_found" unless the API exists and is
// in the catalog (PUBLISHED or DEPRECATED), so that drafts cannot be probed.
Status RequireCatalogVisible(store::Store& store, std::string_view api_id) {
  auto api = store.GetApi(api_id);
  if (!api.ok()) return api.error();
  if (api->lifecycle != Lifecycle::kPublished && api->lifecycle != Lifecycle::kDeprecated) {
    return NotFound("api_not_found", "no API with this id");
  }
  return Ok();
}

// The default context of a new version: the source's context with its last segment equal to the
// source's version replaced, else the source's context with the new version appended.
std::string VersionedContext(const std::string& context, const std::string& old_version,
                             const std::string& new_version) {
  size_t end = context.size();
  while (end > 0) {
    const size_t slash = context.rfind('/', end - 1);
    if (slash == std::string::npos) break;
    if (std::string_view(context).substr(slash + 1, end - slash - 1) == old_version) {
      return context.substr(0, slash + 1) + new_version + context.substr(end);
    }
    end = slash;
  }
  return context + "/" + new_version;
}

}  // namespace

Result<Api> Service::Transition(const LifecycleEvent& event, const LifecycleOptions& options) {
  if (event.to != Lifecycle::kDeprecated) {
    if (options.sunset_at) return Invalid("sunsetAt", "sunsetAt is only given when deprecating");
    if (options.deprecated_at) {
      return Invalid("deprecatedAt", "deprecatedAt is only given when deprecating");
    }
    return store_.TransitionApi(event);
  }
  const int64_t deprecated_at = options.deprecated_at.value_or(event.at);
  if (options.sunset_at && *options.sunset_at < deprecated_at) {
    return Invalid("sunsetAt", "sunsetAt cannot be before the deprecation");
  }
  return store_.DeprecateApi(event, deprecated_at, options.sunset_at);
}

Result<Api> Service::CreateApiVersion(const Principal& who, std::string_view source_id,
                                      NewVersionRequest request) {
  if (!IsPublisher(who)) return Forbidden("only publishers and admins manage APIs");
  auto source = store_.GetApi(source_id);
  if (!source.ok()) return source.error();
  if (request.version.empty()) return Invalid("version", "version is required, e.g. \"v2\"");
  Api api = *source;
  api.id = crypto::RandomUuid();
  api.context = request.context.empty()
                    ? VersionedContext(source->context, source->version, request.version)
                    : std::move(request.context);
  api.version = std::move(request.version);
  api.lifecycle = Lifecycle::kCreated;
  api.is_default_version = request.is_default_version;
  api.deprecated_at.reset();
  api.sunset_at.reset();
  api.created_by = who.user;
  api.created_at = api.updated_at = clock_.NowSeconds();
  if (auto s = ValidateApi(api); !s.ok()) return s.error();
  std::vector<ApiDocument> documents;
  for (store::PageRequest page{0, kPageSize};; page.offset += page.limit) {
    auto docs = store_.ListDocuments(source->id, page);
    if (!docs.ok()) return docs.error();
    for (ApiDocument& doc : docs->items) {
      doc.id = crypto::RandomUuid();
      doc.api_id = api.id;
      doc.created_at = doc.updated_at = api.created_at;
      documents.push_back(std::move(doc));
    }
    if (page.offset + page.limit >= docs->total) break;
  }
  auto audit = OpenAudit(clock_, who.user, "api.version", "api", api.id,
                         JsonSummary().Add("source", source->id).str(), Summary(api));
  return Changed(store_.CreateApiVersion(api, documents));
}

// ---------------------------------------------------------------------------------------------
// Documents

Result<store::Page<ApiDocument>> Service::ListDocuments(const Principal& who,
                                                        std::string_view api_id,
                                                        store::PageRequest page) {
  if (!IsPublisher(who)) {
    if (auto s = RequireCatalogVisible(store_, api_id); !s.ok()) return s.error();
  }
  return store_.ListDocuments(api_id, ClampPage(page));
}

Result<ApiDocument> Service::GetDocument(const Principal& who, std::string_view api_id,
                                         std::string_view doc_id) {
  if (!IsPublisher(who)) {
    if (auto s = RequireCatalogVisible(store_, api_id); !s.ok()) return s.error();
  }
  return store_.GetDocument(api_id, doc_id);
}

Result<ApiDocument> Service::CreateDocument(const Principal& who, std::string_view api_id,
                                            ApiDocument draft) {
  if (!IsPublisher(who)) return Forbidden("only publishers and admins write documents");
  if (auto s = ValidateDocument(draft); !s.ok()) return s.error();
  draft.id = crypto::RandomUuid();
  draft.api_id = std::string(api_id);
  draft.created_at = draft.updated_at = clock_.NowSeconds();
  auto audit = OpenAudit(clock_, who.user, "document.create", "document", draft.id, "",
                         JsonSummary().Add("apiId", draft.api_id).Add("name", draft.name).str());
  return Changed(store_.CreateDocument(draft));
}

Result<ApiDocument> Service::UpdateDocument(const Principal& who, std::string_view api_id,
                                            std::string_view doc_id, ApiDocument draft) {
  if (!IsPublisher(who)) return Forbidden("only publishers and admins write documents");
  if (auto s = ValidateDocument(draft); !s.ok()) return s.error();
  draft.id = std::string(doc_id);
  draft.api_id = std::string(api_id);
  draft.updated_at = clock_.NowSeconds();
  auto audit = OpenAudit(clock_, who.user, "document.update", "document", draft.id, "",
                         JsonSummary().Add("apiId", draft.api_id).Add("name", draft.name).str());
  return Changed(store_.UpdateDocument(draft));
}

Status Service::DeleteDocument(const Principal& who, std::string_view api_id,
                               std::string_view doc_id) {
  if (!IsPublisher(who)) return Forbidden("only publishers and admins write documents");
  auto audit = OpenAudit(clock_, who.user, "document.delete", "document", doc_id,
                         JsonSummary().Add("apiId", api_id).str(), "");
  return Changed(store_.DeleteDocument(api_id, doc_id));
}

// ---------------------------------------------------------------------------------------------
// Approvals and blocking

Result<Subscription> Service::ManagedSubscription(const Principal& who, std::string_view id) {
  if (!IsPublisher(who)) {
    return Forbidden("only the API's publisher or an admin manages its subscriptions");
  }
  auto sub = store_.GetSubscription(id);
  if (!sub.ok()) return sub.error();
  if (who.role == Role::kAdmin) return sub;
  auto api = store_.GetApi(sub->api_id);
  if (!api.ok()) return api.error();
  if (api->created_by != who.user) {
    return Forbidden("only the API's publisher or an admin manages its subscriptions");
  }
  return sub;
}

Result<store::Page<Subscription>> Service::FindSubscriptions(
    const Principal& who, std::optional<SubscriptionStatus> status, store::PageRequest page) {
  if (!IsPublisher(who)) {
    return Forbidden("only publishers and admins list subscriptions across applications");
  }
  store::Store::SubscriptionFilter filter{status, who.role == Role::kAdmin ? "" : who.user};
  return store_.FindSubscriptions(filter, ClampPage(page));
}

Result<Subscription> Service::ApproveSubscription(const Principal& who, std::string_view id) {
  auto sub = ManagedSubscription(who, id);
  if (!sub.ok()) return sub.error();
  if (sub->status != SubscriptionStatus::kPending) {
    return Conflict("subscription_not_pending", "only PENDING subscriptions are approved");
  }
  auto audit = OpenAudit(clock_, who.user, "subscription.approve", "subscription", id, Summary(*sub), "");
  return Changed(store_.SetSubscriptionStatus(id, SubscriptionStatus::kPending, SubscriptionStatus::kActive));
}

Status Service::RejectSubscription(const Principal& who, std::string_view id) {
  auto sub = ManagedSubscription(who, id);
  if (!sub.ok()) return sub.error();
  if (sub->status != SubscriptionStatus::kPending) {
    return Conflict("subscription_not_pending", "only PENDING subscriptions are rejected");
  }
  auto audit = OpenAudit(clock_, who.user, "subscription.reject", "subscription", sub->id, Summary(*sub),
                         "");
  return Changed(store_.DeleteSubscription(sub->application_id, sub->id));
}

Result<Subscription> Service::BlockSubscription(const Principal& who, std::string_view id) {
  auto sub = ManagedSubscription(who, id);
  if (!sub.ok()) return sub.error();
  if (sub->status != SubscriptionStatus::kActive) {
    return Conflict("subscription_not_active", "only ACTIVE subscriptions are blocked");
  }
  auto audit = OpenAudit(clock_, who.user, "subscription.block", "subscription", id, Summary(*sub), "");
  return Changed(store_.SetSubscriptionStatus(id, SubscriptionStatus::kActive, SubscriptionStatus::kBlocked));
}

Result<Subscription> Service::UnblockSubscription(const Principal& who, std::string_view id) {
  auto sub = ManagedSubscription(who, id);
  if (!sub.ok()) return sub.error();
  if (sub->status != SubscriptionStatus::kBlocked) {
    return Conflict("subscription_not_blocked", "only BLOCKED subscriptions are unblocked");
  }
  auto audit = OpenAudit(clock_, who.user, "subscription.unblock", "subscription", id, Summary(*sub), "");
  return Changed(store_.SetSubscriptionStatus(id, SubscriptionStatus::kBlocked, SubscriptionStatus::kActive));
}

Result<Application> Service::SetApplicationBlocked(const Principal& who, std::string_view id,
                                                   bool blocked) {
  if (who.role != Role::kAdmin) return Forbidden("only admins block applications");
  auto audit = OpenAudit(clock_, who.user, blocked ? "application.block" : "application.unblock",
                         "application", id, "", "");
  return Changed(store_.SetApplicationBlocked(id, blocked));
}

}  // namespace tollgate::control
