package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
)

// statusOf maps the contract's codes to HTTP statuses (spec "Conventions" table).
var statusOf = map[passkeyd.Code]int{
	passkeyd.CodeInvalidRequest:           http.StatusBadRequest,
	passkeyd.CodeChallengeUnknown:         http.StatusBadRequest,
	passkeyd.CodeOriginMismatch:           http.StatusBadRequest,
	passkeyd.CodeRPIDMismatch:             http.StatusBadRequest,
	passkeyd.CodeCeremonyTypeMismatch:     http.StatusBadRequest,
	passkeyd.CodeUserPresenceRequired:     http.StatusBadRequest,
	passkeyd.CodeUserVerificationRequired: http.StatusBadRequest,
	passkeyd.CodeAlgorithmNotAllowed:      http.StatusBadRequest,
	passkeyd.CodeAttestationInvalid:       http.StatusBadRequest,
	passkeyd.CodeCredentialExists:         http.StatusConflict,
	passkeyd.CodeCredentialUnknown:        http.StatusUnauthorized,
	passkeyd.CodeUserHandleMismatch:       http.StatusUnauthorized,
	passkeyd.CodeFlagsInvalid:             http.StatusBadRequest,
	passkeyd.CodeSignatureInvalid:         http.StatusUnauthorized,
	passkeyd.CodeCounterRegression:        http.StatusUnauthorized,
	passkeyd.CodeUnauthenticated:          http.StatusUnauthorized,
	passkeyd.CodeInvalidCredentials:       http.StatusUnauthorized,
	passkeyd.CodeMFARequired:              http.StatusUnauthorized,
	passkeyd.CodeForbiddenOrigin:          http.StatusForbidden,
	passkeyd.CodeReauthenticationRequired: http.StatusForbidden,
	passkeyd.CodeUnsupportedMediaType:     http.StatusUnsupportedMediaType,
	passkeyd.CodeNotFound:                 http.StatusNotFound,
	passkeyd.CodeUsernameTaken:            http.StatusConflict,
	passkeyd.CodeLastCredential:           http.StatusConflict,
	passkeyd.CodePayloadTooLarge:          http.StatusRequestEntityTooLarge,
	passkeyd.CodeRateLimited:              http.StatusTooManyRequests,
	passkeyd.CodeAccountLocked:            http.StatusTooManyRequests,
	passkeyd.CodeUnavailable:              http.StatusServiceUnavailable,
	passkeyd.CodeInternal:                 http.StatusInternalServerError,
}

var titleOf = map[passkeyd.Code]string{
	passkeyd.CodeInvalidRequest:           "Invalid request",
	passkeyd.CodeChallengeUnknown:         "Unknown challenge",
	passkeyd.CodeOriginMismatch:           "Origin not allowed",
	passkeyd.CodeRPIDMismatch:             "RP ID mismatch",
	passkeyd.CodeCeremonyTypeMismatch:     "Wrong ceremony type",
	passkeyd.CodeUserPresenceRequired:     "User presence required",
	passkeyd.CodeUserVerificationRequired: "User verification required",
	passkeyd.CodeAlgorithmNotAllowed:      "Algorithm not allowed",
	passkeyd.CodeAttestationInvalid:       "Attestation invalid",
	passkeyd.CodeCredentialExists:         "Credential already registered",
	passkeyd.CodeCredentialUnknown:        "Unknown credential",
	passkeyd.CodeUserHandleMismatch:       "User handle mismatch",
	passkeyd.CodeFlagsInvalid:             "Invalid authenticator flags",
	passkeyd.CodeSignatureInvalid:         "Invalid signature",
	passkeyd.CodeCounterRegression:        "Signature counter regression",
	passkeyd.CodeUnauthenticated:          "Unauthenticated",
	passkeyd.CodeInvalidCredentials:       "Invalid credentials",
	passkeyd.CodeMFARequired:              "Second factor required",
	passkeyd.CodeForbiddenOrigin:          "Forbidden origin",
	passkeyd.CodeReauthenticationRequired: "Re-authentication required",
	passkeyd.CodeUnsupportedMediaType:     "Unsupported media type",
	passkeyd.CodeNotFound:                 "Not found",
	passkeyd.CodeUsernameTaken:            "Username taken",
	passkeyd.CodeLastCredential:           "Last way to sign in",
	passkeyd.CodePayloadTooLarge:          "Payload too large",
	passkeyd.CodeRateLimited:              "Too many requests",
	passkeyd.CodeAccountLocked:            "Account locked",
	passkeyd.CodeUnavailable:              "Service unavailable",
	passkeyd.CodeInternal:                 "Internal error",
}

type problem struct {
	Type   string        `json:"type"`
	Title  string        `json:"title"`
	Status int           `json:"status"`
	Detail string        `json:"detail,omitempty"`
	Code   passkeyd.Code `json:"code"`
	// Extension members of mfa_required.
	MFAToken string   `json:"mfaToken,omitempty"`
	Methods  []string `json:"methods,omitempty"`
}

// writeError turns err into an RFC 9457 problem. Errors without a contract code are
// internal: logged with their cause, answered without it.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *passkeyd.Error
	var mfa *account.MFARequired
	code, detail := passkeyd.CodeInternal, "internal error"
	switch {
	case errors.As(err, &mfa):
		code, detail = passkeyd.CodeMFARequired, "the password is right; a second factor is needed"
	case errors.As(err, &e):
		code, detail = e.Code, e.Detail
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		code, detail = passkeyd.CodeUnavailable, "the request could not be completed in time"
	}
	status, ok := statusOf[code]
	if !ok {
		status, code = http.StatusInternalServerError, passkeyd.CodeInternal
	}
	if status >= 500 {
		s.Logger.ErrorContext(r.Context(), "request failed", "code", code, "err", err)
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
	} else {
		s.Logger.DebugContext(r.Context(), "request refused", "code", code, "detail", detail)
	}
	var retry *account.RetryError
	if errors.As(err, &retry) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(retry.RetryAfter.Seconds()+0.999))))
	}
	if code == passkeyd.CodeRateLimited || code == passkeyd.CodeAccountLocked {
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(60))
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	p := problem{
		Type:   "https://passkeyd.dev/problems/" + string(code),
		Title:  titleOf[code],
		Status: status,
		Detail: detail,
		Code:   code,
	}
	if mfa != nil {
		p.MFAToken, p.Methods = mfa.Token, mfa.Methods
	}
	_ = json.NewEncoder(w).Encode(p)
}
