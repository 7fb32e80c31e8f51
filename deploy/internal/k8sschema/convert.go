package k8sschema

import (
	"fmt"
	"sort"
	"strings"
)

// converter inlines the definitions one schema needs. onPath holds the definitions being
// expanded above the current node: meeting one again is a cycle, which becomes a local
// reference instead of endless inlining, and the definition is kept in recursive to be
// written once under "definitions".
type converter struct {
	defs      map[string]map[string]any
	onPath    map[string]bool
	recursive map[string]bool
}

func (c *converter) standalone(name string, root map[string]any) (map[string]any, error) {
	c.onPath = map[string]bool{name: true}
	c.recursive = map[string]bool{}
	s, err := c.schema(root)
	if err != nil {
		return nil, fmt.Errorf("k8sschema: %s: %w", name, err)
	}
	local := map[string]any{}
	for {
		var next []string
		for n := range c.recursive {
			if _, done := local[n]; !done {
				next = append(next, n)
			}
		}
		if len(next) == 0 {
			break
		}
		sort.Strings(next)
		for _, n := range next {
			c.onPath = map[string]bool{n: true}
			d, err := c.schema(c.defs[n])
			if err != nil {
				return nil, fmt.Errorf("k8sschema: %s: %s: %w", name, n, err)
			}
			local[n] = d
		}
	}
	if len(local) > 0 {
		s["definitions"] = local
	}
	s["$schema"] = draft4
	return s, nil
}

// schema converts one node. Annotations (description, default, examples) and Kubernetes'
// x- extensions do not validate anything and are left out; the rest is kept as it is, with
// the sub-schemas converted.
func (c *converter) schema(s map[string]any) (map[string]any, error) {
	if ref, ok := s["$ref"].(string); ok {
		return c.ref(ref)
	}
	if s["format"] == "int-or-string" || (s[intOrStringExt] == true && s["anyOf"] == nil && s["oneOf"] == nil) {
		return oneOf("string", "integer"), nil
	}
	out := map[string]any{}
	for k, v := range s {
		var err error
		switch k {
		case "description", "default", "example", "title", "externalDocs", "nullable", "$schema", "id":
			continue
		case "properties", "patternProperties":
			out[k], err = c.schemaMap(v)
		case "items":
			if list, ok := v.([]any); ok {
				out[k], err = c.schemaList(list)
			} else {
				out[k], err = c.sub(v)
			}
		case "additionalProperties", "additionalItems":
			if b, ok := v.(bool); ok {
				out[k] = b
			} else {
				out[k], err = c.sub(v)
			}
		case "not":
			out[k], err = c.sub(v)
		case "allOf", "anyOf", "oneOf":
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("%s is not a list", k)
			}
			out[k], err = c.schemaList(list)
		case "dependencies":
			deps, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("dependencies is not an object")
			}
			conv := map[string]any{}
			for name, d := range deps {
				if names, ok := d.([]any); ok {
					conv[name] = names
				} else if conv[name], err = c.sub(d); err != nil {
					return nil, err
				}
			}
			out[k] = conv
		case "definitions":
			return nil, fmt.Errorf("nested definitions are not supported")
		default:
			if strings.HasPrefix(k, "x-") {
				continue
			}
			out[k] = v
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	if props, ok := out["properties"].(map[string]any); ok {
		required := map[string]bool{}
		list, _ := s["required"].([]any)
		for _, r := range list {
			if name, ok := r.(string); ok {
				required[name] = true
			}
		}
		for name, p := range props {
			if !required[name] {
				props[name] = nullable(p.(map[string]any))
			}
		}
		if _, given := s["additionalProperties"]; !given && s[preserveExt] != true {
			out["additionalProperties"] = false
		}
	}
	if s["nullable"] == true {
		return nullable(out), nil
	}
	return out, nil
}

const intOrStringExt = "x-kubernetes-int-or-string"

func (c *converter) ref(ref string) (map[string]any, error) {
	name, ok := strings.CutPrefix(ref, refPrefix)
	if !ok {
		return nil, fmt.Errorf("$ref %q is not a definition of this document", ref)
	}
	if name == quantity {
		// Its OpenAPI says string, but the API server takes `cpu: 2` as well as `cpu: "2"`.
		return oneOf("string", "number"), nil
	}
	def := c.defs[name]
	if def == nil {
		return nil, fmt.Errorf("$ref %q: no such definition", ref)
	}
	if c.onPath[name] {
		c.recursive[name] = true
		return map[string]any{"$ref": ref}, nil
	}
	c.onPath[name] = true
	defer delete(c.onPath, name)
	s, err := c.schema(def)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

func (c *converter) sub(v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%T is not a schema", v)
	}
	return c.schema(m)
}

func (c *converter) schemaMap(v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%T is not an object of schemas", v)
	}
	out := make(map[string]any, len(m))
	for name, s := range m {
		conv, err := c.sub(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = conv
	}
	return out, nil
}

func (c *converter) schemaList(list []any) ([]any, error) {
	out := make([]any, len(list))
	for i, s := range list {
		conv, err := c.sub(s)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out[i] = conv
	}
	return out, nil
}

func oneOf(types ...string) map[string]any {
	alts := make([]any, len(types))
	for i, t := range types {
		alts[i] = map[string]any{"type": t}
	}
	return map[string]any{"oneOf": alts}
}

// nullable widens s to take null too: the API server decodes null in an optional field as
// the field left out (and prunes it from a custom resource), so a chart may render one.
func nullable(s map[string]any) map[string]any {
	if allowsNull(s) {
		return s
	}
	combined := false
	for _, k := range []string{"$ref", "allOf", "anyOf", "oneOf", "not"} {
		if _, ok := s[k]; ok {
			combined = true
		}
	}
	if !combined {
		switch t := s["type"].(type) {
		case string:
			s["type"] = []any{t, "null"}
		case []any:
			s["type"] = append(t, "null")
		}
		if e, ok := s["enum"].([]any); ok {
			s["enum"] = append(e, nil)
		}
		return s
	}
	if len(s) == 1 {
		for _, k := range []string{"anyOf", "oneOf"} {
			if alts, ok := s[k].([]any); ok {
				s[k] = append(alts, map[string]any{"type": "null"})
				return s
			}
		}
	}
	return map[string]any{"anyOf": []any{map[string]any{"type": "null"}, s}}
}

func allowsNull(s map[string]any) bool {
	if len(s) == 1 {
		for _, k := range []string{"anyOf", "oneOf"} {
			alts, _ := s[k].([]any)
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok && allowsNull(m) {
					return true
				}
			}
		}
	}
	switch t := s["type"].(type) {
	case string:
		return t == "null"
	case []any:
		for _, x := range t {
			if x == "null" {
				return true
			}
		}
	}
	return false
}
