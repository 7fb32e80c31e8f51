package softauthn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"time"
)

// oidFIDOGenCeAAGUID is id-fido-gen-ce-aaguid: the AAGUID in an attestation certificate
// (WebAuthn §8.2.1), which a verifier checks against authenticatorData.
var oidFIDOGenCeAAGUID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 45724, 1, 1, 4}

// TestCA is a throwaway attestation root for tests: it issues attestation certificates that
// meet WebAuthn §8.2.1, so a relying party's attestation policy can be tested end to end.
type TestCA struct {
	Root *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewTestCA makes a fresh self-signed root.
func NewTestCA() (*TestCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Country: []string{"US"}, Organization: []string{"passkeyd test"}, CommonName: "passkeyd softauthn test root"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &TestCA{Root: root, key: key}, nil
}

// issue makes an attestation key and its certificate. With aaguid non-nil the certificate
// carries the id-fido-gen-ce-aaguid extension (packed); fido-u2f certificates carry none.
func (ca *TestCA) issue(aaguid []byte) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Country:            []string{"US"},
			Organization:       []string{"passkeyd test"},
			OrganizationalUnit: []string{"Authenticator Attestation"},
			CommonName:         "passkeyd softauthn",
		},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  false,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if aaguid != nil {
		v, err := asn1.Marshal(aaguid)
		if err != nil {
			return nil, nil, err
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidFIDOGenCeAAGUID, Value: v}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Root, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	return key, der, nil
}
