package account

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/passkeyd/passkeyd"
)

// MFARequired is the answer to a correct password on an account with a second factor: the
// client continues with POST /mfa/verify, presenting Token and one of Methods.
type MFARequired struct {
	Token   string
	Methods []string
}

func (e *MFARequired) Error() string { return "mfa_required: a second factor is needed" }

// requireSecondFactor returns MFARequired when the user has a confirmed TOTP, nil when the
// password alone signs them in. The mfaToken is a single-use challenge that expires with
// the ceremony timeout.
func (s *Service) requireSecondFactor(ctx context.Context, u *passkeyd.User) error {
	if !s.cfg.TOTP {
		return nil
	}
	t, err := s.store.TOTP(ctx, u.ID)
	if errors.Is(err, passkeyd.ErrNotFound) || (err == nil && !t.Confirmed) {
		return nil
	}
	if err != nil {
		return err
	}
	ch := s.newChallenge(passkeyd.CeremonyMFA)
	ch.UserID = u.ID
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return err
	}
	methods := []string{"totp"}
	if s.cfg.RecoveryCodes {
		methods = append(methods, "recovery_code")
	}
	return &MFARequired{Token: base64.RawURLEncoding.EncodeToString(ch.Value), Methods: methods}
}

// MFAVerify completes a password sign-in with a TOTP code or a recovery code. The mfaToken
// is used up by the attempt, right or wrong: a wrong code means starting over with the
// password, which bounds guessing to one code per password check.
func (s *Service) MFAVerify(ctx context.Context, token, code string) (*passkeyd.User, NewSession, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		return nil, NewSession{}, passkeyd.Errorf(passkeyd.CodeUnauthenticated, "the mfaToken is invalid or expired; sign in again")
	}
	ch, err := s.challenges.ConsumeChallenge(ctx, raw, s.Now())
	if err != nil || ch.Ceremony != passkeyd.CeremonyMFA {
		if err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
			return nil, NewSession{}, err
		}
		return nil, NewSession{}, passkeyd.Errorf(passkeyd.CodeUnauthenticated, "the mfaToken is invalid or expired; sign in again")
	}
	u, err := s.store.UserByID(ctx, ch.UserID)
	if err != nil {
		return nil, NewSession{}, notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	method := passkeyd.MethodMFA
	if digits := strings.ReplaceAll(strings.TrimSpace(code), " ", ""); len(digits) == totpDigits {
		err = s.checkTOTP(ctx, u.ID, digits, true)
	} else if s.cfg.RecoveryCodes && len(code) <= 64 {
		method = passkeyd.MethodRecoveryCode
		if err = s.store.UseRecoveryCode(ctx, u.ID, hashRecoveryCode(code), s.Now()); errors.Is(err, passkeyd.ErrNotFound) {
			err = errWrongCode
		}
	} else {
		err = errWrongCode
	}
	factor := "totp"
	if method == passkeyd.MethodRecoveryCode {
		factor = "recovery_code"
	}
	if err != nil {
		s.log.InfoContext(ctx, "second factor refused", "user_id", u.ID)
		s.audit(ctx, u.ID, "second_factor_failed", factor, nil, err)
		return nil, NewSession{}, err
	}
	ns := s.newSession(u.ID, method)
	if err := s.store.CreateSession(ctx, ns.Session); err != nil {
		return nil, NewSession{}, err
	}
	s.audit(ctx, u.ID, "sign_in", "password+"+factor, nil, nil)
	return u, ns, nil
}
