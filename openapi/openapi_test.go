package openapi

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDocument(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(Document, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	// Every $ref resolves inside the document.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if !resolves(doc, ref) {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)

	ids := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, raw := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			op := raw.(map[string]any)
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: missing or duplicate operationId %q", method, path, id)
			}
			ids[id] = true
			if op["summary"] == "" || op["summary"] == nil {
				t.Errorf("%s %s: no summary", method, path)
			}
			ok := false
			for status := range op["responses"].(map[string]any) {
				// A page route whose success is a redirect (/return) documents its 302.
				ok = ok || strings.HasPrefix(status, "2") || path == "/return" && status == "302"
			}
			if !ok {
				t.Errorf("%s %s: no 2xx response", method, path)
			}
		}
	}
}

// TestProblemCodes: the Problem schema lists every code of the contract's table.
func TestProblemCodes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(Document, &doc); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, c := range doc.Components.Schemas["Problem"].Properties["code"].Enum {
		have[c] = true
	}
	for _, c := range []string{"invalid_request", "challenge_unknown", "origin_mismatch", "rp_id_mismatch", "ceremony_type_mismatch",
		"user_presence_required", "user_verification_required", "algorithm_not_allowed", "attestation_invalid", "credential_exists",
		"credential_unknown", "user_handle_mismatch", "flags_invalid", "signature_invalid", "counter_regression", "unauthenticated",
		"invalid_credentials", "mfa_required", "forbidden_origin", "not_found", "username_taken", "last_credential",
		"payload_too_large", "rate_limited", "account_locked", "unavailable"} {
		if !have[c] {
			t.Errorf("Problem.code misses %s", c)
		}
	}
}

func resolves(doc map[string]any, ref string) bool {
	if !strings.HasPrefix(ref, "#/") {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}
