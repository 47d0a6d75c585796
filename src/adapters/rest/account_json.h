// JSON of users, personal access tokens and audit entries (no secret is ever written).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "control/accounts.h"
#include "core/model.h"
#include "core/status.h"

namespace tollgate::adapters::rest {

// {"id","name","email","role","disabled","createdAt"}: never the password hash.
boost::json::object ToJson(const User& user);
// {"id","name","prefix","createdAt","expiresAt"?}: never the hash.
boost::json::object ToJson(const AccessToken& token);
// {"seq","at","actor","action","targetType","targetId","before","after"}; before/after are the
// JSON summaries as objects (null when empty).
boost::json::object ToJson(const AuditEntry& entry);

// {"name","email","role","password","disabled"}: missing fields stay unset (an update keeps
// them).
Result<control::UserDraft> UserDraftFromJson(const boost::json::value& body);

}  // namespace tollgate::adapters::rest
