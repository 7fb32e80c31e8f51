// Package softauthn is a software WebAuthn authenticator and client. From the options JSON
// a relying party sends, it produces exactly what a browser posts back after
// navigator.credentials.create() and .get(): RegistrationResponseJSON and
// AuthenticationResponseJSON (WebAuthn Level 3 §5.1.8), as credential.toJSON() gives them.
//
// passkeyd uses it in its HTTP tests, in its load generator and in its synthetic monitoring
// probe; it is importable by anyone testing a relying party. An Authenticator is safe for
// concurrent use, and Login allocates little beyond what ES256 signing needs.
//
// It can also produce the bad payloads a server must refuse (see Tamper), so negative tests
// never hand-assemble CBOR or JSON.
package softauthn

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
)

// COSE algorithm identifiers (RFC 9053, RFC 8230) a credential can use.
const (
	ES256 int64 = -7   // ECDSA with P-256 and SHA-256
	EdDSA int64 = -8   // Ed25519
	RS256 int64 = -257 // RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys

	// Algorithms a FIDO2 server conformance test exercises besides the three above.
	ES384 int64 = -35    // ECDSA with P-384 and SHA-384
	ES512 int64 = -36    // ECDSA with P-521 and SHA-512
	RS384 int64 = -258   // RSASSA-PKCS1-v1_5 with SHA-384
	RS512 int64 = -259   // RSASSA-PKCS1-v1_5 with SHA-512
	PS256 int64 = -37    // RSASSA-PSS with SHA-256
	PS384 int64 = -38    // RSASSA-PSS with SHA-384
	PS512 int64 = -39    // RSASSA-PSS with SHA-512
	RS1   int64 = -65535 // RSASSA-PKCS1-v1_5 with SHA-1 (legacy TPMs; conformance only)
)

// Attestation statement formats (WebAuthn §8) the authenticator can produce.
const (
	AttestationNone       = "none"        // §8.7
	AttestationPackedSelf = "packed-self" // §8.2 self attestation: signed by the credential key
	AttestationPacked     = "packed"      // §8.2 basic attestation: x5c chain from a TestCA
	AttestationFIDOU2F    = "fido-u2f"    // §8.6, as a browser wraps a CTAP1/U2F security key
)

// DefaultAAGUID is the AAGUID of a zero-config Authenticator. It is fixed so a relying
// party can recognise softauthn credentials (for example to keep synthetic probes out of
// its metrics); it is not in any metadata service.
var DefaultAAGUID = [16]byte{0xc2, 0xe2, 0x40, 0x16, 0x55, 0x2f, 0x44, 0xe5, 0xa0, 0x53, 0xc6, 0x99, 0x77, 0xa9, 0x70, 0x35}

// Errors a browser would surface as DOMExceptions. Match them with errors.Is.
var (
	// ErrExcluded is InvalidStateError: a credential listed in excludeCredentials is held
	// here, so create() refuses to make a second one for the same account.
	ErrExcluded = errors.New("softauthn: a credential in excludeCredentials is on this authenticator")
	// ErrNoCredential is NotAllowedError: no credential here matches allowCredentials, or
	// none is discoverable for the RP ID.
	ErrNoCredential = errors.New("softauthn: no matching credential on this authenticator")
	// ErrAlgorithm is NotSupportedError: pubKeyCredParams offers none of the algorithms
	// this authenticator is configured for.
	ErrAlgorithm = errors.New("softauthn: options offer no supported algorithm")
)

// Options configure an Authenticator. The zero value is a platform passkey provider: ES256,
// attestation none, user presence and verification, discoverable credentials, a counter
// that increments by one, transports internal and hybrid, DefaultAAGUID. Booleans are
// phrased so that false is the default.
type Options struct {
	// Algorithm is the COSE algorithm of new credentials: ES256 (default), EdDSA, RS256,
	// or ES384, ES512, RS384, RS512, PS256, PS384, PS512, RS1.
	Algorithm int64
	// Attestation is the statement format: AttestationNone (default), AttestationPackedSelf,
	// AttestationPacked or AttestationFIDOU2F. It is produced whatever conveyance the
	// options ask for, so that a server's attestation verification can be tested.
	Attestation string
	// CA issues the attestation certificate for AttestationPacked and AttestationFIDOU2F;
	// nil makes a fresh one, available from Authenticator.CA. A packed x5c carries the
	// CA's intermediates after the leaf; a fido-u2f x5c only ever holds the leaf (§8.6).
	CA *TestCA
	// AAGUID identifies the authenticator model in attested credential data; zero means
	// DefaultAAGUID. AttestationFIDOU2F always reports zero (§8.6).
	AAGUID [16]byte
	// ZeroAAGUID reports an all-zero AAGUID, as some providers do.
	ZeroAAGUID bool
	// NoUserVerification leaves the UV flag clear: a security key without a PIN, or a
	// CTAP1 device behind AttestationFIDOU2F.
	NoUserVerification bool
	// BackupEligible sets the BE flag: a synced passkey provider (§6.1.3).
	BackupEligible bool
	// BackedUp sets the BS flag; it needs BackupEligible.
	BackedUp bool
	// Transports are what getTransports() reports; default ["hybrid", "internal"]. They
	// are sorted and deduplicated, as the spec requires of browsers.
	Transports []string
	// Attachment is authenticatorAttachment: "platform" (default) or "cross-platform".
	Attachment string
	// ZeroCounter keeps the signature counter at 0, as synced passkey providers do.
	ZeroCounter bool
	// NonDiscoverable makes server-side credentials: credProps.rk is false, an empty
	// allowCredentials finds nothing, and assertions carry no userHandle.
	NonDiscoverable bool
	// Origin is clientDataJSON.origin; default "http://localhost:8080". When the options
	// carry no RP ID, its host is the RP ID, as in a browser.
	Origin string
	// TopOrigin, when set, makes every ceremony cross-origin (an iframe embedded in
	// TopOrigin): clientDataJSON says crossOrigin true and carries topOrigin.
	TopOrigin string
	// CrossOrigin sets clientDataJSON.crossOrigin without a topOrigin, as browsers did
	// before Level 3.
	CrossOrigin bool
}

// Authenticator is a software authenticator holding any number of credentials, for any
// number of RPs. It is safe for concurrent use.
//
// Counters are taken in call order, but concurrent Logins with one credential can reach a
// server in another order and look like a cloned authenticator; load generators should
// use ZeroCounter or one credential per worker.
type Authenticator struct {
	opts      Options
	rpIDFromO string // host of opts.Origin, the RP ID when options omit it

	// The attestation key and certificate chain (DER, leaf first, then the CA's
	// intermediates) for packed and fido-u2f: one per authenticator, as a batch of devices
	// shares one (§6.5.5 Basic).
	attKey   *ecdsa.PrivateKey
	attChain [][]byte

	mu    sync.RWMutex
	creds []*credential          // oldest first
	byID  map[string]*credential // by string(id)
}

// Credential describes a credential held by an Authenticator.
type Credential struct {
	ID           []byte
	RPID         string
	UserHandle   []byte
	Algorithm    int64
	SignCount    uint32
	Discoverable bool
	// PublicKey is the COSE_Key (RFC 9052 §7) a server stores for the credential.
	PublicKey []byte
}

// New returns an Authenticator, or an error naming the Options field that is wrong.
func New(opts Options) (*Authenticator, error) {
	if opts.Algorithm == 0 {
		opts.Algorithm = ES256
	}
	if _, ok := algHash[opts.Algorithm]; !ok && opts.Algorithm != EdDSA {
		return nil, fmt.Errorf("softauthn: Options.Algorithm %d is not ES256 (-7), EdDSA (-8), RS256 (-257) or another COSE algorithm softauthn knows (ES384, ES512, RS384, RS512, PS256, PS384, PS512, RS1)", opts.Algorithm)
	}
	if opts.Attestation == "" {
		opts.Attestation = AttestationNone
	}
	if opts.AAGUID == [16]byte{} {
		opts.AAGUID = DefaultAAGUID
	}
	if opts.ZeroAAGUID {
		opts.AAGUID = [16]byte{}
	}
	a := &Authenticator{byID: map[string]*credential{}}
	switch opts.Attestation {
	case AttestationNone, AttestationPackedSelf:
	case AttestationPacked, AttestationFIDOU2F:
		if opts.Attestation == AttestationFIDOU2F {
			if opts.Algorithm != ES256 {
				return nil, errors.New("softauthn: Options.Attestation fido-u2f needs Algorithm ES256 (§8.6)")
			}
			opts.AAGUID = [16]byte{}
		}
		if opts.CA == nil {
			ca, err := NewTestCA()
			if err != nil {
				return nil, err
			}
			opts.CA = ca
		}
		var (
			leaf []byte
			err  error
		)
		if opts.Attestation == AttestationPacked {
			a.attKey, leaf, err = opts.CA.issue(opts.AAGUID[:])
			a.attChain = opts.CA.chain(leaf)
		} else {
			a.attKey, leaf, err = opts.CA.issue(nil)
			a.attChain = [][]byte{leaf}
		}
		if err != nil {
			return nil, fmt.Errorf("softauthn: issuing the attestation certificate: %w", err)
		}
	default:
		return nil, fmt.Errorf("softauthn: Options.Attestation %q is not none, packed-self, packed or fido-u2f", opts.Attestation)
	}
	if opts.BackedUp && !opts.BackupEligible {
		return nil, errors.New("softauthn: Options.BackedUp needs BackupEligible (§6.1.3); use Tamper.SetBS for a bad payload")
	}
	if opts.Transports == nil {
		opts.Transports = []string{"hybrid", "internal"}
	} else {
		opts.Transports = slices.Compact(slices.Sorted(slices.Values(opts.Transports)))
	}
	switch opts.Attachment {
	case "":
		opts.Attachment = "platform"
	case "platform", "cross-platform":
	default:
		return nil, fmt.Errorf("softauthn: Options.Attachment %q is not platform or cross-platform", opts.Attachment)
	}
	if opts.Origin == "" {
		opts.Origin = "http://localhost:8080"
	}
	if u, err := url.Parse(opts.Origin); err == nil {
		a.rpIDFromO = u.Hostname()
	}
	a.opts = opts
	return a, nil
}

// MustNew is New for tests and examples: it panics on bad Options.
func MustNew(opts Options) *Authenticator {
	a, err := New(opts)
	if err != nil {
		panic(err)
	}
	return a
}

// CA returns the CA that issued the attestation certificate (Options.CA, or the one New
// made), so a server's attestation policy can trust its Root; nil without x5c attestation.
func (a *Authenticator) CA() *TestCA {
	if a.attKey == nil {
		return nil
	}
	return a.opts.CA
}

// Credentials lists the credentials held, oldest first.
func (a *Authenticator) Credentials() []Credential {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Credential, 0, len(a.creds))
	for _, c := range a.creds {
		out = append(out, c.public())
	}
	return out
}

// Remove forgets a credential, as when a user deletes a passkey from their device. It
// reports whether the credential was held.
func (a *Authenticator) Remove(id []byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.removeLocked(id)
}

func (a *Authenticator) removeLocked(id []byte) bool {
	if _, ok := a.byID[string(id)]; !ok {
		return false
	}
	delete(a.byID, string(id))
	a.creds = slices.DeleteFunc(a.creds, func(c *credential) bool { return string(c.id) == string(id) })
	return true
}

// add stores c, replacing a credential with the same id as an authenticator overwrites one.
func (a *Authenticator) add(c *credential) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.removeLocked(c.id)
	a.creds = append(a.creds, c)
	a.byID[string(c.id)] = c
}
