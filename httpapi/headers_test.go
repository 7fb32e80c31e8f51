package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSecurityHeaders: every answer carries the hardening headers; HSTS only when the
// deployment is https (Secure cookies), so local http development is not pinned to https.
func TestSecurityHeaders(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := NewServer(Deps{SecureCookies: secure, Web: http.NotFoundHandler(), OpenAPI: []byte("{}")})
		for _, path := range []string{"/healthz", "/api/v1/nope", "/"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			hd := rec.Header()
			if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") != "no-referrer" || hd.Get("X-Frame-Options") != "DENY" ||
				!strings.Contains(hd.Get("Content-Security-Policy"), "frame-ancestors 'none'") || strings.Contains(hd.Get("Content-Security-Policy"), "unsafe-inline") {
				t.Errorf("%s (secure=%v): headers %v", path, secure, hd)
			}
			if got := hd.Get("Strict-Transport-Security") != ""; got != secure {
				t.Errorf("%s: HSTS present=%v with secure=%v", path, got, secure)
			}
		}
	}
}
