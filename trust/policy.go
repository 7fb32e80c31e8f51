// Package trust decides whether a verified attestation statement is trusted: the
// attestation policy of a profile (any statement, one that chains to a trusted root, or one
// from an authenticator listed in the FIDO Metadata Service), the status reports of the
// metadata, and the AAGUID allow and deny lists. The decisions are pure functions of a
// statement, a metadata entry and the roots; loading and refreshing the metadata BLOB is
// apart from them (see Loader).
package trust

import (
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"github.com/go-webauthn/webauthn/metadata"
	"github.com/google/uuid"
)

// Mode is what an attestation statement must show to be trusted.
type Mode string

const (
	// Any accepts every statement that verifies, whatever its chain: the default, and the
	// only sensible mode with conveyance "none", where browsers strip the statement.
	Any Mode = "any"
	// Roots accepts statements whose certificate chain ends at a trusted root: the roots of
	// the metadata entry for the authenticator, or the operator's PEM bundle.
	Roots Mode = "roots"
	// Listed ("metadata") accepts only authenticators listed in the metadata, whose chain ends at the
	// roots of their entry and whose status is acceptable.
	Listed Mode = "metadata"
)

// Policy is the attestation trust policy of one profile. The zero value is Mode Any with
// self and none attestation allowed: today's default. The mode governs statements that
// carry a certificate chain; self and none are decided by RefuseSelf and RefuseNone alone
// (the configuration refuses them by default under roots and metadata, and the FIDO
// conformance profile accepts them under roots, as its test list requires).
type Policy struct {
	Mode Mode
	// RefuseSelf refuses self attestation (the credential key signs its own statement, so
	// it proves nothing about the authenticator).
	RefuseSelf bool
	// RefuseNone refuses attestation format "none".
	RefuseNone bool
}

// Statement is what a verified attestation statement says about the authenticator.
type Statement struct {
	Format string // attestation statement format, e.g. "packed"
	// Type is the attestation type go-webauthn found: "basic_full", "basic_surrogate"
	// (self), "attca", "anonca" or "none".
	Type   string
	AAGUID uuid.UUID
	// Chain is the x5c trust path, leaf first; empty for self and none attestation, and for
	// formats whose chain is not in x5c (android-safetynet, compound).
	Chain []*x509.Certificate
	// Alg is the COSE algorithm of attStmt.alg, 0 for formats without one.
	Alg int64
	// KeyAlg is the COSE algorithm of the credential public key, 0 when unknown.
	KeyAlg int64
}

// Self reports whether the statement is self attestation.
func (s Statement) Self() bool { return s.Type == string(metadata.BasicSurrogate) }

// None reports whether there is no attestation at all.
func (s Statement) None() bool { return s.Format == "none" || s.Type == string(metadata.None) }

// Refusal says which rule of the trust policy refused a statement. Its message is the
// detail shown to the client.
type Refusal struct {
	Rule   string // "none", "self", "chain", "metadata", "status", "algorithm", "aaguid_denied", "aaguid_not_allowed"
	Detail string
}

func (r *Refusal) Error() string { return r.Detail }

func refuse(rule, format string, args ...any) *Refusal {
	return &Refusal{Rule: rule, Detail: fmt.Sprintf(format, args...)}
}

// RefusedStatuses are the authenticator statuses that make passkeyd refuse an
// authenticator whatever the policy mode, once the metadata lists it: its user
// verification can be bypassed, or its attestation or user keys are compromised, or the
// vendor revoked it.
var RefusedStatuses = []metadata.AuthenticatorStatus{
	metadata.UserVerificationBypass,
	metadata.AttestationKeyCompromise,
	metadata.UserKeyRemoteCompromise,
	metadata.UserKeyPhysicalCompromise,
	metadata.Revoked,
}

// Evaluate applies p to a statement that has already verified cryptographically. entry is
// the authenticator's metadata entry (nil when the metadata does not list it or none is
// loaded) and roots the operator's extra trusted roots (nil for none). It returns nil or a
// *Refusal.
func Evaluate(p Policy, st Statement, entry *metadata.Entry, roots *x509.CertPool, now time.Time) error {
	// A listed authenticator with a refused status is refused in every mode: the status
	// report is the vendor's own word that its keys or its user verification cannot be
	// relied on.
	if entry != nil {
		if err := CheckStatus(entry, st.Chain, now); err != nil {
			return err
		}
		// Under "any" the metadata is informational; the other modes trust the metadata's
		// word on the model, so its algorithms bind too.
		if p.Mode != "" && p.Mode != Any {
			if err := CheckAlgorithms(st, entry); err != nil {
				return err
			}
		}
	}
	switch {
	case st.None():
		if p.RefuseNone {
			return refuse("none", "the attestation policy requires an attestation statement, and this one is format \"none\" (ask for attestation \"direct\" and use an authenticator that provides one)")
		}
		return nil
	case st.Self():
		if p.RefuseSelf {
			return refuse("self", "the attestation policy refuses self attestation (%s): it does not say which authenticator made the credential", st.Format)
		}
		return nil
	}
	switch p.Mode {
	case "", Any:
		return nil
	case Roots:
		pool := x509.NewCertPool()
		n := 0
		if entry != nil {
			for _, c := range entry.MetadataStatement.AttestationRootCertificates {
				pool.AddCert(c)
				n++
			}
		}
		if err := verifyChain(st, pool, n, roots, now); err != nil {
			return err
		}
		return nil
	case Listed:
		if entry == nil {
			return refuse("metadata", "the attestation policy accepts only authenticators listed in the FIDO metadata, and AAGUID %s is not listed", st.AAGUID)
		}
		pool := x509.NewCertPool()
		n := 0
		for _, c := range entry.MetadataStatement.AttestationRootCertificates {
			pool.AddCert(c)
			n++
		}
		return verifyChain(st, pool, n, nil, now)
	}
	return refuse("policy", "unknown attestation trust mode %q", p.Mode)
}

// verifyChain checks that the statement's x5c chain ends at one of the n roots of pool or
// at one of extra.
func verifyChain(st Statement, pool *x509.CertPool, n int, extra *x509.CertPool, now time.Time) error {
	if len(st.Chain) == 0 {
		return refuse("chain", "the attestation policy requires a certificate chain to a trusted root, and the %s statement carries none this server can check", st.Format)
	}
	// crypto/x509 checks validity too, but its error would read as an untrusted chain.
	if err := CheckValidity(st.Chain, now); err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, c := range st.Chain[1:] {
		inter.AddCert(c)
	}
	for _, roots := range []*x509.CertPool{pool, extra} {
		if roots == nil || (roots == pool && n == 0) {
			continue
		}
		// Attestation certificates carry no extended key usage for this purpose; any is
		// accepted, as in go-webauthn and the MDS specification.
		_, err := st.Chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err == nil {
			return nil
		}
	}
	return refuse("chain", "the attestation certificate (%s) does not chain to a trusted attestation root (metadata roots or PASSKEYD_ATTESTATION_ROOTS)", st.Chain[0].Subject.CommonName)
}

// CheckStatus refuses an authenticator with a status report in effect at now (MDS3
// §3.1.3: neither before its effective date nor past its sunset) whose status is one of
// RefusedStatuses. Every report in effect counts, not only the latest: a compromise of a
// model's keys is not undone by a later "FIDO_CERTIFIED", only by the report's sunset. A
// report about one certificate (a batch) applies only when chain contains it; with no
// chain to compare it applies to the whole model.
func CheckStatus(entry *metadata.Entry, chain []*x509.Certificate, now time.Time) error {
	for _, r := range metadata.EffectiveStatusReports(entry.StatusReports, now) {
		if !slices.Contains(RefusedStatuses, r.Status) {
			continue
		}
		if scoped := r.Certificate != nil || r.BatchCertificate != nil; scoped && len(chain) > 0 &&
			!slices.ContainsFunc(chain, func(c *x509.Certificate) bool {
				return (r.Certificate != nil && c.Equal(r.Certificate)) || (r.BatchCertificate != nil && c.Equal(r.BatchCertificate))
			}) {
			continue
		}
		return refuse("status", "the FIDO metadata reports this authenticator (AAGUID %s) as %s", entry.AaGUID, r.Status)
	}
	return nil
}

// PolicyFrom builds a Policy from its configuration strings: a mode ("any", "roots",
// "metadata") and "allow"/"refuse" for self and none attestation.
func PolicyFrom(mode, self, none string) Policy {
	return Policy{Mode: Mode(mode), RefuseSelf: self == "refuse", RefuseNone: none == "refuse"}
}
