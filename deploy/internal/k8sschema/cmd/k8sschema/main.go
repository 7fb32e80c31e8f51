// Command k8sschema writes kubeconform's schema directory from the Kubernetes OpenAPI
// document and CustomResourceDefinition files (package k8sschema); .ci/tools.sh runs it on
// the copies in the Go module cache, so the chart's validation needs no network.
//
//	go run ./deploy/internal/k8sschema/cmd/k8sschema -openapi swagger.json -crd servicemonitors.yaml -out DIR
//
// DIR is replaced whole, and only once every schema is written; its sources.txt names the
// inputs and their SHA-256.
package main

import (
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/passkeyd/passkeyd/deploy/internal/k8sschema"
)

type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "k8sschema:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("k8sschema", flag.ContinueOnError)
	openAPI := fs.String("openapi", "", "the Kubernetes OpenAPI v2 document (api/openapi-spec/swagger.json of k8s.io/kubernetes)")
	out := fs.String("out", "", "the schema directory to write (replaced)")
	var crds files
	fs.Var(&crds, "crd", "a CustomResourceDefinition YAML file (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *openAPI == "" || *out == "" {
		return errors.New("-openapi and -out are required")
	}
	doc, err := os.ReadFile(*openAPI)
	if err != nil {
		return err
	}
	schemas, err := k8sschema.FromOpenAPI(doc)
	if err != nil {
		return err
	}
	sources := fmt.Sprintf("%x  %s\n", sha256.Sum256(doc), *openAPI)
	builtin := len(schemas)
	for _, f := range crds {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		s, err := k8sschema.FromCRDs(b, doc)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		schemas = append(schemas, s...)
		sources += fmt.Sprintf("%x  %s\n", sha256.Sum256(b), f)
	}

	dir := filepath.Clean(*out)
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := k8sschema.Write(tmp, schemas); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "sources.txt"), []byte(sources), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "k8sschema: %d built-in and %d custom resource schemas in %s\n", builtin, len(schemas)-builtin, dir)
	return nil
}
