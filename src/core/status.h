// Errors as values: the Error every layer returns for expected failures, and Result<T>.
// The REST layer maps Error::kind to an HTTP status and Error::code to problem+json's `code`.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tollgate {

enum class ErrorKind {
  kInvalid,          // bad input; `field` names the offending field (400)
  kNotFound,         // the addressed resource does not exist (404)
  kConflict,         // uniqueness or state conflict (409)
  kUnauthenticated,  // no or bad credentials (401)
  kForbidden,        // authenticated but not allowed (403)
  kUnavailable,      // a dependency is down; retrying may help (503)
  kInternal,         // a bug or an unexpected storage failure (500)
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;     // stable, machine-readable, snake_case, e.g. "api_context_taken"
  std::string message;  // human-readable detail; never contains a secret
  std::string field;    // for kInvalid: the JSON field at fault, e.g. "resources[2].path"
};

inline Error Invalid(std::string field, std::string message, std::string code = "invalid_field") {
  return Error{ErrorKind::kInvalid, std::move(code), std::move(message), std::move(field)};
}
inline Error NotFound(std::string code, std::string message) {
  return Error{ErrorKind::kNotFound, std::move(code), std::move(message), {}};
}
inline Error Conflict(std::string code, std::string message) {
  return Error{ErrorKind::kConflict, std::move(code), std::move(message), {}};
}
inline Error Internal(std::string message) {
  return Error{ErrorKind::kInternal, "internal", std::move(message), {}};
}

struct Unit {};

// Either a value or an Error. Cheap to move; check ok() before value().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

using Status = Result<Unit>;
inline Status Ok() { return Unit{}; }

}  // namespace tollgate
