// Allowed lifecycle transitions, in one table.
#include "core/lifecycle.h"

#include <array>

namespace tollgate {
namespace {

struct Transition {
  std::string_view action;
  Lifecycle from;
  Lifecycle to;
};

constexpr std::array<Transition, 7> kTransitions{{
    {"publish", Lifecycle::kCreated, Lifecycle::kPublished},
    {"publish", Lifecycle::kDeprecated, Lifecycle::kPublished},  // undo a deprecation
    {"deprecate", Lifecycle::kPublished, Lifecycle::kDeprecated},
    {"retire", Lifecycle::kDeprecated, Lifecycle::kRetired},
    {"block", Lifecycle::kPublished, Lifecycle::kBlocked},
    {"block", Lifecycle::kDeprecated, Lifecycle::kBlocked},
    {"unblock", Lifecycle::kBlocked, Lifecycle::kPublished},
}};

}  // namespace

std::optional<Lifecycle> NextLifecycle(Lifecycle from, std::string_view action) {
  for (const Transition& t : kTransitions) {
    if (t.action == action && t.from == from) return t.to;
  }
  return std::nullopt;
}

bool IsLifecycleAction(std::string_view action) {
  for (const Transition& t : kTransitions) {
    if (t.action == action) return true;
  }
  return false;
}

}  // namespace tollgate
