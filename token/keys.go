package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/passkeyd/passkeyd"
)

// Issuer signs access tokens and publishes its keys. It is safe for concurrent use; every
// instance of a deployment builds its own over the shared store and they agree on keys.
type Issuer struct {
	cfg  Config
	snap atomic.Pointer[snapshot]
	mu   sync.Mutex // one refresh at a time
	// signers caches opened private keys by kid: a key is decrypted and parsed once.
	signers map[string]*opened
	// reuse keeps the tokens of CachedAccessToken; nil when Config.CacheSize is negative.
	reuse *reuse
}

// opened is a private key opened for signing: as go-jose's signer, and as the key itself for
// libraries that sign with their own JOSE code (the OpenID provider).
type opened struct {
	jose jose.Signer
	priv crypto.Signer
}

// snapshot is the live keys as last read from the store, with the JWK Set built from them.
type snapshot struct {
	keys      []*passkeyd.SigningKey
	signers   map[string]*opened // kid → signer; absent when the private key cannot be opened
	jwks      []byte
	etag      string
	refreshAt time.Time
}

// New returns an Issuer and makes sure the current and next keys exist. It fails when the
// current key cannot be used (sealed with an encryption key that is not configured, say),
// so that a misconfigured instance does not start.
func New(ctx context.Context, cfg Config) (*Issuer, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	i := &Issuer{cfg: cfg, signers: map[string]*opened{}}
	if cfg.CacheSize > 0 {
		i.reuse = newReuse(cfg.CacheSize, cfg.Lifetime)
	}
	s, err := i.refresh(ctx, cfg.Now())
	if err != nil {
		return nil, err
	}
	if _, _, err := s.current(cfg.Now()); err != nil {
		return nil, err
	}
	return i, nil
}

// Rotation is the key period.
func (i *Issuer) Rotation() time.Duration { return i.cfg.Rotation }

// Lifetime is the lifetime of the tokens the issuer signs.
func (i *Issuer) Lifetime() time.Duration { return i.cfg.Lifetime }

// slot returns the start of the rotation slot that holds t. Every instance computes the
// same boundaries from its clock, which is what lets them agree without talking.
func (i *Issuer) slot(t time.Time) time.Time { return t.UTC().Truncate(i.cfg.Rotation) }

// keys returns the current snapshot, refreshing it when it is due. A failed refresh keeps
// serving the old snapshot while it still has a key for now.
func (i *Issuer) keys(ctx context.Context) (*snapshot, error) {
	now := i.cfg.Now()
	if s := i.snap.Load(); s != nil && now.Before(s.refreshAt) {
		return s, nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if s := i.snap.Load(); s != nil && now.Before(s.refreshAt) {
		return s, nil // another caller refreshed while this one waited
	}
	s, err := i.refresh(ctx, now)
	if err != nil {
		old := i.snap.Load()
		if old == nil {
			return nil, err
		}
		if _, _, cerr := old.current(now); cerr != nil {
			return nil, err
		}
		i.cfg.Logger.Warn("signing keys: refresh failed, using the keys loaded before", "err", err)
		return old, nil
	}
	return s, nil
}

// refresh makes sure the keys of the current and the next slot exist, reads the live keys
// and publishes a new snapshot. Callers hold mu (or own i alone, in New).
func (i *Issuer) refresh(ctx context.Context, now time.Time) (*snapshot, error) {
	cur := i.slot(now)
	next := cur.Add(i.cfg.Rotation)
	keys, err := i.cfg.Keys.SigningKeys(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	for _, nb := range []time.Time{cur, next} {
		if hasSlot(keys, nb) {
			continue
		}
		k, err := i.generate(nb, now)
		if err != nil {
			return nil, err
		}
		if _, err := i.cfg.Keys.AddSigningKey(ctx, k); err != nil {
			return nil, fmt.Errorf("store signing key: %w", err)
		}
		// The store may have kept another instance's key for the slot: read what it holds.
		if keys, err = i.cfg.Keys.SigningKeys(ctx, now); err != nil {
			return nil, fmt.Errorf("signing keys: %w", err)
		}
	}
	if _, err := i.cfg.Keys.DeleteExpiredSigningKeys(ctx, now); err != nil {
		i.cfg.Logger.Warn("signing keys: could not delete expired keys", "err", err)
	}
	s, err := i.build(keys)
	if err != nil {
		return nil, err
	}
	// Refresh at the next boundary (the next key must be created then) and every few
	// minutes besides, so that a key an operator removed stops being served.
	s.refreshAt = next
	if soon := now.Add(5 * time.Minute); soon.Before(next) {
		s.refreshAt = soon
	}
	i.snap.Store(s)
	return s, nil
}

func hasSlot(keys []*passkeyd.SigningKey, notBefore time.Time) bool {
	for _, k := range keys {
		if k.NotBefore.Equal(notBefore) {
			return true
		}
	}
	return false
}

// generate makes the key of the slot starting at notBefore.
func (i *Issuer) generate(notBefore, now time.Time) (*passkeyd.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch i.cfg.Algorithm {
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	jwk := jose.JSONWebKey{Key: priv.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	sealed, err := i.cfg.Keyring.Seal(der, aad(kid))
	if err != nil {
		return nil, err
	}
	notAfter := notBefore.Add(i.cfg.Rotation)
	return &passkeyd.SigningKey{
		ID: kid, Algorithm: i.cfg.Algorithm, PublicKey: pub, PrivateKey: sealed,
		NotBefore: notBefore, NotAfter: notAfter, ExpiresAt: notAfter.Add(i.cfg.Lifetime + Leeway),
		CreatedAt: now.UTC(),
	}, nil
}

// aad binds a sealed private key to its key id, so it cannot be moved to another row.
func aad(kid string) []byte { return []byte("signing-key:" + kid) }

// build opens the private keys (once each) and renders the JWK Set.
func (i *Issuer) build(keys []*passkeyd.SigningKey) (*snapshot, error) {
	s := &snapshot{keys: keys, signers: map[string]*opened{}}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range keys {
		pub, err := x509.ParsePKIXPublicKey(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: public key: %w", k.ID, err)
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"})
		if sig, ok := i.signers[k.ID]; ok {
			s.signers[k.ID] = sig
			continue
		}
		sig, err := i.open(k)
		if err != nil {
			// Published anyway: tokens another instance signed with it still verify.
			i.cfg.Logger.Error("signing key cannot be opened; it is published but this instance will not sign with it", "kid", k.ID, "err", err)
			continue
		}
		i.signers[k.ID] = sig
		s.signers[k.ID] = sig
	}
	for kid := range i.signers {
		if _, ok := s.signers[kid]; !ok {
			delete(i.signers, kid) // expired
		}
	}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	s.jwks = body
	s.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	return s, nil
}

func (i *Issuer) open(k *passkeyd.SigningKey) (*opened, error) {
	der, err := i.cfg.Keyring.Open(k.PrivateKey, aad(k.ID))
	if err != nil {
		return nil, err
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	cs, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key: %T cannot sign", priv)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	js, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(k.Algorithm),
		Key:       jose.JSONWebKey{Key: priv, KeyID: k.ID},
	}, opts)
	if err != nil {
		return nil, err
	}
	return &opened{jose: js, priv: cs}, nil
}

// errNoKey means no key may sign now: its private key cannot be opened here.
var errNoKey = &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "no signing key is usable on this instance"}

// current returns the key that signs at now: the newest one whose slot holds now.
func (s *snapshot) current(now time.Time) (*passkeyd.SigningKey, *opened, error) {
	for j := len(s.keys) - 1; j >= 0; j-- {
		k := s.keys[j]
		if k.NotBefore.After(now) || !now.Before(k.NotAfter) {
			continue
		}
		sig, ok := s.signers[k.ID]
		if !ok {
			return nil, nil, fmt.Errorf("%w: signing key %s was sealed with an encryption key that is not configured", errNoKey, k.ID)
		}
		return k, sig, nil
	}
	return nil, nil, &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "no signing key covers the current time"}
}
