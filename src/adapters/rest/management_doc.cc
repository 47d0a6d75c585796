// JSON form of the embedded management API document.
#include "adapters/rest/management_doc.h"

#include <boost/json.hpp>

#include "control/yaml_json.h"

namespace tollgate::adapters::rest {

const std::string& ManagementOpenApiJson() {
  static const std::string json = [] {
    auto parsed = control::YamlToJson(ManagementOpenApiYaml());
    return parsed.ok() ? boost::json::serialize(*parsed) : std::string();
  }();
  return json;
}

}  // namespace tollgate::adapters::rest
