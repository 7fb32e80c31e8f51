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
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passkeyd/passkeyd/oidc"
)

// oauth2ProxyVersion is the release .ci/run builds (go install …/oauth2-proxy/v7@version).
const oauth2ProxyVersion = "v7.15.6"

func oauth2ProxyPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("PASSKEYD_OAUTH2_PROXY"), os.ExpandEnv("$HOME/.cache/passkeyd/oauth2-proxy-" + oauth2ProxyVersion + "/oauth2-proxy")} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	msg := "oauth2-proxy not found: go install github.com/oauth2-proxy/oauth2-proxy/v7@" + oauth2ProxyVersion + " and set PASSKEYD_OAUTH2_PROXY (.ci/run does)"
	if required() {
		t.Fatal(msg + "; PASSKEYD_TEST_REQUIRE makes this a failure")
	}
	t.Skip(msg)
	return ""
}

// TestBrowserOAuth2Proxy: oauth2-proxy, configured with passkeyd as its OpenID provider,
// stands in front of an app; Chromium signs up with a passkey on passkeyd's page and
// reaches the app, which sees the user oauth2-proxy passes on.
func TestBrowserOAuth2Proxy(t *testing.T) {
	exe := chromePath(t)
	proxyBin := oauth2ProxyPath(t)

	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><p id="upstream">upstream sees %s</p>`, r.Header.Get("X-Forwarded-Preferred-Username")+"/"+r.Header.Get("X-Forwarded-User"))
	}))
	t.Cleanup(upstream.Close)
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := pln.Addr().String()
	pln.Close() // oauth2-proxy binds it itself
	proxyURL := "http://localhost:" + portOf(proxyAddr)
	const secret = "oauth2-proxy-secret-0123456789"
	h := newHarness(t, func(o *harnessOptions) {
		o.clients = []oidc.ClientConfig{{ID: "oauth2-proxy", Secret: secret, RedirectURIs: []string{proxyURL + "/oauth2/callback"}, Scopes: []string{"openid", "profile"}}}
		o.redirect = proxyURL + "/oauth2/callback"
	})
	cookieSecret := make([]byte, 32)
	_, _ = rand.Read(cookieSecret)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, proxyBin,
		"--provider=oidc", "--oidc-issuer-url="+h.issuer, "--client-id=oauth2-proxy", "--client-secret="+secret,
		"--redirect-url="+proxyURL+"/oauth2/callback", "--http-address="+proxyAddr, "--upstream="+upstream.URL+"/",
		"--email-domain=*", "--cookie-secret="+base64.RawURLEncoding.EncodeToString(cookieSecret), "--cookie-secure=false",
		"--scope=openid profile", "--code-challenge-method=S256", "--skip-provider-button=true",
		"--oidc-email-claim=preferred_username", "--insecure-oidc-allow-unverified-email=true", "--user-id-claim=sub",
		"--pass-user-headers=true",
	)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(proxyURL + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("oauth2-proxy did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Without a sign-in oauth2-proxy keeps the app closed.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noFollow.Get(proxyURL + "/"); err != nil || resp.StatusCode == 200 {
		t.Fatalf("the app was reachable without a sign-in: %v %v", resp, err)
	}

	bctx := newChromium(t, exe)
	c, cancelRun := context.WithTimeout(bctx, 45*time.Second)
	defer cancelRun()
	err = chromedp.Do(c,
		chromedp.Navigate(proxyURL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#signed-out")),
		chromedp.SendKeys(chromedp.CSS("#signup-username"), "alice"),
		chromedp.Click(chromedp.CSS("#signup-button")),
		// The page asks for a name for the new passkey (this server has no recovery codes);
		// once that is dismissed it returns to the authorization request.
		chromedp.WaitVisible(chromedp.CSS("#name-skip-button")),
		chromedp.Click(chromedp.CSS("#name-skip-button")),
		chromedp.WaitVisible(chromedp.CSS("#upstream")),
	)
	if err != nil {
		loc, _ := chromedp.Run(bctx, chromedp.Location())
		t.Fatalf("browser at %s: %v\noauth2-proxy:\n%s", loc, err, logs.String())
	}
	text, err := chromedp.Run(c, chromedp.Text(chromedp.CSS("#upstream")))
	if err != nil || !strings.HasPrefix(text, "upstream sees alice/") || strings.HasSuffix(text, "/") {
		t.Fatalf("upstream page %q %v", text, err)
	}
}
