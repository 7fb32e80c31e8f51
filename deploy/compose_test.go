package deploy

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/passkeyd/passkeyd/config"
)

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   yaml.Node         `yaml:"depends_on"`
		Volumes     []string          `yaml:"volumes"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Networks yaml.Node `yaml:"networks"`
	} `yaml:"services"`
	Volumes  map[string]any `yaml:"volumes"`
	Networks map[string]any `yaml:"networks"`
}

var interpolation = regexp.MustCompile(`\$\{([A-Z_]+)(?::?[-?]([^}]*))?\}`)

// interpolate fills ${VAR:-default} with its default and ${VAR:?msg} with sample, as compose
// does with those variables unset (and the required ones given).
func interpolate(s string, sample map[string]string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		p := interpolation.FindStringSubmatch(m)
		if v, ok := sample[p[1]]; ok {
			return v
		}
		if strings.Contains(m, ":?") {
			return "REQUIRED"
		}
		return p[2]
	})
}

func names(n yaml.Node) []string {
	var out []string
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, c.Value)
		}
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			out = append(out, n.Content[i].Value)
		}
	}
	return out
}

// TestComposeFiles: the quickstarts reference only services, volumes and networks they
// declare; every passkeyd service's environment is a configuration passkeyd accepts (loaded
// and validated as the server would); its healthcheck is the binary's own; HAProxy's servers
// are the passkeyd services. With docker-compose installed (CI), its validator agrees.
func TestComposeFiles(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sample := map[string]string{"PASSKEYD_ENCRYPTION_KEYS": base64.StdEncoding.EncodeToString(key)}
	for _, file := range []string{"compose/embedded/compose.yaml", "compose/ha/compose.yaml"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cf composeFile
		if err := yaml.Unmarshal(raw, &cf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		passkeyds := 0
		for name, s := range cf.Services {
			for _, dep := range names(s.DependsOn) {
				if _, ok := cf.Services[dep]; !ok {
					t.Errorf("%s: %s depends on %s, which is not a service", file, name, dep)
				}
			}
			for _, net := range names(s.Networks) {
				if _, ok := cf.Networks[net]; !ok {
					t.Errorf("%s: %s is on network %s, which is not declared", file, name, net)
				}
			}
			for _, v := range s.Volumes {
				src, _, _ := strings.Cut(v, ":")
				if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
					if _, err := os.Stat(strings.TrimSuffix(file, "compose.yaml") + src); err != nil {
						t.Errorf("%s: %s mounts %s: %v", file, name, src, err)
					}
				} else if _, ok := cf.Volumes[src]; !ok {
					t.Errorf("%s: %s uses volume %s, which is not declared", file, name, src)
				}
			}
			if !strings.Contains(s.Image, "passkeyd") {
				continue
			}
			passkeyds++
			env := map[string]string{}
			for k, v := range s.Environment {
				env[k] = interpolate(v, sample)
			}
			if _, err := config.Load(nil, func(k string) string { return env[k] }); err != nil {
				t.Errorf("%s: %s's environment is refused by passkeyd: %v", file, name, err)
			}
			if len(s.Healthcheck.Test) < 3 || s.Healthcheck.Test[1] != "/passkeyd" || s.Healthcheck.Test[2] != "healthcheck" {
				t.Errorf("%s: %s's healthcheck is %v, want the binary's own", file, name, s.Healthcheck.Test)
			}
		}
		if passkeyds == 0 {
			t.Errorf("%s: no passkeyd service", file)
		}
		if _, ok := cf.Services["haproxy"]; ok {
			cfg, err := os.ReadFile("compose/ha/haproxy.cfg")
			if err != nil {
				t.Fatal(err)
			}
			servers := regexp.MustCompile(`(?m)^\s*server (\S+) (\S+):8080 check`).FindAllStringSubmatch(string(cfg), -1)
			if len(servers) != passkeyds {
				t.Errorf("haproxy.cfg has %d servers for %d passkeyd services", len(servers), passkeyds)
			}
			for _, m := range servers {
				if _, ok := cf.Services[m[2]]; !ok {
					t.Errorf("haproxy.cfg server %s points at %s, which is not a service", m[1], m[2])
				}
			}
		}
		if dc, err := exec.LookPath("docker-compose"); err == nil {
			cmd := exec.Command(dc, "-f", file, "config", "-q")
			cmd.Env = append(os.Environ(), "PASSKEYD_ENCRYPTION_KEYS="+sample["PASSKEYD_ENCRYPTION_KEYS"])
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("docker-compose config %s: %v\n%s", file, err, out)
			}
		} else if strings.Contains(os.Getenv("PASSKEYD_TEST_REQUIRE"), "all") {
			t.Fatal("docker-compose not found (Debian package docker-compose); PASSKEYD_TEST_REQUIRE makes this a failure")
		}
	}
}
