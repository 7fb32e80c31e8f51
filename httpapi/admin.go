package httpapi

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd"
)

// requireAdmin guards the operator API: a Bearer token equal to AdminToken (compared in
// constant time). Without a configured token the API does not exist (404).
func (s *server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.AdminToken == "" {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeNotFound, "the admin API is not enabled (PASSKEYD_ADMIN_TOKEN)"))
			return
		}
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.AdminToken)) != 1 {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeUnauthenticated, "the admin API needs Authorization: Bearer <admin token>"))
			return
		}
		next.ServeHTTP(w, r)
	})
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
