package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/passkeyd/passkeyd/openapi"
)

// TestRoutesAreDocumented: every route the server registers is in the OpenAPI document, so
// the document cannot fall behind routes.go.
func TestRoutesAreDocumented(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatal(err)
	}
	mux := &recordingMux{}
	// Without Accounts the FIDO2 conformance routes (conformance.go) are not registered:
	// they are excluded on purpose. They are a test-tool transport outside /api, off by
	// default, whose shapes are the FIDO Conformance Test API's, documented in
	// docs/attestation.md rather than in passkeyd's OpenAPI document.
	(&server{Deps: Deps{Web: http.NotFoundHandler()}, metrics: newMetrics(nil, nil)}).routes(mux)
	if len(mux.patterns) < 10 {
		t.Fatalf("only %d routes recorded", len(mux.patterns))
	}
	for _, p := range mux.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok || path == "/{$}" || path == "/assets/" || path == "/api/" {
			continue // catch-alls: the page and the API's 404
		}
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in openapi.json", p)
		}
	}
}

type recordingMux struct{ patterns []string }

func (m *recordingMux) Handle(pattern string, _ http.Handler) {
	m.patterns = append(m.patterns, pattern)
}
