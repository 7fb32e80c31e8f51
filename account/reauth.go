package account

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/password"
)

// Recent authentication: the changes that decide who can get into the account — adding or
// deleting a passkey, setting, changing or removing the password, enrolling or removing
// TOTP, regenerating recovery codes, deleting the account — need a session whose
// AuthenticatedAt is within ReauthWindow. A stolen session alone then cannot take the
// account over; the thief would also need the passkey or the password.

var errReauthRequired = &passkeyd.Error{Code: passkeyd.CodeReauthenticationRequired, Detail: "this change needs a recent sign-in: re-authenticate with your passkey or password, then retry"}

// requireRecent refuses a change on a session whose sign-in is not recent.
func (s *Service) requireRecent(sess *passkeyd.Session) error {
	if sess == nil || s.Now().Sub(sess.AuthenticatedAt) > s.cfg.ReauthWindow {
		return errReauthRequired
	}
	return nil
}

// ReauthWindow is how recent a sign-in must be for sensitive changes.
func (s *Service) ReauthWindow() int64 { return int64(s.cfg.ReauthWindow.Seconds()) }

// BeginReauth returns request options for re-authenticating the session's user with one of
// their passkeys, user verification required. The challenge is bound to the session.
func (s *Service) BeginReauth(ctx context.Context, sess *passkeyd.Session) (*ceremony.RequestOptions, error) {
	if s.cfg.PasskeySecondFactor {
		return nil, passkeyd.Errorf(passkeyd.CodeInvalidRequest, "on this server a passkey is a second factor: re-authenticate with your password")
	}
	ps, err := s.store.Passkeys(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, passkeyd.Errorf(passkeyd.CodeInvalidRequest, "the account has no passkey: re-authenticate with your password")
	}
	ch := s.newChallenge(passkeyd.CeremonyAuthentication)
	s.rp.PrepareAuthentication(ch)
	ch.UserVerification = "required"
	ch.Named, ch.UserID, ch.SessionID = true, sess.UserID, sess.ID
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return nil, err
	}
	return s.rp.RequestOptions(ch, ceremony.Descriptors(ps)), nil
}

// ReauthPasskey re-authenticates a session with an assertion made for BeginReauth's
// options: the session's AuthenticatedAt is refreshed in place (same id and token).
func (s *Service) ReauthPasskey(ctx context.Context, sess *passkeyd.Session, credential json.RawMessage) (*passkeyd.Session, error) {
	a, err := ceremony.ParseAssertion(credential)
	if err != nil {
		return nil, err
	}
	credID := a.CredentialID()
	ch, err := s.consume(ctx, a.Challenge, passkeyd.CeremonyAuthentication)
	if err == nil && (ch.SessionID == "" || ch.SessionID != sess.ID || ch.SecondFactor) {
		err = passkeyd.ErrChallengeUnknown
	}
	if err != nil {
		s.audit(ctx, sess.UserID, "reauth_failed", "passkey", credID, err)
		return nil, err
	}
	// Decided on a fresh read; once more when the passkey or its owner changed between that
	// read and the write (ErrStale).
	var event string
	if err := onceMoreIfStale(func() (err error) {
		event, err = s.reauthPasskey(ctx, a, ch, credID)
		return err
	}); err != nil {
		s.audit(ctx, sess.UserID, event, "passkey", credID, err)
		return nil, err
	}
	return s.reauthenticated(ctx, sess, "passkey", credID, true)
}

// reauthPasskey verifies a re-authentication assertion against the stored passkey and
// records its use. When it fails it names the audit event: counter_regression for a
// possibly cloned passkey, reauth_failed otherwise.
func (s *Service) reauthPasskey(ctx context.Context, a *ceremony.Assertion, ch *passkeyd.Challenge, credID []byte) (event string, err error) {
	pk, owner, err := s.readCredential(ctx, credID)
	if err != nil {
		return "reauth_failed", err
	}
	if err := ceremony.CheckOwner(a, ch, pk, owner); err != nil {
		return "reauth_failed", err
	}
	use, err := s.rp.VerifyAssertion(a, ch, pk)
	regressed := errors.Is(err, passkeyd.ErrCounterRegression)
	if err != nil && !regressed {
		return "reauth_failed", err
	}
	use.UsedAt = s.Now().UTC()
	use.ETag, use.UserETag = pk.ETag, owner.ETag
	event = "counter_regression"
	if !regressed && !pk.CloneWarning {
		err = s.store.RecordLogin(ctx, pk.ID, use, nil, nil)
		switch {
		case err == nil:
			return "", nil
		case !errors.Is(err, passkeyd.ErrCounterRegression):
			return "reauth_failed", notFoundAs(err, errCredentialUnknown())
		}
		// A concurrent sign-in with the same or a later counter won.
		event = "reauth_failed"
	}
	// The same counter rule as sign-in: a possibly cloned passkey does not vouch for anyone
	// under the refuse policy.
	if _, err := s.cloneSuspectedNoSession(ctx, owner, pk, use, err); err != nil {
		return event, err
	}
	return "", nil
}

// cloneSuspectedNoSession flags a passkey whose counter went backwards and says whether the
// counter policy still lets it vouch for the user (warn) or not (refuse).
func (s *Service) cloneSuspectedNoSession(ctx context.Context, owner *passkeyd.User, pk *passkeyd.Passkey, use passkeyd.PasskeyUse, cause error) (bool, error) {
	if !pk.CloneWarning {
		err := s.store.SetCloneWarning(ctx, pk.ID, true)
		s.signIns.dropPasskey(pk.ID)
		if err != nil {
			return false, err
		}
		pk.CloneWarning = true
	}
	s.log.WarnContext(ctx, "signature counter regression: possible cloned authenticator",
		"user_id", owner.ID, "stored_count", pk.SignCount, "received_count", use.SignCount, "policy", s.cfg.CounterPolicy)
	if s.cfg.CounterPolicy == "warn" {
		return true, nil
	}
	if cause == nil || !errors.Is(cause, passkeyd.ErrCounterRegression) {
		cause = passkeyd.Errorf(passkeyd.CodeCounterRegression, "this passkey is flagged as possibly cloned; delete it and register a new one")
	}
	return false, cause
}

// ReauthPassword re-authenticates a session with the account's password, plus a TOTP code
// when the account has TOTP (the session must not get more than the sign-in would). Every
// attempt counts towards the account lockout like a sign-in guess.
func (s *Service) ReauthPassword(ctx context.Context, sess *passkeyd.Session, pw, code string) (*passkeyd.Session, error) {
	if s.cfg.Passwords == nil {
		return nil, passkeyd.Errorf(passkeyd.CodeNotFound, "passwords are not enabled on this server")
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	lock := "acct:" + u.UsernameKey
	if err := s.lockReserve(ctx, lock); err != nil {
		return nil, err
	}
	wrong := &passkeyd.Error{Code: passkeyd.CodeInvalidCredentials, Detail: "the password or code is wrong"}
	if u.PasswordHash == "" || len(pw) > 1024 {
		if err := s.cfg.Passwords.VerifyNobody(ctx, pw); errors.Is(err, password.ErrBusy) {
			s.lockRelease(ctx, lock)
			return nil, hashRefused(err)
		}
		s.audit(ctx, u.ID, "reauth_failed", "password", nil, wrong)
		return nil, wrong
	}
	ok, _, err := s.cfg.Passwords.Verify(ctx, u.PasswordHash, pw)
	if errors.Is(err, password.ErrBusy) {
		s.lockRelease(ctx, lock)
		return nil, hashRefused(err)
	}
	s.evaluated(ctx, "password")
	if err != nil || !ok {
		s.audit(ctx, u.ID, "reauth_failed", "password", nil, wrong)
		return nil, wrong
	}
	hasTOTP := false
	if s.cfg.TOTP {
		t, err := s.store.TOTP(ctx, u.ID)
		if err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
			s.lockRelease(ctx, lock)
			return nil, err
		}
		hasTOTP = err == nil && t.Confirmed
	}
	if hasTOTP {
		if err := s.checkTOTP(ctx, u.ID, strings.TrimSpace(code), true); err != nil {
			if errors.Is(err, errWrongCode) {
				err = wrong
			} else {
				s.lockRelease(ctx, lock)
			}
			s.audit(ctx, u.ID, "reauth_failed", "password+totp", nil, err)
			return nil, err
		}
	} else if s.cfg.PasskeySecondFactor {
		// Where a passkey is the second factor, a password alone is less than the sign-in
		// asked for; such an account's sessions become recent by signing in again.
		ps, err := s.store.Passkeys(ctx, u.ID)
		if err != nil {
			s.lockRelease(ctx, lock)
			return nil, err
		}
		if len(ps) > 0 {
			s.lockSucceed(ctx, lock)
			return nil, &passkeyd.Error{Code: passkeyd.CodeReauthenticationRequired, Detail: "a password alone cannot re-authenticate this account: sign out and sign in again"}
		}
	}
	s.lockSucceed(ctx, lock)
	method := "password"
	if hasTOTP {
		method = "password+totp"
	}
	return s.reauthenticated(ctx, sess, method, nil, hasTOTP)
}

func (s *Service) reauthenticated(ctx context.Context, sess *passkeyd.Session, method string, credID []byte, uv bool) (*passkeyd.Session, error) {
	at := s.Now().UTC()
	if err := s.store.ReauthenticateSession(ctx, sess.ID, at, uv); err != nil {
		return nil, notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	cp := *sess
	cp.AuthenticatedAt = at
	cp.UserVerified = cp.UserVerified || uv
	s.audit(ctx, sess.UserID, "reauthenticated", method, credID, nil)
	return &cp, nil
}
