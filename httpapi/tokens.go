package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/passkeyd/passkeyd"
)

// tokensEnabled gates the token endpoints on servers built without an issuer.
func (s *server) tokensEnabled() bool { return s.Tokens != nil }

func (s *server) handleSessionToken() http.Handler {
	type response struct {
		AccessToken string `json:"accessToken"`
		TokenType   string `json:"tokenType"`
		ExpiresIn   int64  `json:"expiresIn"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		at, err := s.Tokens.AccessToken(r.Context(), a.session, a.user)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{AccessToken: at.Token, TokenType: "Bearer", ExpiresIn: int64(at.ExpiresIn.Seconds())})
	})
}

func (s *server) handleJWKS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j, err := s.Tokens.JWKS(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", j.CacheControl())
		h.Set("ETag", j.ETag)
		// Public keys for anyone, from any page: verifiers in browsers included.
		h.Set("Access-Control-Allow-Origin", "*")
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, j.ETag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(j.Body)
	})
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// handleAuthz is forward authentication: the proxy in front of an app asks it about every
// request, passing the request's cookies or Authorization header, and lets the request
// through (with the identity headers copied onto it) only on 200.
func (s *server) handleAuthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		// A proxy may cache decisions per cookie; it must never share one across cookies.
		h.Set("Vary", "Cookie, Authorization")
		a, err := s.authenticate(r)
		if err != nil && err != passkeyd.ErrUnauthenticated {
			s.writeError(w, r, err)
			return
		}
		if a == nil {
			if loc := s.loginRedirect(r); loc != "" {
				http.Redirect(w, r, loc, http.StatusFound)
				return
			}
			s.writeError(w, r, passkeyd.ErrUnauthenticated)
			return
		}
		// The session was just checked against the store (revocation, expiry and sign-out
		// count on this request); only the signature is reused, while it says the same.
		at, err := s.Tokens.CachedAccessToken(r.Context(), a.session, a.user)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h.Set("X-Passkeyd-User-Id", a.user.ID)
		h.Set("X-Passkeyd-Username", a.user.Username)
		h.Set("X-Passkeyd-Session-Id", a.session.ID)
		h.Set("X-Passkeyd-Auth-Method", string(a.session.Method))
		h.Set("Authorization", "Bearer "+at.Token)
		w.WriteHeader(http.StatusOK)
	})
}

// loginRedirect is where a browser without a session goes: the sign-in page (the rd
// parameter, else the configured login URL), carrying the original URL in its own rd
// parameter. Both must pass the return-target allowlist; API clients (no text/html in
// Accept) get 401, which they can act on.
func (s *server) loginRedirect(r *http.Request) string {
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		return ""
	}
	login := r.URL.Query().Get("rd")
	if login == "" {
		login = s.LoginURL
	}
	if login == "" {
		return ""
	}
	if strings.HasPrefix(login, "/") && !strings.HasPrefix(login, "//") && len(s.Origins) > 0 {
		login = s.Origins[0] + login
	}
	login = s.returns.allowed(login)
	if login == "" {
		return ""
	}
	u, _ := url.Parse(login)
	if orig := s.returns.allowed(originalURL(r)); orig != "" {
		q := u.Query()
		q.Set("rd", orig)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// originalURL rebuilds the URL the browser asked the proxy for, from the headers proxies
// set (X-Original-URL from nginx and HAProxy setups, X-Forwarded-* from Traefik and Caddy).
func originalURL(r *http.Request) string {
	if v := r.Header.Get("X-Original-URL"); v != "" {
		return v
	}
	proto, host := r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Host")
	if proto == "" || host == "" {
		return ""
	}
	uri := r.Header.Get("X-Forwarded-Uri")
	if !strings.HasPrefix(uri, "/") {
		uri = "/" + uri
	}
	return proto + "://" + host + uri
}

// handleReturn ends a sign-in that forward authentication started: the reference page sends
// the browser here with the original URL, and passkeyd (which knows the allowlist) sends it
// on, or back to the page when the URL is not allowed or there is no session yet.
func (s *server) handleReturn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		rd := s.returns.allowed(r.URL.Query().Get("rd"))
		a, _ := s.authenticate(r)
		switch {
		case rd == "":
			http.Redirect(w, r, "/", http.StatusFound)
		case a == nil:
			http.Redirect(w, r, "/?rd="+url.QueryEscape(rd), http.StatusFound)
		default:
			http.Redirect(w, r, rd, http.StatusFound)
		}
	})
}
