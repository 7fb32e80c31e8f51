package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDefaultsFollowTheSpec(t *testing.T) {
	c, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "localhost:8080" || c.RPID != "localhost" || c.RPName != "passkeyd" ||
		!reflect.DeepEqual(c.Origins, []string{"http://localhost:8080"}) || c.DatabaseURL != "sqlite://./passkeyd.db" ||
		c.RedisURL != "" || !reflect.DeepEqual(c.Fallbacks, []string{"password", "totp", "recovery_code"}) ||
		c.ChallengeTTL != 5*time.Minute {
		t.Fatalf("defaults: %+v", c)
	}
	if c.SecureCookies() || c.PublicURL() != "http://localhost:8080" {
		t.Fatal("localhost over http must not set Secure cookies")
	}
	if got := c.Policy.AlgorithmIDs(); !reflect.DeepEqual(got, []int64{-7, -8, -257}) {
		t.Fatalf("algorithms %v", got)
	}
	if d, p, err := c.Database(); d != "sqlite" || p != "./passkeyd.db" || err != nil {
		t.Fatalf("database %s %s %v", d, p, err)
	}
}

func TestOriginFollowsAddrPort(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"PASSKEYD_ADDR": "localhost:9090"}))
	if err != nil || c.Origins[0] != "http://localhost:9090" {
		t.Fatalf("%v %v", c, err)
	}
}

func TestPrecedenceFileEnvFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "passkeyd.yaml")
	os.WriteFile(file, []byte("rpID: example.com\norigins: [https://example.com, https://login.example.com]\nrpName: From file\nchallengeTTL: 2m\npolicy:\n  counter: warn\n  algorithms: [ES256, ES384]\n"), 0o600)
	c, err := Load([]string{"-config", file}, env(map[string]string{"PASSKEYD_RP_NAME": "From env"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RPID != "example.com" || c.RPName != "From env" || c.ChallengeTTL != 2*time.Minute || c.Policy.Counter != "warn" ||
		len(c.Origins) != 2 || !c.SecureCookies() || !reflect.DeepEqual(c.Policy.AlgorithmIDs(), []int64{-7, -35}) {
		t.Fatalf("file+env: %+v", c)
	}
	c, err = Load([]string{"-config", file, "-rp-name", "From flag", "-challenge-ttl", "90s", "-origins", " https://example.com , https://a.example.com "},
		env(map[string]string{"PASSKEYD_RP_NAME": "From env", "PASSKEYD_CHALLENGE_TTL": "3m"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RPName != "From flag" || c.ChallengeTTL != 90*time.Second || !reflect.DeepEqual(c.Origins, []string{"https://example.com", "https://a.example.com"}) {
		t.Fatalf("flags: %+v", c)
	}
	c, err = Load(nil, env(map[string]string{"PASSKEYD_CONFIG": file}))
	if err != nil || c.RPID != "example.com" {
		t.Fatalf("PASSKEYD_CONFIG: %v %v", c, err)
	}
}

func TestInvalidSettingsNameTheSetting(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"rp id not origin host", map[string]string{"PASSKEYD_RP_ID": "example.com", "PASSKEYD_ORIGINS": "https://other.org"}, nil, "PASSKEYD_RP_ID"},
		{"public suffix rp id", map[string]string{"PASSKEYD_RP_ID": "co.uk", "PASSKEYD_ORIGINS": "https://shop.co.uk"}, nil, "public suffix"},
		{"ip rp id", map[string]string{"PASSKEYD_RP_ID": "127.0.0.1", "PASSKEYD_ORIGINS": "http://127.0.0.1:8080"}, nil, "PASSKEYD_RP_ID"},
		{"http origin", map[string]string{"PASSKEYD_RP_ID": "example.com", "PASSKEYD_ORIGINS": "http://example.com"}, nil, "PASSKEYD_ORIGINS"},
		{"origin with path", map[string]string{"PASSKEYD_ORIGINS": "http://localhost:8080/app"}, nil, "PASSKEYD_ORIGINS"},
		{"unknown fallback", map[string]string{"PASSKEYD_FALLBACKS": "password,sms"}, nil, "PASSKEYD_FALLBACKS"},
		{"unknown algorithm", map[string]string{"PASSKEYD_ALGORITHMS": "ES256,HS256"}, nil, "PASSKEYD_ALGORITHMS"},
		{"no ES256", map[string]string{"PASSKEYD_ALGORITHMS": "EdDSA"}, nil, "must include ES256"},
		{"user verification", map[string]string{"PASSKEYD_USER_VERIFICATION": "always"}, nil, "PASSKEYD_USER_VERIFICATION"},
		{"resident key", map[string]string{"PASSKEYD_RESIDENT_KEY": "yes"}, nil, "PASSKEYD_RESIDENT_KEY"},
		{"attestation", map[string]string{"PASSKEYD_ATTESTATION": "full"}, nil, "PASSKEYD_ATTESTATION"},
		{"counter policy", map[string]string{"PASSKEYD_COUNTER_POLICY": "ignore"}, nil, "PASSKEYD_COUNTER_POLICY"},
		{"challenge ttl range", map[string]string{"PASSKEYD_CHALLENGE_TTL": "2h"}, nil, "PASSKEYD_CHALLENGE_TTL"},
		{"challenge ttl syntax", map[string]string{"PASSKEYD_CHALLENGE_TTL": "five"}, nil, "PASSKEYD_CHALLENGE_TTL"},
		{"database scheme", map[string]string{"PASSKEYD_DATABASE_URL": "mysql://db"}, nil, "PASSKEYD_DATABASE_URL"},
		{"redis scheme", map[string]string{"PASSKEYD_REDIS_URL": "http://cache"}, nil, "PASSKEYD_REDIS_URL"},
		{"redis timeout range", map[string]string{"PASSKEYD_REDIS_TIMEOUT": "10ms"}, nil, "PASSKEYD_REDIS_TIMEOUT"},
		{"bad addr", map[string]string{"PASSKEYD_ADDR": "localhost"}, nil, "PASSKEYD_ADDR"},
		{"bad passkey role", map[string]string{"PASSKEYD_PASSKEY_ROLE": "only"}, nil, "PASSKEYD_PASSKEY_ROLE"},
		{"second-factor without passwords", map[string]string{"PASSKEYD_PASSKEY_ROLE": "second-factor", "PASSKEYD_FALLBACKS": "totp"}, nil, "PASSKEYD_PASSKEY_ROLE"},
		{"bad trusted proxy", map[string]string{"PASSKEYD_TRUSTED_PROXIES": "10.0.0.0/8,lb.internal"}, nil, "PASSKEYD_TRUSTED_PROXIES"},
		{"webhook over plain http", map[string]string{"PASSKEYD_WEBHOOK_URLS": "http://app.example.com/hook", "PASSKEYD_WEBHOOK_SECRET": strings.Repeat("s", 32)}, nil, "PASSKEYD_WEBHOOK_URLS"},
		{"webhook not a URL", map[string]string{"PASSKEYD_WEBHOOK_URLS": "app.example.com/hook", "PASSKEYD_WEBHOOK_SECRET": strings.Repeat("s", 32)}, nil, "PASSKEYD_WEBHOOK_URLS"},
		{"webhook secret too short", map[string]string{"PASSKEYD_WEBHOOK_URLS": "https://app.example.com/hook", "PASSKEYD_WEBHOOK_SECRET": strings.Repeat("s", 31)}, nil, "PASSKEYD_WEBHOOK_SECRET"},
		{"token lifetime", map[string]string{"PASSKEYD_TOKEN_LIFETIME": "2h"}, nil, "PASSKEYD_TOKEN_LIFETIME"},
		{"signing algorithm", map[string]string{"PASSKEYD_SIGNING_ALGORITHM": "HS256"}, nil, "PASSKEYD_SIGNING_ALGORITHM"},
		{"signing key rotation", map[string]string{"PASSKEYD_SIGNING_KEY_ROTATION": "0s"}, nil, "PASSKEYD_SIGNING_KEY_ROTATION"},
		{"issuer not https", map[string]string{"PASSKEYD_ISSUER": "http://id.example.com"}, nil, "PASSKEYD_ISSUER"},
		{"login url scheme", map[string]string{"PASSKEYD_LOGIN_URL": "javascript:alert(1)"}, nil, "PASSKEYD_LOGIN_URL"},
		{"login url protocol-relative", map[string]string{"PASSKEYD_LOGIN_URL": "//evil.com/"}, nil, "PASSKEYD_LOGIN_URL"},
		{"cookie domain not a parent", map[string]string{"PASSKEYD_RP_ID": "login.example.com", "PASSKEYD_ORIGINS": "https://login.example.com", "PASSKEYD_COOKIE_DOMAIN": "other.com"}, nil, "PASSKEYD_COOKIE_DOMAIN"},
		{"cookie domain a child", map[string]string{"PASSKEYD_RP_ID": "example.com", "PASSKEYD_ORIGINS": "https://example.com", "PASSKEYD_COOKIE_DOMAIN": "login.example.com"}, nil, "PASSKEYD_COOKIE_DOMAIN"},
		{"cookie domain look-alike", map[string]string{"PASSKEYD_RP_ID": "login.example.com", "PASSKEYD_ORIGINS": "https://login.example.com", "PASSKEYD_COOKIE_DOMAIN": "ple.com"}, nil, "PASSKEYD_COOKIE_DOMAIN"},
		{"cookie domain public suffix", map[string]string{"PASSKEYD_RP_ID": "shop.co.uk", "PASSKEYD_ORIGINS": "https://shop.co.uk", "PASSKEYD_COOKIE_DOMAIN": "co.uk"}, nil, "public suffix"},
		{"cookie domain private public suffix", map[string]string{"PASSKEYD_RP_ID": "me.github.io", "PASSKEYD_ORIGINS": "https://me.github.io", "PASSKEYD_COOKIE_DOMAIN": "github.io"}, nil, "public suffix"},
		{"missing config file", nil, []string{"-config", "/nonexistent/passkeyd.yaml"}, "PASSKEYD_CONFIG"},
		{"unknown flag", nil, []string{"-rpid", "x"}, "-rpid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestUnknownFileKeyIsAnError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("rpid: example.com\n"), 0o600)
	if _, err := Load([]string{"-config", file}, env(nil)); err == nil || !strings.Contains(err.Error(), "rpid") {
		t.Fatalf("typo in key: %v", err)
	}
}

func TestAcceptedOriginShapes(t *testing.T) {
	c, err := Load(nil, env(map[string]string{
		"PASSKEYD_RP_ID":   "example.com",
		"PASSKEYD_ORIGINS": "https://Login.Example.com:443/,https://example.com,android:apk-key-hash:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.WebOrigins(), []string{"https://login.example.com", "https://example.com"}) || len(c.OpaqueOrigins()) != 1 {
		t.Fatalf("origins %v / %v", c.WebOrigins(), c.OpaqueOrigins())
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"PASSKEYD_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := c.TrustedProxyPrefixes()
	if len(p) != 2 || p[1].String() != "127.0.0.1/32" {
		t.Fatalf("prefixes %v", p)
	}
}

func TestProfiles(t *testing.T) {
	p := Default().Policy
	if p.For("platform").UserVerification != "required" || p.For("cross-platform").ResidentKey != "preferred" || p.For("").ResidentKey != "required" {
		t.Fatalf("profiles %+v", p)
	}
}

func TestExampleFileLoads(t *testing.T) {
	c, err := Load([]string{"-config", "example.yaml"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := Load(nil, env(nil))
	c.originsSet, d.originsSet = false, false
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("example.yaml should spell out the defaults:\n%+v\n%+v", c, d)
	}
	if !strings.Contains(Usage(), "PASSKEYD_COUNTER_POLICY") {
		t.Fatal("usage misses settings")
	}
}

func TestTokenSettings(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"PASSKEYD_RP_ID": "login.example.com", "PASSKEYD_ORIGINS": "https://login.example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenIssuer() != "https://login.example.com" || !reflect.DeepEqual(c.TokenAudience(), []string{"https://login.example.com"}) ||
		c.Tokens.Lifetime != 5*time.Minute || c.Tokens.SigningAlgorithm != "ES256" || c.Tokens.SigningKeyRotation != 24*time.Hour || c.Tokens.CookieDomain != "" {
		t.Fatalf("token defaults: %+v", c.Tokens)
	}
	c, err = Load(nil, env(map[string]string{
		"PASSKEYD_RP_ID": "login.example.com", "PASSKEYD_ORIGINS": "https://login.example.com",
		"PASSKEYD_ISSUER": "https://id.example.com", "PASSKEYD_TOKEN_AUDIENCE": "apps, api", "PASSKEYD_TOKEN_LIFETIME": "2m",
		"PASSKEYD_SIGNING_ALGORITHM": "EdDSA", "PASSKEYD_SIGNING_KEY_ROTATION": "1h", "PASSKEYD_LOGIN_URL": "/",
		"PASSKEYD_COOKIE_DOMAIN": ".Example.com",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenIssuer() != "https://id.example.com" || !reflect.DeepEqual(c.TokenAudience(), []string{"apps", "api"}) || c.Tokens.Lifetime != 2*time.Minute ||
		c.Tokens.SigningAlgorithm != "EdDSA" || c.Tokens.SigningKeyRotation != time.Hour || c.Tokens.LoginURL != "/" || c.Tokens.CookieDomain != "example.com" {
		t.Fatalf("token settings: %+v", c.Tokens)
	}
	// The RP ID itself is a valid cookie domain.
	if _, err := Load(nil, env(map[string]string{"PASSKEYD_RP_ID": "example.com", "PASSKEYD_ORIGINS": "https://example.com", "PASSKEYD_COOKIE_DOMAIN": "example.com"})); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookSettings(t *testing.T) {
	c, err := Load(nil, env(map[string]string{
		"PASSKEYD_WEBHOOK_URLS":   "https://app.example.com/hook, http://127.0.0.1:9000/events,http://localhost/x",
		"PASSKEYD_WEBHOOK_SECRET": strings.Repeat("s", 32),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WebhookURLs) != 3 || c.WebhookURLs[1] != "http://127.0.0.1:9000/events" {
		t.Fatalf("webhook URLs %q", c.WebhookURLs)
	}
}

// TestEverySettingIsDocumented: example.yaml names each setting (nested keys by their last
// part; a setting with no default value may be a commented example) and the README's
// configuration table has it (a row may group a key's siblings as `.leaf`).
func TestEverySettingIsDocumented(t *testing.T) {
	example, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		leaf := s.key[strings.LastIndex(s.key, ".")+1:]
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(leaf) + `\b`).Match(example) {
			t.Errorf("example.yaml has no %s", s.key)
		}
		if !regexp.MustCompile("(?m)^\\|.*`(" + regexp.QuoteMeta(s.key) + "|\\." + regexp.QuoteMeta(leaf) + ")`").Match(readme) {
			t.Errorf("README's configuration table has no %s", s.key)
		}
	}
}
