// Package trusttest makes FIDO MDS3 metadata BLOBs signed by a test root, for tests of other
// packages that need an authenticator listed in loaded metadata. It is test support only.
package trusttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd/trust"
)

// Entry is what a test BLOB says about one authenticator.
type Entry struct {
	AAGUID uuid.UUID
	// Roots are the attestation roots of its metadata statement.
	Roots []*x509.Certificate
	// Algorithms are its authenticationAlgorithms (MDS names, e.g.
	// "secp256r1_ecdsa_sha256_raw"); nil means ["secp256r1_ecdsa_sha256_raw"].
	Algorithms []string
	// Status is its status report; "" means FIDO_CERTIFIED.
	Status string
}

// Signer is a BLOB signing root and a signing certificate under it.
type Signer struct {
	// RootB64 is the root, base64 DER: trust.Loader's Root.
	RootB64 string
	leaf    *x509.Certificate
	leafKey *ecdsa.PrivateKey
}

// NewSigner makes a fresh signing root and signer.
func NewSigner(t testing.TB) *Signer {
	t.Helper()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "trusttest MDS root"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "trusttest MDS signer"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	return &Signer{RootB64: base64.StdEncoding.EncodeToString(rootDER), leaf: leaf, leafKey: leafKey}
}

// BLOB signs a MDS3 BLOB (number 1, next update in 30 days) listing entries.
func (s *Signer) BLOB(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var list []any
	for _, e := range entries {
		roots := make([]string, len(e.Roots))
		for i, r := range e.Roots {
			roots[i] = base64.StdEncoding.EncodeToString(r.Raw)
		}
		algs := e.Algorithms
		if algs == nil {
			algs = []string{"secp256r1_ecdsa_sha256_raw"}
		}
		status := e.Status
		if status == "" {
			status = "FIDO_CERTIFIED"
		}
		list = append(list, map[string]any{
			"aaguid": e.AAGUID.String(),
			"metadataStatement": map[string]any{
				"aaguid": e.AAGUID.String(), "description": "trusttest authenticator", "schema": 3, "protocolFamily": "fido2",
				"attestationTypes":            []string{"basic_full"},
				"authenticationAlgorithms":    algs,
				"attestationRootCertificates": roots,
			},
			"statusReports":          []any{map[string]any{"status": status}},
			"timeOfLastStatusChange": "2024-01-01",
		})
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"legalHeader": "test", "no": 1, "nextUpdate": time.Now().Add(30 * 24 * time.Hour).Format(time.DateOnly), "entries": list,
	})
	tok.Header["x5c"] = []string{base64.StdEncoding.EncodeToString(s.leaf.Raw), s.RootB64}
	b, err := tok.SignedString(s.leafKey)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(b)
}

// Load writes a BLOB of entries to a file and loads it through a trust.Loader that trusts
// the signer's root, so the metadata has passed the same checks as a real BLOB's.
func (s *Signer) Load(t testing.TB, entries ...Entry) *trust.Loader {
	t.Helper()
	f := filepath.Join(t.TempDir(), "mds.jwt")
	if err := os.WriteFile(f, s.BLOB(t, entries...), 0o600); err != nil {
		t.Fatal(err)
	}
	l := &trust.Loader{Source: f, Root: s.RootB64}
	if err := l.Load(t.Context()); err != nil {
		t.Fatalf("test BLOB does not load: %v", err)
	}
	return l
}
