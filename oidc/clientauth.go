package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/passkeyd/passkeyd/account"
)

// NewClientLockout is the in-process default of Config.ClientLockout: 10 failed client
// authentications within 15 minutes lock the client id for a minute, doubling up to 15
// minutes. Milder than the account lockout because anybody who knows a client id (it is in
// every authorization URL) can trigger it: the pause bounds the guessing of a weak
// operator-chosen secret while keeping the denial of service an attacker can cause short.
func NewClientLockout(now func() time.Time) *account.Lockout {
	l := account.NewLockout()
	l.MaxFailures, l.Window, l.FirstPause, l.MaxPause, l.Now = 10, 15*time.Minute, time.Minute, 15*time.Minute, now
	return l
}

// clientAuth is the outcome of the secret check of one request, which storage's
// AuthorizeClientIDSecret records for limitClientAuth.
type clientAuth struct{ checked, ok bool }

type clientAuthKey struct{}

// limitClientAuth counts failed client authentications per client id, on the endpoints
// that authenticate clients by secret (token, introspection, revocation): the per-address
// limit alone lets an attacker with many addresses guess one client's secret. A request
// that carries a secret reserves a failure slot before the library checks it (atomically
// with the check that the client is not locked, so simultaneous guesses cannot all pass);
// the slot is given back unless the check failed. A locked client id gets 429 with
// Retry-After, before any check, so a guess during the pause learns nothing.
func (p *Provider) limitClientAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, hasSecret := clientOf(r)
		if !hasSecret || p.cfg.ClientLockout == nil {
			next.ServeHTTP(w, r)
			return
		}
		key := "oidc-client:" + id
		wait, err := p.cfg.ClientLockout.Reserve(r.Context(), key)
		if err != nil {
			p.cfg.Logger.ErrorContext(r.Context(), "oidc: client lockout unavailable", "err", err)
			writeOAuthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "try again later", 0)
			return
		}
		if wait > 0 {
			writeOAuthError(w, http.StatusTooManyRequests, "temporarily_unavailable",
				"too many failed client authentications for this client id", wait)
			return
		}
		outcome := &clientAuth{}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientAuthKey{}, outcome)))
		if outcome.checked && !outcome.ok {
			p.cfg.Logger.WarnContext(r.Context(), "oidc: client authentication failed", "client_id", id)
			return // the failure stays counted
		}
		// A request with a right secret, or whose secret was never checked, is no guess.
		if err := p.cfg.ClientLockout.Release(context.WithoutCancel(r.Context()), key); err != nil {
			p.cfg.Logger.WarnContext(r.Context(), "oidc: could not release a client lockout slot", "err", err)
		}
	})
}

// clientOf returns the client id of a request and whether it presents a secret (HTTP
// Basic, or client_secret in the form). The form is parsed here; the library reads the
// parsed values again.
func clientOf(r *http.Request) (string, bool) {
	if id, secret, ok := r.BasicAuth(); ok {
		if u, err := url.QueryUnescape(id); err == nil {
			id = u
		}
		return id, secret != ""
	}
	if err := r.ParseForm(); err != nil {
		return "", false
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret") != ""
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string, retry time.Duration) {
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}
