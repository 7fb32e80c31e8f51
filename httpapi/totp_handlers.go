package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
)

func (s *server) handleTOTPBegin() http.Handler {
	type response struct {
		Secret string `json:"secret"`
		URI    string `json:"uri"`
		QRCode string `json:"qrCode,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := s.Accounts.BeginTOTP(r.Context(), authFrom(r.Context()).session, authFrom(r.Context()).user)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{Secret: e.Secret, URI: e.URI, QRCode: e.QRCode})
	})
}

func (s *server) handleTOTPConfirm() http.Handler {
	type request struct {
		Code string `json:"code"`
	}
	type response struct {
		RecoveryCodes []string `json:"recoveryCodes,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		codes, err := s.Accounts.ConfirmTOTP(r.Context(), authFrom(r.Context()).session, req.Code)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{RecoveryCodes: codes})
	})
}

func (s *server) handleTOTPDelete() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Accounts.DeleteTOTP(r.Context(), authFrom(r.Context()).session); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleMFAVerify() http.Handler {
	type request struct {
		MFAToken   string          `json:"mfaToken"`
		Code       string          `json:"code"`
		Credential json.RawMessage `json:"credential"`
	}
	type response struct {
		User    userView    `json:"user"`
		Session sessionView `json:"session"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		hasCred := len(req.Credential) > 0 && string(req.Credential) != "null"
		if req.MFAToken == "" || (req.Code == "") == !hasCred {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeInvalidRequest, "mfaToken and either code or credential are required"))
			return
		}
		var u *passkeyd.User
		var ns account.NewSession
		var err error
		if hasCred {
			u, ns, err = s.Accounts.MFAVerifyPasskey(r.Context(), req.MFAToken, req.Credential)
		} else {
			u, ns, err = s.Accounts.MFAVerify(r.Context(), req.MFAToken, req.Code)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.setSessionCookie(w, &ns)
		encode(w, http.StatusOK, response{User: viewUser(u), Session: viewNewSession(&ns)})
	})
}
