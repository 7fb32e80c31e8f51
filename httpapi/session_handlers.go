package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
)

func (s *server) handleSessionList() http.Handler {
	type response struct {
		Sessions []sessionListView `json:"sessions"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		list, err := s.Accounts.Sessions(r.Context(), a.user.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{Sessions: viewSessionList(list, a.session.ID)})
	})
}

func (s *server) handleSessionRevoke() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		id := r.PathValue("id")
		if id == "" || len(id) > 64 {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeNotFound, "no such session"))
			return
		}
		if err := s.Accounts.RevokeSession(r.Context(), a.user.ID, id); err != nil {
			s.writeError(w, r, err)
			return
		}
		if id == a.session.ID && a.viaCookie {
			s.clearSessionCookie(w)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleSessionRevokeOthers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Accounts.RevokeOtherSessions(r.Context(), authFrom(r.Context()).session); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleReauthOptions() http.Handler {
	type response struct {
		PublicKey *ceremony.RequestOptions `json:"publicKey"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{}
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		opts, err := s.Accounts.BeginReauth(r.Context(), authFrom(r.Context()).session)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{PublicKey: opts})
	})
}

// handleReauth makes the session recent again, in place, with a passkey assertion or the
// password (plus the TOTP code when the account has one).
func (s *server) handleReauth() http.Handler {
	type request struct {
		Credential json.RawMessage `json:"credential"`
		Password   *string         `json:"password"`
		Code       string          `json:"code"`
	}
	type response struct {
		Session sessionView `json:"session"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		a := authFrom(r.Context())
		hasCredential := len(req.Credential) > 0 && string(req.Credential) != "null"
		var sess *passkeyd.Session
		var err error
		switch {
		case hasCredential && req.Password != nil:
			err = passkeyd.Errorf(passkeyd.CodeInvalidRequest, "send either credential or password, not both")
		case hasCredential:
			sess, err = s.Accounts.ReauthPasskey(r.Context(), a.session, req.Credential)
		case req.Password != nil:
			sess, err = s.Accounts.ReauthPassword(r.Context(), a.session, *req.Password, req.Code)
		default:
			err = passkeyd.Errorf(passkeyd.CodeInvalidRequest, "credential or password is required")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{Session: viewSession(sess, "")})
	})
}

func (s *server) handleAccountDelete() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		if err := s.Accounts.DeleteAccount(r.Context(), a.session); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.clearSessionCookie(w)
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handlePasswordRemove() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Accounts.RemovePassword(r.Context(), authFrom(r.Context()).session); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
