package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
)

// cookieName is the session cookie of the contract.
const cookieName = "passkeyd_session"

type authKey struct{}

// auth is the caller's session, when there is one.
type auth struct {
	session   *passkeyd.Session
	user      *passkeyd.User
	viaCookie bool
}

// authenticate finds the caller's session. A Bearer token decides when both forms are sent,
// and an invalid one is an error; an invalid or expired cookie counts as no session, so a
// stale browser can still sign up or sign in.
func (s *server) authenticate(r *http.Request) (*auth, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, passkeyd.ErrUnauthenticated
		}
		sess, u, err := s.Accounts.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			return nil, err
		}
		return &auth{session: sess, user: u}, nil
	}
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, u, err := s.Accounts.Authenticate(r.Context(), c.Value)
	if err == passkeyd.ErrUnauthenticated {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &auth{session: sess, user: u, viaCookie: true}, nil
}

// checkOrigin is the CSRF rule: a cookie-authenticated state-changing request must carry
// an Origin header naming one of our origins. SameSite=Lax already keeps the cookie off
// cross-site POSTs in current browsers; this covers older ones and same-site subdomains.
func (s *server) checkOrigin(r *http.Request, a *auth) error {
	if a == nil || !a.viaCookie {
		return nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if o := r.Header.Get("Origin"); o == "" || !s.origins[o] {
		return passkeyd.Errorf(passkeyd.CodeForbiddenOrigin, "a cookie-authenticated request must come from an allowed Origin")
	}
	return nil
}

// signsIn is the login-CSRF rule for the endpoints that create a session: a request whose
// Origin is present and foreign is refused, cookie or not, so that another site cannot
// sign the victim's browser into the attacker's account. Origins of the CORS allowlist
// count as ours: the operator trusts them, and a browser does not store a cookie from a
// cross-origin response to them anyway.
func (s *server) signsIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !s.origins[o] && !s.cors[o] {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeForbiddenOrigin, "a sign-in from origin %q is not allowed", truncate(o, 100)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// optionalSession returns the caller's session, or nil, applying the CSRF rule when the
// session came from a cookie.
func (s *server) optionalSession(r *http.Request) (*auth, error) {
	a, err := s.authenticate(r)
	if err != nil {
		return nil, err
	}
	if err := s.checkOrigin(r, a); err != nil {
		return nil, err
	}
	return a, nil
}

// requireSession lets only requests with a valid session through: the session is checked
// first (401), then the Origin rule (403).
func (s *server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticate(r)
		if err == nil && a == nil {
			err = passkeyd.ErrUnauthenticated
		}
		if err == nil {
			err = s.checkOrigin(r, a)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authKey{}, a)))
	})
}

func authFrom(ctx context.Context) *auth {
	a, _ := ctx.Value(authKey{}).(*auth)
	return a
}

func (s *server) setSessionCookie(w http.ResponseWriter, ns *account.NewSession) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    ns.Token,
		Path:     "/",
		Domain:   s.CookieDomain,
		Expires:  ns.ExpiresAt,
		MaxAge:   int(time.Until(ns.ExpiresAt) / time.Second),
		HttpOnly: true,
		Secure:   s.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: "", Path: "/", Domain: s.CookieDomain, MaxAge: -1,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}
