package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fp is the SHA-256 fingerprint of a signing certificate as keytool prints it.
const fp = "FA:C6:17:45:DC:09:03:78:6F:B9:ED:E6:2A:96:2B:39:9F:73:48:F0:BB:6F:89:9B:83:32:66:75:91:03:3B:9C"

func TestAppsFromEnvironment(t *testing.T) {
	c, err := Load(nil, env(map[string]string{
		"PASSKEYD_RP_ID":           "example.com",
		"PASSKEYD_ORIGINS":         "https://example.com",
		"PASSKEYD_RELATED_ORIGINS": "https://Example.co.uk:443, https://example.de",
		"PASSKEYD_ANDROID_APPS":    "com.example.app:" + strings.ToLower(fp) + ",com.example.beta:" + strings.ReplaceAll(fp, ":", ""),
		"PASSKEYD_IOS_APPS":        "ABCDE12345.com.example.app",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://example.co.uk", "https://example.de"}; !reflect.DeepEqual(c.Apps.RelatedOrigins, want) {
		t.Fatalf("related origins %v, want %v (normalised)", c.Apps.RelatedOrigins, want)
	}
	apps := c.AndroidApps()
	if len(apps) != 2 || apps[0].Package != "com.example.app" || apps[0].FingerprintHex() != fp || apps[1].FingerprintHex() != fp {
		t.Fatalf("android apps %+v", apps)
	}
	// The origin Credential Manager sends: base64url (no padding) of the certificate digest.
	const origin = "android:apk-key-hash:-sYXRdwJA3hvue3mKpYrOZ9zSPC7b4mbgzJmdZEDO5w"
	if got := c.OpaqueOrigins(); !reflect.DeepEqual(got, []string{origin}) {
		t.Fatalf("opaque origins %v, want [%s] (one per distinct certificate)", got, origin)
	}
	if got := c.CeremonyOrigins(); !reflect.DeepEqual(got, []string{"https://example.com", "https://example.co.uk", "https://example.de"}) {
		t.Fatalf("ceremony origins %v", got)
	}
	if got := c.WebOrigins(); !reflect.DeepEqual(got, []string{"https://example.com"}) {
		t.Fatalf("related origins must not join the CSRF origins: %v", got)
	}
}

func TestAppsFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "passkeyd.yaml")
	os.WriteFile(file, []byte("rpID: example.com\norigins: [https://example.com]\napps:\n  relatedOrigins: [https://example.co.uk]\n  android: [\"com.example.app:"+fp+"\"]\n  ios: [ABCDE12345.com.example.app]\n"), 0o600)
	c, err := Load([]string{"-config", file}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AndroidApps()) != 1 || !reflect.DeepEqual(c.Apps.IOS, []string{"ABCDE12345.com.example.app"}) || len(c.Apps.RelatedOrigins) != 1 {
		t.Fatalf("apps %+v", c.Apps)
	}
}

func TestAppsValidation(t *testing.T) {
	base := map[string]string{"PASSKEYD_RP_ID": "example.com", "PASSKEYD_ORIGINS": "https://example.com"}
	cases := []struct {
		name, env, value, want string
	}{
		{"related origin with a path", "PASSKEYD_RELATED_ORIGINS", "https://example.co.uk/login", "PASSKEYD_RELATED_ORIGINS"},
		{"related origin over http", "PASSKEYD_RELATED_ORIGINS", "http://example.co.uk", "must use https"},
		{"related origin that is an origin", "PASSKEYD_RELATED_ORIGINS", "https://example.com", "already one of the origins"},
		{"more than five site names", "PASSKEYD_RELATED_ORIGINS", "https://a.com,https://b.com,https://c.com,https://d.com,https://e.com,https://f.com", "at most 5"},
		{"android without a fingerprint", "PASSKEYD_ANDROID_APPS", "com.example.app", "package.name:SHA256-fingerprint"},
		{"android with a SHA-1 fingerprint", "PASSKEYD_ANDROID_APPS", "com.example.app:" + fp[:59], "SHA-256"},
		{"android package without a dot", "PASSKEYD_ANDROID_APPS", "app:" + fp, "package.name"},
		{"android twice", "PASSKEYD_ANDROID_APPS", "com.example.app:" + fp + ",com.example.app:" + fp, "twice"},
		{"ios without a team id", "PASSKEYD_IOS_APPS", "com.example.app", "TEAMID.bundle.id"},
		{"ios lower-case team id", "PASSKEYD_IOS_APPS", "abcde12345.com.example.app", "TEAMID.bundle.id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{tc.env: tc.value}
			for k, v := range base {
				e[k] = v
			}
			_, err := Load(nil, env(e))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	// Five site names are fine: example.com and example.co.uk are one ("example").
	e := map[string]string{"PASSKEYD_RELATED_ORIGINS": "https://example.co.uk,https://example.de,https://b.com,https://c.com,https://d.com,https://e.com"}
	for k, v := range base {
		e[k] = v
	}
	if _, err := Load(nil, env(e)); err != nil {
		t.Fatalf("five labels: %v", err)
	}
	if c, _ := Load(nil, env(base)); len(c.OpaqueOrigins()) != 0 || !slices.Equal(c.CeremonyOrigins(), c.WebOrigins()) {
		t.Fatal("no apps: no extra origins")
	}
}
