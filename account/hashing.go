package account

import (
	"errors"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/password"
)

// hashRefused turns a refusal of the password hasher's bounded queue into the contract's
// 503 unavailable with Retry-After; other errors pass unchanged. A refused check says
// nothing about the password, so it must not count as a failure (nor as a success).
func hashRefused(err error) error {
	var busy *password.BusyError
	if errors.As(err, &busy) {
		return &RetryError{
			Err:        &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "too many password checks are in progress; retry shortly"},
			RetryAfter: busy.RetryAfter,
		}
	}
	return err
}
