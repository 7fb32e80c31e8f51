package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"rsc.io/qr"

	"github.com/passkeyd/passkeyd"
)

// TOTP (RFC 6238): HMAC-SHA1, 6 digits, 30-second steps — the parameters every
// authenticator app supports. Codes from the step before and after the current one are
// accepted (clock drift), and each step at most once.
const (
	totpPeriod = 30
	totpDigits = 6
)

// TOTPEnabled reports whether the totp fallback is on.
func (s *Service) TOTPEnabled() bool { return s.cfg.TOTP }

// SecondFactorEnabled reports whether password sign-ins can ask for a second factor.
func (s *Service) SecondFactorEnabled() bool { return s.cfg.TOTP || s.cfg.PasskeySecondFactor }

// TOTPCode is the code for secret at time t (exported for tests and tools).
func TOTPCode(secret []byte, t time.Time) string {
	return hotp(secret, t.Unix()/totpPeriod)
}

func hotp(secret []byte, step int64) string {
	mac := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPEnrolment is a secret to show to the user (as text and as an otpauth URI for a QR
// code); it works only after ConfirmTOTP.
type TOTPEnrolment struct {
	Secret string
	URI    string
	// QRCode is a PNG image of URI, as a data: URL an <img> can show.
	QRCode string
}

// BeginTOTP starts enrolment: a fresh secret, unconfirmed until a code from it is entered.
func (s *Service) BeginTOTP(ctx context.Context, sess *passkeyd.Session, u *passkeyd.User) (*TOTPEnrolment, error) {
	if err := s.requireRecent(sess); err != nil {
		return nil, err
	}
	secret := randomBytes(20)
	sealed, err := s.sealTOTP(u.ID, secret)
	if err != nil {
		return nil, err
	}
	if err := s.store.PutTOTP(ctx, u.ID, sealed); err != nil {
		if errors.Is(err, passkeyd.ErrCredentialExists) {
			return nil, passkeyd.Errorf(passkeyd.CodeCredentialExists, "TOTP is already set up; remove it first to enrol another app")
		}
		return nil, err
	}
	issuer := s.rp.Name()
	label := url.PathEscape(issuer + ":" + u.Username)
	q := url.Values{"secret": {b32.EncodeToString(secret)}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	uri := "otpauth://totp/" + label + "?" + q.Encode()
	e := &TOTPEnrolment{Secret: b32.EncodeToString(secret), URI: uri}
	if code, err := qr.Encode(uri, qr.M); err == nil {
		e.QRCode = "data:image/png;base64," + base64.StdEncoding.EncodeToString(code.PNG())
	}
	return e, nil
}

// sealTOTP encrypts a TOTP secret for storage with the first configured key, bound to its
// user (a sealed secret copied to another user's row does not open there). Without keys it
// is stored as it is.
func (s *Service) sealTOTP(userID string, secret []byte) ([]byte, error) {
	sealed, err := s.cfg.Keys.Seal(secret, []byte("totp:"+userID))
	if err != nil {
		return nil, fmt.Errorf("seal totp secret: %w", err)
	}
	return sealed, nil
}

// openTOTP decrypts a stored TOTP secret. A secret stored before keys were configured is
// not sealed and comes back as it is (it is sealed when the user enrols again). A sealed
// one that no configured key opens is a configuration fault — the key that sealed it was
// removed from encryptionKeys, or the row was altered — so it is logged for the operator
// (without the secret) and answered as an internal error, never as a wrong code.
func (s *Service) openTOTP(ctx context.Context, userID string, stored []byte) ([]byte, error) {
	secret, err := s.cfg.Keys.Open(stored, []byte("totp:"+userID))
	if err != nil {
		s.log.ErrorContext(ctx, "totp secret cannot be decrypted; put the key that sealed it back in encryptionKeys (PASSKEYD_ENCRYPTION_KEYS)", "user_id", userID, "err", err)
		return nil, fmt.Errorf("open totp secret of user %s: %w", userID, err)
	}
	return secret, nil
}

var errWrongCode = &passkeyd.Error{Code: passkeyd.CodeInvalidCredentials, Detail: "the code is wrong or was already used"}

// checkTOTP accepts a code from the user's TOTP (confirmed or, when confirming, not) once.
func (s *Service) checkTOTP(ctx context.Context, userID, code string, mustBeConfirmed bool) error {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != totpDigits {
		return errWrongCode
	}
	t, err := s.store.TOTP(ctx, userID)
	if errors.Is(err, passkeyd.ErrNotFound) || (err == nil && mustBeConfirmed && !t.Confirmed) {
		return errWrongCode
	}
	if err != nil {
		return err
	}
	secret, err := s.openTOTP(ctx, userID, t.Secret)
	if err != nil {
		return err
	}
	now := s.Now().Unix() / totpPeriod
	for _, step := range []int64{now, now - 1, now + 1} {
		if step <= t.LastStep || !hmac.Equal([]byte(hotp(secret, step)), []byte(code)) {
			continue
		}
		if err := s.store.UseTOTPStep(ctx, userID, step); err != nil {
			if errors.Is(err, passkeyd.ErrNotFound) {
				return errWrongCode // a concurrent request used it first
			}
			return err
		}
		return nil
	}
	return errWrongCode
}

// ConfirmTOTP completes enrolment with a code from the app. When TOTP is the account's
// first authenticator (no passkey yet, no recovery codes), recovery codes are generated and
// returned, once.
func (s *Service) ConfirmTOTP(ctx context.Context, sess *passkeyd.Session, code string) ([]string, error) {
	if err := s.requireRecent(sess); err != nil {
		return nil, err
	}
	userID := sess.UserID
	if err := s.checkTOTP(ctx, userID, code, false); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "totp enrolled", "user_id", userID)
	s.audit(ctx, userID, "totp_enrolled", "totp", nil, nil)
	if !s.cfg.RecoveryCodes {
		return nil, nil
	}
	ps, err := s.store.Passkeys(ctx, userID)
	if err != nil {
		return nil, err
	}
	left, err := s.store.RecoveryCodesLeft(ctx, userID)
	if err != nil || len(ps) > 0 || left > 0 {
		return nil, err
	}
	return s.newRecoveryCodes(ctx, userID)
}

// DeleteTOTP removes the user's TOTP, and every other session of the user with it. TOTP
// alone is never a way to sign in (it is a second factor), so removing it cannot lock
// anyone out. It needs a recent sign-in.
func (s *Service) DeleteTOTP(ctx context.Context, sess *passkeyd.Session) error {
	if err := s.requireRecent(sess); err != nil {
		return err
	}
	userID := sess.UserID
	if err := s.store.DeleteTOTP(ctx, userID); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "totp removed", "user_id", userID)
	s.audit(ctx, userID, "totp_removed", "totp", nil, nil)
	return s.endOtherSessions(ctx, sess)
}
