package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeOpenIDProvider: oidcClients in the configuration file turn the provider on (the
// discovery document names the issuer and the JWKS of the token package), and the admin
// CLI adds, lists and removes runtime clients in the database.
func TestServeOpenIDProvider(t *testing.T) {
	port := freePort(t)
	const token = "Zk3pW9qR2vX7mB4nT8yL1cH6fJ0sD5gA"
	dir := t.TempDir()
	conf := filepath.Join(dir, "passkeyd.yaml")
	if err := os.WriteFile(conf, []byte(`oidcClients:
  - id: grafana
    secret: "$2b$10$8o1Iq5l5r3cUQ6l3p9w0IuQ4xJ0m3e3D0zYwz7c8hG7dYbY9H2C3e"
    redirectURIs: ["https://grafana.example.com/login/generic_oauth"]
    scopes: [openid, profile, offline_access]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PASSKEYD_ADDR":         fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(dir, "p.db"),
		"PASSKEYD_ADMIN_TOKEN":  token,
		"PASSKEYD_CONFIG":       conf,
	}
	getenv := func(k string) string { return env[k] }
	url := serveForTest(t, env)
	resp, err := http.Get(url + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if resp.StatusCode != 200 || d["issuer"] != url || d["jwks_uri"] != url+"/.well-known/jwks.json" {
		t.Fatalf("discovery %d %v", resp.StatusCode, d)
	}
	var out bytes.Buffer
	admin := func(args ...string) error {
		out.Reset()
		return run(context.Background(), append([]string{"admin", "-url", url}, args...), getenv, &out, &out)
	}
	if err := admin("oidc-client-add", "wiki", "https://wiki.example.com/cb", "openid,profile"); err != nil || !strings.Contains(out.String(), `"secret"`) {
		t.Fatalf("add: %v\n%s", err, out.String())
	}
	if err := admin("oidc-client-add", "cli", "http://127.0.0.1:8765/cb", "public"); err != nil || strings.Contains(out.String(), `"secret"`) {
		t.Fatalf("add public: %v\n%s", err, out.String())
	}
	if err := admin("oidc-clients"); err != nil || !strings.Contains(out.String(), `"grafana"`) || !strings.Contains(out.String(), `"wiki"`) || strings.Contains(out.String(), "$2b$") {
		t.Fatalf("list: %v\n%s", err, out.String())
	}
	if err := admin("oidc-client-remove", "wiki"); err != nil {
		t.Fatalf("remove: %v\n%s", err, out.String())
	}
	if err := admin("oidc-client-remove", "grafana"); err == nil {
		t.Fatal("removed a configured client")
	}
}
