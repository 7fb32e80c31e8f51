package httpapi_test

import (
	"crypto/x509"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/trust"
	"github.com/passkeyd/passkeyd/trust/trusttest"
)

var (
	mdsES256 = uuid.MustParse("0b1c7a52-5e4f-4a47-9a5e-3b1f0c6d8e01") // lists ES256 only
	mdsES384 = uuid.MustParse("0b1c7a52-5e4f-4a47-9a5e-3b1f0c6d8e02") // lists ES384 only
)

// metadataAnchors trusts ca through PASSKEYD_ATTESTATION_ROOTS and a BLOB, signed by a test
// root and loaded through trust.Loader, listing mdsES256 and mdsES384 under ca.
func metadataAnchors(t *testing.T, ca *softauthn.TestCA) trust.Anchors {
	roots := []*x509.Certificate{ca.Root}
	l := trusttest.NewSigner(t).Load(t,
		trusttest.Entry{AAGUID: mdsES256, Roots: roots, Algorithms: []string{"secp256r1_ecdsa_sha256_raw"}},
		trusttest.Entry{AAGUID: mdsES384, Roots: roots, Algorithms: []string{"secp384r1_ecdsa_sha384_raw"}})
	return trust.Anchors{Roots: ca.Pool(), Metadata: l.Current, Loader: l}
}

// Server-ServerAuthenticatorAttestationResponse-Resp-5 F-8 and Resp-3 F-16: an authenticator
// listed in the metadata whose attestation algorithm is not among its metadata statement's
// authenticationAlgorithms is refused, with a message naming the rule.
func TestConformanceMetadataAlgorithms(t *testing.T) {
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *envOptions) { o.conformance, o.anchors = true, metadataAnchors(t, ca) })
	f := &fido{t: t, e: e, c: e.browser(), ca: ca}
	full := func(aaguid uuid.UUID, alg int64) softauthn.Options {
		return softauthn.Options{Attestation: softauthn.AttestationPacked, CA: ca, AAGUID: aaguid, Algorithm: alg}
	}
	self := func(aaguid uuid.UUID, alg int64) softauthn.Options {
		return softauthn.Options{Attestation: softauthn.AttestationPackedSelf, AAGUID: aaguid, Algorithm: alg}
	}
	for _, tc := range []struct {
		name string
		opts softauthn.Options
		want []string // in errorMessage; nil: the registration passes
	}{
		{"extra: Resp-5 packed full, attStmt.alg and key ES256 listed in the metadata", full(mdsES256, softauthn.ES256), nil},
		{"extra: Resp-6 packed self, ES256 listed in the metadata", self(mdsES256, softauthn.ES256), nil},
		{"Resp-5 F-8 packed full, leaf algorithm ES256 not the metadata's (ES384)", full(mdsES384, softauthn.ES384), []string{"attStmt.alg", "-7", "authenticationAlgorithms"}},
		{"Resp-3 F-16 packed attStmt.alg ES512 not the metadata statement's (ES256)", self(mdsES256, softauthn.ES512), []string{"attStmt.alg", "-36", "authenticationAlgorithms"}},
		{"extra: Resp-5 packed full, credential key ES384 not the metadata's", full(mdsES256, softauthn.ES384), []string{"credential key algorithm", "-35", "authenticationAlgorithms"}},
		{"extra: Resp-5 unlisted authenticator, algorithms not compared", full(uuid.UUID(softauthn.DefaultAAGUID), softauthn.ES384), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.register(newAuthenticator(t, tc.opts), f.username(), "preferred", softauthn.Tamper{}, nil)
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

// TestMetadataAlgorithmsInAPI: the same rule under PASSKEYD_ATTESTATION_TRUST=metadata in
// passkeyd's own API, refused with attestation_invalid.
func TestMetadataAlgorithmsInAPI(t *testing.T) {
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	anchors := metadataAnchors(t, ca)
	for _, tc := range []struct {
		name   string
		aaguid uuid.UUID
		detail string // "" for accepted
	}{
		{"listed algorithm accepted", mdsES256, ""},
		{"unlisted algorithm refused", mdsES384, "authenticationAlgorithms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *envOptions) {
				o.trust, o.anchors, o.attestation = trust.Policy{Mode: trust.Listed}, anchors, "direct"
			})
			before := e.counts()
			r := registerWith(e, newAuthenticator(t, softauthn.Options{Attestation: softauthn.AttestationPacked, CA: ca, AAGUID: tc.aaguid}), "alice")
			if tc.detail == "" {
				expectStatus(t, r, 201)
				return
			}
			expectProblem(t, r, 400, passkeyd.CodeAttestationInvalid)
			if d, _ := r.json(t)["detail"].(string); !strings.Contains(d, tc.detail) {
				t.Fatalf("detail %q does not say %q", d, tc.detail)
			}
			if e.counts() != before {
				t.Fatal("a refused registration stored something")
			}
		})
	}
}
