// The parts of an answer that every adapter sends the same way.
#include "enforce/response.h"

#include <boost/json.hpp>
#include <cstdio>

namespace tollgate::enforce {

UpstreamHeaders UpstreamHeadersFor(const Decision& d) {
  UpstreamHeaders out;
  auto add = [&out](std::string_view name, std::string_view value) {
    if (!value.empty()) out.items[out.size++] = {name, value};
  };
  add("x-tollgate-api", d.api_id);
  add("x-tollgate-api-name", d.api_name);
  add("x-tollgate-api-version", d.api_version);
  add("x-tollgate-application", d.application_id);
  add("x-tollgate-application-name", d.application_name);
  add("x-tollgate-subscriber", d.subscriber);
  add("x-tollgate-plan", d.plan);
  return out;
}

LimitHeaders LimitHeadersFor(const Decision& d) {
  LimitHeaders out;
  if (!d.limit.present) return out;
  // sf-string: printable ASCII with '"' and '\\' escaped; anything else is dropped.
  std::string name = "\"";
  for (char c : d.limit.policy) {
    if (c < 0x20 || c > 0x7e) continue;
    if (c == '"' || c == '\\') name += '\\';
    name += c;
  }
  name += '"';
  out.items[out.size++] = {"RateLimit-Policy", name + ";q=" + std::to_string(d.limit.limit) +
                                                   ";w=" + std::to_string(d.limit.window_seconds)};
  out.items[out.size++] = {"RateLimit", name + ";r=" + std::to_string(d.limit.remaining) +
                                            ";t=" + std::to_string(d.limit.reset_seconds)};
  if (d.http_status() == 429) {
    out.items[out.size++] = {"Retry-After", std::to_string(d.limit.retry_after_seconds)};
  }
  return out;
}

std::string ProblemBody(const Decision& d) {
  const std::string_view code = CodeName(d.code);
  boost::json::object body;
  body["type"] = std::string("urn:tollgate:problem:") + std::string(code);
  body["title"] = Title(d.code);
  body["status"] = d.http_status();
  body["code"] = code;
  std::string detail(Title(d.code));
  if (d.code == DecisionCode::kMissingCredential && !d.credential_header.empty()) {
    detail += "; send it in the '" + std::string(d.credential_header) + "' header";
  }
  if (d.http_status() == 429 && d.limit.present) {
    detail += "; policy '" + std::string(d.limit.policy) + "' allows " +
              std::to_string(d.limit.limit) + " per " + std::to_string(d.limit.window_seconds) +
              " s; retry in " + std::to_string(d.limit.retry_after_seconds) + " s";
  }
  if (!d.api_name.empty()) {
    detail += " (API " + std::string(d.api_name) + " " + std::string(d.api_version) + ")";
  }
  body["detail"] = detail;
  return boost::json::serialize(body);
}

namespace {

bool IsAuthorizationHeader(std::string_view name) {
  constexpr std::string_view kAuthorization = "authorization";
  if (name.size() != kAuthorization.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = (name[i] >= 'A' && name[i] <= 'Z') ? static_cast<char>(name[i] + 32) : name[i];
    if (c != kAuthorization[i]) return false;
  }
  return true;
}

// Appends `text` as the inside of an sf-string / quoted-string: printable ASCII, '"' and '\\'
// escaped, anything else dropped.
void AppendQuoted(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
}

}  // namespace

std::string WwwAuthenticate(const Decision& d) {
  const bool bearer = d.credential_kind == "oauth2" || IsAuthorizationHeader(d.credential_header);
  if (d.code == DecisionCode::kInsufficientScope) {
    // RFC 6750 §3: the scope the resource needs, so that the client can ask for it.
    std::string value = "Bearer realm=\"tollgate\", error=\"insufficient_scope\"";
    if (!d.required_scopes.empty()) {
      value += ", scope=\"";
      AppendQuoted(value, d.required_scopes);
      value += '"';
    }
    return value;
  }
  if (d.http_status() != 401) return {};
  if (bearer) {
    // RFC 6750 §3.1: no error code when the request carried no token at all.
    std::string value = "Bearer realm=\"tollgate\"";
    if (d.code != DecisionCode::kMissingCredential) value += ", error=\"invalid_token\"";
    return value;
  }
  std::string value = "ApiKey realm=\"tollgate\"";
  if (!d.credential_header.empty()) {
    value += ", header=\"" + std::string(d.credential_header) + "\"";
  }
  if (d.code != DecisionCode::kMissingCredential) {
    value += ", error=\"" + std::string(CodeName(d.code)) + "\"";
  }
  return value;
}

std::string HttpDate(int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t days = unix_seconds / 86400;
  int64_t rest = unix_seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  const int weekday = static_cast<int>(((days % 7) + 7) % 7);  // 1970-01-01 was a Thursday
  // Civil date from days since the epoch (H. Hinnant's algorithm).
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04lld %02d:%02d:%02d GMT", kDays[weekday],
                static_cast<int>(day), kMonths[month - 1], static_cast<long long>(year),
                static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                static_cast<int>(rest % 60));
  return buffer;
}

LifecycleHeaders LifecycleHeadersFor(const Decision& d) {
  LifecycleHeaders out;
  if (d.deprecated_at != 0) {
    out.items[out.size++] = {"Deprecation", "@" + std::to_string(d.deprecated_at)};
  }
  if (d.sunset_at != 0) out.items[out.size++] = {"Sunset", HttpDate(d.sunset_at)};
  return out;
}

std::string ExplainValue(const Decision& d) {
  std::string value(CodeName(d.code));
  if (!d.reason.empty()) {
    value += "; reason=\"";
    AppendQuoted(value, d.reason);
    value += '"';
  }
  return value;
}

std::string DenialLogLine(const Decision& d, const AccessRequest& request) {
  const std::string_view path = request.path.substr(0, request.path.find('?'));
  std::string line = "deny code=";
  line += CodeName(d.code);
  line += " status=" + std::to_string(d.http_status());
  line += " method=";
  AppendQuoted(line, request.method);
  line += " host=";
  AppendQuoted(line, request.host);
  line += " path=\"";
  AppendQuoted(line, path);
  line += '"';
  if (!d.api_id.empty()) {
    line += " api=";
    AppendQuoted(line, d.api_id);
  }
  if (!d.application_id.empty()) {
    line += " application=";
    AppendQuoted(line, d.application_id);
  }
  if (!request.client_address.empty()) {
    line += " client=";
    AppendQuoted(line, request.client_address);
  }
  line += " reason=\"";
  AppendQuoted(line, d.reason);
  line += '"';
  return line;
}

std::string WithoutQueryParameter(std::string_view target, std::string_view name) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos || name.empty()) return std::string(target);
  std::string out(target.substr(0, question));
  std::string_view query = target.substr(question + 1);
  bool first = true;
  while (true) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::string_view key = pair.substr(0, pair.find('='));
    if (key != name && !pair.empty()) {
      out += first ? '?' : '&';
      out += pair;
      first = false;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace tollgate::enforce
