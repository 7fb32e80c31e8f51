package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
)

// The FIDO2 server conformance API (the FIDO Conformance Test API of the "Server
// Requirements and Transport Binding Profile"): four POST endpoints at the root, flat
// option objects with a status/errorMessage envelope, and each ceremony bound to the
// caller by a cookie. It exists only when PASSKEYD_FIDO_CONFORMANCE=true.

// conformanceCookie binds a conformance ceremony to the client that asked for its options.
const conformanceCookie = "passkeyd_fido_conformance"

func (s *server) conformanceRoutes(mux interface{ Handle(string, http.Handler) }) {
	if !s.Accounts.ConformanceEnabled() {
		return
	}
	mux.Handle("POST /attestation/options", s.handleConformanceAttestationOptions())
	mux.Handle("POST /attestation/result", s.handleConformanceResult(s.Accounts.FinishConformanceRegistration))
	mux.Handle("POST /assertion/options", s.handleConformanceAssertionOptions())
	mux.Handle("POST /assertion/result", s.handleConformanceResult(s.Accounts.FinishConformanceAssertion))
}

// conformanceFailed answers the ServerResponse of a failure: 400 for what the client
// sent, 5xx for what the server could not do, errorMessage never empty.
func (s *server) conformanceFailed(w http.ResponseWriter, r *http.Request, err error) {
	var e *passkeyd.Error
	status, msg := http.StatusInternalServerError, "internal error"
	if errors.As(err, &e) {
		status, msg = statusOf[e.Code], string(e.Code)
		if e.Detail != "" {
			msg += ": " + e.Detail
		}
		if status == 0 {
			status = http.StatusInternalServerError
		}
	} else if errors.Is(err, context.DeadlineExceeded) {
		status, msg = http.StatusServiceUnavailable, "the request could not be completed in time"
	}
	if status >= 500 {
		s.Logger.ErrorContext(r.Context(), "conformance request failed", "err", err)
	}
	encode(w, status, map[string]string{"status": "failed", "errorMessage": msg})
}

// conformanceBinding returns the caller's binding, issuing one when issue is set.
func conformanceBinding(w http.ResponseWriter, r *http.Request, issue, secure bool) string {
	if c, err := r.Cookie(conformanceCookie); err == nil && len(c.Value) >= 43 && len(c.Value) <= 64 {
		return c.Value
	}
	if !issue {
		return ""
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: conformanceCookie, Value: v, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	return v
}

// withEnvelope merges the status/errorMessage envelope and the echoed extensions into a
// flat options object.
func withEnvelope(opts any, extensions map[string]json.RawMessage) (map[string]any, error) {
	raw, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	out["status"], out["errorMessage"] = "ok", ""
	if len(extensions) > 0 {
		ext, _ := out["extensions"].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
		}
		for k, v := range extensions {
			ext[k] = v
		}
		out["extensions"] = ext
	}
	return out, nil
}

func (s *server) handleConformanceAttestationOptions() http.Handler {
	type request struct {
		Username               string `json:"username"`
		DisplayName            string `json:"displayName"`
		AuthenticatorSelection struct {
			AuthenticatorAttachment string `json:"authenticatorAttachment"`
			ResidentKey             string `json:"residentKey"`
			RequireResidentKey      bool   `json:"requireResidentKey"`
			UserVerification        string `json:"userVerification"`
		} `json:"authenticatorSelection"`
		Attestation string                     `json:"attestation"`
		Extensions  map[string]json.RawMessage `json:"extensions"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.conformanceFailed(w, r, err)
			return
		}
		sel := req.AuthenticatorSelection
		rk := sel.ResidentKey
		if rk == "" && sel.RequireResidentKey {
			rk = "required"
		}
		binding := conformanceBinding(w, r, true, s.SecureCookies)
		opts, err := s.Accounts.BeginConformanceRegistration(r.Context(), binding, account.ConformanceRegistration{
			Username: req.Username, DisplayName: req.DisplayName, Attachment: sel.AuthenticatorAttachment,
			ResidentKey: rk, UserVerification: sel.UserVerification, Attestation: req.Attestation,
		})
		if err != nil {
			s.conformanceFailed(w, r, err)
			return
		}
		out, err := withEnvelope(opts, req.Extensions)
		if err != nil {
			s.conformanceFailed(w, r, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *server) handleConformanceAssertionOptions() http.Handler {
	type request struct {
		Username         string                     `json:"username"`
		UserVerification string                     `json:"userVerification"`
		Extensions       map[string]json.RawMessage `json:"extensions"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decode(r, &req); err != nil {
			s.conformanceFailed(w, r, err)
			return
		}
		binding := conformanceBinding(w, r, true, s.SecureCookies)
		opts, err := s.Accounts.BeginConformanceAssertion(r.Context(), binding, req.Username, req.UserVerification)
		if err != nil {
			s.conformanceFailed(w, r, err)
			return
		}
		out, err := withEnvelope(opts, req.Extensions)
		if err != nil {
			s.conformanceFailed(w, r, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}

// handleConformanceResult verifies a ServerPublicKeyCredential. Its client extension
// results come as getClientExtensionResults and rawId may be absent; both are put in the
// WebAuthn Level 3 JSON shape the ceremony package parses.
func (s *server) handleConformanceResult(finish func(ctx context.Context, binding string, credential json.RawMessage) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cred map[string]json.RawMessage
		if err := decode(r, &cred); err != nil {
			s.conformanceFailed(w, r, err)
			return
		}
		if ext, ok := cred["getClientExtensionResults"]; ok {
			if _, has := cred["clientExtensionResults"]; !has {
				cred["clientExtensionResults"] = ext
			}
			delete(cred, "getClientExtensionResults")
		}
		if _, ok := cred["rawId"]; !ok {
			if id, ok := cred["id"]; ok {
				cred["rawId"] = id
			}
		}
		raw, _ := json.Marshal(cred)
		binding := conformanceBinding(w, r, false, s.SecureCookies)
		if binding == "" {
			s.conformanceFailed(w, r, passkeyd.Errorf(passkeyd.CodeChallengeUnknown, "no conformance ceremony is bound to this client (cookie %s missing)", conformanceCookie))
			return
		}
		if err := finish(r.Context(), binding, raw); err != nil {
			s.conformanceFailed(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]string{"status": "ok", "errorMessage": ""})
	})
}
