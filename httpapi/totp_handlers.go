package httpapi

import (
	"net/http"

	"github.com/passkeyd/passkeyd"
)

// totpEnabled answers 404 for the TOTP and second-factor endpoints when TOTP is off.
func (s *server) totpEnabled(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.Accounts.TOTPEnabled() {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeNotFound, "TOTP is not enabled on this server"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) handleTOTPBegin() http.Handler {
	type response struct {
		Secret string `json:"secret"`
		URI    string `json:"uri"`
		QRCode string `json:"qrCode,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := s.Accounts.BeginTOTP(r.Context(), authFrom(r.Context()).user)
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
		codes, err := s.Accounts.ConfirmTOTP(r.Context(), authFrom(r.Context()).user.ID, req.Code)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{RecoveryCodes: codes})
	})
}

func (s *server) handleTOTPDelete() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Accounts.DeleteTOTP(r.Context(), authFrom(r.Context()).user.ID); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleMFAVerify() http.Handler {
	type request struct {
		MFAToken string `json:"mfaToken"`
		Code     string `json:"code"`
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
		if req.MFAToken == "" || req.Code == "" {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeInvalidRequest, "mfaToken and code are required (a passkey as second factor is not supported yet)"))
			return
		}
		u, ns, err := s.Accounts.MFAVerify(r.Context(), req.MFAToken, req.Code)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.setSessionCookie(w, &ns)
		encode(w, http.StatusOK, response{User: viewUser(u), Session: viewNewSession(&ns)})
	})
}
