package account

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
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
	var methods []string
	if s.cfg.PasskeySecondFactor {
		ps, err := s.store.Passkeys(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(ps) > 0 {
			methods = append(methods, "passkey")
		}
	}
	if s.cfg.TOTP {
		t, err := s.store.TOTP(ctx, u.ID)
		if err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
			return err
		}
		if err == nil && t.Confirmed {
			methods = append(methods, "totp")
		}
	}
	if len(methods) == 0 {
		return nil
	}
	ch := s.newChallenge(passkeyd.CeremonyMFA)
	ch.UserID = u.ID
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return err
	}
	if s.cfg.RecoveryCodes {
		methods = append(methods, "recovery_code")
	}
	return &MFARequired{Token: base64.RawURLEncoding.EncodeToString(ch.Value), Methods: methods}
}

var errBadMFAToken = &passkeyd.Error{Code: passkeyd.CodeUnauthenticated, Detail: "the mfaToken is invalid or expired; sign in again"}

// consumeMFA takes the mfa challenge a token names.
func (s *Service) consumeMFA(ctx context.Context, token string) (*passkeyd.Challenge, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		return nil, errBadMFAToken
	}
	now := s.Now()
	ch, err := s.challenges.ConsumeChallenge(ctx, raw, now)
	if err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
		return nil, err
	}
	if err == nil {
		if err := s.checkIssued(ctx, ch, now); err != nil {
			return nil, err
		}
	}
	if err != nil || ch.Ceremony != passkeyd.CeremonyMFA {
		return nil, errBadMFAToken
	}
	return ch, nil
}

// BeginSecondFactorLogin returns request options for a passkey as the second factor of the
// password sign-in the mfaToken stands for. The token stays usable for /mfa/verify.
func (s *Service) BeginSecondFactorLogin(ctx context.Context, token string) (*ceremony.RequestOptions, error) {
	mfa, err := s.consumeMFA(ctx, token)
	if err != nil {
		return nil, err
	}
	// Put the token back: asking for options is not an attempt.
	if err := s.challenges.PutChallenge(ctx, mfa); err != nil {
		return nil, err
	}
	ps, err := s.store.Passkeys(ctx, mfa.UserID)
	if err != nil {
		return nil, err
	}
	ch := s.newChallenge(passkeyd.CeremonyAuthentication)
	s.rp.PrepareAuthentication(ch)
	ch.Named, ch.UserID, ch.SecondFactor = true, mfa.UserID, true
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return nil, err
	}
	return s.rp.RequestOptions(ch, ceremony.Descriptors(ps)), nil
}

// MFAVerifyPasskey completes a password sign-in with a passkey assertion made for options
// from BeginSecondFactorLogin.
func (s *Service) MFAVerifyPasskey(ctx context.Context, token string, credential json.RawMessage) (*passkeyd.User, NewSession, error) {
	mfa, err := s.consumeMFA(ctx, token)
	if err != nil {
		return nil, NewSession{}, err
	}
	res, userID, credID, err := s.finishLogin(ctx, credential, mfa.UserID, "password+passkey")
	if err != nil {
		s.audit(ctx, userID, "second_factor_failed", "passkey", credID, err)
		return nil, NewSession{}, err
	}
	if !res.audited {
		s.audit(ctx, userID, "sign_in", "password+passkey", credID, nil)
	}
	return res.User, res.Session, nil
}

// MFAVerify completes a password sign-in with a TOTP code or a recovery code. The mfaToken
// is used up by the attempt, right or wrong: a wrong code means starting over with the
// password, which bounds guessing to one code per password check.
func (s *Service) MFAVerify(ctx context.Context, token, code string) (*passkeyd.User, NewSession, error) {
	ch, err := s.consumeMFA(ctx, token)
	if err != nil {
		return nil, NewSession{}, err
	}
	u, err := s.store.UserByID(ctx, ch.UserID)
	if err != nil {
		return nil, NewSession{}, notFoundAs(err, passkeyd.ErrUnauthenticated)
	}
	lock := "acct:" + u.UsernameKey
	if err := s.lockReserve(ctx, lock); err != nil {
		return nil, NewSession{}, err
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
		if errors.Is(err, errWrongCode) {
			s.evaluated(ctx, factor) // the slot stays counted
		} else {
			s.lockRelease(ctx, lock) // a store error: the code was never judged
		}
		s.log.InfoContext(ctx, "second factor refused", "user_id", u.ID)
		s.audit(ctx, u.ID, "second_factor_failed", factor, nil, err)
		return nil, NewSession{}, err
	}
	s.evaluated(ctx, factor)
	s.lockSucceed(ctx, lock)
	second := signIn{amr: []string{"otp"}}
	ns := s.newSession(ctx, u.ID, secondFactorSignIn(method, second))
	if err := s.store.CreateSession(ctx, ns.Session); err != nil {
		return nil, NewSession{}, err
	}
	s.audit(ctx, u.ID, "sign_in", "password+"+factor, nil, nil)
	return u, ns, nil
}

// Factors are the sign-in factors an account has besides its passkeys, for pages that show
// the account's state (set or change a password, set up or remove TOTP).
type Factors struct {
	Password bool `json:"password"`
	TOTP     bool `json:"totp"`
}

// Factors reports which of the fallbacks u has set up.
func (s *Service) Factors(ctx context.Context, u *passkeyd.User) (Factors, error) {
	f := Factors{Password: u.PasswordHash != ""}
	if s.cfg.TOTP {
		t, err := s.store.TOTP(ctx, u.ID)
		if err != nil && !errors.Is(err, passkeyd.ErrNotFound) {
			return f, err
		}
		f.TOTP = err == nil && t.Confirmed
	}
	return f, nil
}
