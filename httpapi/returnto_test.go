package httpapi

import "testing"

// TestReturnTargets: only absolute URLs on a configured origin or under the cookie domain
// are return targets; every classic open-redirect trick is refused.
func TestReturnTargets(t *testing.T) {
	rt := &returnTarget{origins: map[string]bool{"https://login.example.com": true, "https://example.com": true}, cookieDomain: "example.com"}
	for _, tc := range []struct {
		raw, want string
	}{
		{"https://login.example.com/", "https://login.example.com/"},
		{"https://example.com/app?x=1#top", "https://example.com/app?x=1#top"},
		{"https://app.example.com/path", "https://app.example.com/path"},
		{"HTTPS://App.Example.COM:443/p", "https://app.example.com/p"},
		{"https://deep.app.example.com/", "https://deep.app.example.com/"},
		{"https://login.example.com:8443/", "https://login.example.com:8443/"}, // cookies ignore ports
		{"http://app.example.com/", ""},                                        // downgrade to http
		{"//evil.com", ""},
		{"//evil.com/https://example.com", ""},
		{"https://evil.com", ""},
		{"https://example.com.evil.com/", ""},
		{"https://evilexample.com/", ""},
		{"https://example.com@evil.com/", ""},
		{"https://user:pw@example.com/", ""},
		{"javascript:alert(1)", ""},
		{"JavaScript://example.com/%0aalert(1)", ""},
		{"data:text/html,hi", ""},
		{"https:\\\\evil.com", ""},
		{"https://example.com\\@evil.com/", ""},
		{"/\\evil.com", ""},
		{"/relative/path", ""},
		{"https://exa%6dple.com/", ""},
		{"https://example.com./", ""},
		{"https://example.com\t.evil.com/", ""},
		{" https://example.com/", ""},
		{"https://example.com/\n", ""},
		{"", ""},
	} {
		if got := rt.allowed(tc.raw); got != tc.want {
			t.Errorf("allowed(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
	// Without a cookie domain, sibling hosts are not targets; plain http only on
	// development (loopback) deployments.
	dev := &returnTarget{origins: map[string]bool{"http://localhost:8080": true}, allowHTTP: true}
	if dev.allowed("http://localhost:8080/x") != "http://localhost:8080/x" || dev.allowed("http://localhost:9090/") != "" || dev.allowed("https://app.localhost/") != "" ||
		dev.allowed("http://localhost:8080.evil.com/") != "" {
		t.Error("development allowlist")
	}
	// A development cookie domain under localhost admits its *.localhost hosts over http; a
	// production one (https origins) never admits http.
	devDomain := &returnTarget{origins: map[string]bool{"http://login.passkeyd.localhost:8080": true}, cookieDomain: "passkeyd.localhost", allowHTTP: true}
	if devDomain.allowed("http://app.passkeyd.localhost:9000/") != "http://app.passkeyd.localhost:9000/" || devDomain.allowed("http://evil.localhost/") != "" {
		t.Error("development cookie domain")
	}
	prod := &returnTarget{origins: map[string]bool{"https://login.example.com": true}, cookieDomain: "example.com"}
	if prod.allowed("http://app.example.com/") != "" {
		t.Error("plain http to a cookie-domain host in production")
	}
}
