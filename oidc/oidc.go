// Package oidc makes passkeyd an OpenID Provider (OpenID Connect Core 1.0, Discovery 1.0):
// every app that speaks OpenID Connect signs its users in with passkeys. The protocol is
// zitadel/oidc's op package (the authorization, token, userinfo, introspection, revocation
// and end-session endpoints, PKCE, client authentication); this package supplies what the
// library leaves to its user: the clients, the sign-in (passkeyd's own page and sessions,
// through account/), the keys (token/, so ID and access tokens verify against
// /.well-known/jwks.json and rotate with every other token) and the state of each flow.
//
// Where the state lives, so that any instance serves any step:
//   - authorization requests (while the user signs in) and authorization codes are short-
//     lived and single-use: a TicketStore, in Redis when it is configured, beside the
//     WebAuthn challenges;
//   - grants (the family of tokens issued from one code) and refresh tokens must outlive
//     restarts: the database.
package oidc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/token"
)

// Paths of the provider's endpoints, below the issuer.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathPrefix     = "/oidc/"
	pathAuthorize  = "/oidc/authorize"
	pathToken      = "/oidc/token"
	pathUserinfo   = "/oidc/userinfo"
	pathIntrospect = "/oidc/introspect"
	pathRevoke     = "/oidc/revoke"
	pathEndSession = "/oidc/end_session"
	pathLogin      = "/oidc/login"
	pathJWKS       = "/.well-known/jwks.json" // served by the HTTP API from token/
)

// GrantStore keeps grants and refresh tokens (passkeyd.Store implements it).
type GrantStore interface {
	CreateOIDCGrant(ctx context.Context, g *passkeyd.OIDCGrant, refreshHash []byte) error
	OIDCGrant(ctx context.Context, id string, now time.Time) (*passkeyd.OIDCGrant, error)
	OIDCRefresh(ctx context.Context, hash []byte, now time.Time) (*passkeyd.OIDCGrant, error)
	RotateOIDCRefresh(ctx context.Context, oldHash, newHash []byte, now time.Time) (*passkeyd.OIDCGrant, error)
	RevokeOIDCGrant(ctx context.Context, id string, now time.Time) error
}

// Config is what the provider needs.
type Config struct {
	// Issuer is the iss of every token and the base of every endpoint; it must be one of
	// passkeyd's origins (the sign-in page returns only to those).
	Issuer   string
	Accounts *account.Service
	Tokens   *token.Issuer
	Clients  *Clients
	Grants   GrantStore
	Tickets  passkeyd.TicketStore
	// ClientLockout counts failed client authentications per client id (see
	// limitClientAuth): redis.Lockouts to share the counts between instances; nil means
	// NewClientLockout, in process.
	ClientLockout account.LockoutStore
	// SignInPage is the page that signs a browser in and then returns to the rd URL it is
	// given (passkeyd's reference page: "/" on the issuer).
	SignInPage string
	// CodeLifetime bounds an authorization code (1 minute when zero); RequestLifetime the
	// sign-in between the authorization request and the code (15 minutes); RefreshLifetime
	// a grant's refresh tokens (30 days). Access and ID tokens live as long as the token
	// issuer's access tokens, because the JWK Set keeps a key only that long after it
	// stops signing.
	CodeLifetime, RequestLifetime, RefreshLifetime time.Duration
	// Insecure allows an http issuer (loopback development setups).
	Insecure bool
	Logger   *slog.Logger
	Now      func() time.Time
}

// Provider is the OpenID provider.
type Provider struct {
	cfg     Config
	op      *op.Provider
	handler http.Handler
	secrets *verifier
}

// New returns a Provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Accounts == nil || cfg.Tokens == nil || cfg.Clients == nil || cfg.Grants == nil || cfg.Tickets == nil {
		return nil, errors.New("oidc: accounts, tokens, clients, grants and tickets are all needed")
	}
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("oidc: issuer %q must be an origin (scheme://host[:port]) without a path", cfg.Issuer)
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if cfg.SignInPage == "" {
		cfg.SignInPage = cfg.Issuer + "/"
	}
	if cfg.CodeLifetime <= 0 {
		cfg.CodeLifetime = time.Minute
	}
	if cfg.RequestLifetime <= 0 {
		cfg.RequestLifetime = 15 * time.Minute
	}
	if cfg.RefreshLifetime <= 0 {
		cfg.RefreshLifetime = 30 * 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientLockout == nil {
		cfg.ClientLockout = NewClientLockout(cfg.Now)
	}
	p := &Provider{cfg: cfg, secrets: newVerifier(cfg.Now)}
	// The library's own bearer-token encryption key is unused (every access token is a
	// JWT signed by token/), but it must be set: a random one per process.
	var key [32]byte
	_, _ = rand.Read(key[:])
	opCfg := &op.Config{
		CryptoKey:                key,
		DefaultLogoutRedirectURI: cfg.Issuer + "/",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedScopes:          supportedScopes,
		SupportedClaims:          []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "sid", "at_hash", "c_hash", "azp", "preferred_username", "name"},
	}
	opts := []op.Option{
		op.WithCustomEndpoints(op.NewEndpoint(pathAuthorize), op.NewEndpoint(pathToken), op.NewEndpoint(pathUserinfo),
			op.NewEndpoint(pathRevoke), op.NewEndpoint(pathEndSession), op.NewEndpoint(pathJWKS)),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint(pathIntrospect)),
		op.WithCustomDeviceAuthorizationEndpoint(op.NewEndpoint("/oidc/device_authorization")),
		op.WithHttpInterceptors(p.withCookie),
		op.WithLogger(cfg.Logger),
	}
	if cfg.Insecure {
		opts = append(opts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(opCfg, &storage{p: p}, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+PathDiscovery, http.HandlerFunc(p.handleDiscovery))
	mux.Handle("GET "+pathLogin, http.HandlerFunc(p.handleLogin))
	for _, path := range []string{pathAuthorize, pathAuthorize + "/callback", pathUserinfo, pathEndSession} {
		mux.Handle(path, p.op)
	}
	for _, path := range []string{pathToken, pathIntrospect, pathRevoke} {
		mux.Handle(path, p.limitClientAuth(p.op))
	}
	mux.Handle(PathPrefix, http.NotFoundHandler())
	p.handler = limitBody(mux)
	return p, nil
}

// handleDiscovery is the library's discovery document with what passkeyd adds: the only
// response mode it answers in, and the acr values it sets and honours.
func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	d := op.CreateDiscoveryConfig(op.ContextWithIssuer(r.Context(), p.cfg.Issuer), p.op, &storage{p: p})
	d.ResponseModesSupported = []string{string(oidc.ResponseModeQuery)}
	d.ACRValuesSupported = []string{acrPasskey, acrFallback}
	op.Discover(w, d)
}

// Handler serves the discovery document and the /oidc/ endpoints; the HTTP API mounts it.
func (p *Provider) Handler() http.Handler { return p.handler }

// Clients returns the client set (for the operator API).
func (p *Provider) Clients() *Clients { return p.cfg.Clients }

// limitBody caps request bodies: token, revocation and introspection requests are a few
// form fields.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// sessionCookie is the contract's session cookie, set by the sign-in page's API calls.
const sessionCookie = "passkeyd_session"

type cookieKey struct{}

// withCookie carries the browser's passkeyd session cookie to the storage calls that need
// it (the end-session endpoint signs that session out).
func (p *Provider) withCookie(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			r = r.WithContext(context.WithValue(r.Context(), cookieKey{}, c.Value))
		}
		next.ServeHTTP(w, r)
	})
}

// session is the browser's live passkeyd session, or nil.
func (p *Provider) session(ctx context.Context, cookie string) (*passkeyd.Session, *passkeyd.User, error) {
	if cookie == "" {
		return nil, nil, nil
	}
	s, u, err := p.cfg.Accounts.Authenticate(ctx, cookie)
	if errors.Is(err, passkeyd.ErrUnauthenticated) {
		return nil, nil, nil
	}
	return s, u, err
}
