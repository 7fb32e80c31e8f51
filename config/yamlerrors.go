package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The YAML decoder reports problems in Go's terms ("field rpid not found in type
// config.Config", "cannot unmarshal !!str `abc` into time.Duration"). fileErrors rewrites
// them in the file's: the line, the setting as written, what it takes, and for an unknown key
// the setting it was probably meant to be.

var (
	unknownField = regexp.MustCompile("^line (\\d+): field (\\S+) not found in type \\S+$")
	badValue     = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
)

// fileErrors turns err from decoding data into errors that name settings; errors it does
// not recognise pass through.
func fileErrors(data []byte, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	keys := keysByLine(data)
	var out []string
	for _, e := range te.Errors {
		if m := unknownField.FindStringSubmatch(e); m != nil {
			path := keys[m[1]]
			if path == "" {
				path = m[2]
			}
			msg := fmt.Sprintf("line %s: unknown setting %q", m[1], path)
			if s := suggest(path); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			out = append(out, msg)
			continue
		}
		if m := badValue.FindStringSubmatch(e); m != nil {
			path := keys[m[1]]
			if path == "" {
				path = "a setting"
			}
			got := m[3]
			if got == "" {
				got = "a " + yamlKind(m[2])
			} else {
				got = strconv.Quote(got)
			}
			out = append(out, fmt.Sprintf("line %s: %s: %s is not %s", m[1], name(path), got, wants(m[4])))
			continue
		}
		out = append(out, e)
	}
	return errors.New(strings.Join(out, "\n  "))
}

func yamlKind(tag string) string {
	switch tag {
	case "map":
		return "mapping"
	case "seq":
		return "list"
	}
	return tag
}

// wants says in words what a Go type takes.
func wants(goType string) string {
	switch {
	case goType == "time.Duration":
		return "a duration (e.g. 30s, 5m, 24h)"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "a list (e.g. [a, b] or one item per line starting with -)"
	case goType == "string":
		return "text"
	}
	return "a mapping of settings"
}

// keysByLine maps each line that holds a key to its dotted path (argon2.memoryKiB).
func keysByLine(data []byte) map[string]string {
	var doc yaml.Node
	out := map[string]string{}
	if yaml.Unmarshal(data, &doc) != nil {
		return out
	}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				path := k.Value
				if prefix != "" {
					path = prefix + "." + k.Value
				}
				out[strconv.Itoa(k.Line)] = path
				if v.Line != k.Line {
					// a value on its own lines (a list, a mapping) reports those lines
					if _, ok := out[strconv.Itoa(v.Line)]; !ok && v.Kind != yaml.MappingNode {
						out[strconv.Itoa(v.Line)] = path
					}
				}
				walk(v, path)
			}
		}
	}
	walk(&doc, "")
	return out
}

// fileKeys are every key the configuration file accepts, dotted, from Config's yaml tags.
var fileKeys = func() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if tag == "" || tag == "-" {
				continue
			}
			n, opts, _ := strings.Cut(tag, ",")
			if f.Type.Kind() == reflect.Struct && f.Type.String() != "time.Time" {
				if opts == "inline" {
					walk(f.Type, prefix)
				} else {
					walk(f.Type, prefix+n+".")
				}
				continue
			}
			keys = append(keys, prefix+n)
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return keys
}()

// suggest is the known key closest to an unknown one at the same level, if one is close.
func suggest(path string) string {
	parent, last := "", path
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent, last = path[:i+1], path[i+1:]
	}
	best, bestD := "", 1<<30
	for _, k := range fileKeys {
		kp, kl := "", k
		if i := strings.LastIndex(k, "."); i >= 0 {
			kp, kl = k[:i+1], k[i+1:]
		}
		if !strings.EqualFold(kp, parent) {
			continue
		}
		d := distance(strings.ToLower(last), strings.ToLower(kl))
		if d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > max(2, len(last)/3) {
		return ""
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// plainError says what a value from the environment or a flag should have been, instead of
// strconv's or time's wording.
func plainError(err error) string {
	var ne *strconv.NumError
	switch {
	case errors.As(err, &ne) && ne.Func == "ParseBool":
		return "not true or false"
	case errors.As(err, &ne):
		return "not a number"
	case strings.HasPrefix(err.Error(), "time: "):
		return "not a duration (e.g. 30s, 5m, 24h)"
	}
	return err.Error()
}
