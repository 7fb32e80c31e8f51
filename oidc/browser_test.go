package oidc_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/passkeyd/passkeyd/oidc"
)

func required() bool {
	v := os.Getenv("PASSKEYD_TEST_REQUIRE")
	return v == "all" || strings.Contains(v, "chromium")
}

func chromePath(t *testing.T) string {
	for _, p := range []string{os.Getenv("CHROME_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if required() {
		t.Fatal("Chromium not found (install Debian's chromium or set CHROME_PATH); PASSKEYD_TEST_REQUIRE makes this a failure")
	}
	t.Skip("Chromium not found; install Debian's chromium (or set CHROME_PATH) to run the browser tests")
	return ""
}

// relyingParty is a Go web app that signs its users in with passkeyd through
// coreos/go-oidc and golang.org/x/oauth2, as an outside developer would write it.
type relyingParty struct {
	url      string
	mu       sync.Mutex
	pending  map[string][2]string // state → verifier, nonce
	greeting string
}

func startRelyingParty(t *testing.T, ln net.Listener, issuer string) *relyingParty {
	rp := &relyingParty{url: "http://localhost:" + portOf(ln.Addr().String()), pending: map[string][2]string{}}
	var (
		once     sync.Once
		provider *gooidc.Provider
		conf     *oauth2.Config
	)
	setup := func(ctx context.Context) error {
		var err error
		once.Do(func() {
			provider, err = gooidc.NewProvider(ctx, issuer)
			conf = &oauth2.Config{ClientID: "conf", ClientSecret: confSecret, Endpoint: provider.Endpoint(),
				RedirectURL: rp.url + "/cb", Scopes: []string{gooidc.ScopeOpenID, "profile"}}
		})
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if err := setup(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
		rp.mu.Lock()
		rp.pending[state] = [2]string{verifier, nonce}
		rp.mu.Unlock()
		http.Redirect(w, r, conf.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
	})
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		rp.mu.Lock()
		p, ok := rp.pending[r.URL.Query().Get("state")]
		delete(rp.pending, r.URL.Query().Get("state"))
		rp.mu.Unlock()
		if !ok {
			http.Error(w, "unknown state", 400)
			return
		}
		tok, err := conf.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(p[0]))
		if err != nil {
			http.Error(w, "exchange: "+err.Error(), 500)
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		id, err := provider.Verifier(&gooidc.Config{ClientID: "conf", SupportedSigningAlgs: []string{"ES256", "EdDSA"}}).Verify(r.Context(), raw)
		if err != nil || id.Nonce != p[1] {
			http.Error(w, fmt.Sprintf("id token: %v (nonce %q)", err, id.Nonce), 500)
			return
		}
		var claims struct {
			AMR []string `json:"amr"`
			ACR string   `json:"acr"`
			SID string   `json:"sid"`
		}
		_ = id.Claims(&claims)
		info, err := provider.UserInfo(r.Context(), oauth2.StaticTokenSource(tok))
		if err != nil {
			http.Error(w, "userinfo: "+err.Error(), 500)
			return
		}
		var profile struct {
			PreferredUsername string `json:"preferred_username"`
		}
		_ = info.Claims(&profile)
		rp.mu.Lock()
		rp.greeting = fmt.Sprintf("hello %s acr=%s amr=%s sid=%t", profile.PreferredUsername, claims.ACR, strings.Join(claims.AMR, ","), claims.SID != "")
		rp.mu.Unlock()
		fmt.Fprintf(w, `<!doctype html><p id="greeting">%s</p>`, rp.greeting)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return rp
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestBrowserGoRelyingParty: Chromium opens a go-oidc app, is sent to passkeyd's page,
// signs up with a passkey (virtual authenticator), and comes back signed in to the app.
func TestBrowserGoRelyingParty(t *testing.T) {
	exe := chromePath(t)
	rpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rpURL := "http://localhost:" + portOf(rpLn.Addr().String())
	h := newHarness(t, func(o *harnessOptions) {
		o.clients = []oidc.ClientConfig{{ID: "conf", Secret: confSecret, RedirectURIs: []string{rpURL + "/cb"}, Scopes: []string{"openid", "profile"}}}
		o.redirect = rpURL + "/cb"
	})
	rp := startRelyingParty(t, rpLn, h.issuer)

	ctx := newChromium(t, exe)
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			if shot, e := chromedp.Run(ctx, chromedp.FullScreenshot(80)); e == nil {
				os.WriteFile("/tmp/oidc-fail.png", shot, 0o644)
			}
			errText, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("error")||{}).textContent||""`))
			t.Fatalf("browser at %s: %v (page error %q)", loc, err, errText)
		}
	}
	run(
		chromedp.Navigate(rp.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#signed-out")),
		chromedp.SendKeys(chromedp.CSS("#signup-username"), "alice"),
		chromedp.Click(chromedp.CSS("#signup-button")),
		// The page asks for a name for the new passkey (this server has no recovery codes);
		// once that is dismissed it returns to the authorization request.
		chromedp.WaitVisible(chromedp.CSS("#name-skip-button")),
		chromedp.Click(chromedp.CSS("#name-skip-button")),
		chromedp.WaitVisible(chromedp.CSS("#greeting")),
	)
	rp.mu.Lock()
	got := rp.greeting
	rp.mu.Unlock()
	if !strings.HasPrefix(got, "hello alice acr=phr amr=hwk") || !strings.HasSuffix(got, "sid=true") {
		t.Fatalf("the app says %q", got)
	}
	// Signed in at passkeyd already: a second visit comes straight back with a code.
	run(chromedp.Navigate(rp.url+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
}

// newChromium starts Chromium with a virtual platform authenticator that verifies the user.
func newChromium(t *testing.T, exe string) context.Context {
	flags := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(c, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}
