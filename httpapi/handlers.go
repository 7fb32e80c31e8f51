package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
)

func (s *server) handleRegistrationOptions() http.Handler {
	type request struct {
		Username                string `json:"username"`
		DisplayName             string `json:"displayName"`
		AuthenticatorAttachment string `json:"authenticatorAttachment"`
	}
	type response struct {
		PublicKey *ceremony.CreationOptions `json:"publicKey"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		a, err := s.optionalSession(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var opts *ceremony.CreationOptions
		if a != nil {
			// With a session this adds a passkey to the signed-in user; a username in the
			// body is ignored, so it can never name someone else's account.
			opts, err = s.Accounts.BeginAddPasskey(r.Context(), a.session, req.AuthenticatorAttachment)
		} else {
			opts, err = s.Accounts.BeginSignUp(r.Context(), account.SignUpRequest{
				Username: req.Username, DisplayName: req.DisplayName, Attachment: req.AuthenticatorAttachment,
			})
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{PublicKey: opts})
	})
}

func (s *server) handleRegistrationVerify() http.Handler {
	type request struct {
		Credential json.RawMessage `json:"credential"`
		Name       string          `json:"name"`
	}
	type response struct {
		User          userView     `json:"user"`
		Passkey       passkeyView  `json:"passkey"`
		Session       *sessionView `json:"session,omitempty"`
		RecoveryCodes []string     `json:"recoveryCodes,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decodeVerify(r, &req, &req.Credential); err != nil {
			s.writeError(w, r, err)
			return
		}
		a, err := s.optionalSession(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var sess *passkeyd.Session
		if a != nil {
			sess = a.session
		}
		start := time.Now()
		res, err := s.Accounts.FinishRegistration(r.Context(), sess, req.Credential, req.Name)
		s.metrics.observeCeremony(passkeyd.CeremonyRegistration, start, err)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := response{User: viewUser(res.User), Passkey: viewPasskey(res.Passkey), RecoveryCodes: res.RecoveryCodes}
		if res.Session != nil {
			v := viewNewSession(res.Session)
			out.Session = &v
			s.setSessionCookie(w, res.Session)
		}
		encode(w, http.StatusCreated, out)
	})
}

func (s *server) handleAuthenticationOptions() http.Handler {
	type request struct {
		Username string `json:"username"`
		MFAToken string `json:"mfaToken"`
	}
	type response struct {
		PublicKey *ceremony.RequestOptions `json:"publicKey"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		var opts *ceremony.RequestOptions
		var err error
		if req.MFAToken != "" {
			// A passkey as the second factor of a password sign-in.
			opts, err = s.Accounts.BeginSecondFactorLogin(r.Context(), req.MFAToken)
		} else {
			opts, err = s.Accounts.BeginLogin(r.Context(), req.Username)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{PublicKey: opts})
	})
}

func (s *server) handleAuthenticationVerify() http.Handler {
	type request struct {
		Credential json.RawMessage `json:"credential"`
	}
	type response struct {
		User    userView    `json:"user"`
		Passkey passkeyView `json:"passkey"`
		Session sessionView `json:"session"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decodeVerify(r, &req, &req.Credential); err != nil {
			s.writeError(w, r, err)
			return
		}
		start := time.Now()
		res, err := s.Accounts.FinishLogin(r.Context(), req.Credential)
		s.metrics.observeCeremony(passkeyd.CeremonyAuthentication, start, err)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.setSessionCookie(w, &res.Session)
		encode(w, http.StatusOK, response{User: viewUser(res.User), Passkey: viewPasskey(res.Passkey), Session: viewNewSession(&res.Session)})
	})
}

// decodeVerify decodes a verify request body into req and insists that its credential is
// present.
func decodeVerify(r *http.Request, req any, credential *json.RawMessage) error {
	if err := decode(r, req); err != nil {
		return err
	}
	if len(*credential) == 0 || string(*credential) == "null" {
		return passkeyd.Errorf(passkeyd.CodeInvalidRequest, "credential is required")
	}
	return nil
}

// passkeyID decodes the {id} path segment: always the unpadded base64url the API returned.
func passkeyID(r *http.Request) ([]byte, error) {
	id, err := ceremony.DecodeBase64(r.PathValue("id"))
	if err != nil || len(id) == 0 || len(id) > 1023 {
		return nil, passkeyd.Errorf(passkeyd.CodeNotFound, "no such passkey")
	}
	return id, nil
}

func (s *server) handlePasskeyList() http.Handler {
	// RPID and UserHandle are what the browser's Signal API needs to tell the passkey
	// provider which of its passkeys for this account still exist
	// (signalAllAcceptedCredentials), so deleted ones leave the user's autofill.
	type response struct {
		Passkeys   []passkeyView `json:"passkeys"`
		RPID       string        `json:"rpId"`
		UserHandle string        `json:"userHandle"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		ps, err := s.Accounts.Passkeys(r.Context(), a.user.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{Passkeys: viewPasskeys(ps), RPID: s.Accounts.RP().RPID(), UserHandle: base64.RawURLEncoding.EncodeToString(a.user.Handle)})
	})
}

func (s *server) handlePasskeyRename() http.Handler {
	type request struct {
		Name *string `json:"name"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		id, err := passkeyID(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var req request
		if err := decode(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		if req.Name == nil {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeInvalidRequest, "name is required"))
			return
		}
		p, err := s.Accounts.RenamePasskey(r.Context(), a.user.ID, id, *req.Name)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, viewPasskey(p))
	})
}

func (s *server) handlePasskeyDelete() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		id, err := passkeyID(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := s.Accounts.DeletePasskey(r.Context(), a.session, id); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleSessionGet() http.Handler {
	// Factors lets a page show the account's state (a password to change or to set, TOTP
	// to set up or to remove) without trying the changes.
	type response struct {
		User    userView        `json:"user"`
		Session sessionView     `json:"session"`
		Factors account.Factors `json:"factors"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		f, err := s.Accounts.Factors(r.Context(), a.user)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{User: viewUser(a.user), Session: viewSession(a.session, ""), Factors: f})
	})
}

func (s *server) handleSessionDelete() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authFrom(r.Context())
		if err := s.Accounts.SignOut(r.Context(), a.session); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.clearSessionCookie(w)
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(s.OpenAPI)
	})
}

func (s *server) handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func (s *server) handleReadyz() http.Handler {
	type check struct {
		Status string `json:"status"`
		Error  string `json:"error,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Draining != nil && s.Draining() {
			encode(w, http.StatusServiceUnavailable, map[string]any{"status": "draining", "note": "shutting down: requests are still served until the drain ends"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, out := http.StatusOK, map[string]check{}
		for name, ping := range s.Checks {
			if err := ping(ctx); err != nil {
				status = http.StatusServiceUnavailable
				out[name] = check{Status: "unavailable", Error: err.Error()}
				continue
			}
			out[name] = check{Status: "ok"}
		}
		// Notes are conditions that degrade a feature without making the server unsafe to
		// use (a metadata refresh that failed while the last good copy serves): shown, not
		// failing.
		for name, note := range s.Notes {
			if err := note(); err != nil {
				out[name] = check{Status: "degraded", Error: err.Error()}
			} else {
				out[name] = check{Status: "ok"}
			}
		}
		overall := "ok"
		if status != http.StatusOK {
			overall = "unavailable"
		}
		// A degraded limit still limits (with this instance's counts), so it alone does not
		// make the instance unready: taking every instance out of rotation because Redis
		// blinked would be the outage. It is said, for operators.
		body := map[string]any{"status": overall, "checks": out, "limits": s.limitsNote()}
		if s.ClockNote != nil {
			if note := s.ClockNote(); note != "" {
				body["clock"] = note
			}
		}
		encode(w, status, body)
	})
}

// limitsNote says where the abuse limits are counted: "shared" through Redis, "in-process"
// by configuration, or "degraded: in-process (…)" naming the limits whose shared store is
// failing.
func (s *server) limitsNote() string {
	if len(s.Limits) == 0 {
		return "in-process"
	}
	var degraded []string
	for name, b := range s.Limits {
		if b.Degraded() {
			degraded = append(degraded, name)
		}
	}
	if len(degraded) == 0 {
		return "shared"
	}
	slices.Sort(degraded)
	return "degraded: in-process (" + strings.Join(degraded, ", ") + ")"
}

func (s *server) handleAPINotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}

func (s *server) handleRecoveryCodesRegenerate() http.Handler {
	type response struct {
		RecoveryCodes []string `json:"recoveryCodes"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		codes, err := s.Accounts.RegenerateRecoveryCodes(r.Context(), authFrom(r.Context()).session)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{RecoveryCodes: codes})
	})
}

func (s *server) handleRecoveryLogin() http.Handler {
	type request struct {
		Username string `json:"username"`
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
		if req.Username == "" || req.Code == "" {
			s.writeError(w, r, passkeyd.Errorf(passkeyd.CodeInvalidRequest, "username and code are required"))
			return
		}
		u, ns, err := s.Accounts.RecoveryLogin(r.Context(), req.Username, req.Code)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.setSessionCookie(w, &ns)
		encode(w, http.StatusOK, response{User: viewUser(u), Session: viewNewSession(&ns)})
	})
}

// eventView is an audit event in the API.
type eventView struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Method       string    `json:"method"`
	CredentialID string    `json:"credentialId,omitempty"`
	IP           string    `json:"ip"`
	UserAgent    string    `json:"userAgent"`
	Outcome      string    `json:"outcome"`
	Reason       string    `json:"reason,omitempty"`
	At           time.Time `json:"at"`
}

func viewEvents(evs []*passkeyd.AuditEvent) []eventView {
	out := make([]eventView, 0, len(evs))
	for _, e := range evs {
		v := eventView{ID: e.ID, Type: e.Type, Method: e.Method, IP: e.IP, UserAgent: e.UserAgent, Outcome: e.Outcome, Reason: e.Reason, At: e.At.UTC()}
		if len(e.CredentialID) > 0 {
			v.CredentialID = ceremony.EncodeBase64(e.CredentialID)
		}
		out = append(out, v)
	}
	return out
}

func (s *server) handleActivity() http.Handler {
	type response struct {
		Events []eventView `json:"events"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evs, err := s.Accounts.Activity(r.Context(), authFrom(r.Context()).user.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{Events: viewEvents(evs)})
	})
}
