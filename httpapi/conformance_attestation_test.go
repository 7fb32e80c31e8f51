package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeyd/passkeyd/softauthn"
)

// Server-ServerAuthenticatorAttestationResponse-Resp-1 to -8 (Resp-9, -A and -B, the tpm,
// android-key and android-safetynet formats, are covered by real vectors in ceremony's
// TestConformanceVectors: softauthn cannot produce them).
func TestConformanceMakeCredentialResponse(t *testing.T) {
	f := newFIDO(t)
	untrusted, _ := softauthn.NewTestCA()
	zero, nonZero := [16]byte{}, [16]byte{1, 2, 3}
	_, otherLeaf, err := f.ca.IssuePacked([16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	full := softauthn.Options{Attestation: softauthn.AttestationPacked, CA: f.ca, Attachment: "cross-platform"}
	self := softauthn.Options{Attestation: softauthn.AttestationPackedSelf}
	none := softauthn.Options{Attestation: softauthn.AttestationNone}
	u2f := softauthn.Options{Attestation: softauthn.AttestationFIDOU2F, CA: f.ca, NoUserVerification: true}
	alg := func(a int64) softauthn.Options {
		return softauthn.Options{Attestation: softauthn.AttestationPackedSelf, Algorithm: a}
	}
	no := softauthn.Tamper{}
	x5c := func(e func([][]byte) any) softauthn.Tamper {
		return attStmt(func(s map[string]any) { s["x5c"] = e(s["x5c"].([][]byte)) })
	}
	key := func(e func(map[int]any)) softauthn.Tamper { return softauthn.Tamper{CredentialKey: e} }
	replaceKey := func(v any) softauthn.Tamper {
		return authData(func(ad []byte) []byte {
			b, _ := cbor.Marshal(v)
			return append(ad[:coseStart(ad):coseStart(ad)], b...)
		})
	}
	for _, tc := range []struct {
		name string
		opts softauthn.Options
		uv   string
		tmp  softauthn.Tamper
		edit func(map[string]any)
		ok   bool
	}{
		{"Resp-1 F-1 id missing", full, "preferred", no, del("id"), false},
		{"Resp-1 F-2 id not a string", full, "preferred", no, set("id", 42), false},
		{"Resp-1 F-3 id not base64url", full, "preferred", no, set("id", "!!not base64!!"), false},
		{"Resp-1 F-4 type missing", full, "preferred", no, del("type"), false},
		{"Resp-1 F-5 type not a string", full, "preferred", no, set("type", 1), false},
		{"Resp-1 F-6 type not public-key", full, "preferred", no, set("type", "password"), false},
		{"Resp-1 F-7 response missing", full, "preferred", no, del("response"), false},
		{"Resp-1 F-8 response not an object", full, "preferred", no, set("response", []any{1}), false},
		{"Resp-1 F-9 clientDataJSON missing", full, "preferred", no, inResponse(del("clientDataJSON")), false},
		{"Resp-1 F-10 clientDataJSON not a string", full, "preferred", no, inResponse(set("clientDataJSON", 3)), false},
		{"Resp-1 F-11 clientDataJSON empty", full, "preferred", no, inResponse(set("clientDataJSON", "")), false},
		{"Resp-1 F-12 attestationObject missing", full, "preferred", no, inResponse(del("attestationObject")), false},
		{"Resp-1 F-13 attestationObject not a string", full, "preferred", no, inResponse(set("attestationObject", map[string]any{})), false},
		{"Resp-1 F-14 attestationObject empty", full, "preferred", no, inResponse(set("attestationObject", "")), false},
		{"extra: Resp-1 valid with getClientExtensionResults and no rawId", full, "preferred", no, nil, true},

		{"Resp-2 F-1 type missing", full, "preferred", clientData(del("type")), nil, false},
		{"Resp-2 F-2 type not a string", full, "preferred", clientData(set("type", 1)), nil, false},
		{"Resp-2 F-3 type empty", full, "preferred", clientData(set("type", "")), nil, false},
		{"Resp-2 F-4 type not webauthn.create", full, "preferred", softauthn.Tamper{Type: "webauthn.something"}, nil, false},
		{"Resp-2 F-5 type webauthn.get", full, "preferred", softauthn.Tamper{Type: "webauthn.get"}, nil, false},
		{"Resp-2 F-6 challenge missing", full, "preferred", clientData(del("challenge")), nil, false},
		{"Resp-2 F-7 challenge not a string", full, "preferred", clientData(set("challenge", 12)), nil, false},
		{"Resp-2 F-8 challenge empty", full, "preferred", clientData(set("challenge", "")), nil, false},
		{"Resp-2 F-9 challenge not base64url", full, "preferred", clientData(set("challenge", "!!not base64!!")), nil, false},
		{"Resp-2 F-10 challenge not the request's", full, "preferred", softauthn.Tamper{Challenge: make([]byte, 32)}, nil, false},
		{"Resp-2 F-11 origin missing", full, "preferred", clientData(del("origin")), nil, false},
		{"Resp-2 F-12 origin not a string", full, "preferred", clientData(set("origin", 1)), nil, false},
		{"Resp-2 F-13 origin empty", full, "preferred", clientData(set("origin", "")), nil, false},
		{"Resp-2 F-14 origin not the RP's", full, "preferred", softauthn.Tamper{Origin: "https://evil.example"}, nil, false},
		{"Resp-2 F-15 tokenBinding not an object", full, "preferred", clientData(set("tokenBinding", "present")), nil, false},
		{"Resp-2 F-16 tokenBinding without status", full, "preferred", clientData(set("tokenBinding", map[string]any{})), nil, false},
		{"Resp-2 F-17 tokenBinding.status invalid", full, "preferred", clientData(set("tokenBinding", map[string]any{"status": "bound"})), nil, false},
		{"extra: Resp-2 tokenBinding present without id", full, "preferred", clientData(set("tokenBinding", map[string]any{"status": "present"})), nil, false},
		{"extra: Resp-2 tokenBinding supported", full, "preferred", clientData(set("tokenBinding", map[string]any{"status": "supported"})), nil, true},

		{"Resp-3 P-1 extension data with ED", full, "preferred", authData(withExtensions), nil, true},
		{"Resp-3 F-1 attestationObject not a CBOR map", full, "preferred", softauthn.Tamper{AttestationObject: func(o map[string]any) any { return []any{o["fmt"], o["attStmt"], o["authData"]} }}, nil, false},
		{"Resp-3 F-1 attestationObject not CBOR", full, "preferred", no, inResponse(set("attestationObject", b64([]byte{0xff, 0x00}))), false},
		{"Resp-3 F-2 fmt missing", full, "preferred", attObj(del("fmt")), nil, false},
		{"Resp-3 F-3 fmt not a string", full, "preferred", attObj(set("fmt", 1)), nil, false},
		{"Resp-3 F-4 attStmt missing", full, "preferred", attObj(del("attStmt")), nil, false},
		{"Resp-3 F-5 attStmt not a map", full, "preferred", attObj(set("attStmt", "statement")), nil, false},
		{"Resp-3 F-6 authData missing", full, "preferred", attObj(del("authData")), nil, false},
		{"Resp-3 F-7 authData not a byte string", full, "preferred", attObj(set("authData", "authData")), nil, false},
		{"Resp-3 F-8 authData empty", full, "preferred", attObj(set("authData", []byte{})), nil, false},
		{"Resp-3 F-9 AT clear, attested credential data present", full, "preferred", authData(flags(0, softauthn.FlagAT)), nil, false},
		{"Resp-3 F-10 AT clear, no attested credential data", full, "preferred", authData(func(ad []byte) []byte { return flags(0, softauthn.FlagAT)(ad[:37]) }), nil, false},
		{"Resp-3 F-11 AT set, no attested credential data", full, "preferred", authData(func(ad []byte) []byte { return ad[:37] }), nil, false},
		{"Resp-3 F-12 leftover bytes after the attested credential data", full, "preferred", authData(func(ad []byte) []byte { return append(ad, 0x00, 0x01) }), nil, false},
		{"Resp-3 F-13 packed attStmt empty", full, "preferred", attObj(set("attStmt", map[string]any{})), nil, false},
		{"Resp-3 F-14 packed attStmt.alg missing", full, "preferred", attStmt(del("alg")), nil, false},
		{"Resp-3 F-15 packed attStmt.alg not a number", full, "preferred", attStmt(set("alg", "ES256")), nil, false},
		{"extra: Resp-3 packed attStmt.alg not the signature's (no metadata)", full, "preferred", attStmt(set("alg", softauthn.ES512)), nil, false},
		{"Resp-3 F-17 packed attStmt.sig missing", full, "preferred", attStmt(del("sig")), nil, false},
		{"Resp-3 F-18 packed attStmt.sig not a byte string", full, "preferred", attStmt(set("sig", "signature")), nil, false},
		{"Resp-3 F-19 packed attStmt.sig empty", full, "preferred", attStmt(set("sig", []byte{})), nil, false},
		{"extra: Resp-3 ED set without extension data", full, "preferred", authData(flags(softauthn.FlagED, 0)), nil, false},
		{"extra: Resp-3 authData shorter than 37 bytes", full, "preferred", authData(func(ad []byte) []byte { return ad[:30] }), nil, false},
		{"extra: Resp-3 attested credential data truncated", none, "preferred", authData(func(ad []byte) []byte { return ad[:coseStart(ad)+5] }), nil, false},
		{"extra: Resp-3 credential public key not a COSE key", none, "preferred", replaceKey("not a key"), nil, false},
		{"extra: Resp-3 credential public key without kty", none, "preferred", key(func(k map[int]any) { delete(k, 1) }), nil, false},
		{"extra: Resp-3 credential public key kty RSA on an EC2 key", none, "preferred", key(func(k map[int]any) { k[1] = 3 }), nil, false},
		{"extra: Resp-3 credential public key without alg", none, "preferred", key(func(k map[int]any) { delete(k, 3) }), nil, false},
		{"extra: Resp-3 credential public key crv P-384 with P-256 coordinates", none, "preferred", key(func(k map[int]any) { k[-1] = 2 }), nil, false},
		{"extra: Resp-3 credential public key x not a byte string", none, "preferred", key(func(k map[int]any) { k[-2] = "x" }), nil, false},
		{"extra: Resp-3 credential algorithm not offered", none, "preferred", softauthn.Tamper{Algorithm: -260}, nil, false},
		{"extra: §7.1 rpIdHash not the RP's", full, "preferred", softauthn.Tamper{RPID: "example.com"}, nil, false},
		{"extra: §7.1 UP clear", full, "preferred", softauthn.Tamper{ClearUP: true}, nil, false},
		{"extra: §7.1 UV clear when required", full, "required", softauthn.Tamper{ClearUV: true}, nil, false},
		{"extra: §7.1 UV clear when preferred", softauthn.Options{Attestation: softauthn.AttestationPacked, CA: f.ca, NoUserVerification: true}, "preferred", no, nil, true},

		{"Resp-4 P-2 PS256", alg(softauthn.PS256), "preferred", no, nil, true},
		{"Resp-4 P-3 PS384", alg(softauthn.PS384), "preferred", no, nil, true},
		{"Resp-4 P-4 PS512", alg(softauthn.PS512), "preferred", no, nil, true},
		{"Resp-4 P-5 RS256", alg(softauthn.RS256), "preferred", no, nil, true},
		{"Resp-4 P-6 RS384", alg(softauthn.RS384), "preferred", no, nil, true},
		{"Resp-4 P-7 RS512", alg(softauthn.RS512), "preferred", no, nil, true},
		{"Resp-4 P-8 RS1", alg(softauthn.RS1), "preferred", no, nil, true},
		{"Resp-4 P-9 ES256", alg(softauthn.ES256), "preferred", no, nil, true},
		{"Resp-4 P-10 ES384", alg(softauthn.ES384), "preferred", no, nil, true},
		{"Resp-4 P-11 ES512", alg(softauthn.ES512), "preferred", no, nil, true},
		{"Resp-4 P-12 EdDSA", alg(softauthn.EdDSA), "preferred", no, nil, true},

		{"Resp-5 P-1 packed full", full, "preferred", no, nil, true},
		{"Resp-5 P-2 packed full to a trusted root (PASSKEYD_ATTESTATION_ROOTS, not metadata)", full, "preferred", no, nil, true},
		{"Resp-5 F-1 unknown fmt", full, "preferred", attObj(set("fmt", "unknown-format")), nil, false},
		{"Resp-5 F-2 attStmt.sig does not verify", full, "preferred", softauthn.Tamper{CorruptAttestation: true}, nil, false},
		{"Resp-5 F-3 x5c missing", full, "preferred", attStmt(del("x5c")), nil, false},
		{"Resp-5 F-4 x5c not an array", full, "preferred", attStmt(set("x5c", []byte{1, 2, 3})), nil, false},
		{"Resp-5 F-5 x5c empty", full, "preferred", attStmt(set("x5c", []any{})), nil, false},
		{"Resp-5 F-9 chain to an untrusted root", softauthn.Options{Attestation: softauthn.AttestationPacked, CA: untrusted}, "preferred", no, nil, false},
		{"Resp-5 F-9 x5c[0] not a certificate", full, "preferred", x5c(func([][]byte) any { return [][]byte{{0x30, 0x03, 0x02, 0x01, 0x01}} }), nil, false},
		{"Resp-5 F-10 x5c contains the full chain, root included", full, "preferred", x5c(func(c [][]byte) any { return append(c, f.ca.Root.Raw) }), nil, false},
		{"Resp-5 F-11 x5c chain not in order", full, "preferred", x5c(func(c [][]byte) any { return [][]byte{f.ca.Root.Raw, c[0]} }), nil, false},
		{"Resp-5 F-13 signature not by the leaf certificate's key", full, "preferred", x5c(func([][]byte) any { return [][]byte{otherLeaf.Raw} }), nil, false},
		{"Resp-5 F-14 signature by the credential key, not the attestation key", self, "preferred", attStmt(func(s map[string]any) { s["x5c"] = [][]byte{otherLeaf.Raw} }), nil, false},

		{"Resp-6 P-1 packed self", self, "preferred", no, nil, true},
		{"Resp-6 F-1 attStmt.sig does not verify", self, "preferred", softauthn.Tamper{CorruptAttestation: true}, nil, false},
		{"Resp-6 F-2 self statement carrying full attestation (x5c)", self, "preferred", attStmt(func(s map[string]any) { s["x5c"] = [][]byte{otherLeaf.Raw} }), nil, false},
		{"Resp-6 F-3 unknown fmt", self, "preferred", attObj(set("fmt", "unknown-format")), nil, false},
		{"extra: Resp-6 attStmt.alg not the credential's", self, "preferred", attStmt(set("alg", softauthn.RS256)), nil, false},

		{"Resp-7 P-1 none", none, "preferred", no, nil, true},
		{"Resp-7 F-1 fmt none with a full packed attStmt", full, "preferred", attObj(set("fmt", "none")), nil, false},

		{"Resp-8 P-1 fido-u2f", u2f, "discouraged", softauthn.Tamper{AAGUID: &zero}, nil, true},
		{"Resp-8 F-1 fido-u2f with a non-zero AAGUID", u2f, "discouraged", softauthn.Tamper{AAGUID: &nonZero}, nil, false},
		{"Resp-8 F-2 fido-u2f attStmt.sig does not verify", u2f, "discouraged", softauthn.Tamper{CorruptAttestation: true}, nil, false},
		{"extra: Resp-8 fido-u2f to an untrusted root", softauthn.Options{Attestation: softauthn.AttestationFIDOU2F, CA: untrusted, NoUserVerification: true}, "discouraged", no, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthenticator(t, tc.opts)
			r := f.register(a, f.username(), tc.uv, tc.tmp, tc.edit)
			if tc.ok {
				expectOK(t, r)
			} else {
				expectFailed(t, r)
			}
		})
	}
}

// Server-ServerAuthenticatorAttestationResponse-Resp-1 P-1: after a registration the
// next options for the same user exclude its credential.
func TestConformanceExcludeCredentials(t *testing.T) {
	f := newFIDO(t)
	a := newAuthenticator(t, softauthn.Options{Attestation: softauthn.AttestationPacked, CA: f.ca})
	expectOK(t, f.register(a, "again", "preferred", softauthn.Tamper{}, nil))
	r := f.attestationOptions(map[string]any{"username": "again", "displayName": "x"})
	expectOK(t, r)
	ex, _ := r.json(t)["excludeCredentials"].([]any)
	if len(ex) != 1 {
		t.Fatalf("excludeCredentials %s", r.body)
	}
	d := ex[0].(map[string]any)
	if d["type"] != "public-key" || d["id"] != b64(a.Credentials()[0].ID) {
		t.Fatalf("excludeCredentials[0] %v", d)
	}
}

// Server-ServerAuthenticatorAttestationResponse-Resp-5 F-6, F-7 and F-12: packed full
// attestation whose chain is outside its validity. Each is refused by the certificate
// checks, and the errorMessage names the certificate and what is wrong with it.
func TestConformanceAttestationChainValidity(t *testing.T) {
	f := newFIDO(t)
	now := time.Now()
	past, future := [2]time.Time{now.Add(-48 * time.Hour), now.Add(-24 * time.Hour)}, [2]time.Time{now.Add(24 * time.Hour), now.Add(48 * time.Hour)}
	inter := func(nb, na time.Time) *softauthn.TestCA {
		ca, err := f.ca.NewIntermediate(nb, na)
		if err != nil {
			t.Fatal(err)
		}
		return ca
	}
	no := softauthn.Tamper{}
	leafOnly := attStmt(func(s map[string]any) { s["x5c"] = s["x5c"].([][]byte)[:1] })
	for _, tc := range []struct {
		name string
		ca   *softauthn.TestCA
		tmp  softauthn.Tamper
		want []string // in errorMessage; nil: the registration passes
	}{
		{"extra: Resp-5 packed full with a valid two-level chain (root, intermediate, leaf)", inter(time.Time{}, time.Time{}), no, nil},
		{"extra: Resp-5 two-level chain without its intermediate", inter(time.Time{}, time.Time{}), leafOnly, []string{"does not chain to a trusted attestation root"}},
		{"extra: Resp-5 packed full with a valid leaf of a chosen validity", f.ca.WithLeafValidity(now.Add(-time.Minute), now.Add(time.Hour)), no, nil},
		{"Resp-5 F-6 leaf certificate expired", f.ca.WithLeafValidity(past[0], past[1]), no, []string{"x5c[0]", "expired"}},
		{"Resp-5 F-7 leaf certificate not yet valid", f.ca.WithLeafValidity(future[0], future[1]), no, []string{"x5c[0]", "not valid before"}},
		{"Resp-5 F-12 intermediate certificate expired", inter(past[0], past[1]), no, []string{"x5c[1]", "intermediate", "expired"}},
		{"extra: Resp-5 intermediate certificate not yet valid", inter(future[0], future[1]), no, []string{"x5c[1]", "not valid before"}},
		{"extra: Resp-5 leaf expired under a two-level chain", inter(time.Time{}, time.Time{}).WithLeafValidity(past[0], past[1]), no, []string{"x5c[0]", "expired"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthenticator(t, softauthn.Options{Attestation: softauthn.AttestationPacked, CA: tc.ca})
			r := f.register(a, f.username(), "preferred", tc.tmp, nil)
			if tc.want == nil {
				expectOK(t, r)
				return
			}
			expectFailed(t, r)
			msg, _ := r.json(t)["errorMessage"].(string)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("errorMessage %q does not say %q", msg, w)
				}
			}
		})
	}
}
