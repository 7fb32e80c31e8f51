package deploy

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/passkeyd/passkeyd/deploy/internal/k8sschema"
	"sigs.k8s.io/yaml"
)

// k8sSchemas is the schema directory .ci/tools.sh generates with deploy/internal/k8sschema
// from the Kubernetes OpenAPI document and the ServiceMonitor CRD.
func k8sSchemas(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PASSKEYD_K8S_SCHEMAS")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "passkeyd-ci", "k8s-schemas")
	}
	sources, err := os.ReadFile(filepath.Join(dir, "sources.txt"))
	if err != nil {
		missing(t, "no Kubernetes JSON Schemas in "+dir+" (bash .ci/tools.sh generates them)")
	}
	t.Logf("schemas in %s from\n%s", dir, sources)
	return dir
}

// kubeconform validates one rendered chart with -strict against the generated schemas and
// nothing else: no -ignore-missing-schemas, so a kind without a schema is an error.
func kubeconform(t *testing.T, bin, schemas string, manifest []byte) (out string, valid bool) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "chart.yaml")
	if err := os.WriteFile(f, manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-strict", "-summary"}
	for _, l := range k8sschema.Locations(schemas) {
		args = append(args, "-schema-location", l)
	}
	b, err := exec.Command(bin, append(args, f)...).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("kubeconform: %v", err)
	}
	return string(b), err == nil
}

var summary = regexp.MustCompile(`Summary: (\d+) resources? found in 1 file - Valid: (\d+), Invalid: (\d+), Errors: (\d+), Skipped: (\d+)`)

// counts are kubeconform's summary: resources, valid, invalid, errors, skipped.
func counts(t *testing.T, out string) [5]int {
	t.Helper()
	m := summary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no kubeconform summary in:\n%s", out)
	}
	var c [5]int
	for i := range c {
		c[i], _ = strconv.Atoi(m[i+1])
	}
	return c
}

func kinds(t *testing.T, manifest []byte) []string {
	t.Helper()
	var ks []string
	for _, doc := range bytes.Split(manifest, []byte("\n---")) {
		var head struct{ Kind string }
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatalf("rendered YAML: %v", err)
		}
		if head.Kind != "" {
			ks = append(ks, head.Kind)
		}
	}
	slices.Sort(ks)
	return ks
}

// TestHelmChartKubeconform validates the rendered chart against the schemas of the
// Kubernetes API it targets (and of the Prometheus Operator's ServiceMonitor): with the
// defaults, with every optional object on, and with every one off. Then it shows the same
// check refuses what the API server would: a misspelt key, a string for an integer, a bad
// field in the ServiceMonitor, bad values passed to the chart, and a kind it has no schema
// for.
func TestHelmChartKubeconform(t *testing.T) {
	helm := ciTool(t, "helm")
	kc := ciTool(t, "kubeconform")
	schemas := k8sSchemas(t)

	all := []string{"CronJob", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service", "ServiceMonitor"}
	renders := []struct {
		name  string
		args  []string
		kinds []string
	}{
		{"defaults", nil, slices.DeleteFunc(slices.Clone(all), func(k string) bool { return k == "ServiceMonitor" })},
		{"everything on", []string{"-f", "testdata/helm/everything.yaml"}, all},
		{"everything off", []string{"--set", "autoscaling.enabled=false", "--set", "podDisruptionBudget.enabled=false",
			"--set", "networkPolicy.enabled=false", "--set", "probe.enabled=false", "--set", "existingSecret=mine"},
			[]string{"Deployment", "Service"}},
	}
	var everything []byte
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			manifest := helmTemplate(t, helm, r.args...)
			if got := kinds(t, manifest); !slices.Equal(got, r.kinds) {
				t.Fatalf("rendered %v, want %v", got, r.kinds)
			}
			if r.name == "everything on" {
				everything = manifest
			}
			out, valid := kubeconform(t, kc, schemas, manifest)
			c := counts(t, out)
			if !valid || c != [5]int{len(r.kinds), len(r.kinds), 0, 0, 0} {
				t.Fatalf("kubeconform refused the chart:\n%s", out)
			}
			t.Logf("%s", strings.TrimSpace(out))
		})
	}
	if everything == nil {
		t.Fatal("nothing to break")
	}

	broken := []struct {
		name     string
		old, new string   // a change to the rendered "everything on" chart
		args     []string // or values that render a wrong field
		want     string
	}{
		{name: "misspelt key", old: "readinessProbe:", new: "readinesProbe:",
			want: "additional properties 'readinesProbe' not allowed"},
		{name: "string for an integer", old: "periodSeconds: 5\n", new: "periodSeconds: \"5\"\n",
			want: "/readinessProbe/periodSeconds': got string"},
		{name: "unknown ServiceMonitor endpoint field", old: "      path: /metrics\n", new: "      metricsPath: /metrics\n",
			want: "/spec/endpoints/0': additional properties 'metricsPath' not allowed"},
		{name: "ServiceMonitor interval not a duration", args: []string{"-f", "testdata/helm/everything.yaml", "--set", "serviceMonitor.interval=15 seconds"},
			want: "/spec/endpoints/0/interval': '15 seconds' does not match pattern"},
		{name: "preStop pause not a number", args: []string{"--set", "preStopSeconds=five"},
			want: "/lifecycle/preStop/sleep/seconds': got string, want integer"},
		{name: "kind without a schema", old: "---\n# Source: passkeyd/templates/service.yaml\n",
			new:  "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n# Source: passkeyd/templates/service.yaml\n",
			want: "could not find schema for Widget"},
	}
	for _, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			var manifest []byte
			if b.args != nil {
				manifest = helmTemplate(t, helm, b.args...)
			} else {
				if bytes.Count(everything, []byte(b.old)) != 1 {
					t.Fatalf("%q is not once in the rendered chart", b.old)
				}
				manifest = bytes.Replace(everything, []byte(b.old), []byte(b.new), 1)
			}
			out, valid := kubeconform(t, kc, schemas, manifest)
			c := counts(t, out)
			if valid || c[2]+c[3] != 1 || !strings.Contains(out, b.want) {
				t.Fatalf("want exactly one resource refused with %q, got:\n%s", b.want, out)
			}
		})
	}
}
