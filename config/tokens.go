package config

import (
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// TokenIssuer is the iss claim: the issuer setting, else the first origin.
func (c *Config) TokenIssuer() string {
	if c.Tokens.Issuer != "" {
		return c.Tokens.Issuer
	}
	return c.PublicURL()
}

// TokenAudience is the aud claim: the tokenAudience setting, else the issuer.
func (c *Config) TokenAudience() []string {
	if len(c.Tokens.Audience) > 0 {
		return c.Tokens.Audience
	}
	return []string{c.TokenIssuer()}
}

func (c *Config) validateTokens(bad func(key, format string, args ...any)) {
	t := &c.Tokens
	if t.Issuer != "" {
		if u, err := url.Parse(t.Issuer); err != nil || u.Scheme != "https" && !(u.Scheme == "http" && loopbackName(u.Hostname())) || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("issuer", "%q must be an https URL without query or fragment (OpenID Connect Discovery §2), e.g. https://id.example.com", t.Issuer)
		}
	}
	if t.Lifetime < 10*time.Second || t.Lifetime > time.Hour {
		bad("tokenLifetime", "%v is outside 10s to 1h; access tokens are short-lived, 5m is usual", t.Lifetime)
	}
	if t.SigningAlgorithm != "ES256" && t.SigningAlgorithm != "EdDSA" {
		bad("signingAlgorithm", "%q is not ES256 or EdDSA", t.SigningAlgorithm)
	}
	if t.SigningKeyRotation < time.Second || t.SigningKeyRotation > 8760*time.Hour {
		bad("signingKeyRotation", "%v is outside 1s to 8760h; 24h is usual", t.SigningKeyRotation)
	}
	if t.LoginURL != "" {
		u, err := url.Parse(t.LoginURL)
		abs := err == nil && (u.Scheme == "https" || u.Scheme == "http" && loopbackName(u.Hostname())) && u.Host != "" && u.User == nil
		path := err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(t.LoginURL, "/") && !strings.HasPrefix(t.LoginURL, "//")
		if !abs && !path {
			bad("loginURL", "%q must be an https URL (http only on localhost) or a path on passkeyd such as /", t.LoginURL)
		}
	}
	if d := t.CookieDomain; d != "" {
		d = strings.TrimPrefix(strings.ToLower(d), ".")
		t.CookieDomain = d
		rp := c.RPID
		suffix, icann := publicsuffix.PublicSuffix(d)
		switch {
		case strings.ContainsAny(d, ":/ ") || d == "":
			bad("cookieDomain", "%q must be a domain name without scheme, port or path", t.CookieDomain)
		case rp != d && !strings.HasSuffix(rp, "."+d):
			bad("cookieDomain", "%q is neither the RP ID %q nor a parent domain of it; use %q or a parent of it", d, rp, rp)
		case suffix == d && d != "localhost" && (icann || strings.Contains(d, ".")):
			bad("cookieDomain", "%q is a public suffix: browsers refuse such cookies, and they would reach every site under it", d)
		}
	}
}
