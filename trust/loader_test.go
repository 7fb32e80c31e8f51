package trust_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/trust"
)

// mdsPKI is a BLOB signing root and signing certificate made for the test.
type mdsPKI struct {
	root    *x509.Certificate
	leaf    *x509.Certificate
	leafKey *ecdsa.PrivateKey
	rootB64 string
}

func newMDSPKI(t *testing.T) mdsPKI {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test MDS root"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour * 365),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "test MDS signer"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour * 30), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	return mdsPKI{root: root, leaf: leaf, leafKey: leafKey, rootB64: base64.StdEncoding.EncodeToString(rootDER)}
}

// blob signs a MDS3 payload listing aaguid with the given status and attestation root.
func (p mdsPKI) blob(t *testing.T, number int, nextUpdate time.Time, aaguid uuid.UUID, status string, attRoot *x509.Certificate) []byte {
	t.Helper()
	claims := jwt.MapClaims{
		"legalHeader": "test",
		"no":          number,
		"nextUpdate":  nextUpdate.Format(time.DateOnly),
		"entries": []any{map[string]any{
			"aaguid": aaguid.String(),
			"metadataStatement": map[string]any{
				"aaguid": aaguid.String(), "description": "Test Key", "schema": 3, "protocolFamily": "fido2",
				"attestationTypes":            []string{"basic_full"},
				"attestationRootCertificates": []string{base64.StdEncoding.EncodeToString(attRoot.Raw)},
			},
			"statusReports":          []any{map[string]any{"status": status}},
			"timeOfLastStatusChange": "2024-01-01",
		}},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["x5c"] = []string{base64.StdEncoding.EncodeToString(p.leaf.Raw), p.rootB64}
	s, err := tok.SignedString(p.leafKey)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

func writeBLOB(t *testing.T, b []byte) string {
	f := filepath.Join(t.TempDir(), "blob.jwt")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLoaderVerifiesBLOBs(t *testing.T) {
	pki, other := newMDSPKI(t), newMDSPKI(t)
	ca, _ := softauthn.NewTestCA()
	future, past := time.Now().Add(30*24*time.Hour), time.Now().Add(-48*time.Hour)
	valid := pki.blob(t, 5, future, model, "FIDO_CERTIFIED", ca.Root)
	badSig := []byte(string(valid[:len(valid)-4]) + "AAAA")
	for _, tc := range []struct {
		name string
		blob []byte
		want string // "" for loaded
	}{
		{"valid", valid, ""},
		{"bad signature", badSig, "does not verify"},
		{"bad chain", other.blob(t, 5, future, model, "FIDO_CERTIFIED", ca.Root), "does not verify"},
		{"expired", pki.blob(t, 5, past, model, "FIDO_CERTIFIED", ca.Root), "expired"},
		{"not a JWT", []byte("hello"), "does not verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &trust.Loader{Source: writeBLOB(t, tc.blob), Root: pki.rootB64}
			err := l.Load(context.Background())
			if tc.want == "" {
				if err != nil || l.Current().Len() != 1 || l.Current().Description(model) != "Test Key" || l.Current().Number != 5 {
					t.Fatalf("valid BLOB: %v, %+v", err, l.Current())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || l.Current() != nil {
				t.Fatalf("error %v, want %q and nothing loaded", err, tc.want)
			}
		})
	}
}

func TestLoaderKeepsLastGoodCopy(t *testing.T) {
	pki := newMDSPKI(t)
	ca, _ := softauthn.NewTestCA()
	future := time.Now().Add(30 * 24 * time.Hour)
	file := writeBLOB(t, pki.blob(t, 7, future, model, "FIDO_CERTIFIED", ca.Root))
	var outcomes []error
	l := &trust.Loader{Source: file, Root: pki.rootB64, OnRefresh: func(err error) { outcomes = append(outcomes, err) }}
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	good := l.Current()
	os.WriteFile(file, []byte("garbage"), 0o600)
	if err := l.Load(context.Background()); err == nil || l.Current() != good || l.Err() == nil {
		t.Fatalf("a failed refresh replaced the last good copy: %v", err)
	}
	os.WriteFile(file, pki.blob(t, 6, future, model, "FIDO_CERTIFIED", ca.Root), 0o600)
	if err := l.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "rollback") || l.Current() != good {
		t.Fatalf("an older BLOB was accepted: %v", err)
	}
	os.WriteFile(file, pki.blob(t, 8, future, model, "REVOKED", ca.Root), 0o600)
	if err := l.Load(context.Background()); err != nil || l.Current().Number != 8 || l.Err() != nil {
		t.Fatalf("a newer BLOB was not taken: %v", err)
	}
	if len(outcomes) != 4 {
		t.Fatalf("OnRefresh heard %d loads", len(outcomes))
	}
	if d := l.NextRefresh(); d < time.Hour || d > 24*time.Hour {
		t.Fatalf("next refresh in %v", d)
	}
}

// TestMetadataStatusRefusesRegistration: statuses from a loaded BLOB drive Evaluate.
func TestMetadataStatusRefuses(t *testing.T) {
	pki := newMDSPKI(t)
	ca, _ := softauthn.NewTestCA()
	_, leaf, _ := ca.IssuePacked(model)
	st := trust.Statement{Format: "packed", Type: "basic_full", AAGUID: model, Chain: []*x509.Certificate{leaf}}
	for _, status := range []string{"FIDO_CERTIFIED", "USER_VERIFICATION_BYPASS", "ATTESTATION_KEY_COMPROMISE", "USER_KEY_REMOTE_COMPROMISE", "USER_KEY_PHYSICAL_COMPROMISE", "REVOKED"} {
		t.Run(status, func(t *testing.T) {
			l := &trust.Loader{Source: writeBLOB(t, pki.blob(t, 1, time.Now().Add(48*time.Hour), model, status, ca.Root)), Root: pki.rootB64}
			if err := l.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			entry := l.Current().Entry(model, st.Chain)
			err := trust.Evaluate(trust.Policy{Mode: trust.Listed}, st, entry, nil, time.Now())
			if want := status != "FIDO_CERTIFIED"; (err != nil) != want {
				t.Fatalf("refused=%v (%v), want %v", err != nil, err, want)
			}
		})
	}
}
