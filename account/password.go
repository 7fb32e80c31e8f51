package account

import (
	"context"
	"errors"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/password"
)

// PasswordsEnabled reports whether the password fallback is on.
func (s *Service) PasswordsEnabled() bool { return s.cfg.Passwords != nil }

var errWrongPassword = &passkeyd.Error{Code: passkeyd.CodeInvalidCredentials, Detail: "the username or password is wrong"}

// PasswordSignedIn is a password sign-up or sign-in.
type PasswordSignedIn struct {
	User    *passkeyd.User
	Session NewSession
	// SuggestPasskey is true when the user has no passkey: the page offers to create one.
	SuggestPasskey bool
}

// PasswordSignUp creates a password account (when the fallback is enabled).
func (s *Service) PasswordSignUp(ctx context.Context, username, pw, displayName string) (*PasswordSignedIn, error) {
	display, key, err := NormalizeUsername(username)
	if err != nil {
		return nil, err
	}
	displayName, err = cleanName("displayName", displayName)
	if err != nil {
		return nil, err
	}
	if displayName == "" {
		displayName = display
	}
	if err := s.limitAccount(ctx, key); err != nil {
		return nil, err
	}
	if err := s.checkPassword(ctx, pw, display, displayName); err != nil {
		return nil, invalid("password: %v", err)
	}
	if _, err := s.store.UserByUsername(ctx, key); err == nil {
		return nil, passkeyd.ErrUsernameTaken
	} else if !errors.Is(err, passkeyd.ErrNotFound) {
		return nil, err
	}
	hash, err := s.cfg.Passwords.Hash(ctx, pw)
	if err != nil {
		return nil, hashRefused(err)
	}
	u := &passkeyd.User{
		ID: randomID(16), Handle: randomBytes(32), Username: display, UsernameKey: key, DisplayName: displayName,
		PasswordHash: hash, CreatedAt: s.Now().UTC(),
	}
	ns := s.newSession(ctx, u.ID, passwordSignIn)
	if err := s.store.CreateAccount(ctx, passkeyd.NewAccount{User: u, Session: ns.Session}); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "account created", "user_id", u.ID, "method", "password")
	s.audit(ctx, u.ID, "account_created", "password", nil, nil)
	return &PasswordSignedIn{User: u, Session: ns, SuggestPasskey: true}, nil
}

// PasswordLogin signs in with a password. Unknown usernames cost the same as known ones and
// get the same answer; an imported bcrypt hash (or one with old parameters) is replaced by
// a fresh argon2id hash once the password is known to be right.
func (s *Service) PasswordLogin(ctx context.Context, username, pw string) (*PasswordSignedIn, error) {
	h := s.cfg.Passwords
	_, key, err := NormalizeUsername(username)
	if err != nil || len(pw) > 1024 {
		if err := h.VerifyNobody(ctx, pw); err != nil {
			return nil, hashRefused(err)
		}
		return nil, errWrongPassword
	}
	// The guess takes a failure slot before it is evaluated (see LockoutStore): it stays
	// counted when the password is wrong, and is given back when the password could not be
	// checked at all.
	lock := "acct:" + key
	if err := s.lockReserve(ctx, lock); err != nil {
		return nil, err
	}
	if err := s.limitAccount(ctx, key); err != nil {
		s.lockRelease(ctx, lock)
		return nil, err
	}
	u, err := s.store.UserByUsername(ctx, key)
	if err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
		s.lockRelease(ctx, lock)
		return nil, err
	}
	if u == nil || u.PasswordHash == "" {
		if err := h.VerifyNobody(ctx, pw); err != nil {
			s.lockRelease(ctx, lock)
			return nil, hashRefused(err)
		}
		s.evaluated(ctx, "password")
		// The log line and audit event a known account's wrong password costs, so that
		// unknown usernames do the same work.
		s.log.InfoContext(ctx, "password refused", "user_id", "")
		s.audit(ctx, "", "sign_in_failed", "password", nil, errWrongPassword)
		return nil, errWrongPassword
	}
	ok, rehash, err := h.Verify(ctx, u.PasswordHash, pw)
	if errors.Is(err, password.ErrBusy) {
		s.lockRelease(ctx, lock)
		return nil, hashRefused(err)
	}
	if err != nil {
		s.lockRelease(ctx, lock)
		s.log.ErrorContext(ctx, "stored password hash unreadable", "user_id", u.ID, "err", err)
		return nil, errWrongPassword
	}
	s.evaluated(ctx, "password")
	if !ok {
		s.log.InfoContext(ctx, "password refused", "user_id", u.ID)
		s.audit(ctx, u.ID, "sign_in_failed", "password", nil, errWrongPassword)
		return nil, errWrongPassword
	}
	if rehash {
		// A busy queue only postpones the rehash to a later sign-in.
		if fresh, err := h.Hash(ctx, pw); err != nil {
			s.log.InfoContext(ctx, "password rehash postponed", "user_id", u.ID, "err", err)
		} else if err := s.store.SetPasswordHash(ctx, u.ID, fresh); err != nil {
			s.log.WarnContext(ctx, "password rehash failed", "user_id", u.ID, "err", err)
		}
		s.signIns.dropUser(u.ID)
	}
	// The failures are cleared only once the whole sign-in succeeds: a right password must
	// not reset the count of wrong second-factor codes. It is no failure either, so its slot
	// is given back while the second factor is pending.
	if err := s.requireSecondFactor(ctx, u); err != nil {
		s.lockRelease(ctx, lock)
		s.audit(ctx, u.ID, "sign_in", "password", nil, err)
		return nil, err
	}
	s.lockSucceed(ctx, lock)
	ns := s.newSession(ctx, u.ID, passwordSignIn)
	if err := s.store.CreateSession(ctx, ns.Session); err != nil {
		return nil, err
	}
	s.audit(ctx, u.ID, "sign_in", "password", nil, nil)
	ps, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &PasswordSignedIn{User: u, Session: ns, SuggestPasskey: len(ps) == 0}, nil
}

// ChangePassword sets the signed-in user's password. It needs a recent sign-in and, when the
// account already has a password, currentPassword must be it — a guess that counts towards
// the account lockout. Every other session of the user ends.
func (s *Service) ChangePassword(ctx context.Context, sess *passkeyd.Session, currentPassword, newPassword string) error {
	if err := s.requireRecent(sess); err != nil {
		return err
	}
	userID := sess.UserID
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	// The new password is checked first: a refused one must not cost a guess.
	if err := s.checkPassword(ctx, newPassword, u.Username, u.DisplayName); err != nil {
		return invalid("newPassword: %v", err)
	}
	event := "password_set"
	if u.PasswordHash != "" {
		event = "password_changed"
		lock := "acct:" + u.UsernameKey
		if err := s.lockReserve(ctx, lock); err != nil {
			return err
		}
		ok, _, err := s.cfg.Passwords.Verify(ctx, u.PasswordHash, currentPassword)
		if errors.Is(err, password.ErrBusy) {
			// Not evaluated: the guess is given back.
			s.lockRelease(ctx, lock)
			return hashRefused(err)
		}
		s.evaluated(ctx, "password")
		if err != nil || !ok || len(currentPassword) > 1024 {
			err := &passkeyd.Error{Code: passkeyd.CodeInvalidCredentials, Detail: "the current password is wrong"}
			s.audit(ctx, userID, "password_change_failed", "password", nil, err)
			return err
		}
		s.lockSucceed(ctx, lock)
	}
	hash, err := s.cfg.Passwords.Hash(ctx, newPassword)
	if err != nil {
		return hashRefused(err)
	}
	err = s.store.ReplacePassword(ctx, userID, hash, sess.ID)
	s.signIns.dropUser(userID)
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "password changed", "user_id", userID)
	s.audit(ctx, userID, event, "password", nil, nil)
	s.audit(ctx, userID, "sessions_revoked", "", nil, nil)
	return nil
}

// RemovePassword makes the account stop using a password, unless it is the last way in
// (ErrLastCredential). It needs a recent sign-in; every other session of the user ends.
func (s *Service) RemovePassword(ctx context.Context, sess *passkeyd.Session) error {
	if err := s.requireRecent(sess); err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	if u.PasswordHash == "" {
		return passkeyd.Errorf(passkeyd.CodeNotFound, "the account has no password")
	}
	err = s.store.ReplacePassword(ctx, u.ID, "", sess.ID)
	s.signIns.dropUser(u.ID)
	if err != nil {
		if errors.Is(err, passkeyd.ErrLastCredential) {
			s.audit(ctx, u.ID, "password_remove_refused", "password", nil, err)
		}
		return err
	}
	s.log.InfoContext(ctx, "password removed", "user_id", u.ID)
	s.audit(ctx, u.ID, "password_removed", "password", nil, nil)
	s.audit(ctx, u.ID, "sessions_revoked", "", nil, nil)
	return nil
}

// LoginMethods answers identifier-first sign-in. It gives every username — known or not,
// with or without a password — the same list, the methods this server offers: any
// per-account answer would tell an attacker which accounts exist and which have a password.
func (s *Service) LoginMethods(username string) ([]string, error) {
	if _, _, err := NormalizeUsername(username); err != nil {
		return nil, err
	}
	methods := []string{"passkey"}
	if s.PasswordsEnabled() {
		methods = append(methods, "password")
	}
	return methods, nil
}

// checkPassword applies the configured policy to a new password; the account's names count
// as guessable words.
func (s *Service) checkPassword(ctx context.Context, pw string, names ...string) error {
	p := &password.DefaultPolicy
	if s.cfg.PasswordPolicy != nil {
		p = s.cfg.PasswordPolicy
	}
	return p.Check(ctx, pw, names...)
}
