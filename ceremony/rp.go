// Package ceremony performs WebAuthn registration and authentication ceremonies on top of
// go-webauthn's protocol package: it builds options in the WebAuthn Level 3 JSON shapes and
// verifies responses step by step (§7.1, §7.2), turning each failed step into the contract's
// error code. It is pure — bytes and stored records in, verdicts out — and does no I/O.
package ceremony

import (
	"crypto/sha256"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/passkeyd/passkeyd/trust"
)

// Config is what a relying party needs to run ceremonies.
type Config struct {
	RPID   string
	RPName string
	// Origins are the web origins (scheme://host[:port]) allowed in clientDataJSON.origin.
	Origins []string
	// OpaqueOrigins are native-app origins compared as strings (android:apk-key-hash:…).
	OpaqueOrigins []string
	// TopOrigins are the origins allowed to embed a ceremony in a cross-origin iframe
	// (clientDataJSON.topOrigin). Empty: cross-origin ceremonies are refused.
	TopOrigins []string
	// Algorithms are the allowed COSE algorithms, in preference order.
	Algorithms []int64
	Timeout    time.Duration
	// Attestation is the conveyance preference sent in creation options.
	Attestation string
	// Profile returns the authenticator selection for an attachment ("", "platform",
	// "cross-platform").
	Profile func(attachment string) Profile
	// Trust holds the roots and metadata the profiles' attestation trust policies are
	// evaluated against; the zero value has neither.
	Trust trust.Anchors
	// AAGUIDs are allow and deny lists of authenticator models checked here, in the pure
	// ceremony. passkeyd's server leaves them empty: its account service applies the
	// configured lists together with the run-time ones (trust.AAGUIDPolicy).
	AAGUIDs trust.AAGUIDList
	// Now is the clock for certificate validity and status reports; nil means time.Now.
	Now func() time.Time
	// Conformance is the FIDO2 server conformance profile, whose test list expects an
	// assertion without UP to pass (UV is still enforced when required), and
	// the options' userVerification to decide alone (no "verified once, verified always"
	// rule). The passkeyd API never sets it.
	Conformance bool
}

// Profile is the authenticator selection policy for one attachment.
type Profile struct {
	ResidentKey      string // "required" | "preferred" | "discouraged"
	UserVerification string // "required" | "preferred" | "discouraged"
	// Attestation is the conveyance asked for in creation options; "" uses
	// Config.Attestation.
	Attestation string
	// Trust is what a verified attestation statement must show (see trust.Evaluate).
	Trust trust.Policy
}

// RP runs ceremonies for one relying party. It is immutable and safe for concurrent use.
type RP struct {
	cfg        Config
	rpIDHash   [32]byte
	credParams []protocol.CredentialParameter
	pubKeyArgs []credParam
	origins    []string
	timeoutMS  int
}

// New checks cfg and returns an RP.
func New(cfg Config) (*RP, error) {
	if cfg.RPID == "" {
		return nil, fmt.Errorf("ceremony: empty RP ID")
	}
	if len(cfg.Origins)+len(cfg.OpaqueOrigins) == 0 {
		return nil, fmt.Errorf("ceremony: no origins")
	}
	if len(cfg.Algorithms) == 0 {
		return nil, fmt.Errorf("ceremony: no algorithms")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.Attestation == "" {
		cfg.Attestation = "none"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Profile == nil {
		cfg.Profile = func(string) Profile { return Profile{ResidentKey: "required", UserVerification: "preferred"} }
	}
	rp := &RP{cfg: cfg, rpIDHash: sha256.Sum256([]byte(cfg.RPID)), timeoutMS: int(cfg.Timeout / time.Millisecond)}
	for _, o := range cfg.Origins {
		n, err := normalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("ceremony: origin %q: %w", o, err)
		}
		rp.origins = append(rp.origins, n)
	}
	for _, alg := range cfg.Algorithms {
		rp.credParams = append(rp.credParams, protocol.CredentialParameter{Type: protocol.PublicKeyCredentialType, Algorithm: coseAlg(alg)})
		rp.pubKeyArgs = append(rp.pubKeyArgs, credParam{Type: "public-key", Alg: alg})
	}
	return rp, nil
}

// Name returns the relying party's display name.
func (rp *RP) Name() string { return rp.cfg.RPName }

// RPID returns the relying party ID.
func (rp *RP) RPID() string { return rp.cfg.RPID }

// Timeout returns the ceremony timeout, which is also the challenge lifetime.
func (rp *RP) Timeout() time.Duration { return rp.cfg.Timeout }

// Profile returns the effective authenticator selection for an attachment.
func (rp *RP) Profile(attachment string) Profile { return rp.cfg.Profile(attachment) }

// originAllowed reports whether a clientDataJSON origin is one of ours. Web origins compare
// after normalisation (case of scheme and host, default port); opaque ones exactly.
func (rp *RP) originAllowed(origin string) bool {
	for _, o := range rp.cfg.OpaqueOrigins {
		if origin == o {
			return true
		}
	}
	n, err := normalizeOrigin(origin)
	if err != nil {
		return false
	}
	for _, o := range rp.origins {
		if n == o {
			return true
		}
	}
	return false
}

func (rp *RP) topOriginAllowed(origin string) bool {
	n, err := normalizeOrigin(origin)
	if err != nil {
		return false
	}
	for _, o := range rp.cfg.TopOrigins {
		if m, err := normalizeOrigin(o); err == nil && m == n {
			return true
		}
	}
	return false
}

func normalizeOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	if u.Scheme == "" || u.Host == "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("not an origin")
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return scheme + "://" + host + ":" + port, nil
	}
	return scheme + "://" + host, nil
}
