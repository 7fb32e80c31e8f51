package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/passkeyd/passkeyd/softauthn"
)

// need skips a test whose external program is missing, or fails it under
// PASSKEYD_TEST_REQUIRE=all (CI installs them: see .ci/run).
func need(t *testing.T, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if strings.Contains(getenvReal("PASSKEYD_TEST_REQUIRE"), "all") {
				t.Fatalf("%s not found; PASSKEYD_TEST_REQUIRE makes this a failure (.ci/run installs it)", p)
			}
			t.Skipf("%s not found", p)
		}
	}
}

// signUp creates a passkey account on a running server and returns its session token.
func signUp(t *testing.T, base, origin, username string) string {
	t.Helper()
	a, err := softauthn.New(softauthn.Options{Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	post := func(path string, body any, want int) []byte {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
		}
		return out
	}
	opts := post("/api/v1/registration/options", map[string]string{"username": username}, 200)
	cred, err := a.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	var signed struct {
		Session struct{ Token string } `json:"session"`
	}
	if err := json.Unmarshal(post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)}, 201), &signed); err != nil || signed.Session.Token == "" {
		t.Fatalf("sign-up: %v", err)
	}
	return signed.Session.Token
}

// mint asks the server for an access token with a Bearer session.
func mint(t *testing.T, base, session string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/session/token", nil)
	req.Header.Set("Authorization", "Bearer "+session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"accessToken"`
		TokenType   string `json:"tokenType"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.TokenType != "Bearer" {
		t.Fatalf("session/token: %d %v", resp.StatusCode, err)
	}
	return out.AccessToken
}

// goVerifier is a downstream Go service: golang-jwt with keyfunc's remote JWK Set,
// refreshed on a schedule only (an unknown kid never triggers a fetch), so that a token
// verifies only if its key was published before it signed.
func goVerifier(t *testing.T, jwksURL, issuer, audience string, refresh time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{jwksURL}, keyfunc.Override{
		RefreshInterval:   refresh,
		RefreshUnknownKID: rate.NewLimiter(0, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok, err := jwt.Parse(raw, kf.Keyfunc, jwt.WithIssuer(issuer), jwt.WithAudience(audience),
			jwt.WithValidMethods([]string{"ES256", "EdDSA"}), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		sub, _ := tok.Claims.GetSubject()
		json.NewEncoder(w).Encode(map[string]any{"sub": sub, "kid": tok.Header["kid"]})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// nodeVerifier starts testdata/node-verifier (npm's jose, pinned by its package-lock).
func nodeVerifier(t *testing.T, jwksURL, issuer, audience string, cacheMaxAge time.Duration) string {
	t.Helper()
	need(t, "node", "npm")
	dir, _ := filepath.Abs("testdata/node-verifier")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jose")); err != nil {
		out, err := exec.Command("npm", "ci", "--prefix", dir, "--ignore-scripts", "--no-audit", "--no-fund").CombinedOutput()
		if err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "verify.mjs"))
	cmd.Env = append(os.Environ(), "JWKS_URL="+jwksURL, "ISSUER="+issuer, "AUDIENCE="+audience, fmt.Sprintf("CACHE_MAX_AGE_MS=%d", cacheMaxAge.Milliseconds()))
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		t.Fatalf("node verifier did not start: %q %v\n%s", line, err, stderr.String())
	}
	return "http://127.0.0.1:" + port
}

// check sends tok to a verifier service and returns the kid it verified with.
func check(verifier, tok, wantSub string) (string, error) {
	req, _ := http.NewRequest(http.MethodGet, verifier+"/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("refused: %d %s", resp.StatusCode, body)
	}
	var out struct{ Sub, Kid string }
	if err := json.Unmarshal(body, &out); err != nil || out.Sub != wantSub {
		return "", fmt.Errorf("verified wrong subject: %s", body)
	}
	return out.Kid, nil
}

// subject reads the sub claim without verifying (the verifiers do that).
func subject(t *testing.T, tok string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		t.Fatal(err)
	}
	return claims["sub"].(string)
}

// TestTokensVerifyAcrossRotations: the real server rotates its signing key every 3 seconds;
// a Go service (keyfunc + golang-jwt) and a Node service (jose) that only refresh the JWK
// Set on their schedule verify every token issued across two rotations, both when issued
// and again at the end, when the keys that signed the early ones are no longer current.
func TestTokensVerifyAcrossRotations(t *testing.T) {
	need(t, "node", "npm")
	const period = 3 * time.Second
	port := freePort(t)
	env := map[string]string{
		"PASSKEYD_ADDR":                 fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL":         "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		"PASSKEYD_SIGNING_KEY_ROTATION": period.String(),
		"PASSKEYD_TOKEN_LIFETIME":       "60s",
		"PASSKEYD_TOKEN_AUDIENCE":       "apps",
	}
	base := serveForTest(t, env)
	issuer := base
	session := signUp(t, base, base, "alice")
	jwksURL := base + "/.well-known/jwks.json"
	verifiers := map[string]string{
		"go (keyfunc)": goVerifier(t, jwksURL, issuer, "apps", period/4),
		"node (jose)":  nodeVerifier(t, jwksURL, issuer, "apps", period/4),
	}
	var tokens []string
	kids := map[string]bool{}
	deadline := time.Now().Add(4 * period)
	for time.Now().Before(deadline) {
		tok := mint(t, base, session)
		tokens = append(tokens, tok)
		for name, v := range verifiers {
			kid, err := check(v, tok, subject(t, tok))
			if err != nil {
				t.Fatalf("%s verifier, token %d: %v", name, len(tokens), err)
			}
			kids[kid] = true
		}
		time.Sleep(period / 6)
	}
	if len(kids) < 3 {
		t.Fatalf("tokens were signed by %d keys; want at least 3 (two rotations)", len(kids))
	}
	for i, tok := range tokens {
		for name, v := range verifiers {
			if _, err := check(v, tok, subject(t, tok)); err != nil {
				t.Fatalf("%s verifier, token %d re-checked after the rotations: %v", name, i+1, err)
			}
		}
	}
	t.Logf("%d tokens, %d keys, verified by %d services", len(tokens), len(kids), len(verifiers))
	// A forged token (signature of another key) is refused by both.
	parts := strings.Split(tokens[0], ".")
	other := strings.Split(tokens[len(tokens)-1], ".")
	forged := parts[0] + "." + parts[1] + "." + other[2]
	for name, v := range verifiers {
		if _, err := check(v, forged, "x"); err == nil {
			t.Fatalf("%s verifier accepted a forged signature", name)
		}
	}
}
