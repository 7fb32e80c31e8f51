package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/config"
	"github.com/passkeyd/passkeyd/httpapi"
	"github.com/passkeyd/passkeyd/oidc"
	"github.com/passkeyd/passkeyd/ratelimit"
	"github.com/passkeyd/passkeyd/redis"
	"github.com/passkeyd/passkeyd/token"
)

// openIDProvider is the OpenID provider when oidcClients are configured, else nil.
type openIDProvider struct{ p *oidc.Provider }

// newOIDC builds the OpenID provider over the server's accounts, keys and stores: grants
// and runtime clients in the database, authorization requests and codes beside the
// challenges (Redis when configured), so every instance serves every step.
func newOIDC(cfg *config.Config, d *deps, tokens *token.Issuer, log *slog.Logger) (*openIDProvider, error) {
	if !cfg.OIDCEnabled() {
		return nil, nil
	}
	// zitadel/oidc logs (request errors, at WARN) through slog's default logger only, so
	// the default becomes the server's: its lines stay in the configured format (JSON
	// logs stay JSON) and level.
	slog.SetDefault(log)
	var cc []oidc.ClientConfig
	for _, c := range cfg.OIDCClients {
		cc = append(cc, oidc.ClientConfig{ID: c.ID, Secret: c.Secret, RedirectURIs: c.RedirectURIs,
			PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, Public: c.Public, Scopes: c.Scopes})
	}
	clients, err := oidc.NewClients(cc, d.useStore, nil)
	if err != nil {
		return nil, fmt.Errorf("oidcClients: %w", err)
	}
	// Failed client authentications count per client id on every instance when Redis is
	// there (falling back to this instance's counts while it cannot answer).
	var lockout account.LockoutStore
	if rc, ok := d.challenges.(*redis.Challenges); ok {
		local := oidc.NewClientLockout(nil)
		b := &ratelimit.Breaker{Name: "oidc-client-lockout", Log: log}
		if d.limits != nil {
			d.limits[b.Name] = b
		}
		lockout = &account.LockoutFallback{Breaker: b, Local: local,
			Shared: rc.NewLockouts().WithPrefix("passkeyd:oidc-client-lockout:").WithPolicy(local.MaxFailures, local.Window, local.FirstPause, local.MaxPause)}
	}
	p, err := oidc.New(oidc.Config{
		Issuer: cfg.TokenIssuer(), Accounts: d.accounts, Tokens: tokens, Clients: clients,
		Grants: d.useStore, Tickets: d.challenges, ClientLockout: lockout, Insecure: !cfg.SecureCookies(), Logger: log,
	})
	if err != nil {
		return nil, err
	}
	return &openIDProvider{p}, nil
}

func (o *openIDProvider) handler() http.Handler {
	if o == nil {
		return nil
	}
	return o.p.Handler()
}

func (o *openIDProvider) clients() httpapi.OIDCClients {
	if o == nil {
		return nil
	}
	return o.p.Clients()
}
