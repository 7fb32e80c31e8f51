package oidc

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passkeyd/passkeyd"
)

// storage is the op.Storage of the provider: the library calls it for everything it keeps
// or looks up.
type storage struct{ p *Provider }

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

// Health implements op.Storage.
func (s *storage) Health(context.Context) error { return nil }

// GetClientByClientID implements op.Storage.
func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.p.cfg.Clients.Get(ctx, id)
	if err != nil {
		if errors.Is(err, passkeyd.ErrNotFound) {
			return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
		}
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return &client{c: c, lifetime: s.p.cfg.Tokens.Lifetime(), loginURL: s.p.loginURL}, nil
}

// AuthorizeClientIDSecret implements op.Storage: client_secret_basic and client_secret_post.
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := s.p.cfg.Clients.Get(ctx, id)
	if err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
		return oidc.ErrServerError().WithParent(err)
	}
	// An unknown client costs a check like a known one, so timing tells nothing.
	stored := HashSecret(randomID(16))
	if c != nil && !c.Public {
		stored = c.SecretHash
	}
	good := s.p.secrets.check(ctx, stored, secret) && c != nil && !c.Public
	if o, _ := ctx.Value(clientAuthKey{}).(*clientAuth); o != nil {
		o.checked, o.ok = true, good
	}
	if !good {
		return errors.New("invalid client credentials")
	}
	return nil
}

// SigningKey implements op.Storage: the token package's current key, so ID and access
// tokens are signed like every other passkeyd token and verify against its JWK Set.
func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, err := s.p.cfg.Tokens.CurrentKey(ctx)
	if err != nil {
		return nil, err
	}
	return signingKey{k.ID, jose.SignatureAlgorithm(k.Algorithm), k.Private}, nil
}

type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// SignatureAlgorithms implements op.Storage.
func (s *storage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	keys, err := s.p.cfg.Tokens.PublicKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []jose.SignatureAlgorithm
	for _, k := range keys {
		if a := jose.SignatureAlgorithm(k.Algorithm); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// KeySet implements op.Storage: the published keys, for verifying an id_token_hint and the
// access tokens presented at userinfo, introspection and revocation.
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, err := s.p.cfg.Tokens.PublicKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, 0, len(keys))
	for _, k := range keys {
		out = append(out, publicKey{signingKey{k.ID, jose.SignatureAlgorithm(k.Algorithm), k.Key}})
	}
	return out, nil
}

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k publicKey) Use() string                        { return "sig" }

// Access token ids (the jti) name their grant: "<grant id>.<random>".
func accessTokenID(grantID string) string { return grantID + "." + randomID(12) }
func grantOf(tokenID string) string {
	g, _, _ := strings.Cut(tokenID, ".")
	return g
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// CreateAccessToken implements op.Storage: a code exchange without offline_access. The
// grant is still stored, for userinfo and introspection to check, and for a replayed code
// to revoke.
func (s *storage) CreateAccessToken(ctx context.Context, r op.TokenRequest) (string, time.Time, error) {
	a, ok := r.(*authRequest)
	if !ok {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	if err := s.p.createGrant(ctx, a, nil); err != nil {
		return "", time.Time{}, err
	}
	return accessTokenID(a.GrantID), s.p.accessExpiry(), nil
}

// CreateAccessAndRefreshTokens implements op.Storage: a code exchange with offline_access
// (a new grant and its first refresh token), or a refresh (the token rotates: the one
// presented stops working, and presenting it again revokes the grant).
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	p := s.p
	refresh := "pkr_" + randomID(32)
	switch r := r.(type) {
	case *authRequest:
		if err := p.createGrant(ctx, r, hashToken(refresh)); err != nil {
			return "", "", time.Time{}, err
		}
		return accessTokenID(r.GrantID), refresh, p.accessExpiry(), nil
	case *refreshRequest:
		g, err := p.cfg.Grants.RotateOIDCRefresh(ctx, hashToken(current), hashToken(refresh), p.cfg.Now())
		if err != nil {
			return "", "", time.Time{}, refreshError(err)
		}
		if _, err := p.cfg.Accounts.User(ctx, g.UserID); err != nil {
			return "", "", time.Time{}, refreshError(err)
		}
		return accessTokenID(g.ID), refresh, p.accessExpiry(), nil
	}
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
}

func refreshError(err error) error {
	switch {
	case errors.Is(err, passkeyd.ErrTokenReused):
		return oidc.ErrInvalidGrant().WithDescription("the refresh token was already used: every token of its grant is revoked")
	case errors.Is(err, passkeyd.ErrNotFound):
		return oidc.ErrInvalidGrant().WithDescription("the refresh token is unknown, revoked or expired")
	}
	return err
}

func (p *Provider) accessExpiry() time.Time { return p.cfg.Now().Add(p.cfg.Tokens.Lifetime()) }

// createGrant stores the grant of a code's tokens, unless the code was replayed meanwhile.
func (p *Provider) createGrant(ctx context.Context, a *authRequest, refreshHash []byte) error {
	now := p.cfg.Now().UTC()
	g := &passkeyd.OIDCGrant{ID: a.GrantID, ClientID: a.ClientID, UserID: a.UserID, SessionID: a.SessionID, Scopes: a.Scopes,
		AMR: a.AMR, ACR: a.ACR, AuthTime: a.AuthTime, CreatedAt: now, ExpiresAt: now.Add(p.cfg.RefreshLifetime)}
	if refreshHash == nil {
		g.ExpiresAt = now.Add(p.cfg.Tokens.Lifetime())
	}
	if err := p.cfg.Grants.CreateOIDCGrant(ctx, g, refreshHash); err != nil {
		if errors.Is(err, passkeyd.ErrNotFound) { // the account was deleted meanwhile
			return oidc.ErrInvalidGrant().WithDescription("the account no longer exists")
		}
		return err
	}
	if _, err := p.cfg.Tickets.Ticket(ctx, revokedKey(g.ID), now); err == nil {
		_ = p.cfg.Grants.RevokeOIDCGrant(ctx, g.ID, now)
		return oidc.ErrInvalidGrant().WithDescription("the code was already used")
	}
	return nil
}

// refreshRequest is a refresh token's grant as the library sees it.
type refreshRequest struct {
	g      *passkeyd.OIDCGrant
	scopes []string
}

func (r *refreshRequest) GetAMR() []string            { return r.g.AMR }
func (r *refreshRequest) GetAudience() []string       { return []string{r.g.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.g.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.g.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.g.UserID }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// TokenRequestByRefreshToken implements op.Storage.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	if !strings.HasPrefix(token, "pkr_") || len(token) > 128 {
		return nil, oidc.ErrInvalidGrant()
	}
	g, err := s.p.cfg.Grants.OIDCRefresh(ctx, hashToken(token), s.p.cfg.Now())
	if err != nil {
		return nil, refreshError(err)
	}
	return &refreshRequest{g: g, scopes: g.Scopes}, nil
}

// GetRefreshTokenInfo implements op.Storage (for revocation).
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	if !strings.HasPrefix(token, "pkr_") || len(token) > 128 {
		return "", "", op.ErrInvalidRefreshToken
	}
	g, err := s.p.cfg.Grants.OIDCRefresh(ctx, hashToken(token), s.p.cfg.Now())
	if err != nil || g.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return g.UserID, g.ID, nil
}

// RevokeToken implements op.Storage. Revoking any token of a grant (its refresh token or
// one of its access tokens) revokes the grant: access tokens are JWTs a resource server
// may verify offline, so they end at their short expiry, and at once for every server
// that introspects or calls userinfo.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	id := grantOf(tokenOrID)
	g, err := s.p.cfg.Grants.OIDCGrant(ctx, id, s.p.cfg.Now())
	if err != nil {
		return nil // RFC 7009 §2.2: an unknown or already invalid token is no error
	}
	if g.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("the token was issued to another client")
	}
	if err := s.p.cfg.Grants.RevokeOIDCGrant(ctx, id, s.p.cfg.Now()); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// liveGrant returns the live grant of an access token.
func (p *Provider) liveGrant(ctx context.Context, tokenID, subject string) (*passkeyd.OIDCGrant, *passkeyd.User, error) {
	g, err := p.cfg.Grants.OIDCGrant(ctx, grantOf(tokenID), p.cfg.Now())
	if err != nil {
		return nil, nil, errors.New("the token is revoked or expired")
	}
	if g.UserID != subject {
		return nil, nil, errors.New("token and grant disagree")
	}
	u, err := p.cfg.Accounts.User(ctx, g.UserID)
	if err != nil {
		return nil, nil, errors.New("the account no longer exists")
	}
	return g, u, nil
}

// setProfile fills the claims the scopes release.
func setProfile(info *oidc.UserInfo, u *passkeyd.User, scopes []string) {
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.PreferredUsername = u.Username
		info.Name = u.DisplayName
		if info.Name == "" {
			info.Name = u.Username
		}
	}
}

// SetUserinfoFromScopes implements op.Storage (deprecated by the library; see
// SetUserinfoFromRequest).
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest implements op.CanSetUserinfoFromRequest: the ID token's claims.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	u, err := s.p.cfg.Accounts.User(ctx, r.GetSubject())
	if err != nil {
		return oidc.ErrInvalidGrant().WithDescription("the account no longer exists")
	}
	setProfile(info, u, scopes)
	if sid := sessionOf(r); sid != "" {
		info.AppendClaims("sid", sid)
	}
	return nil
}

func sessionOf(r any) string {
	switch r := r.(type) {
	case *authRequest:
		return r.SessionID
	case *refreshRequest:
		return r.g.SessionID
	}
	return ""
}

// SetUserinfoFromToken implements op.Storage: the userinfo endpoint, for a live grant only.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	g, u, err := s.p.liveGrant(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	setProfile(info, u, g.Scopes)
	return nil
}

// SetIntrospectionFromToken implements op.Storage: active only while the grant is live.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, r *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	g, u, err := s.p.liveGrant(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	info := &oidc.UserInfo{}
	setProfile(info, u, g.Scopes)
	r.SetUserInfo(info)
	r.Scope = g.Scopes
	r.ClientID = g.ClientID
	r.Username = u.Username
	r.Active = true
	r.Claims = map[string]any{"sid": g.SessionID, "amr": g.AMR}
	return nil
}

// GetPrivateClaimsFromScopes implements op.Storage (see GetPrivateClaimsFromRequest).
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest implements op.CanGetPrivateClaimsFromRequest: access tokens
// carry the session, how it signed in and the scopes, like passkeyd's own access tokens.
func (s *storage) GetPrivateClaimsFromRequest(ctx context.Context, r op.TokenRequest, _ []string) (map[string]any, error) {
	claims := map[string]any{"scope": strings.Join(r.GetScopes(), " ")}
	if sid := sessionOf(r); sid != "" {
		claims["sid"] = sid
	}
	if ir, ok := r.(op.IDTokenRequest); ok {
		claims["amr"] = ir.GetAMR()
		claims["auth_time"] = ir.GetAuthTime().Unix()
	}
	return claims, nil
}

// GetKeyByIDAndClientID implements op.Storage: no client authenticates with a JWT.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("private_key_jwt is not supported")
}

// ValidateJWTProfileScopes implements op.Storage: the JWT profile grant is not offered.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

// TerminateSession implements op.Storage (TerminateSessionFromRequest is the one called).
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// TerminateSessionFromRequest implements op.CanTerminateSessionFromRequest: RP-initiated
// logout signs out the browser's passkeyd session when the id_token_hint names its user
// (without a hint a cross-site link could sign anyone out), then sends the browser to the
// client's registered post-logout URI (or passkeyd's page).
func (s *storage) TerminateSessionFromRequest(ctx context.Context, r *op.EndSessionRequest) (string, error) {
	p := s.p
	cookie, _ := ctx.Value(cookieKey{}).(string)
	sess, _, err := p.session(ctx, cookie)
	if err != nil {
		return "", err
	}
	if sess != nil && r.IDTokenHintClaims != nil && r.IDTokenHintClaims.Subject == sess.UserID {
		if err := p.cfg.Accounts.SignOut(ctx, sess); err != nil {
			return "", err
		}
	}
	return r.RedirectURI, nil
}
