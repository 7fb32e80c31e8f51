package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIPTrustsOnlyConfiguredProxies(t *testing.T) {
	s := &server{Deps: Deps{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy configured for this peer", "203.0.113.7:5000", []string{"1.2.3.4"}, "203.0.113.7"},
		{"trusted proxy", "10.0.0.5:5000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"client-supplied entries on the left are ignored", "10.0.0.5:5000", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9"},
		{"chain of trusted proxies", "10.0.0.5:5000", []string{"198.51.100.9, 10.1.1.1"}, "198.51.100.9"},
		{"several headers", "10.0.0.5:5000", []string{"6.6.6.6", "198.51.100.9, 10.2.2.2"}, "198.51.100.9"},
		{"malformed chain", "10.0.0.5:5000", []string{"not-an-ip"}, "10.0.0.5"},
		{"only proxies", "10.0.0.5:5000", []string{"10.9.9.9"}, "10.0.0.5"},
		{"no header", "10.0.0.5:5000", nil, "10.0.0.5"},
		{"ipv6 loopback proxy", "[::1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, h := range c.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := s.clientIP(r); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
