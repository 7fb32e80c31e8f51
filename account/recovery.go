package account

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"

	"github.com/passkeyd/passkeyd"
)

// Recovery codes: ten per account, single use, shown once. Each is 16 characters of
// Crockford base32 (80 bits from the CSPRNG), so a fast hash is enough to store them: a
// stolen table cannot be brute-forced back into codes.

const (
	recoveryCodeCount = 10
	crockford         = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

func newRecoveryCodes() (plain []string, hashes [][]byte) {
	for i := 0; i < recoveryCodeCount; i++ {
		b := randomBytes(16)
		var sb strings.Builder
		for j, v := range b {
			if j > 0 && j%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(crockford[v%32])
		}
		code := sb.String()
		plain = append(plain, code)
		hashes = append(hashes, hashRecoveryCode(code))
	}
	return plain, hashes
}

// hashRecoveryCode normalises what a person typed — case, dashes, spaces, and the letters
// Crockford base32 reads as digits — and hashes it.
func hashRecoveryCode(code string) []byte {
	var sb strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch r {
		case '-', ' ', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		sb.WriteRune(r)
	}
	h := sha256.Sum256([]byte(sb.String()))
	return h[:]
}

// RecoveryCodesEnabled reports whether the recovery_code fallback is on.
func (s *Service) RecoveryCodesEnabled() bool { return s.cfg.RecoveryCodes }

// RegenerateRecoveryCodes replaces the user's recovery codes and returns the new ones; the
// old ones stop working, and so does every other session of the user. It needs a recent
// sign-in.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, sess *passkeyd.Session) ([]string, error) {
	if err := s.requireRecent(sess); err != nil {
		return nil, err
	}
	plain, err := s.newRecoveryCodes(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if err := s.endOtherSessions(ctx, sess); err != nil {
		return nil, err
	}
	return plain, nil
}

// newRecoveryCodes makes and stores a fresh set of the user's recovery codes.
func (s *Service) newRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	plain, hashes := newRecoveryCodes()
	if err := s.store.ReplaceRecoveryCodes(ctx, userID, hashes); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "recovery codes regenerated", "user_id", userID)
	s.audit(ctx, userID, "recovery_codes_generated", "recovery_code", nil, nil)
	return plain, nil
}

var errInvalidCredentials = &passkeyd.Error{Code: passkeyd.CodeInvalidCredentials, Detail: "the username or recovery code is wrong"}

// RecoveryLogin signs in with a recovery code, which is then used up. A wrong code and an
// unknown username get the same answer.
func (s *Service) RecoveryLogin(ctx context.Context, username, code string) (*passkeyd.User, NewSession, error) {
	_, key, err := NormalizeUsername(username)
	if err != nil || len(code) > 64 {
		return nil, NewSession{}, errInvalidCredentials
	}
	hash := hashRecoveryCode(code)
	lock := "acct:" + key
	if err := s.lockReserve(ctx, lock); err != nil {
		return nil, NewSession{}, err
	}
	if err := s.limitAccount(ctx, key); err != nil {
		s.lockRelease(ctx, lock)
		return nil, NewSession{}, err
	}
	u, err := s.store.UserByUsername(ctx, key)
	if errors.Is(err, passkeyd.ErrNotFound) {
		// Do the work a known user's wrong code costs, so timing reveals nothing.
		// The same log line and audit event too (with no account), so that nothing but the
		// answer — the same for both — is left to compare.
		_ = s.store.UseRecoveryCode(ctx, "unknown:"+key, hash, s.Now())
		s.evaluated(ctx, "recovery_code")
		s.log.WarnContext(ctx, "recovery code refused", "user_id", "")
		s.audit(ctx, "", "sign_in_failed", "recovery_code", nil, errInvalidCredentials)
		return nil, NewSession{}, errInvalidCredentials
	}
	if err != nil {
		s.lockRelease(ctx, lock)
		return nil, NewSession{}, err
	}
	if err := s.store.UseRecoveryCode(ctx, u.ID, hash, s.Now()); err != nil {
		if errors.Is(err, passkeyd.ErrNotFound) {
			s.evaluated(ctx, "recovery_code")
			s.log.WarnContext(ctx, "recovery code refused", "user_id", u.ID)
			s.audit(ctx, u.ID, "sign_in_failed", "recovery_code", nil, errInvalidCredentials)
			return nil, NewSession{}, errInvalidCredentials
		}
		s.lockRelease(ctx, lock)
		return nil, NewSession{}, err
	}
	s.evaluated(ctx, "recovery_code")
	s.lockSucceed(ctx, lock)
	ns := s.newSession(ctx, u.ID, recoveryCodeSignIn)
	if err := s.store.CreateSession(ctx, ns.Session); err != nil {
		return nil, NewSession{}, err
	}
	left, _ := s.store.RecoveryCodesLeft(ctx, u.ID)
	s.log.InfoContext(ctx, "signed in with a recovery code", "user_id", u.ID, "codes_left", left)
	s.audit(ctx, u.ID, "sign_in", "recovery_code", nil, nil)
	return u, ns, nil
}
