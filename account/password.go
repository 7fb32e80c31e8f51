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
	if err := password.Check(pw); err != nil {
		return nil, invalid("password: %v", err)
	}
	if _, err := s.store.UserByUsername(ctx, key); err == nil {
		return nil, passkeyd.ErrUsernameTaken
	} else if !errors.Is(err, passkeyd.ErrNotFound) {
		return nil, err
	}
	u := &passkeyd.User{
		ID: randomID(16), Handle: randomBytes(32), Username: display, UsernameKey: key, DisplayName: displayName,
		PasswordHash: s.cfg.Passwords.Hash(pw), CreatedAt: s.Now().UTC(),
	}
	ns := s.newSession(u.ID, passkeyd.MethodPassword)
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
		h.VerifyNobody(pw)
		return nil, errWrongPassword
	}
	lock := "acct:" + key
	if err := s.lockCheck(ctx, lock); err != nil {
		return nil, err
	}
	if err := s.limitAccount(ctx, key); err != nil {
		return nil, err
	}
	u, err := s.store.UserByUsername(ctx, key)
	if err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.PasswordHash == "" {
		h.VerifyNobody(pw)
		s.lockFail(ctx, lock)
		return nil, errWrongPassword
	}
	ok, rehash, err := h.Verify(u.PasswordHash, pw)
	if err != nil {
		s.log.ErrorContext(ctx, "stored password hash unreadable", "user_id", u.ID, "err", err)
		return nil, errWrongPassword
	}
	if !ok {
		s.lockFail(ctx, lock)
		s.log.InfoContext(ctx, "password refused", "user_id", u.ID)
		s.audit(ctx, u.ID, "sign_in_failed", "password", nil, errWrongPassword)
		return nil, errWrongPassword
	}
	if rehash {
		if err := s.store.SetPasswordHash(ctx, u.ID, h.Hash(pw)); err != nil {
			s.log.WarnContext(ctx, "password rehash failed", "user_id", u.ID, "err", err)
		}
	}
	// The failures are cleared only once the whole sign-in succeeds: a right password must
	// not reset the count of wrong second-factor codes.
	if err := s.requireSecondFactor(ctx, u); err != nil {
		s.audit(ctx, u.ID, "sign_in", "password", nil, err)
		return nil, err
	}
	s.lockClear(ctx, lock)
	ns := s.newSession(u.ID, passkeyd.MethodPassword)
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

// ChangePassword sets the signed-in user's password. When the account already has one,
// currentPassword must be it (a stolen session alone cannot take the account over).
func (s *Service) ChangePassword(ctx context.Context, userID, currentPassword, newPassword string) error {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	if u.PasswordHash != "" {
		ok, _, err := s.cfg.Passwords.Verify(u.PasswordHash, currentPassword)
		if err != nil || !ok {
			err := &passkeyd.Error{Code: passkeyd.CodeInvalidCredentials, Detail: "the current password is wrong"}
			s.audit(ctx, userID, "password_change_failed", "password", nil, err)
			return err
		}
	}
	if err := password.Check(newPassword); err != nil {
		return invalid("newPassword: %v", err)
	}
	if err := s.store.SetPasswordHash(ctx, userID, s.cfg.Passwords.Hash(newPassword)); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "password changed", "user_id", userID)
	typ := "password_changed"
	if u.PasswordHash == "" {
		typ = "password_set" // a passkey-only account gained a password: a new way in
	}
	s.audit(ctx, userID, typ, "password", nil, nil)
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
