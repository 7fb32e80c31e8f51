package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passkeyd/passkeyd"
)

// authRequest is an authorization request from the moment the client sends the browser to
// /oidc/authorize until its code is exchanged. It is kept as JSON in the TicketStore.
type authRequest struct {
	ID                  string    `json:"id"`
	ClientID            string    `json:"clientId"`
	RedirectURI         string    `json:"redirectUri"`
	State               string    `json:"state,omitempty"`
	Nonce               string    `json:"nonce,omitempty"`
	Scopes              []string  `json:"scopes"`
	ResponseType        string    `json:"responseType"`
	ResponseMode        string    `json:"responseMode,omitempty"`
	CodeChallenge       string    `json:"codeChallenge,omitempty"`
	CodeChallengeMethod string    `json:"codeChallengeMethod,omitempty"`
	Prompt              []string  `json:"prompt,omitempty"`
	MaxAge              *uint     `json:"maxAge,omitempty"`
	ACRValues           []string  `json:"acrValues,omitempty"`
	CreatedAt           time.Time `json:"createdAt"`

	// Set when the user has signed in (see handleLogin).
	UserID    string    `json:"userId,omitempty"`
	SessionID string    `json:"sessionId,omitempty"`
	AuthTime  time.Time `json:"authTime"`
	AMR       []string  `json:"amr,omitempty"`
	ACR       string    `json:"acr,omitempty"`
	// GrantID names the grant the code's tokens will belong to, chosen with the code so a
	// second use of the code can revoke it.
	GrantID string `json:"grantId,omitempty"`
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string          { return a.ID }
func (a *authRequest) GetACR() string         { return a.ACR }
func (a *authRequest) GetAMR() []string       { return a.AMR }
func (a *authRequest) GetAudience() []string  { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *authRequest) GetClientID() string    { return a.ClientID }
func (a *authRequest) GetNonce() string       { return a.Nonce }
func (a *authRequest) GetRedirectURI() string { return a.RedirectURI }
func (a *authRequest) GetScopes() []string    { return a.Scopes }
func (a *authRequest) GetState() string       { return a.State }
func (a *authRequest) GetSubject() string     { return a.UserID }
func (a *authRequest) Done() bool             { return a.UserID != "" }
func (a *authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(a.ResponseType)
}
func (a *authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.ResponseMode)
}
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.CodeChallengeMethod)}
}

// promptLogin says whether the client asked for a fresh sign-in.
func (a *authRequest) promptLogin() bool { return slices.Contains(a.Prompt, oidc.PromptLogin) }
func (a *authRequest) promptNone() bool  { return slices.Contains(a.Prompt, oidc.PromptNone) }

// needsPasskey: acr_values asks for phr and for no class a fallback sign-in satisfies.
// acr_values is a voluntary request (Core §3.1.2.1): values passkeyd does not know are
// ignored, and a list that allows the fallback class allows any sign-in.
func (a *authRequest) needsPasskey() bool {
	return slices.Contains(a.ACRValues, acrPasskey) && !slices.Contains(a.ACRValues, acrFallback)
}

// Ticket keys. Codes are keyed by their SHA-256, so a read of Redis yields none.
func requestKey(id string) string { return "oidc:request:" + id }
func codeKey(code string) string  { return "oidc:code:" + digest(code) }
func usedKey(code string) string  { return "oidc:used-code:" + digest(code) }
func nonceKey(client, nonce string) string {
	return "oidc:nonce:" + digest(client+"\x00"+nonce)
}
func revokedKey(grantID string) string { return "oidc:revoked-grant:" + grantID }

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p *Provider) putRequest(ctx context.Context, a *authRequest) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return p.cfg.Tickets.PutTicket(ctx, requestKey(a.ID), body, a.CreatedAt.Add(p.cfg.RequestLifetime))
}

func decodeRequest(body []byte, err error) (*authRequest, error) {
	if err != nil {
		return nil, err
	}
	a := &authRequest{}
	if err := json.Unmarshal(body, a); err != nil {
		return nil, fmt.Errorf("oidc: corrupt authorization request: %w", err)
	}
	return a, nil
}

func (p *Provider) request(ctx context.Context, id string) (*authRequest, error) {
	if id == "" || len(id) > 64 {
		return nil, passkeyd.ErrNotFound
	}
	return decodeRequest(p.cfg.Tickets.Ticket(ctx, requestKey(id), p.cfg.Now()))
}

// notFound is the library's "no such thing" (answered as invalid_request / invalid_grant,
// never as a server error).
func notFound(err error, what string) error {
	if errors.Is(err, passkeyd.ErrNotFound) {
		return oidc.ErrInvalidRequest().WithDescription("%s is unknown, used or expired", what)
	}
	return err
}

// CreateAuthRequest implements op.Storage. Beyond the library's checks (client, redirect
// URI, response type, scopes): PKCE with S256 is required of public clients and, when
// given, must be S256 for everyone (plain PKCE protects nothing against a code thief who
// saw the request), and a nonce may not be replayed within a request's lifetime.
func (s *storage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	p := s.p
	c, err := p.cfg.Clients.Get(ctx, r.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	if r.CodeChallenge == "" && c.Public {
		return nil, oidc.ErrInvalidRequest().WithDescription("a public client must use PKCE (code_challenge with code_challenge_method=S256)")
	}
	if r.CodeChallenge != "" && r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if r.ResponseType != oidc.ResponseTypeCode {
		return nil, oidc.ErrInvalidRequest().WithDescription("only the authorization code flow (response_type=code) is supported")
	}
	// form_post would need an auto-submitting page (an inline script, which the page's
	// CSP forbids, or a button the user must press); the code flow needs no more than
	// query. The error goes to the client in the query, like every other.
	if r.ResponseMode != "" && r.ResponseMode != oidc.ResponseModeQuery {
		return nil, oidc.ErrInvalidRequest().WithDescription("response_mode %q is not supported: passkeyd answers in the query (response_mode=query, the default of the code flow)", r.ResponseMode)
	}
	now := p.cfg.Now().UTC()
	if r.Nonce != "" {
		if len(r.Nonce) > 512 {
			return nil, oidc.ErrInvalidRequest().WithDescription("nonce is too long")
		}
		// One atomic put-if-absent: of two simultaneous requests with one nonce, one passes.
		added, err := p.cfg.Tickets.AddTicket(ctx, nonceKey(r.ClientID, r.Nonce), []byte{1}, now, now.Add(p.cfg.RequestLifetime+p.cfg.Tokens.Lifetime()))
		if err != nil {
			return nil, err
		}
		if !added {
			return nil, oidc.ErrInvalidRequest().WithDescription("this nonce was already used: send a fresh one with every request")
		}
	}
	a := &authRequest{
		ID: randomID(24), ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce,
		Scopes: r.Scopes, ResponseType: string(r.ResponseType), ResponseMode: string(r.ResponseMode),
		CodeChallenge: r.CodeChallenge, CodeChallengeMethod: string(r.CodeChallengeMethod),
		Prompt: r.Prompt, MaxAge: r.MaxAge, ACRValues: r.ACRValues, CreatedAt: now,
	}
	if err := p.putRequest(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// AuthRequestByID implements op.Storage.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	a, err := s.p.request(ctx, id)
	if err != nil {
		return nil, notFound(err, "the authorization request")
	}
	return a, nil
}

// SaveAuthCode implements op.Storage. The request is taken (not read) so that one sign-in
// yields one code: replaying the callback URL mints nothing.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	p := s.p
	now := p.cfg.Now()
	a, err := decodeRequest(p.cfg.Tickets.TakeTicket(ctx, requestKey(id), now))
	if err != nil {
		return notFound(err, "the authorization request")
	}
	if !a.Done() {
		return oidc.ErrInteractionRequired()
	}
	a.GrantID = randomID(24)
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return p.cfg.Tickets.PutTicket(ctx, codeKey(code), body, now.Add(p.cfg.CodeLifetime))
}

// AuthRequestByCode implements op.Storage. Whoever first records the code's use (one
// atomic put-if-absent, on any instance) redeems it; the code's ticket is then removed.
// Every other presentation, simultaneous or later, finds the record: the code is stolen
// or replayed, and the tokens issued for it are revoked (RFC 6749 §4.1.2). Taking the code
// first and recording its use after would leave a window in which a concurrent replay is
// refused without revoking anything.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	p := s.p
	now := p.cfg.Now()
	if code == "" || len(code) > 512 {
		return nil, oidc.ErrInvalidGrant()
	}
	replayed := func(grant string) error {
		p.revokeGrant(ctx, grant)
		p.cfg.Logger.WarnContext(ctx, "oidc: authorization code used twice; its tokens are revoked", "grant", grant)
		return oidc.ErrInvalidGrant().WithDescription("the code was already used: the tokens issued for it are revoked")
	}
	a, err := decodeRequest(p.cfg.Tickets.Ticket(ctx, codeKey(code), now))
	if errors.Is(err, passkeyd.ErrNotFound) {
		if grant, uerr := p.cfg.Tickets.Ticket(ctx, usedKey(code), now); uerr == nil {
			return nil, replayed(string(grant))
		}
		return nil, oidc.ErrInvalidGrant().WithDescription("the code is unknown, used or expired")
	}
	if err != nil {
		return nil, err
	}
	// Kept as long as the tokens of the code may be used without a refresh.
	first, err := p.cfg.Tickets.AddTicket(ctx, usedKey(code), []byte(a.GrantID), now, now.Add(p.cfg.RequestLifetime+p.cfg.Tokens.Lifetime()))
	if err != nil {
		return nil, err
	}
	if !first {
		return nil, replayed(a.GrantID)
	}
	if _, err := p.cfg.Tickets.TakeTicket(ctx, codeKey(code), now); err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
		p.cfg.Logger.WarnContext(ctx, "oidc: could not remove a redeemed code (its use is recorded)", "err", err)
	}
	return a, nil
}

// DeleteAuthRequest implements op.Storage: the request was taken when its code was made.
func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error { return nil }

// revokeGrant revokes a grant that may not be stored yet (a code replayed while the first
// exchange is still running): the mark in the ticket store makes createGrant revoke it.
func (p *Provider) revokeGrant(ctx context.Context, id string) {
	now := p.cfg.Now()
	_ = p.cfg.Tickets.PutTicket(ctx, revokedKey(id), []byte{1}, now.Add(p.cfg.RequestLifetime+p.cfg.Tokens.Lifetime()))
	if err := p.cfg.Grants.RevokeOIDCGrant(ctx, id, now); err != nil {
		p.cfg.Logger.ErrorContext(ctx, "oidc: could not revoke a grant", "grant", id, "err", err)
	}
}
