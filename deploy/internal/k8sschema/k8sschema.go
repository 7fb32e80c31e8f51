// Package k8sschema turns the Kubernetes OpenAPI document (api/openapi-spec/swagger.json of
// k8s.io/kubernetes) and CustomResourceDefinitions into the JSON Schemas kubeconform reads
// from disk, so the Helm chart is validated against the API it will meet without fetching
// schemas from the network. It is test tooling: nothing in the product imports it.
//
// Each schema is standalone (every $ref inlined; a definition that contains itself, like
// JSONSchemaProps, is kept once under "definitions" and referred to locally) and strict:
// an object that lists its properties gets additionalProperties: false unless it says
// otherwise, which is what `kubectl apply --validate=strict` enforces on the server. The
// conversions follow the upstream openapi2jsonschema that built kubeconform's default
// schemas: int-or-string becomes string or integer, resource.Quantity string or number,
// and an optional field may be null (the API server reads null as absent).
package k8sschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Schema is the JSON Schema of one group, version and kind.
type Schema struct {
	Group, Version, Kind string
	// CRD marks a custom resource: its file goes in the custom-resource tree.
	CRD bool
	// Doc is the JSON Schema document (draft 4, which kubeconform compiles by default).
	Doc map[string]any
}

// Path is where s lives below the schema directory, as Locations finds it.
func (s Schema) Path() string {
	kind := strings.ToLower(s.Kind)
	if s.CRD {
		return path.Join("crds", s.Group, kind+"_"+s.Version+".json")
	}
	return path.Join("kubernetes", kind+KindSuffix(s.Group, s.Version)+".json")
}

// KindSuffix is kubeconform's {{ .KindSuffix }}: "-" and the first label of the group (none
// for the core group), then "-" and the version, lower case. kubeconform v0.8.0
// pkg/registry/registry.go builds it from the apiVersion field the same way.
func KindSuffix(group, version string) string {
	if group == "" {
		return "-" + strings.ToLower(version)
	}
	first, _, _ := strings.Cut(group, ".")
	return "-" + strings.ToLower(first) + "-" + strings.ToLower(version)
}

// Locations are kubeconform's -schema-location templates for the schemas Write put in dir,
// in the order to try them: the built-in kinds, then the custom resources (laid out by
// full group, the way the community CRD catalogues are, since two groups may share a first
// label).
func Locations(dir string) []string {
	return []string{
		path.Join(dir, "kubernetes") + "/{{ .ResourceKind }}{{ .KindSuffix }}.json",
		path.Join(dir, "crds") + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
	}
}

const (
	refPrefix   = "#/definitions/"
	quantity    = "io.k8s.apimachinery.pkg.api.resource.Quantity"
	objectMeta  = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
	draft4      = "http://json-schema.org/draft-04/schema#"
	preserveExt = "x-kubernetes-preserve-unknown-fields"
)

// FromOpenAPI converts a Kubernetes OpenAPI v2 document: one schema for each group,
// version and kind a definition is tagged with (x-kubernetes-group-version-kind).
func FromOpenAPI(doc []byte) ([]Schema, error) {
	defs, err := definitions(doc)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []Schema
	for _, name := range names {
		gvks, _ := defs[name]["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			kind, _ := gvk["kind"].(string)
			if version == "" || kind == "" {
				return nil, fmt.Errorf("k8sschema: %s: x-kubernetes-group-version-kind %v lacks version or kind", name, g)
			}
			c := &converter{defs: defs}
			s, err := c.standalone(name, defs[name])
			if err != nil {
				return nil, err
			}
			pinKind(s, group, version, kind)
			out = append(out, Schema{Group: group, Version: version, Kind: kind, Doc: s})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("k8sschema: the OpenAPI document tags no definition with a kind")
	}
	return out, nil
}

// FromCRDs converts the CustomResourceDefinitions in a YAML stream: one schema for each
// served version. openAPI is the Kubernetes OpenAPI document whose ObjectMeta replaces a
// custom resource's bare `metadata: {type: object}`, since the API server checks every
// object's metadata against ObjectMeta whatever its CRD says.
func FromCRDs(crds, openAPI []byte) ([]Schema, error) {
	defs, err := definitions(openAPI)
	if err != nil {
		return nil, err
	}
	if defs[objectMeta] == nil {
		return nil, fmt.Errorf("k8sschema: the OpenAPI document has no %s", objectMeta)
	}
	var out []Schema
	dec := yaml.NewDecoder(bytes.NewReader(crds))
	for {
		var doc any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("k8sschema: CRD YAML: %w", err)
		}
		crd, err := normalise(doc)
		if err != nil {
			return nil, err
		}
		if crd == nil || crd["kind"] != "CustomResourceDefinition" {
			continue
		}
		spec, _ := crd["spec"].(map[string]any)
		group, _ := spec["group"].(string)
		names, _ := spec["names"].(map[string]any)
		kind, _ := names["kind"].(string)
		versions, _ := spec["versions"].([]any)
		if group == "" || kind == "" || len(versions) == 0 {
			return nil, fmt.Errorf("k8sschema: a CustomResourceDefinition lacks spec.group, spec.names.kind or spec.versions (only apiextensions.k8s.io/v1 is read)")
		}
		for _, v := range versions {
			ver, _ := v.(map[string]any)
			name, _ := ver["name"].(string)
			if served, _ := ver["served"].(bool); !served {
				continue
			}
			schema, _ := ver["schema"].(map[string]any)
			root, _ := schema["openAPIV3Schema"].(map[string]any)
			if root == nil {
				return nil, fmt.Errorf("k8sschema: %s %s/%s has no openAPIV3Schema", kind, group, name)
			}
			if props, _ := root["properties"].(map[string]any); props != nil {
				if meta, _ := props["metadata"].(map[string]any); meta != nil && meta["properties"] == nil {
					props["metadata"] = map[string]any{"$ref": refPrefix + objectMeta}
				}
			}
			c := &converter{defs: defs}
			s, err := c.standalone(kind+" "+group+"/"+name, root)
			if err != nil {
				return nil, err
			}
			pinKind(s, group, name, kind)
			out = append(out, Schema{Group: group, Version: name, Kind: kind, CRD: true, Doc: s})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("k8sschema: no served CustomResourceDefinition version found")
	}
	return out, nil
}

// pinKind makes apiVersion and kind match exactly: kubeconform picks the file by the kind
// in lower case, the API server wants it spelt as registered.
func pinKind(s map[string]any, group, version, kind string) {
	props, _ := s["properties"].(map[string]any)
	if props == nil {
		return
	}
	apiVersion := version
	if group != "" {
		apiVersion = group + "/" + version
	}
	props["apiVersion"] = map[string]any{"type": "string", "enum": []any{apiVersion}}
	props["kind"] = map[string]any{"type": "string", "enum": []any{kind}}
}

func definitions(doc []byte) (map[string]map[string]any, error) {
	var d struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("k8sschema: OpenAPI document: %w", err)
	}
	if len(d.Definitions) == 0 {
		return nil, errors.New("k8sschema: the OpenAPI document has no definitions (want the v2 swagger.json)")
	}
	return d.Definitions, nil
}

// normalise turns a decoded YAML document into the types encoding/json produces, so one
// walker serves both sources.
func normalise(doc any) (map[string]any, error) {
	if doc == nil {
		return nil, nil
	}
	j, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("k8sschema: CRD YAML: %w", err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("k8sschema: CRD YAML is not an object: %w", err)
	}
	return m, nil
}
