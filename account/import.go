package account

import (
	"context"
	"encoding/base32"
	"errors"
	"strings"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/password"
)

// ImportRecord is one user moved in from another system (passkeyd import reads JSON Lines).
type ImportRecord struct {
	Username    string `json:"username"`
	DisplayName string `json:"displayName"`
	// PasswordHash is the existing hash: bcrypt ($2a$/$2b$/$2y$) or argon2id (PHC). bcrypt
	// hashes are replaced by argon2id at the user's next successful sign-in.
	PasswordHash string `json:"passwordHash"`
	// TOTPSecret is an existing authenticator-app secret in base32, enrolled as confirmed.
	TOTPSecret string `json:"totpSecret"`
}

// ErrImportExists marks a record whose username is already taken: re-running an import
// skips the users it already brought in.
var ErrImportExists = errors.New("username exists")

// Import creates a password account from r.
func (s *Service) Import(ctx context.Context, r ImportRecord) error {
	display, key, err := NormalizeUsername(r.Username)
	if err != nil {
		return err
	}
	displayName, err := cleanName("displayName", r.DisplayName)
	if err != nil {
		return err
	}
	if displayName == "" {
		displayName = display
	}
	h := r.PasswordHash
	if !strings.HasPrefix(h, "$argon2id$") && !strings.HasPrefix(h, "$2a$") && !strings.HasPrefix(h, "$2b$") && !strings.HasPrefix(h, "$2y$") {
		return invalid("passwordHash must be a bcrypt or argon2id hash")
	}
	if s.cfg.Passwords != nil {
		if _, _, err := s.cfg.Passwords.Verify(ctx, h, ""); errors.Is(err, password.ErrBusy) {
			return hashRefused(err)
		} else if err != nil {
			return invalid("passwordHash: %v", err)
		}
	}
	var secret []byte
	if r.TOTPSecret != "" {
		secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(strings.ReplaceAll(r.TOTPSecret, " ", ""), "=")))
		if err != nil || len(secret) < 10 {
			return invalid("totpSecret must be base32 of at least 10 bytes")
		}
	}
	u := &passkeyd.User{ID: randomID(16), Handle: randomBytes(32), Username: display, UsernameKey: key, DisplayName: displayName, PasswordHash: h, CreatedAt: s.Now().UTC()}
	if err := s.store.CreateAccount(ctx, passkeyd.NewAccount{User: u}); err != nil {
		if errors.Is(err, passkeyd.ErrUsernameTaken) {
			return ErrImportExists
		}
		return err
	}
	if secret != nil {
		sealed, err := s.sealTOTP(u.ID, secret)
		if err != nil {
			return err
		}
		if err := s.store.PutTOTP(ctx, u.ID, sealed); err != nil {
			return err
		}
		// Confirm it: the user proved it long ago, on the old system. Step 1 is in 1970, so
		// every current code is still accepted once.
		if err := s.store.UseTOTPStep(ctx, u.ID, 1); err != nil {
			return err
		}
	}
	s.audit(ctx, u.ID, "account_imported", "password", nil, nil)
	return nil
}
