// YAML ⇄ JSON for management documents (OpenAPI, `tollgate apply` files). YAML is read with the
// YAML 1.2 core schema: plain scalars that look like null, booleans or numbers become those JSON
// types, quoted scalars stay strings, mapping keys are always strings. Pure: no I/O.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tollgate::control {

// One YAML (or JSON) document. Errors: kInvalid "invalid_document" with the line and column.
// `numbers_as_text`: plain scalars that look like numbers stay strings with their exact text
// (so that `version: 1.0` stays "1.0"); readers then accept numbers written as strings.
Result<boost::json::value> YamlToJson(std::string_view text, bool numbers_as_text = false);

// Every document of a multi-document YAML stream ("---" separated), in order; empty documents are
// skipped. Errors as YamlToJson.
Result<std::vector<boost::json::value>> YamlDocumentsToJson(std::string_view text);

// Block-style YAML of a JSON value; strings that a YAML reader would take for something else
// ("123", "true", "") are quoted.
std::string ToYaml(const boost::json::value& value);

}  // namespace tollgate::control
