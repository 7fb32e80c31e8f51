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
	"time"
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

// TestOpenIDLibraryLogsAreTheServers: the OpenID library's own log lines (a refused token
// request is a WARN "request error") go to the server's logger, so JSON logs stay JSON.
func TestOpenIDLibraryLogsAreTheServers(t *testing.T) {
	port := freePort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "passkeyd.yaml")
	if err := os.WriteFile(conf, []byte("oidcClients:\n  - id: app\n    secret: app-secret-0123456789abcdef\n    redirectURIs: [\"https://app.example.com/cb\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PASSKEYD_ADDR":         fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(dir, "p.db"),
		"PASSKEYD_CONFIG":       conf,
		"PASSKEYD_LOG_FORMAT":   "json",
	}
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &bytes.Buffer{}, &stderr) }()
	t.Cleanup(func() { cancel(); <-done })
	url := fmt.Sprintf("http://localhost:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.PostForm(url+"/oidc/token", map[string][]string{"grant_type": {"authorization_code"}, "code": {"nope"}, "client_id": {"app"}, "client_secret": {"wrong-secret-0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 4 {
		t.Fatalf("bad token request: %d", resp.StatusCode)
	}
	found := false
	for deadline := time.Now().Add(2 * time.Second); !found && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		found = strings.Contains(stderr.String(), `"msg":"request error"`)
	}
	if !found {
		t.Fatalf("the library's request error is not in the server's log:\n%s", stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("a log line is not JSON: %q", line)
		}
	}
}
