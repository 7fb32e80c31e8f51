package softauthn_test

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"testing"

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
