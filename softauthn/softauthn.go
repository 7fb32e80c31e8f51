// Package softauthn is a software WebAuthn authenticator and client. It produces exactly
// what a browser sends after navigator.credentials.create() and .get() —
// RegistrationResponseJSON and AuthenticationResponseJSON, as credential.toJSON() gives —
// from the server's options JSON. passkeyd uses it in HTTP tests, in its load generator and
// in its synthetic monitoring probe; it is importable for anyone testing a relying party.
//
// It can also produce the bad payloads a server must refuse (see Tamper), so negative tests
// never hand-assemble CBOR.
package softauthn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
)

// COSE algorithm identifiers supported for credentials.
const (
	ES256 int64 = -7
	EdDSA int64 = -8
	RS256 int64 = -257
)

// Attestation statement formats the authenticator can produce.
const (
	AttestationNone       = "none"
	AttestationPackedSelf = "packed-self" // packed, signed by the credential key itself
	AttestationPacked     = "packed"      // packed with an x5c chain from a test CA
	AttestationFIDOU2F    = "fido-u2f"
)

// Errors a browser would surface as DOMExceptions.
var (
	// ErrExcluded is InvalidStateError: a credential in excludeCredentials lives here.
	ErrExcluded = errors.New("softauthn: a credential in excludeCredentials is on this authenticator")
	// ErrNoCredential is NotAllowedError: no credential here matches the request.
	ErrNoCredential = errors.New("softauthn: no matching credential on this authenticator")
	// ErrAlgorithm means the options offer none of the algorithms this authenticator uses.
	ErrAlgorithm = errors.New("softauthn: options offer no supported algorithm")
)

// Options configure an Authenticator. The zero value is a platform passkey provider: ES256,
// attestation none, user verification, discoverable credentials, counter incrementing.
type Options struct {
	Algorithm   int64  // ES256 (default), EdDSA or RS256
	Attestation string // AttestationNone (default), AttestationPackedSelf, AttestationPacked, AttestationFIDOU2F
	// CA signs packed attestation certificates; nil makes a fresh one when needed.
	CA     *TestCA
	AAGUID [16]byte
	// NoUserVerification leaves the UV flag clear (a security key without a PIN).
	NoUserVerification bool
	BackupEligible     bool // BE: a synced passkey provider
	BackedUp           bool // BS
	// Transports reported at registration; default ["internal", "hybrid"].
	Transports []string
	// Attachment reported as authenticatorAttachment; default "platform".
	Attachment string
	// ZeroCounter keeps the signature counter at 0, as synced passkey providers do.
	ZeroCounter bool
	// NonDiscoverable creates server-side credentials (credProps.rk = false).
	NonDiscoverable bool
	// Origin is what clientDataJSON.origin says; default "http://localhost:8080".
	Origin string
}

// Authenticator is a software authenticator holding any number of credentials. It is safe
// for concurrent use.
type Authenticator struct {
	opts Options
	mu   sync.Mutex
	cred []*credential
}

type credential struct {
	id           []byte
	rpID         string
	userHandle   []byte
	alg          int64
	signCount    uint32
	discoverable bool
	key          crypto.Signer
	cose         []byte
}

// Credential describes a credential held by an Authenticator.
type Credential struct {
	ID           []byte
	RPID         string
	UserHandle   []byte
	Algorithm    int64
	SignCount    uint32
	Discoverable bool
}

// New returns an Authenticator.
func New(opts Options) (*Authenticator, error) {
	if opts.Algorithm == 0 {
		opts.Algorithm = ES256
	}
	switch opts.Algorithm {
	case ES256, EdDSA, RS256:
	default:
		return nil, fmt.Errorf("softauthn: unsupported algorithm %d", opts.Algorithm)
	}
	if opts.Attestation == "" {
		opts.Attestation = AttestationNone
	}
	switch opts.Attestation {
	case AttestationNone, AttestationPackedSelf:
	case AttestationPacked:
		if opts.CA == nil {
			ca, err := NewTestCA()
			if err != nil {
				return nil, err
			}
			opts.CA = ca
		}
	case AttestationFIDOU2F:
		if opts.Algorithm != ES256 {
			return nil, errors.New("softauthn: fido-u2f attestation needs ES256")
		}
		opts.AAGUID = [16]byte{}
		if opts.CA == nil {
			ca, err := NewTestCA()
			if err != nil {
				return nil, err
			}
			opts.CA = ca
		}
	default:
		return nil, fmt.Errorf("softauthn: unknown attestation %q", opts.Attestation)
	}
	if opts.Transports == nil {
		opts.Transports = []string{"internal", "hybrid"}
	}
	if opts.Attachment == "" {
		opts.Attachment = "platform"
	}
	if opts.Origin == "" {
		opts.Origin = "http://localhost:8080"
	}
	return &Authenticator{opts: opts}, nil
}

// MustNew is New for tests and examples: it panics on a bad Options.
func MustNew(opts Options) *Authenticator {
	a, err := New(opts)
	if err != nil {
		panic(err)
	}
	return a
}

// Credentials lists the credentials held, oldest first.
func (a *Authenticator) Credentials() []Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Credential, 0, len(a.cred))
	for _, c := range a.cred {
		out = append(out, Credential{ID: clone(c.id), RPID: c.rpID, UserHandle: clone(c.userHandle), Algorithm: c.alg, SignCount: c.signCount, Discoverable: c.discoverable})
	}
	return out
}

// Remove forgets a credential, as when a user deletes a passkey from their device.
func (a *Authenticator) Remove(id []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, c := range a.cred {
		if string(c.id) == string(id) {
			a.cred = append(a.cred[:i], a.cred[i+1:]...)
			return
		}
	}
}

func newKey(alg int64) (crypto.Signer, error) {
	switch alg {
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case RS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("softauthn: unsupported algorithm %d", alg)
}

// sign produces a WebAuthn signature over data with key: ASN.1 DER ECDSA, raw Ed25519,
// RSASSA-PKCS1-v1_5 with SHA-256.
func sign(key crypto.Signer, data []byte) ([]byte, error) {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(k, data), nil
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(data)
		return ecdsa.SignASN1(rand.Reader, k, h[:])
	case *rsa.PrivateKey:
		h := sha256.Sum256(data)
		return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
	}
	return nil, fmt.Errorf("softauthn: unsupported key %T", key)
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
