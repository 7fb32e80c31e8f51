package httpapi

import (
	"net/url"
	"strings"
)

// returnTarget is the allowlist of URLs that passkeyd sends a browser to after sign-in: an
// unchecked one would make passkeyd an open redirect that lends its name to phishing.
type returnTarget struct {
	origins      map[string]bool // scheme://host[:port] of the configured origins
	cookieDomain string          // hosts at or under it are allowed (https only)
	allowHTTP    bool            // plain http on loopback deployments (development)
}

// allowed returns the normalised URL when raw is an absolute http(s) URL on a configured
// origin or a host under the cookie domain, and "" otherwise. Relative and
// scheme-relative URLs, userinfo, backslashes (which browsers read as slashes), control
// characters and encoded hosts are all refused rather than interpreted.
func (rt *returnTarget) allowed(raw string) string {
	if raw == "" || len(raw) > 4096 || strings.ContainsAny(raw, "\\\x00\t\r\n ") {
		return ""
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" || strings.Contains(u.Host, "%") {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && !(scheme == "http" && rt.allowHTTP) {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	hostport := host
	if strings.Contains(host, ":") {
		hostport = "[" + host + "]"
	}
	if port != "" {
		hostport += ":" + port
	}
	ok := rt.origins[scheme+"://"+hostport]
	// Hosts under the cookie domain are allowed over https — and over plain http only in a
	// loopback development deployment, on *.localhost names (which resolve to this machine).
	if !ok && rt.cookieDomain != "" && (scheme == "https" || rt.allowHTTP && strings.HasSuffix(host, ".localhost")) {
		ok = host == rt.cookieDomain || strings.HasSuffix(host, "."+rt.cookieDomain)
	}
	if !ok {
		return ""
	}
	u.Scheme, u.Host = scheme, hostport
	return u.String()
}
