package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// upstream is the protected app: it records the identity headers of what reaches it.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []http.Header
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.seen = append(u.seen, r.Header.Clone())
		u.mu.Unlock()
		fmt.Fprint(w, "hello from the app")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) last() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		return nil
	}
	return u.seen[len(u.seen)-1]
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

func hostPort(raw string) string {
	u, _ := url.Parse(raw)
	return u.Host
}

// waitListening waits until something accepts connections on addr.
func waitListening(t *testing.T, addr string, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s:\n%s", addr, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// snippet reads a deploy/forward-auth file and puts the test's addresses in place of the
// documented placeholders, failing if one of them is missing (the file drifted).
func snippet(t *testing.T, name string, replace ...string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "forward-auth", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("deploy/forward-auth/%s no longer contains %q", name, replace[i])
		}
		s = strings.ReplaceAll(s, replace[i], replace[i+1])
	}
	return s
}

// proxyEnv is passkeyd with a test account, an upstream app, and a URL for the proxy.
type proxyEnv struct {
	base, session, proxy string
	app                  *upstream
}

func newProxyEnv(t *testing.T) *proxyEnv {
	t.Helper()
	pk, px := freePort(t), freePort(t)
	base := fmt.Sprintf("http://localhost:%d", pk)
	proxy := fmt.Sprintf("http://localhost:%d", px)
	env := map[string]string{
		"PASSKEYD_ADDR":         fmt.Sprintf("localhost:%d", pk),
		"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		// The app's origin is one of passkeyd's, so it is an allowed return target.
		"PASSKEYD_ORIGINS":        base + "," + proxy,
		"PASSKEYD_TOKEN_AUDIENCE": "apps",
	}
	serveForTest(t, env)
	return &proxyEnv{base: base, session: signUp(t, base, base, "alice"), proxy: proxy, app: newUpstream(t)}
}

type hit struct {
	status   int
	location string
	body     string
}

func (p *proxyEnv) get(t *testing.T, path string, header map[string]string) hit {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.proxy+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 1024)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return hit{resp.StatusCode, resp.Header.Get("Location"), b.String()}
}

// exercise is what every proxy must do: refuse without a session (401 for API clients,
// 302 to the sign-in page with the original URL for browsers), and with one pass the
// request on with the identity headers and a token that verifies against the JWKS.
func (p *proxyEnv) exercise(t *testing.T, browserLoginPrefix string) {
	before := p.app.count()
	if h := p.get(t, "/private?x=1", map[string]string{"Accept": "application/json"}); h.status != 401 {
		t.Fatalf("API client without a session: %d %s", h.status, h.body)
	}
	h := p.get(t, "/private?x=1", map[string]string{"Accept": "text/html", "X-Passkeyd-User-Id": "spoofed"})
	if h.status != 302 {
		t.Fatalf("browser without a session: %d %s", h.status, h.body)
	}
	loc, err := url.Parse(h.location)
	if err != nil || !strings.HasPrefix(h.location, browserLoginPrefix) || loc.Query().Get("rd") != p.proxy+"/private?x=1" {
		t.Fatalf("browser redirected to %q; want %s…?rd=%s/private?x=1", h.location, browserLoginPrefix, p.proxy)
	}
	if p.app.count() != before {
		t.Fatal("a request without a session reached the app")
	}

	// The sign-in page sends the browser back through /return, which accepts the app.
	r, _ := http.NewRequest(http.MethodGet, p.base+"/return?rd="+url.QueryEscape(loc.Query().Get("rd")), nil)
	r.AddCookie(&http.Cookie{Name: "passkeyd_session", Value: p.session})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(r)
	if err != nil || resp.StatusCode != 302 || resp.Header.Get("Location") != p.proxy+"/private?x=1" {
		t.Fatalf("/return: %v %v", resp, err)
	}
	resp.Body.Close()

	kf, err := keyfunc.NewDefaultCtx(context.Background(), []string{p.base + "/.well-known/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	for name, hdr := range map[string]map[string]string{
		"cookie": {"Cookie": "passkeyd_session=" + p.session, "Accept": "text/html", "X-Passkeyd-User-Id": "spoofed"},
		"bearer": {"Authorization": "Bearer " + p.session},
	} {
		h := p.get(t, "/private", hdr)
		if h.status != 200 || h.body != "hello from the app" {
			t.Fatalf("%s session: %d %s", name, h.status, h.body)
		}
		seen := p.app.last()
		if seen.Get("X-Passkeyd-Username") != "alice" || seen.Get("X-Passkeyd-Auth-Method") != "passkey" || seen.Get("X-Passkeyd-Session-Id") == "" {
			t.Fatalf("%s: identity headers at the app: %v", name, seen)
		}
		if v := seen.Values("X-Passkeyd-User-Id"); len(v) != 1 || v[0] == "spoofed" {
			t.Fatalf("%s: X-Passkeyd-User-Id at the app: %v", name, v)
		}
		raw, ok := strings.CutPrefix(seen.Get("Authorization"), "Bearer ")
		if !ok || raw == p.session {
			t.Fatalf("%s: the app got Authorization %q, want the access token", name, seen.Get("Authorization"))
		}
		tok, err := jwt.Parse(raw, kf.Keyfunc, jwt.WithIssuer(p.base), jwt.WithAudience("apps"), jwt.WithValidMethods([]string{"ES256"}))
		if err != nil {
			t.Fatalf("%s: token at the app does not verify: %v", name, err)
		}
		if sub, _ := tok.Claims.GetSubject(); sub != seen.Get("X-Passkeyd-User-Id") {
			t.Fatalf("%s: sub %q, user id header %q", name, sub, seen.Get("X-Passkeyd-User-Id"))
		}
	}

	// A revoked session is refused at once.
	req, _ := http.NewRequest(http.MethodDelete, p.base+"/api/v1/session", nil)
	req.Header.Set("Authorization", "Bearer "+p.session)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("sign out: %v %v", resp, err)
	}
	if h := p.get(t, "/private", map[string]string{"Cookie": "passkeyd_session=" + p.session}); h.status != 401 {
		t.Fatalf("revoked session: %d", h.status)
	}
}

// TestNginxAuthRequest runs Debian's nginx with deploy/forward-auth/nginx.conf.
func TestNginxAuthRequest(t *testing.T) {
	need(t, "nginx")
	p := newProxyEnv(t)
	dir := t.TempDir()
	server := snippet(t, "nginx.conf",
		"listen 443 ssl;", "listen "+hostPort(strings.Replace(p.proxy, "localhost", "127.0.0.1", 1))+";",
		"    ssl_certificate     /etc/ssl/app.example.com.pem;\n", "",
		"    ssl_certificate_key /etc/ssl/app.example.com.key;\n", "",
		"server_name app.example.com;", "server_name localhost;",
		"http://passkeyd:8080", strings.Replace(p.base, "localhost", "127.0.0.1", 1),
		"http://app:3000", p.app.URL,
		"https://login.example.com", p.base,
	)
	conf := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, server)
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(conf), 0o600)
	if out, err := exec.Command("nginx", "-t", "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log")).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "nginx", "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	logs := func() string { b, _ := os.ReadFile(filepath.Join(dir, "error.log")); return string(b) }
	waitListening(t, hostPort(strings.Replace(p.proxy, "localhost", "127.0.0.1", 1)), logs)
	p.exercise(t, p.base+"/?rd=")
	if t.Failed() {
		t.Log(logs())
	}
}

// TestCaddyForwardAuth runs Debian's Caddy with deploy/forward-auth/Caddyfile.
func TestCaddyForwardAuth(t *testing.T) {
	need(t, "caddy")
	p := newProxyEnv(t)
	dir := t.TempDir()
	site := snippet(t, "Caddyfile",
		"app.example.com {", p.proxy+" {\n\tbind 127.0.0.1",
		"forward_auth passkeyd:8080", "forward_auth "+strings.Replace(hostPort(p.base), "localhost", "127.0.0.1", 1),
		"reverse_proxy app:3000", "reverse_proxy "+hostPort(p.app.URL),
		"https://login.example.com", p.base,
	)
	conf := "{\n\tadmin off\n\tauto_https off\n}\n" + site
	path := filepath.Join(dir, "Caddyfile")
	os.WriteFile(path, []byte(conf), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "caddy", "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	waitListening(t, strings.Replace(hostPort(p.proxy), "localhost", "127.0.0.1", 1), logs.String)
	p.exercise(t, p.base+"/?rd=")
	if t.Failed() {
		t.Log(logs.String())
	}
}

// TestHAProxyForwardAuth runs Debian's HAProxy with deploy/forward-auth/haproxy.cfg and its
// Lua action passkeyd-auth.lua.
func TestHAProxyForwardAuth(t *testing.T) {
	need(t, "haproxy")
	p := newProxyEnv(t)
	dir := t.TempDir()
	lua := filepath.Join("..", "..", "deploy", "forward-auth", "passkeyd-auth.lua")
	abs, _ := filepath.Abs(lua)
	listen := strings.Replace(hostPort(p.proxy), "localhost", "127.0.0.1", 1)
	conf := snippet(t, "haproxy.cfg",
		"lua-load /etc/haproxy/passkeyd-auth.lua", "lua-load "+abs,
		"bind :443 ssl crt /etc/ssl/app.example.com.pem", "bind "+listen,
		"http://127.0.0.1:8080/api/v1/authz", strings.Replace(p.base, "localhost", "127.0.0.1", 1)+"/api/v1/authz",
		"server app app:3000", "server app "+hostPort(p.app.URL),
		"https://login.example.com", p.base,
	)
	path := filepath.Join(dir, "haproxy.cfg")
	os.WriteFile(path, []byte(conf), 0o600)
	if out, err := exec.Command("haproxy", "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "haproxy", "-db", "-f", path)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	waitListening(t, listen, logs.String)
	p.exercise(t, p.base+"/?rd=")
	if t.Failed() {
		t.Log(logs.String())
	}
}
