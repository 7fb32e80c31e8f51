package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileErrorsNameSettings: a typo or a wrong value in the YAML file is reported with
// its line, the setting as written and what it takes, and a did-you-mean for unknown keys;
// never a Go type name.
func TestFileErrorsNameSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "passkeyd.yaml")
	yaml := "rpid: example.com\nchallengeTTL: abc\nargon2:\n  memoryKib: 3\n  time: lots\nfidoConformance: maybe\norigins: 3\ntotallyUnrelated: 1\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]string{"-config", file}, func(string) string { return "" })
	if err == nil {
		t.Fatal("a broken file loaded")
	}
	msg := err.Error()
	for _, want := range []string{
		`line 1: unknown setting "rpid" (did you mean "rpID"?)`,
		`line 2: challengeTTL (PASSKEYD_CHALLENGE_TTL, -challenge-ttl): "abc" is not a duration`,
		`line 4: unknown setting "argon2.memoryKib" (did you mean "argon2.memoryKiB"?)`,
		`line 5: argon2.time (PASSKEYD_ARGON2_TIME, -argon2-time): "lots" is not a whole number`,
		`line 6: fidoConformance (PASSKEYD_FIDO_CONFORMANCE, -fido-conformance): "maybe" is not true or false`,
		`line 7: origins (PASSKEYD_ORIGINS, -origins): "3" is not a list`,
		`line 8: unknown setting "totallyUnrelated"` + "\n",
	} {
		if !strings.Contains(msg+"\n", want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	for _, goish := range []string{"config.Config", "time.Duration", "uint32", "!!str", "[]string"} {
		if strings.Contains(msg, goish) {
			t.Errorf("the message speaks Go (%q):\n%s", goish, msg)
		}
	}
}

func TestEnvErrorsSayWhatIsWanted(t *testing.T) {
	env := map[string]string{"PASSKEYD_RATE_BURST": "lots", "PASSKEYD_SESSION_TTL": "2 weeks"}
	for k, want := range map[string]string{"PASSKEYD_RATE_BURST": `PASSKEYD_RATE_BURST="lots" (rateBurst): not a number`, "PASSKEYD_SESSION_TTL": `PASSKEYD_SESSION_TTL="2 weeks" (sessionTTL): not a duration`} {
		_, err := Load(nil, func(name string) string {
			if name == k {
				return env[k]
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", k, err, want)
		}
	}
}
