// Package deploy holds operators' files (load balancer, service unit, Prometheus rules,
// Grafana dashboards); its test checks that the rules and dashboards only use metrics the
// server exports.
package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type rulesFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
		Interval string `yaml:"interval"`
	} `yaml:"groups"`
}

var metricRef = regexp.MustCompile(`\b(passkeyd(?::[a-z0-9_]+)+|passkeyd_[a-z0-9_]+|go_[a-z0-9_]+|process_[a-z0-9_]+)\b`)

// exported lists the metric names the server defines (read from its source, so a renamed
// metric fails this test).
func exported(t *testing.T) map[string]bool {
	files, _ := filepath.Glob("../httpapi/*.go")
	more, _ := filepath.Glob("../instrument/*.go")
	files = append(files, more...)
	// The server's own gauges (adoption, clock skew): its sources, not its tests.
	cmd, _ := filepath.Glob("../cmd/passkeyd/*.go")
	for _, f := range cmd {
		if !strings.HasSuffix(f, "_test.go") {
			files = append(files, f)
		}
	}
	var src []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:Name: |prometheus\.NewDesc\()"(passkeyd_[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		names[m[1]] = true
	}
	if len(names) < 4 {
		t.Fatalf("found only %v in httpapi/", names)
	}
	return names
}

func known(name string, exported, recorded map[string]bool) bool {
	if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
		return true
	}
	if strings.Contains(name, ":") {
		return recorded[name]
	}
	for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
		if exported[strings.TrimSuffix(name, suffix)] && strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

func loadRules(t *testing.T) (rulesFile, map[string]bool) {
	raw, err := os.ReadFile("prometheus/passkeyd-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf rulesFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("rules file: %v", err)
	}
	recorded := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
		}
	}
	return rf, recorded
}

func TestPrometheusRules(t *testing.T) {
	if promtool, err := exec.LookPath("promtool"); err == nil {
		out, err := exec.Command(promtool, "check", "rules", "prometheus/passkeyd-rules.yml").CombinedOutput()
		if err != nil {
			t.Fatalf("promtool check rules: %v\n%s", err, out)
		}
	} else if v := os.Getenv("PASSKEYD_TEST_REQUIRE"); strings.Contains(v, "all") {
		t.Fatal("promtool not found (Debian package prometheus); PASSKEYD_TEST_REQUIRE makes this a failure")
	}
	rf, recorded := loadRules(t)
	metrics := exported(t)
	alerts := map[string]string{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if (r.Record == "") == (r.Alert == "") || strings.TrimSpace(r.Expr) == "" {
				t.Errorf("group %s: a rule must be a record or an alert, with an expr", g.Name)
			}
			for _, m := range metricRef.FindAllString(r.Expr, -1) {
				if !known(m, metrics, recorded) {
					t.Errorf("%s%s uses %s, which the server does not export", r.Record, r.Alert, m)
				}
			}
			if r.Alert != "" {
				alerts[r.Alert] = r.Labels["severity"]
			}
		}
	}
	// The SLO alerts the runbook promises: page on a fast burn, ticket on a slow one.
	if alerts["PasskeydAuthErrorBudgetBurnFast"] != "page" || alerts["PasskeydAuthErrorBudgetBurnSlow"] != "ticket" {
		t.Fatalf("burn-rate alerts: %v", alerts)
	}
	for name, severity := range map[string]string{
		"PasskeydRegistrationFailures": "ticket", "PasskeydServerErrors": "page",
		"PasskeydSignInLatencySLO": "ticket", "PasskeydRegistrationLatencySLO": "ticket",
		"PasskeydAvailabilitySLOBurn": "page",
	} {
		if alerts[name] != severity {
			t.Errorf("alert %s: severity %q, want %q", name, alerts[name], severity)
		}
	}
	// Unit tests of the rules: client mistakes are not server errors, the latency SLO fires.
	if promtool, err := exec.LookPath("promtool"); err == nil {
		if out, err := exec.Command(promtool, "test", "rules", "prometheus/passkeyd-rules.test.yml").CombinedOutput(); err != nil {
			t.Fatalf("promtool test rules: %v\n%s", err, out)
		}
	}
}

func TestGrafanaDashboards(t *testing.T) {
	_, recorded := loadRules(t)
	metrics := exported(t)
	files, _ := filepath.Glob("grafana/*.json")
	if len(files) != 3 {
		t.Fatalf("want the executive, on-call and debug dashboards, found %v", files)
	}
	uids := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			UID    string `json:"uid"`
			Title  string `json:"title"`
			Panels []struct {
				Title   string `json:"title"`
				Type    string `json:"type"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d.UID == "" || d.Title == "" || len(d.Panels) == 0 || uids[d.UID] {
			t.Fatalf("%s: uid %q title %q panels %d", f, d.UID, d.Title, len(d.Panels))
		}
		uids[d.UID] = true
		for _, p := range d.Panels {
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", f, p.Title)
			}
			for _, q := range p.Targets {
				for _, m := range metricRef.FindAllString(q.Expr, -1) {
					if !known(m, metrics, recorded) {
						t.Errorf("%s: panel %q uses %s, which nothing exports or records", f, p.Title, m)
					}
				}
			}
		}
	}
}
