package httpapi

import (
	"net/http"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ratelimit"
)

// The buckets of the endpoints that check a secret for a signed-in session and of the
// operator API (exported so that cmd builds the Redis-backed ones alike). A session may try
// its current password (or a TOTP code) 5 times, then once every 12 s; an account, over all
// its sessions, 10 times, then once every 6 s; one address may make 20 operator requests,
// then 5 a second.
const (
	SessionSecretRate, SessionSecretBurst = 1.0 / 12, 5
	AccountSecretRate, AccountSecretBurst = 1.0 / 6, 10
	AdminRate, AdminBurst                 = 5, 20
)

// take draws a token from lim for key, answering 429 rate_limited with Retry-After and
// returning false when there is none. A limiter that cannot answer lets the request
// through (and is logged): the limit protects the service and must not become its outage.
func (s *server) take(w http.ResponseWriter, r *http.Request, lim RateLimiter, key, detail string) bool {
	if lim == nil {
		return true
	}
	ok, wait, err := lim.Allow(r.Context(), key)
	if err != nil {
		s.Logger.WarnContext(r.Context(), "rate limiter unavailable; request let through", "err", err)
		return true
	}
	if !ok {
		s.writeError(w, r, &account.RetryError{Err: &passkeyd.Error{Code: passkeyd.CodeRateLimited, Detail: detail}, RetryAfter: wait})
	}
	return ok
}

// secretLimited guards an endpoint where a signed-in session presents a secret the server
// checks — the current password, a TOTP code, a re-authentication. A stolen session must
// not become an oracle for guessing the account's password, nor a way to keep argon2
// busy, so each session and each account (over all its sessions) draws from its own
// token bucket. It goes inside requireSession (it reads the session from the context).
func (s *server) secretLimited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		if a == nil {
			s.writeError(w, r, passkeyd.ErrUnauthenticated)
			return
		}
		if !s.take(w, r, s.sessionSecrets, "secret-session:"+a.session.ID, "too many attempts from this session; retry shortly") ||
			!s.take(w, r, s.accountSecrets, "secret-user:"+a.user.ID, "too many attempts for this account; retry shortly") {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// localOr returns l, or an in-process bucket of rate and burst when l is nil.
func localOr(l RateLimiter, rate float64, burst int, now func() time.Time) RateLimiter {
	if l != nil {
		return l
	}
	return ratelimit.NewLocal(rate, burst, now)
}
