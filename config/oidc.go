package config

import (
	"net/url"
	"slices"
	"strings"
)

// OIDCClient is one entry of oidcClients. Secret is a plain secret (hashed with SHA-256 when
// the file is loaded; at least 16 characters) or a bcrypt ($2b$…) or argon2id ($argon2id$…)
// hash; public clients have none and must use PKCE. The OpenID provider checks the rest
// (redirect URIs, scopes) when it starts, with errors that name the client.
type OIDCClient struct {
	ID                     string   `yaml:"id"`
	Secret                 string   `yaml:"secret"`
	RedirectURIs           []string `yaml:"redirectURIs"`
	PostLogoutRedirectURIs []string `yaml:"postLogoutRedirectURIs"`
	Public                 bool     `yaml:"public"`
	Scopes                 []string `yaml:"scopes"`
}

// OIDCEnabled says whether passkeyd is an OpenID provider.
func (c *Config) OIDCEnabled() bool { return len(c.OIDCClients) > 0 }

// The sign-in page returns a browser only to passkeyd's origins, and the provider's
// endpoints sit at the issuer's root: the issuer must be one of the origins.
func (c *Config) validateOIDC(bad func(key, format string, args ...any)) {
	if !c.OIDCEnabled() {
		return
	}
	iss := strings.TrimSuffix(c.TokenIssuer(), "/")
	u, err := url.Parse(iss)
	if err != nil || u.Path != "" {
		bad("issuer", "%q: as an OpenID issuer it must be an origin without a path, e.g. https://id.example.com", iss)
		return
	}
	if !slices.Contains(c.WebOrigins(), iss) {
		bad("issuer", "%q is not one of the origins %v: the OpenID issuer must be an origin of passkeyd (its sign-in page)", iss, c.WebOrigins())
	}
	for i, cl := range c.OIDCClients {
		if cl.ID == "" {
			bad("oidcClients", "entry %d has no id", i)
		}
	}
}
