package trust

import (
	"crypto/sha1" //nolint:gosec // MDS3 key identifiers are SHA-1 of the public key (RFC 5280 §4.2.1.2 method 1)
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/metadata"
	"github.com/google/uuid"
)

// Metadata is one verified FIDO MDS3 BLOB, indexed for look-ups. It is immutable; a refresh
// replaces it whole.
type Metadata struct {
	// Number is the BLOB's serial number; a newer BLOB has a greater one.
	Number int
	// NextUpdate is the date by which the FIDO Alliance publishes the next BLOB.
	NextUpdate time.Time
	byAAGUID   map[uuid.UUID]*metadata.Entry
	byKeyID    map[string]*metadata.Entry
}

// NewMetadata indexes a parsed BLOB by AAGUID and by attestation certificate key
// identifier (for U2F authenticators, which have no AAGUID).
func NewMetadata(m *metadata.Metadata) *Metadata {
	md := &Metadata{Number: m.Parsed.Number, NextUpdate: m.Parsed.NextUpdate, byAAGUID: map[uuid.UUID]*metadata.Entry{}, byKeyID: map[string]*metadata.Entry{}}
	for i := range m.Parsed.Entries {
		e := &m.Parsed.Entries[i]
		if e.AaGUID != uuid.Nil {
			md.byAAGUID[e.AaGUID] = e
		}
		for _, id := range e.AttestationCertificateKeyIdentifiers {
			md.byKeyID[strings.ToLower(id)] = e
		}
	}
	return md
}

// Len is the number of authenticators listed by AAGUID.
func (m *Metadata) Len() int {
	if m == nil {
		return 0
	}
	return len(m.byAAGUID)
}

// Entry finds the entry of an authenticator: by AAGUID, or for the zero AAGUID by the key
// identifier of the attestation certificate (the leaf of chain). It returns nil when the
// authenticator is not listed, and is safe on a nil Metadata.
func (m *Metadata) Entry(aaguid uuid.UUID, chain []*x509.Certificate) *metadata.Entry {
	if m == nil {
		return nil
	}
	if aaguid != uuid.Nil {
		return m.byAAGUID[aaguid]
	}
	if len(chain) == 0 {
		return nil
	}
	for _, id := range keyIdentifiers(chain[0]) {
		if e := m.byKeyID[id]; e != nil {
			return e
		}
	}
	return nil
}

// Description is the authenticator's name in its metadata statement, "" when not listed.
func (m *Metadata) Description(aaguid uuid.UUID) string {
	if e := m.Entry(aaguid, nil); e != nil {
		return e.MetadataStatement.Description
	}
	return ""
}

// keyIdentifiers are the candidate key identifiers of a certificate: its Subject Key
// Identifier and the SHA-1 of its subjectPublicKey bits, hex.
func keyIdentifiers(c *x509.Certificate) []string {
	var out []string
	if len(c.SubjectKeyId) > 0 {
		out = append(out, hex.EncodeToString(c.SubjectKeyId))
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err == nil {
		sum := sha1.Sum(spki.PublicKey.Bytes) //nolint:gosec
		out = append(out, hex.EncodeToString(sum[:]))
	}
	return out
}

// Anchors are what trust decisions are made against: the operator's extra roots and the
// current metadata. The zero value trusts no root and has no metadata.
type Anchors struct {
	// Roots are the extra trusted attestation roots (PASSKEYD_ATTESTATION_ROOTS).
	Roots *x509.CertPool
	// Metadata returns the metadata in force (the last good BLOB); nil or returning nil
	// means none.
	Metadata func() *Metadata
	// Loader, when set, is what Metadata comes from (for status and readiness notes).
	Loader *Loader
}

// Current returns the metadata in force, nil when there is none.
func (a Anchors) Current() *Metadata {
	if a.Metadata == nil {
		return nil
	}
	return a.Metadata()
}
