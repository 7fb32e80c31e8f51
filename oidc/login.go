package oidc

import (
	"net/http"
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/token"
)

// Authentication context class references (the acr claim): "phr" (phishing-resistant, as
// in the OpenID EAP ACR values) for a passkey sign-in; anything else (a password, with or
// without a second factor, a recovery code) is the fallback class.
const (
	acrPasskey  = "phr"
	acrFallback = "urn:passkeyd:acr:fallback"
)

// loginURL is where the library sends the browser after storing an authorization request.
func (p *Provider) loginURL(id string) string {
	return p.cfg.Issuer + pathLogin + "?id=" + url.QueryEscape(id)
}

// handleLogin is the step between the authorization request and its code. With a session
// that satisfies the request (no prompt=login after it, max_age not exceeded) the request
// is completed and the browser goes on to the library's callback, which redirects to the
// client with a code. Otherwise the browser goes to passkeyd's sign-in page with this URL
// as its return target: the page signs in (passkey first, then the configured fallbacks)
// or, for an existing session that is not fresh enough, asks for a re-authentication
// (reauth=1), and comes back here through /return.
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.URL.Query().Get("id")
	a, err := p.request(ctx, id)
	if err != nil {
		op.AuthRequestError(w, r, nil, notFound(err, "the authorization request"), p.op)
		return
	}
	cookie := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		cookie = c.Value
	}
	sess, _, err := p.session(ctx, cookie)
	if err != nil {
		op.AuthRequestError(w, r, a, oidc.ErrServerError().WithParent(err), p.op)
		return
	}
	fresh := sess != nil && p.freshEnough(sess, a)
	if !fresh {
		if a.promptNone() {
			op.AuthRequestError(w, r, a, oidc.ErrLoginRequired(), p.op)
			return
		}
		http.Redirect(w, r, p.signInURL(p.loginURL(a.ID), sess != nil), http.StatusFound)
		return
	}
	// acr_values=phr: only a passkey sign-in will do. A re-authentication does not change
	// how a session signed in, so a session that signed in otherwise cannot be upgraded
	// here; the client hears unmet_authentication_requirements (Core §3.1.2.6) and the
	// user must sign in with a passkey.
	if a.needsPasskey() && sess.Method != passkeyd.MethodPasskey {
		op.AuthRequestError(w, r, a, &oidc.Error{ErrorType: "unmet_authentication_requirements",
			Description: "acr_values=phr needs a passkey sign-in; this session signed in with " + string(sess.Method)}, p.op)
		return
	}
	a.UserID, a.SessionID, a.AuthTime, a.AMR = sess.UserID, sess.ID, sess.AuthenticatedAt.UTC(), token.AMR(sess)
	a.ACR = acrFallback
	if sess.Method == passkeyd.MethodPasskey {
		a.ACR = acrPasskey
	}
	if err := p.putRequest(ctx, a); err != nil {
		op.AuthRequestError(w, r, a, oidc.ErrServerError().WithParent(err), p.op)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(op.ContextWithIssuer(ctx, p.cfg.Issuer), a.ID), http.StatusFound)
}

// freshEnough: the sign-in must be no older than max_age at the time of the request, and
// with prompt=login (which the library also turns into max_age=0) no older than the
// request itself. A re-authentication after the request always satisfies both. Times are
// compared to the second (auth_time's precision).
func (p *Provider) freshEnough(s *passkeyd.Session, a *authRequest) bool {
	var earliest time.Time
	if a.promptLogin() {
		earliest = a.CreatedAt
	}
	if a.MaxAge != nil {
		if e := a.CreatedAt.Add(-time.Duration(*a.MaxAge) * time.Second); e.After(earliest) {
			earliest = e
		}
	}
	return !s.AuthenticatedAt.Before(earliest.Truncate(time.Second))
}

func (p *Provider) signInURL(back string, reauth bool) string {
	u, _ := url.Parse(p.cfg.SignInPage)
	q := u.Query()
	q.Set("rd", back)
	if reauth {
		q.Set("reauth", "1")
	}
	u.RawQuery = q.Encode()
	return u.String()
}
