package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// TestCaptureChromiumVectors records what Chromium's virtual authenticator sends, as test
// vectors for ceremony/testdata/chromium (run with PASSKEYD_CAPTURE_VECTORS=<dir>). The
// vectors are committed; this test only makes new ones.
func TestCaptureChromiumVectors(t *testing.T) {
	dir := os.Getenv("PASSKEYD_CAPTURE_VECTORS")
	if dir == "" {
		t.Skip("set PASSKEYD_CAPTURE_VECTORS=<dir> to capture Chromium vectors")
	}
	cases := []struct {
		name        string
		attestation string
		opts        webauthn.VirtualAuthenticatorOptions
	}{
		{"platform-synced", "none", webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true, DefaultBackupEligibility: true, DefaultBackupState: true}},
		{"platform-packed", "direct", webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}},
		{"security-key-u2f", "direct", webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolU2f, Transport: webauthn.AuthenticatorTransportUsb,
			AutomaticPresenceSimulation: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t, "PASSKEYD_ATTESTATION="+c.attestation, "PASSKEYD_RESIDENT_KEY=preferred", "PASSKEYD_USER_VERIFICATION=discouraged")
			b := newBrowserWith(t, c.opts)
			b.withoutAutofill()
			// Record every ceremony request and options response the page makes; installed
			// before the page's scripts, which keep a reference to fetch.
			b.onNewDocument(`window.__captured = []; { const f = window.fetch; window.fetch = async (url, init) => {
				const res = await f(url, init); const copy = res.clone();
				window.__captured.push({url: String(url), body: init && init.body ? JSON.parse(init.body) : null, response: await copy.json().catch(() => null)});
				return res; }; }`)
			b.do(chromedp.Navigate(srv.url+"/"), visible("#signed-out"),
				keys("#signup-username", "vector-"+c.name),
				click("#signup-button"),
				visible("#signed-in"),
				click("#signout-button"),
				visible("#signed-out"),
				keys("#signin-username", "vector-"+c.name),
				click("#signin-button"),
				visible("#signed-in"),
			)
			captured := run(b, chromedp.Evaluate[[]map[string]any](`window.__captured`))
			raw, _ := json.MarshalIndent(map[string]any{"origin": srv.url, "rpId": "localhost", "exchanges": captured}, "", " ")
			if err := os.WriteFile(filepath.Join(dir, "chromium-"+c.name+".json"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}
