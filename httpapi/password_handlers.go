package httpapi

import (
	"net/http"

	"github.com/passkeyd/passkeyd/account"
)

type passwordSignedInView struct {
	User           userView    `json:"user"`
	Session        sessionView `json:"session"`
	SuggestPasskey bool        `json:"suggestPasskey"`
}

func (s *server) signedIn(w http.ResponseWriter, status int, res *account.PasswordSignedIn) {
	s.setSessionCookie(w, &res.Session)
	encode(w, status, passwordSignedInView{User: viewUser(res.User), Session: viewNewSession(&res.Session), SuggestPasskey: res.SuggestPasskey})
}

func (s *server) handlePasswordSignUp() http.Handler {
	type request struct {
		Username    string `json:"username"`
		Password    string `json:"password"`
		DisplayName string `json:"displayName"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.Accounts.PasswordSignUp(r.Context(), req.Username, req.Password, req.DisplayName)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.signedIn(w, http.StatusCreated, res)
	})
}

func (s *server) handlePasswordLogin() http.Handler {
	type request struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.Accounts.PasswordLogin(r.Context(), req.Username, req.Password)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.signedIn(w, http.StatusOK, res)
	})
}

func (s *server) handlePasswordChange() http.Handler {
	type request struct {
		CurrentPassword string `json:"currentPassword"`
		NewPassword     string `json:"newPassword"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := s.Accounts.ChangePassword(r.Context(), authFrom(r.Context()).session, req.CurrentPassword, req.NewPassword); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleLoginMethods() http.Handler {
	type request struct {
		Username string `json:"username"`
	}
	type response struct {
		Methods []string `json:"methods"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		methods, err := s.Accounts.LoginMethods(req.Username)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{Methods: methods})
	})
}
