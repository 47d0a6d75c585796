// The OpenAPI document that describes the management REST API, served at /api/v1/openapi.json.
// Source of truth: src/adapters/rest/openapi/management.yaml; a test checks that every route of
// ManagementApi is in it and that it names no route that does not exist.
#pragma once

#include <string>
#include <string_view>

namespace tollgate::adapters::rest {

// The document as written (YAML).
std::string_view ManagementOpenApiYaml();
// The same document as compact JSON text, converted once on first use. Empty if the embedded
// YAML does not parse (a test guards against that).
const std::string& ManagementOpenApiJson();

}  // namespace tollgate::adapters::rest
