// `tollgate apply`: YAML documents → idempotent calls on the management REST API.
#include "cli/apply.h"

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/flags.h"
#include "cli/http_client.h"
#include "control/yaml_json.h"

namespace tollgate::cli {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace {

constexpr const char* kHelp =
    "Usage: tollgate apply -f FILE.yaml [--server URL] [--user U] [--password P] [--dry-run]\n"
    "\n"
    "Applies YAML documents (kind: Plan | API | OpenAPI | Application | Subscription, with\n"
    "metadata.name and spec) through the management REST API: creates what is absent, updates\n"
    "what differs, leaves the rest. One line per resource; exit status 1 when a document failed.\n"
    "\n";

// `desired` is contained in `existing`: every key it gives has the same value there (objects
// recursively, arrays element by element, numbers by value). Keys it leaves out are not compared.
bool Covers(const json::value& existing, const json::value& desired) {
  if (desired.is_object()) {
    if (!existing.is_object()) return false;
    for (const auto& kv : desired.get_object()) {
      const json::value* e = existing.get_object().if_contains(kv.key());
      if (kv.value().is_null()) {
        if (e != nullptr && !e->is_null()) return false;
      } else if (e == nullptr || !Covers(*e, kv.value())) {
        return false;
      }
    }
    return true;
  }
  if (desired.is_array()) {
    if (!existing.is_array() || existing.get_array().size() != desired.get_array().size())
      return false;
    for (size_t i = 0; i < desired.get_array().size(); ++i) {
      if (!Covers(existing.get_array()[i], desired.get_array()[i])) return false;
    }
    return true;
  }
  if (desired.is_number() && existing.is_number())
    return desired.to_number<double>() == existing.to_number<double>();
  return desired == existing;
}

std::string Escape(std::string_view s) {  // for query values
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

struct Failure {
  std::string field;
  std::string message;
};

class Applier {
 public:
  Applier(const HttpClient& http, bool dry_run, fs::path dir, std::string user)
      : http_(http), dry_run_(dry_run), dir_(std::move(dir)), user_(std::move(user)) {}

  // Applies one document; prints its line. False when it failed (the message is printed).
  bool Document(size_t index, const json::value& doc);

 private:
  using Outcome = std::string;  // "created", "updated", "unchanged"
  Result<json::value> Call(std::string_view method, const std::string& target,
                           const std::string& body = {},
                           std::string_view type = "application/json");
  Result<std::vector<json::object>> List(const std::string& path);
  Result<std::optional<json::object>> FindApi(const std::string& name, const std::string& version);
  Result<Outcome> Upsert(const std::string& collection, const std::optional<json::object>& existing,
                         const json::object& body);
  Result<Outcome> Plan(const std::string& name, json::object spec);
  Result<Outcome> ApiDoc(const std::string& name, json::object spec);
  Result<Outcome> OpenApiDoc(const std::string& name, const json::object& spec);
  Result<Outcome> Application(const std::string& name, json::object spec);
  Result<Outcome> Subscription(const json::object& spec, std::string& label);
  Result<Outcome> PutApi(json::object body, const std::optional<std::string>& lifecycle);

  const HttpClient& http_;
  bool dry_run_;
  fs::path dir_;
  std::string user_;  // applications are the acting user's (admins list everyone's)
};

Result<json::value> Applier::Call(std::string_view method, const std::string& target,
                                  const std::string& body, std::string_view type) {
  auto answer = http_.Send(method, target, body, type);
  if (!answer.ok()) return answer.error();
  json::value parsed;
  if (!answer->body.empty()) {
    boost::system::error_code ec;
    parsed = json::parse(answer->body, ec);
    if (ec) parsed = json::value(answer->body);
  }
  if (answer->status >= 300) {
    Error e{ErrorKind::kInvalid,
            "http_" + std::to_string(answer->status),
            std::string(method) + " " + target + " answered " + std::to_string(answer->status),
            {}};
    if (parsed.is_object()) {
      const json::object& p = parsed.get_object();
      if (auto* d = p.if_contains("detail"); d && d->is_string())
        e.message = std::string(d->get_string());
      if (auto* c = p.if_contains("code"); c && c->is_string())
        e.code = std::string(c->get_string());
      if (auto* f = p.if_contains("field"); f && f->is_string())
        e.field = std::string(f->get_string());
    }
    return e;
  }
  return parsed;
}

Result<std::vector<json::object>> Applier::List(const std::string& path) {
  std::vector<json::object> out;
  for (int64_t offset = 0;; offset += 500) {
    auto page = Call("GET", path + "?offset=" + std::to_string(offset) + "&limit=500");
    if (!page.ok()) return page.error();
    const json::value* items =
        page->is_object() ? page->get_object().if_contains("items") : nullptr;
    if (items == nullptr || !items->is_array())
      return Internal("GET " + path + ": no items in the answer");
    for (const json::value& item : items->get_array()) {
      if (item.is_object()) out.push_back(item.get_object());
    }
    if (items->get_array().size() < 500) return out;
  }
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

Result<std::optional<json::object>> Applier::FindApi(const std::string& name,
                                                     const std::string& version) {
  auto apis = List("/api/v1/apis");
  if (!apis.ok()) return apis.error();
  for (json::object& a : *apis) {
    if (Str(a, "name") == name && Str(a, "version") == version)
      return std::optional<json::object>(std::move(a));
  }
  return std::optional<json::object>();
}

// POST to `collection` when absent, PUT to collection/id when `body` is not covered by it.
Result<Applier::Outcome> Applier::Upsert(const std::string& collection,
                                         const std::optional<json::object>& existing,
                                         const json::object& body) {
  if (!existing) {
    if (!dry_run_) {
      auto created = Call("POST", collection, json::serialize(body));
      if (!created.ok()) return created.error();
    }
    return Outcome("created");
  }
  if (Covers(*existing, body)) return Outcome("unchanged");
  if (!dry_run_) {
    auto updated = Call("PUT", collection + "/" + Str(*existing, "id"), json::serialize(body));
    if (!updated.ok()) return updated.error();
  }
  return Outcome("updated");
}

Result<Applier::Outcome> Applier::Plan(const std::string& name, json::object spec) {
  spec["name"] = name;
  auto plans = List("/api/v1/plans");
  if (!plans.ok()) return plans.error();
  std::optional<json::object> existing;
  for (json::object& p : *plans) {
    if (Str(p, "name") == name) existing = std::move(p);
  }
  return Upsert("/api/v1/plans", existing, spec);
}

Result<Applier::Outcome> Applier::PutApi(json::object body,
                                         const std::optional<std::string>& lifecycle) {
  const std::string name = Str(body, "name"), version = Str(body, "version");
  if (version.empty()) return Invalid("version", "an API needs spec.version, e.g. v1");
  auto existing = FindApi(name, version);
  if (!existing.ok()) return existing.error();
  auto outcome = Upsert("/api/v1/apis", *existing, body);
  if (!outcome.ok() || !lifecycle) return outcome;
  static const std::map<std::string, std::string> kActions = {{"PUBLISHED", "publish"},
                                                              {"DEPRECATED", "deprecate"},
                                                              {"RETIRED", "retire"},
                                                              {"BLOCKED", "block"}};
  std::string current = *existing ? Str(**existing, "lifecycle") : "CREATED";
  if (current == *lifecycle) return outcome;
  auto action = kActions.find(*lifecycle);
  if (action == kActions.end())
    return Invalid("lifecycle", "lifecycle is PUBLISHED, DEPRECATED, RETIRED or BLOCKED");
  std::string verb = current == "BLOCKED" && *lifecycle == "PUBLISHED" ? "unblock" : action->second;
  if (!dry_run_) {
    auto fresh = FindApi(name, version);
    if (!fresh.ok()) return fresh.error();
    if (!*fresh) return Internal("the API vanished while being applied");
    auto changed = Call("POST", "/api/v1/apis/" + Str(**fresh, "id") + "/lifecycle",
                        json::serialize(json::object{{"action", verb}}));
    if (!changed.ok()) return changed.error();
  }
  return *outcome == "unchanged" ? Outcome("updated") : *outcome;
}

std::optional<std::string> TakeLifecycle(json::object& spec) {
  std::optional<std::string> out;
  if (const json::value* v = spec.if_contains("lifecycle"); v != nullptr && v->is_string()) {
    out = std::string(v->get_string());
  }
  spec.erase("lifecycle");
  return out;
}

Result<Applier::Outcome> Applier::ApiDoc(const std::string& name, json::object spec) {
  auto lifecycle = TakeLifecycle(spec);
  spec["name"] = name;
  return PutApi(std::move(spec), lifecycle);
}

// spec: {file, context?, upstream?, version?, fallbackAuth?, plans?, lifecycle?}; the file is
// read relative to the applied YAML file and turned into an API by the server (import, dry run).
Result<Applier::Outcome> Applier::OpenApiDoc(const std::string& name, const json::object& spec) {
  const std::string file = Str(spec, "file");
  if (file.empty())
    return Invalid("file", "an OpenAPI document needs spec.file (path of the OpenAPI document)");
  const fs::path path = fs::path(file).is_absolute() ? fs::path(file) : dir_ / file;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Invalid("file", "cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  std::string query = "?dryRun=true";
  if (!name.empty()) query += "&name=" + Escape(name);
  for (const char* key : {"context", "upstream", "version", "fallbackAuth"}) {
    if (const std::string v = Str(spec, key); !v.empty())
      query += std::string("&") + key + "=" + Escape(v);
  }
  auto draft = Call("POST", "/api/v1/apis/import" + query, text.str(), "application/yaml");
  if (!draft.ok()) {
    Error e = draft.error();
    if (e.field.rfind('/', 0) == 0 || e.field.empty())
      e.field = "file " + path.string() + "#" + e.field;
    return e;
  }
  json::object body = draft->get_object();
  for (const char* key : {"id", "lifecycle", "createdBy", "createdAt", "updatedAt"})
    body.erase(key);
  if (const json::value* plans = spec.if_contains("plans")) body["plans"] = *plans;
  json::object copy = spec;
  return PutApi(std::move(body), TakeLifecycle(copy));
}

Result<Applier::Outcome> Applier::Application(const std::string& name, json::object spec) {
  spec["name"] = name;
  auto apps = List("/api/v1/applications");
  if (!apps.ok()) return apps.error();
  std::optional<json::object> existing;
  for (json::object& a : *apps) {
    if (Str(a, "name") == name && Str(a, "owner") == user_) existing = std::move(a);
  }
  return Upsert("/api/v1/applications", existing, spec);
}

// spec: {application: NAME, api: NAME, version: V, plan?}.
Result<Applier::Outcome> Applier::Subscription(const json::object& spec, std::string& label) {
  const std::string app_name = Str(spec, "application"), api_name = Str(spec, "api"),
                    version = Str(spec, "version");
  const std::string plan = Str(spec, "plan");
  if (app_name.empty())
    return Invalid("application", "a subscription needs spec.application (an application name)");
  if (api_name.empty() || version.empty())
    return Invalid("api", "a subscription needs spec.api and spec.version");
  label = app_name + " → " + api_name + " " + version;
  auto apps = List("/api/v1/applications");
  if (!apps.ok()) return apps.error();
  std::string app_id;
  for (const json::object& a : *apps) {
    if (Str(a, "name") == app_name && Str(a, "owner") == user_) app_id = Str(a, "id");
  }
  auto api = FindApi(api_name, version);
  if (!api.ok()) return api.error();
  if (app_id.empty() || !*api) {
    if (dry_run_) return Outcome("created");
    return Invalid(
        app_id.empty() ? "application" : "api",
        app_id.empty() ? "no application " + app_name : "no API " + api_name + " " + version);
  }
  const std::string api_id = Str(**api, "id");
  const std::string subs_path = "/api/v1/applications/" + app_id + "/subscriptions";
  auto subs = List(subs_path);
  if (!subs.ok()) return subs.error();
  for (const json::object& s : *subs) {
    if (Str(s, "apiId") != api_id) continue;
    if (plan.empty() || Str(s, "plan") == plan) return Outcome("unchanged");
    if (!dry_run_) {  // no plan change in place: re-subscribe on the new plan
      auto gone = Call("DELETE", subs_path + "/" + Str(s, "id"));
      if (!gone.ok()) return gone.error();
      auto again =
          Call("POST", subs_path, json::serialize(json::object{{"apiId", api_id}, {"plan", plan}}));
      if (!again.ok()) return again.error();
    }
    return Outcome("updated");
  }
  if (!dry_run_) {
    json::object body{{"apiId", api_id}};
    if (!plan.empty()) body["plan"] = plan;
    auto created = Call("POST", subs_path, json::serialize(body));
    if (!created.ok()) return created.error();
  }
  return Outcome("created");
}

bool Applier::Document(size_t index, const json::value& doc) {
  const std::string where = "document " + std::to_string(index + 1);
  auto fail = [&](const std::string& what, const std::string& field, const std::string& message) {
    std::fprintf(stderr, "error: %s%s: %s%s\n", where.c_str(),
                 what.empty() ? "" : (" (" + what + ")").c_str(),
                 field.empty() ? "" : (field + ": ").c_str(), message.c_str());
    return false;
  };
  if (!doc.is_object()) return fail("", "", "a document is a mapping {kind, metadata, spec}");
  const json::object& o = doc.get_object();
  const std::string kind = Str(o, "kind");
  std::string name;
  if (const json::value* m = o.if_contains("metadata"); m != nullptr && m->is_object())
    name = Str(m->get_object(), "name");
  json::object spec;
  if (const json::value* s = o.if_contains("spec"); s != nullptr && !s->is_null()) {
    if (!s->is_object()) return fail(kind, "spec", "spec is a mapping");
    spec = s->get_object();
  }
  if (kind.empty())
    return fail("", "kind", "kind is Plan, API, OpenAPI, Application or Subscription");
  if (name.empty() && kind != "Subscription" && kind != "OpenAPI")
    return fail(kind, "metadata.name", "metadata.name is required");
  std::string label;
  Result<Outcome> outcome = Outcome();
  if (kind == "Plan") {
    label = "plan " + name;
    outcome = Plan(name, spec);
  } else if (kind == "API") {
    label = "api " + name + " " + Str(spec, "version");
    outcome = ApiDoc(name, spec);
  } else if (kind == "OpenAPI") {
    label = "api " + (name.empty() ? Str(spec, "file") : name) +
            (Str(spec, "version").empty() ? "" : " " + Str(spec, "version"));
    outcome = OpenApiDoc(name, spec);
  } else if (kind == "Application") {
    label = "application " + name;
    outcome = Application(name, spec);
  } else if (kind == "Subscription") {
    label = "subscription";
    outcome = Subscription(spec, label);
    label = "subscription " + label;
  } else {
    return fail(kind, "kind", "kind is Plan, API, OpenAPI, Application or Subscription");
  }
  if (!outcome.ok()) {
    const Error& e = outcome.error();
    std::string field = e.field;
    if (!field.empty() && field.rfind("file ", 0) != 0) field = "spec." + field;
    if (field.rfind("file ", 0) == 0) field = field.substr(5);
    return fail(kind + (name.empty() ? "" : " " + name), field,
                e.message + (e.code.empty() ? "" : " [" + e.code + "]"));
  }
  std::string text = *outcome;
  if (dry_run_ && text != "unchanged") text = "would be " + text;
  std::printf("%s %s\n", label.c_str(), text.c_str());
  std::fflush(stdout);
  return true;
}

}  // namespace

int Apply(int argc, char** argv) {
  // "-f FILE" is the kubectl spelling; Flags knows only long names.
  std::vector<std::string> args;
  for (int i = 2; i < argc; ++i) args.push_back(std::string(argv[i]) == "-f" ? "--file" : argv[i]);
  std::vector<char*> argp = {argv[0], argv[1]};
  for (auto& a : args) argp.push_back(a.data());
  Flags flags({{"file", "FILE", "YAML file of documents to apply", ""},
               {"server", "URL", "management REST API of tollgate", "http://127.0.0.1:8080"},
               {"user", "NAME", "user to act as", "admin"},
               {"password", "PASSWORD", "that user's password", ""},
               {"dry-run", "", "only say what would change", ""}});
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::printf("%s%s", kHelp, flags.Usage().c_str());
      return 0;
    }
  }
  if (auto error = flags.Parse(static_cast<int>(argp.size()), argp.data(), 2)) {
    std::fprintf(stderr, "tollgate apply: %s\n\n%s%s", error->c_str(), kHelp,
                 flags.Usage().c_str());
    return 2;
  }
  const std::string file = flags.Get("file");
  if (file.empty()) {
    std::fprintf(stderr, "tollgate apply: -f FILE is required\n\n%s", kHelp);
    return 2;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "tollgate apply: cannot read %s\n", file.c_str());
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto docs = control::YamlDocumentsToJson(text.str());
  if (!docs.ok()) {
    std::fprintf(stderr, "error: %s: %s\n", file.c_str(), docs.error().message.c_str());
    return 1;
  }
  HttpClient http(flags.Get("server"), flags.Get("user"), flags.Get("password"));
  if (auto s = http.Check(); !s.ok()) {
    std::fprintf(stderr, "tollgate apply: %s\n", s.error().message.c_str());
    return 2;
  }
  Applier applier(http, flags.Has("dry-run"), fs::path(file).parent_path(), flags.Get("user"));
  bool ok = true;
  for (size_t i = 0; i < docs->size(); ++i) ok = applier.Document(i, (*docs)[i]) && ok;
  return ok ? 0 : 1;
}

}  // namespace tollgate::cli
