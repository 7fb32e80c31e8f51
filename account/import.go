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

// ImportOptions change what Import does.
type ImportOptions struct {
	// DryRun validates the record and checks whether its user exists, and stores nothing.
	DryRun bool
}

// Import creates a password account from r, with its TOTP in the same transaction. The
// existence check comes first and the hash is only parsed, never computed, so re-running an
// import skips the users it brought in at the cost of one lookup each (ErrImportExists).
func (s *Service) Import(ctx context.Context, r ImportRecord, opts ImportOptions) error {
	display, key, err := NormalizeUsername(r.Username)
	if err != nil {
		return err
	}
	if _, err := s.store.UserByUsername(ctx, key); err == nil {
		return ErrImportExists
	} else if !errors.Is(err, passkeyd.ErrNotFound) {
		return err
	}
	displayName, err := cleanName("displayName", r.DisplayName)
	if err != nil {
		return err
	}
	if displayName == "" {
		displayName = display
	}
	if err := password.ValidateHash(r.PasswordHash); err != nil {
		return invalid("passwordHash must be a bcrypt or argon2id hash: %v", err)
	}
	var secret []byte
	if r.TOTPSecret != "" {
		secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(strings.ReplaceAll(r.TOTPSecret, " ", ""), "=")))
		if err != nil || len(secret) < 10 {
			return invalid("totpSecret must be base32 of at least 10 bytes")
		}
	}
	if opts.DryRun {
		return nil
	}
	u := &passkeyd.User{ID: randomID(16), Handle: randomBytes(32), Username: display, UsernameKey: key, DisplayName: displayName, PasswordHash: r.PasswordHash, CreatedAt: s.Now().UTC()}
	na := passkeyd.NewAccount{User: u}
	if secret != nil {
		sealed, err := s.sealTOTP(u.ID, secret)
		if err != nil {
			return err
		}
		// Confirmed: the user proved it long ago, on the old system. Step 1 is in 1970, so
		// every current code is still accepted once.
		na.TOTP = &passkeyd.TOTP{UserID: u.ID, Secret: sealed, Confirmed: true, LastStep: 1}
	}
	if err := s.store.CreateAccount(ctx, na); err != nil {
		if errors.Is(err, passkeyd.ErrUsernameTaken) {
			return ErrImportExists // a concurrent import or sign-up took it since the check
		}
		return err
	}
	s.audit(ctx, u.ID, "account_imported", "password", nil, nil)
	return nil
}
