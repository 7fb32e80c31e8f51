package oidc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passkeyd/passkeyd"
)

// ClientConfig is a client as the configuration file (oidcClients) or the operator API
// describes it. Secret is a plain secret or a bcrypt/argon2id/"sha256:" hash (see
// secret.go); it is omitted for public clients.
type ClientConfig struct {
	ID                     string   `json:"id"`
	Secret                 string   `json:"secret,omitempty"`
	RedirectURIs           []string `json:"redirectURIs"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectURIs,omitempty"`
	Public                 bool     `json:"public"`
	Scopes                 []string `json:"scopes,omitempty"`
}

// Scopes passkeyd can grant. "profile" releases preferred_username and name; passkeyd
// keeps no e-mail addresses, so it offers no "email" scope.
var supportedScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeOfflineAccess}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)

// Validate checks a client description and returns it as a client to store, its secret
// hashed. The errors name the field and the fix.
func (c ClientConfig) Validate(now time.Time) (*passkeyd.OIDCClient, error) {
	if !clientIDPattern.MatchString(c.ID) {
		return nil, fmt.Errorf("client id %q: 1 to 128 of A-Z a-z 0-9 . _ ~ -", c.ID)
	}
	out := &passkeyd.OIDCClient{ID: c.ID, Public: c.Public, CreatedAt: now.UTC()}
	switch {
	case c.Public && c.Secret != "":
		return nil, fmt.Errorf("client %s: a public client has no secret (remove \"secret\", or set \"public\": false)", c.ID)
	case !c.Public && c.Secret == "":
		return nil, fmt.Errorf("client %s: a confidential client needs a \"secret\" (or set \"public\": true and use PKCE)", c.ID)
	case !c.Public:
		h, err := secretHash(c.Secret)
		if err != nil {
			return nil, fmt.Errorf("client %s: secret: %w", c.ID, err)
		}
		out.SecretHash = h
	}
	if len(c.RedirectURIs) == 0 {
		return nil, fmt.Errorf("client %s: \"redirectURIs\" is empty: list the exact callback URLs of the app", c.ID)
	}
	for _, u := range c.RedirectURIs {
		if err := checkRedirect(u); err != nil {
			return nil, fmt.Errorf("client %s: redirect URI %q: %w", c.ID, u, err)
		}
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if err := checkRedirect(u); err != nil {
			return nil, fmt.Errorf("client %s: post-logout redirect URI %q: %w", c.ID, u, err)
		}
	}
	out.RedirectURIs = slices.Clone(c.RedirectURIs)
	out.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	out.Scopes = slices.Clone(c.Scopes)
	if len(out.Scopes) == 0 {
		out.Scopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile}
	}
	for _, s := range out.Scopes {
		if !slices.Contains(supportedScopes, s) {
			return nil, fmt.Errorf("client %s: scope %q is not one passkeyd grants (%s)", c.ID, s, strings.Join(supportedScopes, ", "))
		}
	}
	if !slices.Contains(out.Scopes, oidc.ScopeOpenID) {
		return nil, fmt.Errorf("client %s: \"scopes\" must include openid", c.ID)
	}
	return out, nil
}

// checkRedirect: an absolute https URL, or http on a loopback address (development and
// native apps, RFC 8252 §7.3), no fragment, no wildcard. Matching is exact, so the URL an
// app sends must be byte for byte one of these.
func checkRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" || u.User != nil {
		return errors.New("not an absolute URL")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("a redirect URI has no fragment (RFC 6749 §3.1.2)")
	}
	if strings.ContainsAny(raw, "* \t\r\n\\") {
		return errors.New("wildcards and white space are not allowed: list each URL exactly")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback(u.Hostname()) {
			return nil
		}
		return errors.New("plain http is only allowed on localhost, 127.0.0.1 or [::1]")
	}
	return errors.New("the scheme must be https (or http on loopback)")
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// client is an op.Client over a stored or configured client.
type client struct {
	c        *passkeyd.OIDCClient
	loginURL func(id string) string
	lifetime time.Duration
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }

// ApplicationType is web for every client: redirect URIs are then matched exactly (the
// native type would also accept a loopback URI on any port).
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	g := []oidc.GrantType{oidc.GrantTypeCode}
	if slices.Contains(c.c.Scopes, oidc.ScopeOfflineAccess) {
		g = append(g, oidc.GrantTypeRefreshToken)
	}
	return g
}
func (c *client) LoginURL(id string) string            { return c.loginURL(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration       { return c.lifetime }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) IsScopeAllowed(scope string) bool     { return slices.Contains(c.c.Scopes, scope) }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// DevMode only relaxes the library's refusal of http redirect URIs for public clients; the
// exact match comes first, and checkRedirect admits http on loopback only.
func (c *client) DevMode() bool { return true }

// Clients is the set of clients: those of the configuration file, fixed at start, and
// those operators add at run time, in the database so that every instance sees them.
type Clients struct {
	configured map[string]*passkeyd.OIDCClient
	order      []string
	store      ClientStore
	now        func() time.Time
}

// ClientStore is where runtime clients live (passkeyd.Store implements it).
type ClientStore interface {
	AddOIDCClient(ctx context.Context, c *passkeyd.OIDCClient) error
	OIDCClient(ctx context.Context, id string) (*passkeyd.OIDCClient, error)
	OIDCClients(ctx context.Context) ([]*passkeyd.OIDCClient, error)
	DeleteOIDCClient(ctx context.Context, id string) error
}

// NewClients validates the configured clients.
func NewClients(configured []ClientConfig, store ClientStore, now func() time.Time) (*Clients, error) {
	if now == nil {
		now = time.Now
	}
	cs := &Clients{configured: map[string]*passkeyd.OIDCClient{}, store: store, now: now}
	for i, cc := range configured {
		c, err := cc.Validate(now())
		if err != nil {
			return nil, fmt.Errorf("oidcClients[%d]: %w", i, err)
		}
		if _, dup := cs.configured[c.ID]; dup {
			return nil, fmt.Errorf("oidcClients[%d]: client id %q appears twice", i, c.ID)
		}
		cs.configured[c.ID] = c
		cs.order = append(cs.order, c.ID)
	}
	return cs, nil
}

// Get returns a client by id; ErrNotFound when there is none.
func (cs *Clients) Get(ctx context.Context, id string) (*passkeyd.OIDCClient, error) {
	if c, ok := cs.configured[id]; ok {
		return c, nil
	}
	if cs.store == nil || !clientIDPattern.MatchString(id) {
		return nil, passkeyd.ErrNotFound
	}
	return cs.store.OIDCClient(ctx, id)
}

// ClientInfo is a client as the operator API lists it (never its secret).
type ClientInfo struct {
	ID                     string    `json:"id"`
	RedirectURIs           []string  `json:"redirectURIs"`
	PostLogoutRedirectURIs []string  `json:"postLogoutRedirectURIs"`
	Public                 bool      `json:"public"`
	Scopes                 []string  `json:"scopes"`
	Source                 string    `json:"source"` // "config" or "runtime"
	CreatedAt              time.Time `json:"createdAt"`
}

func info(c *passkeyd.OIDCClient, source string) ClientInfo {
	return ClientInfo{ID: c.ID, RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: append([]string{}, c.PostLogoutRedirectURIs...),
		Public: c.Public, Scopes: c.Scopes, Source: source, CreatedAt: c.CreatedAt}
}

// List returns the configured clients, then the runtime ones.
func (cs *Clients) List(ctx context.Context) ([]ClientInfo, error) {
	out := []ClientInfo{}
	for _, id := range cs.order {
		out = append(out, info(cs.configured[id], "config"))
	}
	if cs.store == nil {
		return out, nil
	}
	rs, err := cs.store.OIDCClients(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range rs {
		out = append(out, info(c, "runtime"))
	}
	return out, nil
}

// Add stores a runtime client. A confidential client without a secret gets a generated
// one, returned once. The id of a configured client is taken.
func (cs *Clients) Add(ctx context.Context, cc ClientConfig) (ClientInfo, string, error) {
	generated := ""
	if !cc.Public && cc.Secret == "" {
		generated = NewSecret()
		cc.Secret = generated
	}
	c, err := cc.Validate(cs.now())
	if err != nil {
		return ClientInfo{}, "", passkeyd.Errorf(passkeyd.CodeInvalidRequest, "%s", err.Error())
	}
	if _, ok := cs.configured[c.ID]; ok {
		return ClientInfo{}, "", passkeyd.Errorf(passkeyd.CodeCredentialExists, "client %s is in the configuration file", c.ID)
	}
	if cs.store == nil {
		return ClientInfo{}, "", passkeyd.Errorf(passkeyd.CodeNotFound, "runtime clients need a database")
	}
	if err := cs.store.AddOIDCClient(ctx, c); err != nil {
		if errors.Is(err, passkeyd.ErrCredentialExists) {
			return ClientInfo{}, "", passkeyd.Errorf(passkeyd.CodeCredentialExists, "client %s exists", c.ID)
		}
		return ClientInfo{}, "", err
	}
	return info(c, "runtime"), generated, nil
}

// Remove deletes a runtime client and its grants. Configured clients are removed from the
// configuration file.
func (cs *Clients) Remove(ctx context.Context, id string) error {
	if _, ok := cs.configured[id]; ok {
		return passkeyd.Errorf(passkeyd.CodeInvalidRequest, "client %s is in the configuration file: remove it there", id)
	}
	if cs.store == nil || !clientIDPattern.MatchString(id) {
		return passkeyd.ErrNotFound
	}
	return cs.store.DeleteOIDCClient(ctx, id)
}
