// Internal to the REST adapter: the names the publisher, catalog and portal route files use for
// the shared answer and request helpers of replies.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapters/rest/replies.h"

namespace tollgate::adapters::rest::detail {

using rest::ErrorResponse;
using rest::JsonResponse;
using rest::PageFrom;
using rest::ParseBody;
using rest::ReplyPage;
using rest::StatusFor;

// 204 on success, else the error as problem+json.
inline tollgate::http::Response Reply(const tollgate::http::Request& req, const Status& status) {
  return status.ok() ? NoContent(req) : ErrorResponse(req, status.error());
}

}  // namespace tollgate::adapters::rest::detail
