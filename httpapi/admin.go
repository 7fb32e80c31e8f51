package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd"
)

// requireAdmin guards the operator API: a Bearer token equal to AdminToken. Without a
// configured token the API does not exist (404). Requests are limited per client IP, in a
// bucket of their own (a flood of sign-ins does not lock the operator out, nor the other
// way round), and every refused token is audited and logged — without the token.
func (s *server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.AdminToken == "" {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeNotFound, "the admin API is not enabled (PASSKEYD_ADMIN_TOKEN)"))
			return
		}
		if !s.take(w, r, s.admin, "admin:"+s.clientIP(r), "too many operator API requests from this address; retry shortly") {
			return
		}
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || !sameSecret(strings.TrimSpace(token), s.AdminToken) {
			s.Logger.WarnContext(r.Context(), "operator authentication failed", "client", s.clientIP(r), "user_agent", r.UserAgent(), "route", r.Pattern)
			s.Accounts.AdminAuthFailed(r.Context())
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeUnauthenticated, "the admin API needs Authorization: Bearer <admin token>"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameSecret compares two secrets in constant time. Both are hashed first, so that not
// even the length of the configured one shows in the timing (subtle.ConstantTimeCompare
// returns at once on a length mismatch).
func sameSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func (s *server) handleAdminUser() http.Handler {
	type response struct {
		User     userView      `json:"user"`
		Passkeys []passkeyView `json:"passkeys"`
		Events   []eventView   `json:"events"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := s.Accounts.FindUser(r.Context(), r.PathValue("user"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{User: viewUser(d.User), Passkeys: viewPasskeys(d.Passkeys), Events: viewEvents(d.Events)})
	})
}

func (s *server) handleAdminRevokePasskey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := passkeyID(r)
		if err == nil {
			err = s.Accounts.RevokePasskey(r.Context(), r.PathValue("user"), id)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleAdminClearCloneWarning() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := passkeyID(r)
		if err == nil {
			err = s.Accounts.ClearCloneWarning(r.Context(), r.PathValue("user"), id)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleAdminRevokeSessions() http.Handler {
	type response struct {
		Revoked int `json:"revoked"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := s.Accounts.RevokeSessions(r.Context(), r.PathValue("user"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{Revoked: n})
	})
}

func (s *server) handleAdminSearch() http.Handler {
	type response struct {
		Users []userView `json:"users"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		us, err := s.Accounts.SearchUsers(r.Context(), r.URL.Query().Get("q"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := response{Users: make([]userView, 0, len(us))}
		for _, u := range us {
			out.Users = append(out.Users, viewUser(u))
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *server) webhooksOn() bool { return s.Webhooks != nil }

func (s *server) handleAdminDeadWebhooks() http.Handler {
	type delivery struct {
		ID        string    `json:"id"`
		EventID   string    `json:"eventId"`
		Type      string    `json:"type"`
		UserID    string    `json:"userId"`
		URL       string    `json:"url"`
		Attempts  int       `json:"attempts"`
		LastError string    `json:"lastError"`
		CreatedAt time.Time `json:"createdAt"`
	}
	type response struct {
		Deliveries []delivery `json:"deliveries"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ds, err := s.Webhooks.DeadLetters(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := response{Deliveries: make([]delivery, 0, len(ds))}
		for _, d := range ds {
			out.Deliveries = append(out.Deliveries, delivery{ID: d.ID, EventID: d.EventID, Type: d.Type, UserID: d.UserID, URL: d.URL,
				Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt})
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *server) handleAdminRetryWebhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Webhooks.Retry(r.Context(), r.PathValue("id")); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
