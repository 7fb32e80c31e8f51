package token

import (
	"context"
	"strconv"
	"time"
)

// JWKS is the JWK Set document and what an HTTP cache needs to know about it.
type JWKS struct {
	Body []byte
	ETag string
	// MaxAge is how long a verifier may cache the set: short enough against the period
	// that every verifier sees a next key long before it signs.
	MaxAge time.Duration
}

// CacheControl is the Cache-Control value for the set.
func (j *JWKS) CacheControl() string {
	return "public, max-age=" + strconv.Itoa(int(j.MaxAge/time.Second)) + ", must-revalidate"
}

// JWKS returns the published keys: the current, the next and those that signed tokens
// which may not have expired yet.
func (i *Issuer) JWKS(ctx context.Context) (*JWKS, error) {
	s, err := i.keys(ctx)
	if err != nil {
		return nil, err
	}
	return &JWKS{Body: s.jwks, ETag: s.etag, MaxAge: maxAge(i.cfg.Rotation)}, nil
}

// maxAge is a quarter of the period, at most 15 minutes: a next key is published a whole
// period before it signs, so a verifier that honours the cache header fetches it at least
// three times before it is needed.
func maxAge(period time.Duration) time.Duration {
	return min(period/4, 15*time.Minute)
}
