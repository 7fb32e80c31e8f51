package softauthn_test

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/softauthn"
)

// attributeSET mirrors pkix.RelativeDistinguishedNameSET but keeps each value's ASN.1
// string type, which §8.2.1 prescribes.
type attributeSET []struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

func TestPackedAttestationCertificateMeets8_2_1(t *testing.T) {
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	aaguid := [16]byte{0xde, 0xad, 0xbe, 0xef, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	_, cert, err := ca.IssuePacked(aaguid)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Version != 3 {
		t.Errorf("version %d, want 3", cert.Version)
	}
	var rdns []attributeSET
	if _, err := asn1.Unmarshal(cert.RawSubject, &rdns); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		tag   int
		value string
	}{
		"2.5.4.6":  {asn1.TagPrintableString, "US"},
		"2.5.4.10": {asn1.TagUTF8String, "passkeyd"},
		"2.5.4.11": {asn1.TagUTF8String, "Authenticator Attestation"},
		"2.5.4.3":  {asn1.TagUTF8String, "softauthn"},
	}
	for _, rdn := range rdns {
		for _, atv := range rdn {
			w, ok := want[atv.Type.String()]
			if !ok || atv.Value.Tag != w.tag || string(atv.Value.Bytes) != w.value {
				t.Errorf("subject %s = tag %d %q, want tag %d %q", atv.Type, atv.Value.Tag, atv.Value.Bytes, w.tag, w.value)
			}
			delete(want, atv.Type.String())
		}
	}
	if len(want) != 0 {
		t.Errorf("subject lacks %v", want)
	}
	if !cert.BasicConstraintsValid || cert.IsCA {
		t.Error("basic constraints must say CA=false")
	}
	var found bool
	for _, ext := range cert.Extensions {
		if ext.Id.String() != "1.3.6.1.4.1.45724.1.1.4" {
			continue
		}
		found = true
		if ext.Critical {
			t.Error("id-fido-gen-ce-aaguid is critical")
		}
		// extnValue's OCTET STRING holds an OCTET STRING of the AAGUID.
		if wantV := append([]byte{0x04, 0x10}, aaguid[:]...); !bytes.Equal(ext.Value, wantV) {
			t.Errorf("extension value %x, want %x", ext.Value, wantV)
		}
	}
	if !found {
		t.Error("no id-fido-gen-ce-aaguid extension")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("does not chain to Root: %v", err)
	}

	_, u2f, err := ca.IssueU2F()
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range u2f.Extensions {
		if ext.Id.String() == "1.3.6.1.4.1.45724.1.1.4" {
			t.Error("fido-u2f certificate carries an AAGUID")
		}
	}

	if b, _ := pem.Decode(ca.RootPEM()); b == nil || !bytes.Equal(b.Bytes, ca.Root.Raw) {
		t.Error("RootPEM is not Root")
	}
	if !ca.Root.IsCA {
		t.Error("Root is not a CA")
	}
}

func TestAuthenticatorCA(t *testing.T) {
	if softauthn.MustNew(softauthn.Options{}).CA() != nil {
		t.Error("attestation none has a CA")
	}
	a := softauthn.MustNew(softauthn.Options{Attestation: softauthn.AttestationPacked})
	if a.CA() == nil || a.CA().Root == nil {
		t.Fatal("packed attestation made no CA")
	}
	ch := newChallenge()
	resp, err := a.Register(creationOptions(ch, userID, allAlgs))
	if err != nil {
		t.Fatal(err)
	}
	p, err := newVerifier(ch).register(resp)
	if err != nil {
		t.Fatal(describe(err))
	}
	checkChain(t, p.Response.AttestationObject.AttStatement, a.CA())
}

// verifyLeaf verifies cert against ca's Root with the given intermediates, now.
func verifyLeaf(cert *x509.Certificate, ca *softauthn.TestCA, inter []*x509.Certificate) error {
	pool := x509.NewCertPool()
	for _, c := range inter {
		pool.AddCert(c)
	}
	_, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), Intermediates: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

// TestCAChainsAndValidity: a two-level CA's leaves chain to Root only through its
// intermediate, and a chosen validity makes a leaf or an intermediate expired or not yet
// valid, which crypto/x509 refuses as such.
func TestCAChainsAndValidity(t *testing.T) {
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	if len(ca.Intermediates()) != 0 {
		t.Fatal("a new CA has intermediates")
	}
	two, err := ca.NewIntermediate(time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if two.Root != ca.Root || len(two.Intermediates()) != 1 {
		t.Fatalf("NewIntermediate: root changed or %d intermediates", len(two.Intermediates()))
	}
	inter := two.Intermediates()[0]
	if !inter.IsCA || inter.CheckSignatureFrom(ca.Root) != nil {
		t.Fatal("the intermediate is not a CA issued by Root")
	}
	_, leaf, err := two.IssuePacked([16]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.CheckSignatureFrom(inter); err != nil {
		t.Fatalf("the leaf is not issued by the intermediate: %v", err)
	}
	if err := verifyLeaf(leaf, two, two.Intermediates()); err != nil {
		t.Fatalf("two-level chain does not verify: %v", err)
	}
	if verifyLeaf(leaf, two, nil) == nil {
		t.Fatal("a leaf of the intermediate verified without it")
	}

	now := time.Now()
	expiredInter, err := ca.NewIntermediate(now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, underExpired, err := expiredInter.IssuePacked([16]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if !now.After(underExpired.NotBefore) || !now.Before(underExpired.NotAfter) {
		t.Fatalf("a leaf under an expired intermediate is itself outside its validity (%v–%v)", underExpired.NotBefore, underExpired.NotAfter)
	}
	_, expired, _ := ca.WithLeafValidity(now.Add(-48*time.Hour), now.Add(-24*time.Hour)).IssuePacked([16]byte{1})
	_, early, _ := ca.WithLeafValidity(now.Add(24*time.Hour), now.Add(48*time.Hour)).IssueU2F()
	for _, tc := range []struct {
		name  string
		leaf  *x509.Certificate
		ca    *softauthn.TestCA
		stale *x509.Certificate
	}{
		{"expired leaf", expired, ca, expired},
		{"leaf not yet valid", early, ca, early},
		{"expired intermediate", underExpired, expiredInter, expiredInter.Intermediates()[0]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ie x509.CertificateInvalidError
			err := verifyLeaf(tc.leaf, tc.ca, tc.ca.Intermediates())
			if !errors.As(err, &ie) || ie.Reason != x509.Expired || !ie.Cert.Equal(tc.stale) {
				t.Fatalf("want x509.Expired for %s, got %v", tc.stale.Subject.CommonName, err)
			}
		})
	}
}

// TestPackedX5CCarriesIntermediates: packed x5c is the leaf then the CA's intermediates;
// fido-u2f keeps exactly one certificate (§8.6).
func TestPackedX5CCarriesIntermediates(t *testing.T) {
	root, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	ca, err := root.NewIntermediate(time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format string
		want   int
	}{{softauthn.AttestationPacked, 2}, {softauthn.AttestationFIDOU2F, 1}} {
		t.Run(tc.format, func(t *testing.T) {
			a := softauthn.MustNew(softauthn.Options{Attestation: tc.format, CA: ca})
			p := registered(t, a)
			x5c, _ := p.Response.AttestationObject.AttStatement["x5c"].([]any)
			if len(x5c) != tc.want {
				t.Fatalf("x5c has %d certificates, want %d", len(x5c), tc.want)
			}
			var certs []*x509.Certificate
			for _, raw := range x5c {
				c, err := x509.ParseCertificate(raw.([]byte))
				if err != nil {
					t.Fatal(err)
				}
				certs = append(certs, c)
			}
			if len(certs) == 2 && !certs[1].Equal(ca.Intermediates()[0]) {
				t.Fatal("x5c[1] is not the intermediate")
			}
			if err := verifyLeaf(certs[0], ca, certs[1:]); tc.want == 2 && err != nil {
				t.Fatalf("x5c does not chain to Root: %v", err)
			}
		})
	}
}
