package token

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
)

// Sign signs claims (anything that marshals to a JSON object) as a compact JWS with the
// current key, its kid and typ JWT: the one way every token passkeyd issues is signed, so
// that they all verify against /.well-known/jwks.json.
func (i *Issuer) Sign(ctx context.Context, claims any) (string, error) {
	s, err := i.keys(ctx)
	if err != nil {
		return "", err
	}
	_, o, err := s.current(i.cfg.Now())
	if err != nil {
		return "", err
	}
	return o.sign(claims)
}

func (o *opened) sign(claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("token claims: %w", err)
	}
	if len(payload) == 0 || payload[0] != '{' {
		return "", fmt.Errorf("token claims: %T is not a JSON object", claims)
	}
	jws, err := o.jose.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// Key is a key as a JOSE library needs it to sign: its kid, its algorithm, and the private key.
type Key struct {
	ID        string
	Algorithm string // ES256 or EdDSA
	Private   crypto.Signer
}

// CurrentKey returns the key that signs now, for a library that builds and signs JWTs
// itself (the OpenID provider's ID and access tokens). It is the key Sign uses: the tokens
// of every kind verify against the same published set and rotate with it. The private key
// never leaves the process.
func (i *Issuer) CurrentKey(ctx context.Context) (*Key, error) {
	s, err := i.keys(ctx)
	if err != nil {
		return nil, err
	}
	k, o, err := s.current(i.cfg.Now())
	if err != nil {
		return nil, err
	}
	return &Key{ID: k.ID, Algorithm: k.Algorithm, Private: o.priv}, nil
}

// PublicKey is a published verification key.
type PublicKey struct {
	ID        string
	Algorithm string
	Key       crypto.PublicKey
}

// PublicKeys returns the keys of the JWK Set (current, next and previous), for verifying
// tokens passkeyd signed (an id_token_hint, an access token at userinfo).
func (i *Issuer) PublicKeys(ctx context.Context) ([]PublicKey, error) {
	s, err := i.keys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PublicKey, 0, len(s.keys))
	for _, k := range s.keys {
		pub, err := x509.ParsePKIXPublicKey(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: public key: %w", k.ID, err)
		}
		out = append(out, PublicKey{ID: k.ID, Algorithm: k.Algorithm, Key: pub})
	}
	return out, nil
}
