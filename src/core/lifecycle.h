// The API lifecycle state machine: CREATED → PUBLISHED → DEPRECATED → RETIRED, plus BLOCKED and
// back. Pure rules; the control plane records each transition.
#pragma once

#include <optional>
#include <string_view>

#include "core/model.h"

namespace tollgate {

// The state `action` ("publish", "deprecate", "retire", "block", "unblock") leads to from `from`,
// or nullopt when the transition is not allowed.
std::optional<Lifecycle> NextLifecycle(Lifecycle from, std::string_view action);

// True for a known action name, whatever the state.
bool IsLifecycleAction(std::string_view action);

// Only PUBLISHED APIs take new subscriptions (DEPRECATED keeps existing ones).
inline bool AcceptsSubscriptions(Lifecycle state) { return state == Lifecycle::kPublished; }

}  // namespace tollgate
