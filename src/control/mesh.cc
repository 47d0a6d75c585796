// Service: mesh identities — SPIFFE IDs of workloads registered as an application's credential.
#include <cctype>

#include "control/audit.h"
#include "control/service.h"
#include "crypto/crypto.h"

namespace tollgate::control {

// A SPIFFE ID (SPIFFE spec §2): "spiffe://" + trust domain (lower-case letters, digits, '.', '-',
// '_') + a non-empty path of segments of letters, digits, '.', '-', '_' (no empty, "." or ".."
// segments, no trailing '/'), no query or fragment, at most 2048 bytes.
bool IsSpiffeId(std::string_view id) {
  constexpr std::string_view kScheme = "spiffe://";
  if (id.size() > 2048 || id.substr(0, kScheme.size()) != kScheme) return false;
  std::string_view rest = id.substr(kScheme.size());
  const size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return false;
  for (char c : rest.substr(0, slash)) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '.' || c == '-' || c == '_')) {
      return false;
    }
  }
  std::string_view path = rest.substr(slash);
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    const size_t next = path.find('/');
    const std::string_view segment = path.substr(0, next);
    if (segment.empty() || segment == "." || segment == "..") return false;
    for (char c : segment) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
        return false;
      }
    }
    if (next == std::string_view::npos) break;
    path = path.substr(next);
  }
  return true;
}

Result<MeshIdentity> Service::CreateMeshIdentity(const Principal& who,
                                                 std::string_view application_id,
                                                 std::string principal) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  if (!IsSpiffeId(principal)) {
    return Invalid("principal",
                   "principal must be a SPIFFE ID: spiffe://trust-domain/path (e.g. "
                   "spiffe://cluster.local/ns/shop/sa/checkout)",
                   "invalid_spiffe_id");
  }
  MeshIdentity identity{crypto::RandomUuid(), app->id, std::move(principal), clock_.NowSeconds()};
  auto audit = OpenAudit(clock_, who.user, "mesh_identity.create", "mesh_identity", identity.id, "",
                         JsonSummary().Add("applicationId", identity.application_id).Add("principal", identity.principal).str());
  return Changed(store_.CreateMeshIdentity(identity));
}

Result<std::vector<MeshIdentity>> Service::ListMeshIdentities(const Principal& who,
                                                              std::string_view application_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  return store_.ListMeshIdentities(application_id);
}

Status Service::DeleteMeshIdentity(const Principal& who, std::string_view application_id,
                                   std::string_view identity_id) {
  auto app = OwnedApplication(who, application_id);
  if (!app.ok()) return app.error();
  auto audit = OpenAudit(clock_, who.user, "mesh_identity.delete", "mesh_identity", identity_id,
                         JsonSummary().Add("applicationId", application_id).str(), "");
  return Changed(store_.DeleteMeshIdentity(application_id, identity_id));
}

}  // namespace tollgate::control
