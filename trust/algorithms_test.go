package trust_test

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/metadata"

	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/trust"
	"github.com/passkeyd/passkeyd/trust/trusttest"
)

// TestEvaluateAlgorithms: the statement's and the credential key's algorithms must be among
// the authenticationAlgorithms of the entry of a BLOB loaded through the Loader.
func TestEvaluateAlgorithms(t *testing.T) {
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	_, leaf, err := ca.IssuePacked(model)
	if err != nil {
		t.Fatal(err)
	}
	signer := trusttest.NewSigner(t)
	md := signer.Load(t, trusttest.Entry{AAGUID: model, Roots: []*x509.Certificate{ca.Root}, Algorithms: []string{"secp256r1_ecdsa_sha256_raw", "ed25519_eddsa_sha512_raw"}}).Current()
	entry := md.Entry(model, nil)
	if entry == nil {
		t.Fatal("the test BLOB does not list the model")
	}
	st := func(alg, keyAlg int64) trust.Statement {
		return trust.Statement{Format: "packed", Type: "basic_full", AAGUID: model, Chain: []*x509.Certificate{leaf}, Alg: alg, KeyAlg: keyAlg}
	}
	unlisted := *entry
	unlisted.MetadataStatement.AuthenticationAlgorithms = nil
	for _, tc := range []struct {
		name   string
		policy trust.Policy
		st     trust.Statement
		entry  *metadata.Entry
		want   string // refusing rule, "" for accepted
		say    string // in the detail
	}{
		{"listed ES256 under roots", trust.Policy{Mode: trust.Roots}, st(-7, -7), entry, "", ""},
		{"listed EdDSA key, ES256 statement, under metadata", trust.Policy{Mode: trust.Listed}, st(-7, -8), entry, "", ""},
		{"attStmt.alg ES384 not listed (Resp-5 F-8)", trust.Policy{Mode: trust.Roots}, st(-35, -7), entry, "algorithm", "attStmt.alg"},
		{"credential key RS256 not listed", trust.Policy{Mode: trust.Listed}, st(-7, -257), entry, "algorithm", "credential key algorithm -257"},
		{"self statement with an unlisted alg", trust.Policy{Mode: trust.Roots}, trust.Statement{Format: "packed", Type: "basic_surrogate", AAGUID: model, Alg: -36, KeyAlg: -36}, entry, "algorithm", "-36"},
		{"unknown alg not listed", trust.Policy{Mode: trust.Listed}, st(-7, -65535), entry, "algorithm", "-65535"},
		{"no alg in the statement (fido-u2f) and a listed key", trust.Policy{Mode: trust.Roots}, st(0, -7), entry, "", ""},
		{"mode any: metadata algorithms are not binding", trust.Policy{}, st(-35, -35), entry, "", ""},
		{"entry without algorithms is not checked", trust.Policy{Mode: trust.Listed}, st(-35, -35), &unlisted, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := trust.Evaluate(tc.policy, tc.st, tc.entry, nil, time.Now())
			if got := rule(err); got != tc.want {
				t.Fatalf("rule %q, want %q (%v)", got, tc.want, err)
			}
			if err != nil && (!strings.Contains(err.Error(), tc.say) || !strings.Contains(err.Error(), "authenticationAlgorithms")) {
				t.Fatalf("detail %q does not say %q and authenticationAlgorithms", err, tc.say)
			}
		})
	}
}
