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

// TestRateKey: the per-IP limit is keyed on the parsed address — IPv4 as is, IPv4-mapped
// IPv6 unmapped to IPv4, IPv6 by its /64 — never on the header's spelling.
func TestRateKey(t *testing.T) {
	s := &server{Deps: Deps{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	cases := []struct {
		name, peer, xff, want string
	}{
		{"ipv4 peer", "203.0.113.7:5000", "", "203.0.113.7"},
		{"ipv4-mapped peer is unmapped", "[::ffff:203.0.113.7]:5000", "", "203.0.113.7"},
		{"ipv6 peer is keyed by its /64", "[2001:db8:1:2:aaaa::1]:5000", "", "2001:db8:1:2::/64"},
		{"another address of the same /64 shares the key", "[2001:db8:1:2:ffff:ffff:ffff:ffff]:5000", "", "2001:db8:1:2::/64"},
		{"the next /64 does not", "[2001:db8:1:3::1]:5000", "", "2001:db8:1:3::/64"},
		{"zone dropped", "[fe80::1%eth0]:5000", "", "fe80::/64"},
		{"forwarded ipv4-mapped is unmapped", "10.0.0.5:5000", "::ffff:198.51.100.9", "198.51.100.9"},
		{"forwarded spellings of one address agree", "10.0.0.5:5000", "2001:DB8:0:0:1::7", "2001:db8::/64"},
		{"forwarded ipv6 by /64", "10.0.0.5:5000", "2001:db8::dead:beef", "2001:db8::/64"},
		{"mapped trusted proxy is trusted", "[::ffff:10.0.0.5]:5000", "198.51.100.9", "198.51.100.9"},
		{"not an ip peer", "@", "", "raw:@"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			if got := rateKey(s.clientAddr(r), r.RemoteAddr); got != c.want {
				t.Errorf("key %q, want %q", got, c.want)
			}
		})
	}
}
