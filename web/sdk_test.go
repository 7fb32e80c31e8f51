package web

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The browser SDK (web/sdk) is an npm package with its own tests; these run them under
// go test, so that `go test ./...` covers the package, its types and its tarball.

func required() bool {
	return strings.Contains(os.Getenv("PASSKEYD_TEST_REQUIRE"), "all") || strings.Contains(os.Getenv("PASSKEYD_TEST_REQUIRE"), "node")
}

// node finds node and npm and makes sure the SDK's pinned dev dependencies (typescript, from
// package-lock.json) are installed.
func node(t *testing.T) (nodeBin, npmBin string) {
	t.Helper()
	nodeBin, err1 := exec.LookPath("node")
	npmBin, err2 := exec.LookPath("npm")
	if err1 != nil || err2 != nil {
		if required() {
			t.Fatal("node and npm not found (Debian packages nodejs and npm); PASSKEYD_TEST_REQUIRE makes this a failure")
		}
		t.Skip("node and npm not found; install Debian's nodejs and npm to run the SDK's tests")
	}
	if _, err := os.Stat(filepath.Join("sdk", "node_modules", "typescript", "bin", "tsc")); err != nil {
		run(t, "sdk", npmBin, "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	}
	return nodeBin, npmBin
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	out, err := command(dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, out)
	}
	return out
}

func command(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "npm_config_update_notifier=false")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func tsc(t *testing.T) string {
	p, err := filepath.Abs(filepath.Join("sdk", "node_modules", "typescript", "bin", "tsc"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSDKUnit runs the SDK's unit tests (node --test): transport modes, AbortSignal on every
// ceremony, capability detection, the JSON fallbacks, the Signal API and the error codes.
func TestSDKUnit(t *testing.T) {
	nodeBin, _ := node(t)
	out := run(t, "sdk", nodeBin, "--test", "test/")
	if !strings.Contains(out, "# fail 0") || strings.Contains(out, "# pass 0\n") {
		t.Fatalf("node --test:\n%s", out)
	}
	t.Logf("node --test: %s", lastLines(out, 8))
}

// TestSDKTypes: the SDK's source passes tsc --strict --checkJs; npm pack makes a tarball that
// installs into a fresh project whose TypeScript (strict) compiles against its types, and
// whose wrong calls do not.
func TestSDKTypes(t *testing.T) {
	nodeBin, npmBin := node(t)
	tscBin := tsc(t)
	run(t, "sdk", nodeBin, tscBin, "--noEmit", "--allowJs", "--checkJs", "--strict", "--target", "ES2022", "--module", "ESNext", "--lib", "ES2022,DOM", "passkeyd.js")

	dir := t.TempDir()
	packed := run(t, "sdk", npmBin, "pack", "--silent", "--pack-destination", dir)
	tarball := filepath.Join(dir, strings.TrimSpace(lastLines(packed, 1)))
	consumer := filepath.Join(dir, "consumer")
	if err := os.MkdirAll(consumer, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"index.ts", "bad.ts", "tsconfig.json", "tsconfig.bad.json"} {
		b, err := os.ReadFile(filepath.Join("sdk", "test", "consumer", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(consumer, f), b, 0o644)
	}
	os.WriteFile(filepath.Join(consumer, "package.json"), []byte(`{"name":"consumer","private":true,"type":"module"}`), 0o644)
	run(t, consumer, npmBin, "install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", tarball)
	installed, err := os.ReadDir(filepath.Join(consumer, "node_modules", "@passkeyd", "browser"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range installed {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "README.md,package.json,passkeyd.d.ts,passkeyd.js" {
		t.Errorf("the tarball holds %v, want the module, its types, README and package.json only", names)
	}
	run(t, consumer, nodeBin, tscBin, "-p", "tsconfig.json")
	out, err := command(consumer, nodeBin, tscBin, "-p", "tsconfig.bad.json")
	if err == nil || strings.Count(out, "error TS") < 3 {
		t.Fatalf("tsc accepted wrong calls (types too loose):\n%s", out)
	}
	// The package resolves in Node by its name, as an ES module.
	os.WriteFile(filepath.Join(consumer, "probe.mjs"), []byte(`import { Passkeyd, ERROR_CODES } from "@passkeyd/browser"; new Passkeyd(); console.log(ERROR_CODES.length);`), 0o644)
	if out := strings.TrimSpace(run(t, consumer, nodeBin, "probe.mjs")); out == "" || out == "0" {
		t.Fatalf("probe: %q", out)
	}
}

// TestSDKErrorCodesCoverContract: every code the server can answer with (the Code constants
// of the domain package) is one of the SDK's ERROR_CODES, so none reaches a page as
// "http_error".
func TestSDKErrorCodesCoverContract(t *testing.T) {
	nodeBin, _ := node(t)
	out := run(t, "sdk", nodeBin, "--input-type=module", "-e", `import { ERROR_CODES } from "./passkeyd.js"; console.log(JSON.stringify(ERROR_CODES));`)
	var sdk []string
	if err := json.Unmarshal([]byte(out), &sdk); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, c := range sdk {
		have[c] = true
	}
	codes := serverCodes(t)
	if len(codes) < 25 {
		t.Fatalf("found only %d codes in errors.go", len(codes))
	}
	for _, c := range codes {
		if !have[c] {
			t.Errorf("server code %q is not in the SDK's ERROR_CODES", c)
		}
	}
}

// serverCodes reads the passkeyd.Code constants from the domain package's source.
func serverCodes(t *testing.T) []string {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "errors.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Type == nil {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Code" {
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, s)
				}
			}
		}
		return true
	})
	return out
}

// TestServedSDKIsThePackage: /assets/passkeyd.js is the package's file, byte for byte.
func TestServedSDKIsThePackage(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("sdk", "passkeyd.js"))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/assets/passkeyd.js", nil))
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("/assets/passkeyd.js: %d, %d bytes; want web/sdk/passkeyd.js (%d bytes)", rec.Code, rec.Body.Len(), len(want))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
