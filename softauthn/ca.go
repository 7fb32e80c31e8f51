package softauthn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// oidFIDOGenCeAAGUID is id-fido-gen-ce-aaguid: the AAGUID in an attestation certificate
// (§8.2.1), which a verifier compares with the AAGUID in authenticatorData.
var oidFIDOGenCeAAGUID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 45724, 1, 1, 4}

// Attribute types of an X.501 name (RFC 5280 Appendix A).
var (
	oidCountry            = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidOrganization       = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrganizationalUnit = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCommonName         = asn1.ObjectIdentifier{2, 5, 4, 3}
)

// TestCA is a throwaway attestation root: it issues attestation certificates meeting
// §8.2.1, so a relying party's attestation policy can be tested end to end by trusting
// Root. Its keys live only in memory.
//
// NewTestCA issues leaves from Root itself. NewIntermediate gives a CA of the same Root
// that issues them from an intermediate certificate (root → intermediate → leaf), and
// WithLeafValidity one whose leaves have a chosen validity, so that chains which are
// expired, not yet valid or have an expired intermediate can be tested.
type TestCA struct {
	// Root is the self-signed root certificate to trust.
	Root *x509.Certificate
	// key signs the leaves: Root's key, or the last intermediate's.
	key *ecdsa.PrivateKey
	// issuer is the certificate whose key is key (Root when there is no intermediate).
	issuer *x509.Certificate
	// intermediates go after the leaf in x5c: the leaf's issuer first (§8.2 x5c order).
	intermediates []*x509.Certificate
	// leafNotBefore and leafNotAfter, when not zero, are the validity of issued leaves.
	leafNotBefore, leafNotAfter time.Time
}

// NewTestCA makes a fresh P-256 self-signed root, valid from an hour ago for ten years.
func NewTestCA() (*TestCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	subject, err := utf8Name("US", "passkeyd", "", "softauthn test attestation root")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		RawSubject:            subject,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &TestCA{Root: root, key: key, issuer: root}, nil
}

// NewIntermediate returns a CA with the same Root whose leaves are issued by a new
// intermediate CA certificate, itself issued by ca's issuer, and valid from notBefore to
// notAfter (zero values: an hour ago, and Root's NotAfter). Leaves it issues carry the
// intermediate, and any of ca's, in x5c after themselves. An expired or not yet valid
// intermediate is allowed: it is what a verifier must refuse.
func (ca *TestCA) NewIntermediate(notBefore, notAfter time.Time) (*TestCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	subject, err := utf8Name("US", "passkeyd", "", fmt.Sprintf("softauthn test attestation intermediate %d", len(ca.intermediates)+1))
	if err != nil {
		return nil, err
	}
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = ca.Root.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		RawSubject:            subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.issuer, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("softauthn: signing the intermediate certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	out := *ca
	out.key, out.issuer = key, cert
	out.intermediates = append([]*x509.Certificate{cert}, ca.intermediates...)
	return &out, nil
}

// WithLeafValidity returns a CA with the same Root and issuer whose leaves are valid from
// notBefore to notAfter, which may be in the past or the future (for expired and not yet
// valid attestation certificates); zero values keep the defaults.
func (ca *TestCA) WithLeafValidity(notBefore, notAfter time.Time) *TestCA {
	out := *ca
	out.leafNotBefore, out.leafNotAfter = notBefore, notAfter
	return &out
}

// Intermediates returns the CA certificates between a leaf and Root, the leaf's issuer
// first: what x5c carries after the leaf (§8.2). It is empty for a one-level CA.
func (ca *TestCA) Intermediates() []*x509.Certificate {
	return append([]*x509.Certificate(nil), ca.intermediates...)
}

// chain returns the DER certificates of x5c for a leaf: the leaf, then the intermediates.
func (ca *TestCA) chain(leaf []byte) [][]byte {
	out := [][]byte{leaf}
	for _, c := range ca.intermediates {
		out = append(out, c.Raw)
	}
	return out
}

// Pool returns a pool holding only Root, for x509.VerifyOptions.Roots.
func (ca *TestCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Root)
	return p
}

// RootPEM returns Root PEM-encoded, for configuration files.
func (ca *TestCA) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Root.Raw})
}

// IssuePacked issues a P-256 attestation key and its certificate for the packed format
// (§8.2.1): version 3; subject C, O, OU "Authenticator Attestation" and CN as UTF8Strings;
// basic constraints CA=false; and a non-critical id-fido-gen-ce-aaguid extension holding
// aaguid as an OCTET STRING inside the extension's OCTET STRING.
func (ca *TestCA) IssuePacked(aaguid [16]byte) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	return ca.parsed(ca.issue(aaguid[:]))
}

// IssueU2F issues a P-256 attestation key and certificate for the fido-u2f format (§8.6),
// which carries no AAGUID.
func (ca *TestCA) IssueU2F() (*ecdsa.PrivateKey, *x509.Certificate, error) {
	return ca.parsed(ca.issue(nil))
}

func (ca *TestCA) parsed(key *ecdsa.PrivateKey, der []byte, err error) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}

// issue makes an attestation key and its DER certificate; aaguid nil leaves out the AAGUID
// extension.
func (ca *TestCA) issue(aaguid []byte) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	subject, err := utf8Name("US", "passkeyd", "Authenticator Attestation", "softauthn")
	if err != nil {
		return nil, nil, err
	}
	// The default validity is capped by Root's, not by an intermediate's: a leaf under an
	// expired intermediate is then valid itself, so only the intermediate is at fault.
	notBefore, notAfter := time.Now().Add(-time.Hour), time.Now().Add(2*365*24*time.Hour)
	if notAfter.After(ca.Root.NotAfter) {
		notAfter = ca.Root.NotAfter
	}
	if !ca.leafNotBefore.IsZero() {
		notBefore = ca.leafNotBefore
	}
	if !ca.leafNotAfter.IsZero() {
		notAfter = ca.leafNotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		RawSubject:            subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		IsCA:                  false,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if aaguid != nil {
		v, err := asn1.Marshal(aaguid) // the inner OCTET STRING
		if err != nil {
			return nil, nil, err
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidFIDOGenCeAAGUID, Value: v}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.issuer, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("softauthn: signing the attestation certificate: %w", err)
	}
	return key, der, nil
}

// utf8Name encodes an X.501 name with C as a PrintableString and O, OU and CN as
// UTF8Strings, the types §8.2.1 names; crypto/x509 would pick PrintableString for ASCII.
// Empty attributes are left out.
func utf8Name(c, o, ou, cn string) ([]byte, error) {
	var rdns pkix.RDNSequence
	add := func(oid asn1.ObjectIdentifier, tag int, v string) {
		if v != "" {
			rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: asn1.RawValue{Tag: tag, Bytes: []byte(v)}}})
		}
	}
	add(oidCountry, asn1.TagPrintableString, c)
	add(oidOrganization, asn1.TagUTF8String, o)
	add(oidOrganizationalUnit, asn1.TagUTF8String, ou)
	add(oidCommonName, asn1.TagUTF8String, cn)
	return asn1.Marshal(rdns)
}

// serial returns a random positive 127-bit serial number (RFC 5280 §4.1.2.2).
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil || n.Sign() == 0 {
		return big.NewInt(1)
	}
	return n
}
