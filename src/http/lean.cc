// Header lookups on a lean request head.
#include "http/lean.h"

namespace tollgate::http {

bool NameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] | 0x20) : a[i];
    const char y = (b[i] >= 'A' && b[i] <= 'Z') ? static_cast<char>(b[i] | 0x20) : b[i];
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string_view> RequestHead::Get(std::string_view name) const {
  for (const FieldView& field : *this) {
    if (NameEquals(field.name, name)) return field.value;
  }
  return std::nullopt;
}

}  // namespace tollgate::http
