package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/passkeyd/passkeyd/password"
)

// Client secrets are kept as one of:
//
//   - "sha256:" + base64url(SHA-256(secret)): for secrets passkeyd generates (32 random
//     bytes) and for plain secrets in the configuration file, hashed when it is loaded so
//     that no secret stays in memory. A generated secret has 256 bits of entropy, so a
//     fast hash is as good as a slow one (the reasoning of session tokens).
//   - a bcrypt hash ($2a$, $2b$, $2y$) or an argon2id PHC string ($argon2id$) that an
//     operator made (`htpasswd -nbBC 12`, `argon2`): checked with that algorithm.
//
// Slow hashes cost tens of milliseconds per check; successful checks are remembered for a
// few minutes by the SHA-256 of the secret, so a busy client does not pay that on every
// token request, and a wrong secret always pays it.
const sha256Prefix = "sha256:"

// HashSecret is how passkeyd stores a secret it was given in plain text.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return sha256Prefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// NewSecret returns a fresh client secret (32 bytes from the CSPRNG, base64url).
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secretHash turns a configured secret into a stored form: a recognised hash stays as it
// is, anything else is a plain secret and is hashed.
func secretHash(configured string) (string, error) {
	switch {
	case configured == "":
		return "", errors.New("empty secret")
	case strings.HasPrefix(configured, sha256Prefix):
		if b, err := base64.RawURLEncoding.DecodeString(configured[len(sha256Prefix):]); err != nil || len(b) != sha256.Size {
			return "", errors.New(`a "sha256:" secret must be the base64url SHA-256 of the secret`)
		}
		return configured, nil
	case isBcrypt(configured):
		if _, err := bcrypt.Cost([]byte(configured)); err != nil {
			return "", errors.New("malformed bcrypt hash")
		}
		return configured, nil
	case strings.HasPrefix(configured, "$argon2id$"):
		return configured, nil
	case len(configured) < 16:
		return "", errors.New("a plain client secret must be at least 16 characters (better: let `passkeyd admin oidc-client-add` generate one)")
	}
	return HashSecret(configured), nil
}

func isBcrypt(h string) bool {
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

// verifier checks client secrets against their stored form.
type verifier struct {
	// slow checks bcrypt and argon2id hashes through the password package's bounded queue;
	// made on first use (it computes a hash when it is made).
	slow func() *password.Hasher
	mu   sync.Mutex
	ok   map[[32]byte]time.Time // sha256(stored hash + "\x00" + secret) → remembered until
	now  func() time.Time
}

const rememberFor = 5 * time.Minute

func newVerifier(now func() time.Time) *verifier {
	return &verifier{slow: sync.OnceValue(func() *password.Hasher { return password.New(password.Params{}) }), ok: map[[32]byte]time.Time{}, now: now}
}

func (v *verifier) check(ctx context.Context, stored, secret string) bool {
	if stored == "" || secret == "" || len(secret) > 512 {
		return false
	}
	if strings.HasPrefix(stored, sha256Prefix) {
		got := HashSecret(secret)
		return subtle.ConstantTimeCompare([]byte(got), []byte(stored)) == 1
	}
	key := sha256.Sum256([]byte(stored + "\x00" + secret))
	now := v.now()
	v.mu.Lock()
	until, hit := v.ok[key]
	v.mu.Unlock()
	if hit && now.Before(until) {
		return true
	}
	good, _, err := v.slow().Verify(ctx, stored, secret)
	if err == nil && good {
		v.mu.Lock()
		if len(v.ok) > 10_000 {
			clear(v.ok)
		}
		v.ok[key] = now.Add(rememberFor)
		v.mu.Unlock()
	}
	return good
}
