package k8sschema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func load(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at walks a converted schema by keys; it fails the test where the path ends early.
func at(t *testing.T, s map[string]any, keys ...string) any {
	t.Helper()
	var v any = s
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is %T, not an object", strings.Join(keys[:i], "."), v)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("no %s in %v", strings.Join(keys[:i+1], "."), m)
		}
	}
	return v
}

// js turns literal expectations into the types the converter produces.
func js(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func byKind(t *testing.T, schemas []Schema, kind, version string) map[string]any {
	t.Helper()
	for _, s := range schemas {
		if s.Kind == kind && s.Version == version {
			// Through JSON, as kubeconform reads it.
			b, err := json.Marshal(s.Doc)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("no schema for %s %s", kind, version)
	return nil
}

// refs lists every $ref in a converted schema; property names are not keywords.
func refs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if r, ok := sub.(string); ok && k == "$ref" {
				*out = append(*out, r)
			}
			refs(sub, out)
		}
	case []any:
		for _, sub := range x {
			refs(sub, out)
		}
	}
}

func TestFromOpenAPI(t *testing.T) {
	schemas, err := FromOpenAPI(load(t, "swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(schemas) != 3 {
		t.Fatalf("%d schemas, want Widget apps/v1 and apps/v2 and Pebble v1", len(schemas))
	}
	w := byKind(t, schemas, "Widget", "v1")
	spec := []string{"properties", "spec", "properties"}
	for _, c := range []struct {
		name string
		path []string
		want string
	}{
		{"a draft-4 document", []string{"$schema"}, `"http://json-schema.org/draft-04/schema#"`},
		{"apiVersion pinned to the group and version", []string{"properties", "apiVersion"}, `{"type": "string", "enum": ["apps/v1"]}`},
		{"kind pinned to its spelling", []string{"properties", "kind"}, `{"type": "string", "enum": ["Widget"]}`},
		{"unknown fields refused at the top", []string{"additionalProperties"}, `false`},
		{"unknown fields refused in an inlined definition", []string{"properties", "spec", "additionalProperties"}, `false`},
		{"an optional field may be null", append(spec, "replicas"), `{"type": ["integer", "null"], "format": "int32"}`},
		{"a required field may not", append(spec, "name"), `{"type": "string"}`},
		{"int-or-string is a string or an integer", append(spec, "port"), `{"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}`},
		{"a Quantity is a string or a number", append(spec, "memory"), `{"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]}`},
		{"a map keeps its additionalProperties", append(spec, "selector"), `{"type": ["object", "null"], "additionalProperties": {"type": "string"}}`},
		{"preserve-unknown-fields stays open", append(spec, "raw"), `{"type": ["object", "null"], "properties": {"known": {"type": ["string", "null"]}}}`},
		{"a definition that contains itself is referred to locally", append(spec, "tree", "properties", "children", "items"), `{"$ref": "#/definitions/io.k8s.api.apps.v1.Tree"}`},
		{"the recursive definition is kept once", []string{"definitions", "io.k8s.api.apps.v1.Tree", "properties", "leaf"}, `{"type": ["string", "null"]}`},
		{"ObjectMeta inlined, formats kept", []string{"properties", "metadata", "properties", "creationTimestamp"}, `{"type": ["string", "null"], "format": "date-time"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, want := at(t, w, c.path...), js(t, c.want); !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				t.Errorf("%s = %s, want %s", strings.Join(c.path, "."), g, c.want)
			}
		})
	}
	t.Run("descriptions and extensions left out", func(t *testing.T) {
		b, _ := json.Marshal(w)
		for _, k := range []string{`"description"`, `"x-kubernetes`} {
			if strings.Contains(string(b), k) {
				t.Errorf("%s in %s", k, b)
			}
		}
	})
	t.Run("standalone: every $ref is local and resolves", func(t *testing.T) {
		var rs []string
		refs(w, &rs)
		if len(rs) == 0 {
			t.Fatal("no $ref: the recursion was not kept local")
		}
		for _, r := range rs {
			name, ok := strings.CutPrefix(r, "#/definitions/")
			if !ok {
				t.Errorf("$ref %s leaves the document", r)
			} else if at(t, w, "definitions", name) == nil {
				t.Errorf("$ref %s resolves to nothing", r)
			}
		}
	})
	if got := byKind(t, schemas, "Widget", "v2"); !reflect.DeepEqual(at(t, got, "properties", "apiVersion"), js(t, `{"type": "string", "enum": ["apps/v2"]}`)) {
		t.Errorf("v2 apiVersion: %v", at(t, got, "properties", "apiVersion"))
	}
	if got := byKind(t, schemas, "Pebble", "v1"); !reflect.DeepEqual(at(t, got, "properties", "apiVersion"), js(t, `{"type": "string", "enum": ["v1"]}`)) {
		t.Errorf("core group apiVersion: %v", at(t, got, "properties", "apiVersion"))
	}
}

func TestFromCRDs(t *testing.T) {
	schemas, err := FromCRDs(load(t, "gadgets.yaml"), load(t, "swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(schemas) != 1 || schemas[0].Version != "v1" || !schemas[0].CRD {
		t.Fatalf("want one custom resource schema, for the served v1: %+v", schemas)
	}
	g := byKind(t, schemas, "Gadget", "v1")
	spec := []string{"properties", "spec", "properties"}
	for _, c := range []struct {
		name string
		path []string
		want string
	}{
		{"apiVersion pinned", []string{"properties", "apiVersion"}, `{"type": "string", "enum": ["example.com/v1"]}`},
		{"unknown fields refused at the top", []string{"additionalProperties"}, `false`},
		{"unknown fields refused in the spec", []string{"properties", "spec", "additionalProperties"}, `false`},
		{"a bare metadata becomes ObjectMeta", []string{"properties", "metadata", "properties", "labels"}, `{"type": ["object", "null"], "additionalProperties": {"type": "string"}}`},
		{"ObjectMeta is strict too", []string{"properties", "metadata", "additionalProperties"}, `false`},
		{"a required pattern stays", append(spec, "interval"), `{"type": "string", "pattern": "^[0-9]+s$"}`},
		{"an optional enum takes null", append(spec, "mode"), `{"type": ["string", "null"], "enum": ["fast", "slow", null]}`},
		{"x-kubernetes-int-or-string keeps its anyOf", append(spec, "port"), `{"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}`},
		{"nullable once, however often widened", append(spec, "target"), `{"type": ["string", "null"]}`},
		{"a nullable int-or-string takes null once", append(spec, "fallbackPort"), `{"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}`},
		{"a combined schema is widened around", append(spec, "label"), `{"anyOf": [{"type": "null"}, {"type": "string", "allOf": [{"minLength": 1}]}]}`},
		{"preserve-unknown-fields stays open", append(spec, "extra"), `{"type": ["object", "null"]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, want := at(t, g, c.path...), js(t, c.want); !reflect.DeepEqual(got, want) {
				b, _ := json.Marshal(got)
				t.Errorf("%s = %s, want %s", strings.Join(c.path, "."), b, c.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name, doc, want string
	}{
		{"not JSON", `{`, "OpenAPI document"},
		{"no definitions (a v3 document)", `{"components": {"schemas": {}}}`, "no definitions"},
		{"no kinds", `{"definitions": {"a.B": {"type": "object"}}}`, "no definition with a kind"},
		{"dangling $ref", `{"definitions": {"a.B": {"properties": {"c": {"$ref": "#/definitions/a.C"}},
			"x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "B"}]}}}`, `"#/definitions/a.C": no such definition`},
		{"$ref to another document", `{"definitions": {"a.B": {"properties": {"c": {"$ref": "other.json#/C"}},
			"x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "B"}]}}}`, "not a definition of this document"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromOpenAPI([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := FromCRDs([]byte("apiVersion: v1\nkind: ConfigMap\n"), load(t, "swagger.json")); err == nil {
		t.Error("a stream without CRDs gave no error")
	}
}

// TestPaths: the file names are the ones kubeconform v0.8.0 asks for given Locations'
// templates (pkg/registry/registry.go, schemaPath), for the apiVersions the chart uses.
func TestPaths(t *testing.T) {
	for _, c := range []struct {
		s    Schema
		want string
	}{
		{Schema{Group: "", Version: "v1", Kind: "Service"}, "kubernetes/service-v1.json"},
		{Schema{Group: "apps", Version: "v1", Kind: "Deployment"}, "kubernetes/deployment-apps-v1.json"},
		{Schema{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}, "kubernetes/horizontalpodautoscaler-autoscaling-v2.json"},
		{Schema{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}, "kubernetes/networkpolicy-networking-v1.json"},
		{Schema{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor", CRD: true}, "crds/monitoring.coreos.com/servicemonitor_v1.json"},
	} {
		if got := c.s.Path(); got != c.want {
			t.Errorf("%s %s/%s: %s, want %s", c.s.Kind, c.s.Group, c.s.Version, got, c.want)
		}
	}
	want := []string{"/s/kubernetes/{{ .ResourceKind }}{{ .KindSuffix }}.json", "/s/crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"}
	if got := Locations("/s"); !reflect.DeepEqual(got, want) {
		t.Errorf("Locations: %v", got)
	}
}

func TestWriteRefusesACollision(t *testing.T) {
	a := Schema{Group: "networking.k8s.io", Version: "v1", Kind: "Policy", Doc: map[string]any{"type": "object"}}
	b := Schema{Group: "networking.example.com", Version: "v1", Kind: "Policy", Doc: map[string]any{"type": "string"}}
	if err := Write(t.TempDir(), []Schema{a, a}); err != nil {
		t.Errorf("the same schema twice: %v", err)
	}
	if err := Write(t.TempDir(), []Schema{a, b}); err == nil || !strings.Contains(err.Error(), "share the file name") {
		t.Errorf("two schemas for kubernetes/policy-networking-v1.json: %v", err)
	}
}
