// Package token signs the access tokens that the apps behind passkeyd verify on their own:
// it owns the signing keys (generation, encryption at rest, rotation shared by every
// instance through the store), the JWK Set that publishes them, and the minting of JWTs.
// The HTTP layer, forward authentication and the OpenID provider all sign through it.
//
// Rotation needs no leader. Time is cut into slots of the rotation period; the key of slot
// n is created (by whichever instance gets there first: the store keeps one key per slot)
// at the start of slot n-1, so it is in the JWK Set a whole period before it signs; it
// signs during slot n; it stays in the set until the last token it signed has expired.
// JOSE itself is go-jose's: nothing here formats or checks a signature by hand.
package token

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/keyring"
)

// Algorithms a deployment may sign with.
const (
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// Leeway is how long after its expiry a token may still be accepted by a verifier whose
// clock is behind: keys stay published that much longer.
const Leeway = time.Minute

// Config is what an Issuer needs.
type Config struct {
	Keys passkeyd.SigningKeyStore
	// Keyring seals private keys at rest; nil stores them in the clear (`passkeyd doctor`
	// warns about that).
	Keyring *keyring.Keyring
	// Algorithm is ES256 (the default) or EdDSA. A change takes effect with the first slot
	// that has no key yet, so the new key is published before it signs.
	Algorithm string
	// Rotation is the period of a key; 24 hours when zero.
	Rotation time.Duration
	// Lifetime is the lifetime of an access token; 5 minutes when zero.
	Lifetime time.Duration
	// Issuer is the iss claim; Audience the aud claim.
	Issuer   string
	Audience []string
	// CacheSize is how many sessions' tokens CachedAccessToken keeps for reuse (the least
	// recently used go first); DefaultCacheSize when zero. Negative keeps none: every call
	// signs a new token.
	CacheSize int
	Now       func() time.Time
	Logger    *slog.Logger
}

func (c *Config) defaults() error {
	if c.Keys == nil {
		return errors.New("token: no signing key store")
	}
	if c.Algorithm == "" {
		c.Algorithm = ES256
	}
	if c.Algorithm != ES256 && c.Algorithm != EdDSA {
		return fmt.Errorf("token: signing algorithm %q is not ES256 or EdDSA", c.Algorithm)
	}
	if c.Rotation <= 0 {
		c.Rotation = 24 * time.Hour
	}
	if c.Lifetime <= 0 {
		c.Lifetime = 5 * time.Minute
	}
	if c.Issuer == "" {
		return errors.New("token: no issuer")
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// AMR returns the RFC 8176 authentication method references of a session: the ones its
// sign-in recorded, else (sessions from before they were recorded) the ones its method
// implies. A passkey is "hwk" (proof of possession of a hardware-secured key, with "user"
// when it verified the user); a recovery code is a one-time code ("otp"); "mfa" with a
// password means a second factor of a kind the session did not record.
func AMR(s *passkeyd.Session) []string {
	if len(s.AMR) > 0 {
		return s.AMR
	}
	switch s.Method {
	case passkeyd.MethodPasskey:
		if s.UserVerified {
			return []string{"hwk", "user"}
		}
		return []string{"hwk"}
	case passkeyd.MethodPassword:
		return []string{"pwd"}
	case passkeyd.MethodMFA:
		return []string{"pwd", "mfa"}
	case passkeyd.MethodRecoveryCode:
		return []string{"otp"}
	}
	return []string{}
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
