package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler()
	cases := []struct {
		path   string
		status int
		ctype  string
	}{
		{"/", 200, "text/html"},
		{"/assets/passkeyd.js", 200, "text/javascript"},
		{"/assets/app.js", 200, "text/javascript"},
		{"/assets/style.css", 200, "text/css"},
		{"/index.html", 404, ""},
		{"/assets/nope.js", 404, ""},
		{"/assets/../web.go", 404, ""},
		{"/web.go", 404, ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if rec.Code != c.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), c.ctype) {
			t.Errorf("%s: %d %q, want %d %q", c.path, rec.Code, rec.Header().Get("Content-Type"), c.status, c.ctype)
		}
	}
}

// TestNoInlineScript keeps the page working under the server's CSP (script-src 'self').
func TestNoInlineScript(t *testing.T) {
	page, _ := files.ReadFile("index.html")
	s := string(page)
	if strings.Contains(s, "<script>") || strings.Contains(s, " onclick=") || strings.Contains(s, "style=") {
		t.Fatal("index.html has inline script or style")
	}
}
