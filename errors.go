package passkeyd

import (
	"errors"
	"fmt"
)

// Code is a stable machine-readable error code of the HTTP contract (the `code` member of a
// problem+json body).
type Code string

// The codes of the contract. Their HTTP statuses live in the HTTP layer, the one place that
// turns errors into responses.
const (
	CodeInvalidRequest           Code = "invalid_request"
	CodeChallengeUnknown         Code = "challenge_unknown"
	CodeOriginMismatch           Code = "origin_mismatch"
	CodeRPIDMismatch             Code = "rp_id_mismatch"
	CodeCeremonyTypeMismatch     Code = "ceremony_type_mismatch"
	CodeUserPresenceRequired     Code = "user_presence_required"
	CodeUserVerificationRequired Code = "user_verification_required"
	CodeAlgorithmNotAllowed      Code = "algorithm_not_allowed"
	CodeAttestationInvalid       Code = "attestation_invalid"
	CodeCredentialExists         Code = "credential_exists"
	CodeCredentialUnknown        Code = "credential_unknown"
	CodeUserHandleMismatch       Code = "user_handle_mismatch"
	CodeFlagsInvalid             Code = "flags_invalid"
	CodeSignatureInvalid         Code = "signature_invalid"
	CodeCounterRegression        Code = "counter_regression"
	CodeUnauthenticated          Code = "unauthenticated"
	CodeInvalidCredentials       Code = "invalid_credentials"
	CodeMFARequired              Code = "mfa_required"
	CodeForbiddenOrigin          Code = "forbidden_origin"
	CodeReauthenticationRequired Code = "reauthentication_required"
	CodeUnsupportedMediaType     Code = "unsupported_media_type"
	CodeNotFound                 Code = "not_found"
	CodeUsernameTaken            Code = "username_taken"
	CodeLastCredential           Code = "last_credential"
	CodePayloadTooLarge          Code = "payload_too_large"
	CodeRateLimited              Code = "rate_limited"
	CodeAccountLocked            Code = "account_locked"
	CodeUnavailable              Code = "unavailable"
	CodeInternal                 Code = "internal"
)

// Error is an error that carries a contract code and a human-readable detail. Errors compare
// equal under errors.Is when their codes match, so callers test with the sentinels below.
type Error struct {
	Code   Code
	Detail string
	Err    error // the underlying cause, for logs; never shown to clients
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with the given code and a formatted detail. A %w verb in format
// keeps the wrapped error as the cause.
func Errorf(code Code, format string, args ...any) error {
	wrapped := fmt.Errorf(format, args...)
	return &Error{Code: code, Detail: wrapped.Error(), Err: errors.Unwrap(wrapped)}
}

// ErrorCode returns the contract code of err, or CodeInternal when it carries none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Sentinels for errors.Is. Stores return these (possibly wrapped).
var (
	ErrNotFound          = &Error{Code: CodeNotFound, Detail: "not found"}
	ErrUsernameTaken     = &Error{Code: CodeUsernameTaken, Detail: "the username is taken"}
	ErrCredentialExists  = &Error{Code: CodeCredentialExists, Detail: "the credential is already registered"}
	ErrLastCredential    = &Error{Code: CodeLastCredential, Detail: "the account would be left with no way to sign in"}
	ErrCounterRegression = &Error{Code: CodeCounterRegression, Detail: "the signature counter did not increase"}
	ErrChallengeUnknown  = &Error{Code: CodeChallengeUnknown, Detail: "the challenge was never issued, already used, or expired"}
	ErrUnauthenticated   = &Error{Code: CodeUnauthenticated, Detail: "a valid session is required"}
	ErrUnavailable       = &Error{Code: CodeUnavailable, Detail: "a backing store is unavailable"}
)

// ErrStale means RecordLogin was given etags (PasskeyUse.ETag, UserETag) that are no longer
// the stored ones: the passkey or its owner changed after the read the sign-in was decided
// on, so nothing was written. It is no contract code: the account service reads again and
// decides again.
var ErrStale = errors.New("the passkey or its owner changed since it was read")

// ErrTokenReused means a single-use OpenID Connect token (a rotated refresh token) was
// presented again: the store has revoked its grant. It is no contract code: the OpenID
// provider answers invalid_grant.
var ErrTokenReused = errors.New("the token was already used: its grant is revoked")
