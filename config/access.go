package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// Database returns the driver ("sqlite" or "postgres") and, for SQLite, the file path or,
// for PostgreSQL, the connection URL.
func (c *Config) Database() (driver, dsn string, err error) {
	raw := c.DatabaseURL
	switch {
	case strings.HasPrefix(raw, "sqlite://"):
		path := strings.TrimPrefix(raw, "sqlite://")
		if path == "" {
			return "", "", fmt.Errorf("%q names no file; use sqlite://./passkeyd.db or sqlite:///var/lib/passkeyd/passkeyd.db", raw)
		}
		return "sqlite", path, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return "", "", fmt.Errorf("%q is not a URL: %v", raw, err)
		}
		return "postgres", raw, nil
	}
	return "", "", fmt.Errorf("%q: use sqlite://path/file.db or postgres://user@host/db", raw)
}

// WebOrigins returns the scheme://host[:port] origins.
func (c *Config) WebOrigins() []string {
	var out []string
	for _, o := range c.Origins {
		if strings.Contains(o, "://") {
			out = append(out, o)
		}
	}
	return out
}

// OpaqueOrigins returns the native-app origins (android:apk-key-hash:…, ios:bundle-id:…):
// those listed among the origins and those derived from the configured Android apps.
func (c *Config) OpaqueOrigins() []string {
	var out []string
	for _, o := range c.Origins {
		if !strings.Contains(o, "://") {
			out = append(out, o)
		}
	}
	for _, a := range c.AndroidApps() {
		if o := a.Origin(); !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// SecureCookies is false only when every web origin is plain http on a loopback name: the
// session cookie is then sent without the Secure attribute, so local development works.
func (c *Config) SecureCookies() bool {
	for _, o := range c.WebOrigins() {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || !loopbackName(u.Hostname()) {
			return true
		}
	}
	return false
}

// PublicURL is the first web origin: the URL to open.
func (c *Config) PublicURL() string {
	if o := c.WebOrigins(); len(o) > 0 {
		return o[0]
	}
	return ""
}

// AlgorithmIDs returns the COSE ids of the allowed algorithms, in preference order.
func (p Policy) AlgorithmIDs() []int64 {
	out := make([]int64, 0, len(p.Algorithms))
	for _, a := range p.Algorithms {
		if id, ok := algorithms[a]; ok {
			out = append(out, id)
		}
	}
	return out
}

// For returns the authenticator selection for a requested attachment: the platform or
// cross-platform profile, or the top-level policy when none was asked for.
func (p Policy) For(attachment string) Profile {
	switch attachment {
	case "platform":
		return p.Profiles.Platform
	case "cross-platform":
		return p.Profiles.CrossPlatform
	}
	return Profile{ResidentKey: p.ResidentKey, UserVerification: p.UserVerification}
}

// TrustedProxyPrefixes parses TrustedProxies; a bare address is a single-host range.
func (c *Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for _, v := range c.TrustedProxies {
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR range", v)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
