package account

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
)

// SignUpRequest is the body of registration options without a session.
type SignUpRequest struct {
	Username    string
	DisplayName string
	Attachment  string
}

func checkAttachment(a string) error {
	switch a {
	case "", "platform", "cross-platform":
		return nil
	}
	return invalid(`authenticatorAttachment must be "platform" or "cross-platform"`)
}

// BeginSignUp starts the sign-up of a new passkey-only account. The account is created only
// when the ceremony completes, so an abandoned sign-up leaves nothing behind.
func (s *Service) BeginSignUp(ctx context.Context, req SignUpRequest) (*ceremony.CreationOptions, error) {
	if s.cfg.PasskeySecondFactor {
		return nil, invalid("on this server a passkey is a second factor: sign up with a password, then add a passkey")
	}
	display, key, err := NormalizeUsername(req.Username)
	if err != nil {
		return nil, err
	}
	if err := s.limitAccount(ctx, key); err != nil {
		return nil, err
	}
	displayName, err := cleanName("displayName", req.DisplayName)
	if err != nil {
		return nil, err
	}
	if displayName == "" {
		displayName = display
	}
	if err := checkAttachment(req.Attachment); err != nil {
		return nil, err
	}
	if _, err := s.store.UserByUsername(ctx, key); err == nil {
		return nil, passkeyd.ErrUsernameTaken
	} else if !errors.Is(err, passkeyd.ErrNotFound) {
		return nil, err
	}
	u := &passkeyd.User{
		ID:          randomID(16),
		Handle:      randomBytes(32),
		Username:    display,
		UsernameKey: key,
		DisplayName: displayName,
	}
	ch := s.newChallenge(passkeyd.CeremonyRegistration)
	ch.NewUser = u
	ch.Attachment = req.Attachment
	s.rp.PrepareRegistration(ch)
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return nil, err
	}
	return s.rp.CreationOptions(ch, u, nil), nil
}

// BeginAddPasskey starts registering another passkey for the signed-in user. The challenge
// is bound to sess: only a verify on the same session can use it.
func (s *Service) BeginAddPasskey(ctx context.Context, sess *passkeyd.Session, attachment string) (*ceremony.CreationOptions, error) {
	if err := checkAttachment(attachment); err != nil {
		return nil, err
	}
	if err := s.requireRecent(sess); err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	existing, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	ch := s.newChallenge(passkeyd.CeremonyRegistration)
	ch.UserID = u.ID
	ch.SessionID = sess.ID
	ch.Attachment = attachment
	s.rp.PrepareRegistration(ch)
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return nil, err
	}
	return s.rp.CreationOptions(ch, u, existing), nil
}

// Registered is the outcome of a registration: the new passkey, its user, and for a sign-up
// the new session.
type Registered struct {
	User    *passkeyd.User
	Passkey *passkeyd.Passkey
	Session *NewSession // nil when a passkey was added to an existing account
	// RecoveryCodes are the new account's recovery codes, shown this once (sign-up with
	// recovery codes enabled only).
	RecoveryCodes []string
}

// FinishRegistration verifies a RegistrationResponseJSON (§7.1) and stores the passkey.
// sess is the caller's session, nil when there is none. Nothing is stored unless every step
// passes; the outcome goes to the audit log.
func (s *Service) FinishRegistration(ctx context.Context, sess *passkeyd.Session, credential json.RawMessage, name string) (*Registered, error) {
	res, err := s.finishRegistration(ctx, sess, credential, name)
	switch {
	case err == nil && res.Session != nil:
		s.audit(ctx, res.User.ID, "account_created", "passkey", res.Passkey.ID, nil)
	case err == nil:
		s.audit(ctx, res.User.ID, "passkey_added", "passkey", res.Passkey.ID, nil)
	case sess != nil:
		s.audit(ctx, sess.UserID, "passkey_add_failed", "passkey", nil, err)
	}
	return res, err
}

func (s *Service) finishRegistration(ctx context.Context, sess *passkeyd.Session, credential json.RawMessage, name string) (*Registered, error) {
	name, err := cleanName("name", name)
	if err != nil {
		return nil, err
	}
	reg, err := ceremony.ParseRegistration(credential)
	if err != nil {
		return nil, err
	}
	ch, err := s.consume(ctx, reg.Challenge, passkeyd.CeremonyRegistration)
	if err != nil {
		return nil, err
	}
	// An add-passkey challenge is only good on the session that asked for it; otherwise a
	// stolen challenge could attach an attacker's authenticator to the victim's account.
	if ch.SessionID != "" && (sess == nil || sess.ID != ch.SessionID) {
		return nil, passkeyd.ErrChallengeUnknown
	}
	if ch.SessionID != "" {
		if err := s.requireRecent(sess); err != nil {
			return nil, err
		}
	}
	pk, err := s.rp.VerifyRegistration(reg, ch)
	if err == nil {
		err = s.checkAAGUID(ctx, pk.AAGUID) // §7.1 step 23, with the run-time lists
	}
	if err != nil {
		if s.cfg.OnAttestationFailure != nil && passkeyd.ErrorCode(err) == passkeyd.CodeAttestationInvalid {
			s.cfg.OnAttestationFailure(reg.Format())
		}
		return nil, err
	}
	pk.CreatedAt = s.Now().UTC()
	pk.Name = name
	if pk.Name == "" {
		pk.Name = defaultName(pk)
	}

	if ch.NewUser != nil {
		u := ch.NewUser
		u.CreatedAt = pk.CreatedAt
		pk.UserID = u.ID
		ns := s.newSession(ctx, u.ID, passkeySignIn(pk.ID, pk.UserVerified))
		acc := passkeyd.NewAccount{User: u, Passkey: pk, Session: ns.Session}
		var codes []string
		if s.cfg.RecoveryCodes {
			codes, acc.RecoveryCodes = newRecoveryCodes()
		}
		if err := s.store.CreateAccount(ctx, acc); err != nil {
			return nil, err
		}
		s.signIns.dropPasskey(pk.ID) // a credential id used before, deleted on another instance
		s.log.InfoContext(ctx, "account created", "user_id", u.ID, "attestation", pk.AttestationFormat)
		return &Registered{User: u, Passkey: pk, Session: &ns, RecoveryCodes: codes}, nil
	}

	u, err := s.store.UserByID(ctx, ch.UserID)
	if err != nil {
		return nil, notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	pk.UserID = u.ID
	before, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if err := s.store.AddPasskey(ctx, pk); err != nil {
		return nil, err
	}
	s.signIns.dropPasskey(pk.ID)
	s.log.InfoContext(ctx, "passkey added", "user_id", u.ID, "attestation", pk.AttestationFormat)
	res := &Registered{User: u, Passkey: pk}
	// A password account's first passkey is its first authenticator: it brings recovery
	// codes, unless the account has them already (from TOTP).
	if s.cfg.RecoveryCodes && len(before) == 0 {
		if left, err := s.store.RecoveryCodesLeft(ctx, u.ID); err == nil && left == 0 {
			if codes, err := s.newRecoveryCodes(ctx, u.ID); err == nil {
				res.RecoveryCodes = codes
			}
		}
	}
	return res, nil
}

func defaultName(p *passkeyd.Passkey) string {
	if name := p.Provider(); name != "" {
		return name
	}
	switch p.DeviceType() {
	case passkeyd.DeviceSecurityKey:
		return "Security key"
	case passkeyd.DevicePlatform:
		if p.BackupEligible {
			return "Synced passkey"
		}
		return "Device passkey"
	}
	return "Passkey"
}
