// Package openapi embeds the OpenAPI 3.1 document of passkeyd's HTTP API, served at
// GET /api/openapi.json and kept in the repository as openapi.json.
package openapi

import _ "embed"

// Document is the OpenAPI 3.1 document, as JSON.
//
//go:embed openapi.json
var Document []byte
