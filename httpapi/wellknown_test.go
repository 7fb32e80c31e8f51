package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/passkeyd/passkeyd/httpapi"
)

// TestWellKnownDocuments: the three documents that let other sites and native apps use the
// RP's passkeys, served as application/json with exactly the shapes the platforms read.
func TestWellKnownDocuments(t *testing.T) {
	const fp = "FA:C6:17:45:DC:09:03:78:6F:B9:ED:E6:2A:96:2B:39:9F:73:48:F0:BB:6F:89:9B:83:32:66:75:91:03:3B:9C"
	e := newEnv(t, func(o *envOptions) {
		o.apps = httpapi.Apps{
			RelatedOrigins: []string{"https://example.co.uk", "https://example.de"},
			Android:        []httpapi.AndroidApp{{Package: "com.example.app", Fingerprints: []string{fp}}},
			IOS:            []string{"ABCDE12345.com.example.app"},
		}
	})
	cases := []struct{ path, body string }{
		{"/.well-known/webauthn", `{"origins":["https://example.co.uk","https://example.de"]}`},
		{"/.well-known/assetlinks.json", `[{"relation":["delegate_permission/common.handle_all_urls","delegate_permission/common.get_login_creds"],"target":{"namespace":"android_app","package_name":"com.example.app","sha256_cert_fingerprints":["` + fp + `"]}}]`},
		{"/.well-known/apple-app-site-association", `{"webcredentials":{"apps":["ABCDE12345.com.example.app"]}}`},
	}
	c := e.app()
	for _, tc := range cases {
		r := c.do(http.MethodGet, tc.path, nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" || string(r.body) != tc.body {
			t.Errorf("%s: %d %q %s\nwant 200 application/json %s", tc.path, r.status, r.header.Get("Content-Type"), r.body, tc.body)
		}
		// No redirect, no cookie: Apple's and Google's fetchers follow neither.
		if r.header.Get("Set-Cookie") != "" || r.header.Get("Location") != "" {
			t.Errorf("%s: sets a cookie or redirects", tc.path)
		}
	}
}

// TestWellKnownNotConfigured: with no related origins or apps there is nothing to publish,
// and a browser reading /.well-known/webauthn must not find an empty allowlist.
func TestWellKnownNotConfigured(t *testing.T) {
	c := newEnv(t).app()
	for _, p := range []string{"/.well-known/webauthn", "/.well-known/assetlinks.json", "/.well-known/apple-app-site-association"} {
		r := c.do(http.MethodGet, p, nil)
		if r.status != 404 || r.json(t)["code"] != "not_found" {
			t.Errorf("%s: %d %s, want 404 not_found", p, r.status, r.body)
		}
	}
}
