package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/trust"
)

// registerWith runs a sign-up with a and returns the verify answer.
func registerWith(e *env, a *softauthn.Authenticator, username string) result {
	c := e.browser()
	opts := c.post("/api/v1/registration/options", map[string]string{"username": username})
	expectStatus(e.t, opts, 200)
	cred, err := a.Register(opts.body)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)})
}

// TestAttestationTrustPolicy registers softauthn's packed attestation under a test CA that
// the policy trusts or does not, and checks which rule refuses what.
func TestAttestationTrustPolicy(t *testing.T) {
	trusted, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	untrusted, _ := softauthn.NewTestCA()
	anchors := trust.Anchors{Roots: trusted.Pool()}
	for _, tc := range []struct {
		name   string
		policy trust.Policy
		opts   softauthn.Options
		detail string // "" for accepted
	}{
		{"default any: unknown CA accepted", trust.Policy{}, softauthn.Options{Attestation: softauthn.AttestationPacked, CA: untrusted}, ""},
		{"default any: self accepted", trust.Policy{}, softauthn.Options{Attestation: softauthn.AttestationPackedSelf}, ""},
		{"default any: none accepted", trust.Policy{}, softauthn.Options{}, ""},
		{"roots: trusted CA accepted", trust.Policy{Mode: trust.Roots}, softauthn.Options{Attestation: softauthn.AttestationPacked, CA: trusted}, ""},
		{"roots: fido-u2f from trusted CA accepted", trust.Policy{Mode: trust.Roots}, softauthn.Options{Attestation: softauthn.AttestationFIDOU2F, CA: trusted, NoUserVerification: true}, ""},
		{"roots: untrusted CA refused", trust.Policy{Mode: trust.Roots}, softauthn.Options{Attestation: softauthn.AttestationPacked, CA: untrusted}, "does not chain to a trusted attestation root"},
		{"roots: self refused", trust.PolicyFrom("roots", "refuse", "refuse"), softauthn.Options{Attestation: softauthn.AttestationPackedSelf}, "self attestation"},
		{"roots: none refused", trust.PolicyFrom("roots", "", "refuse"), softauthn.Options{}, "requires an attestation statement"},
		{"metadata: unlisted refused", trust.Policy{Mode: trust.Listed}, softauthn.Options{Attestation: softauthn.AttestationPacked, CA: trusted}, "not listed"},
		{"any refusing self", trust.Policy{RefuseSelf: true}, softauthn.Options{Attestation: softauthn.AttestationPackedSelf}, "self attestation"},
		{"any refusing none", trust.Policy{RefuseNone: true}, softauthn.Options{}, "requires an attestation statement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *envOptions) { o.trust, o.anchors, o.attestation = tc.policy, anchors, "direct" })
			before := e.counts()
			r := registerWith(e, newAuthenticator(t, tc.opts), "alice")
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

// TestAttestationConveyancePerProfile: a profile's conveyance is what its options ask for.
func TestAttestationConveyanceInOptions(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.attestation = "direct" })
	r := e.browser().post("/api/v1/registration/options", map[string]string{"username": "bob"})
	expectStatus(t, r, 200)
	if got := field(r.json(t), "publicKey", "attestation"); got != "direct" {
		t.Fatalf("attestation %v, want direct", got)
	}
}

func TestAAGUIDAllowAndDenyLists(t *testing.T) {
	model := uuid.UUID(softauthn.DefaultAAGUID)
	other := uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")
	for _, tc := range []struct {
		name   string
		list   trust.AAGUIDList
		detail string
	}{
		{"no lists", trust.AAGUIDList{}, ""},
		{"denied model", trust.AAGUIDList{Deny: []uuid.UUID{model}}, "not accepted on this server"},
		{"not on the allow list", trust.AAGUIDList{Allow: []uuid.UUID{other}}, "not on this server's allow list"},
		{"on the allow list", trust.AAGUIDList{Allow: []uuid.UUID{model}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *envOptions) { o.aaguids = tc.list })
			r := registerWith(e, newAuthenticator(t, softauthn.Options{}), "alice")
			if tc.detail == "" {
				expectStatus(t, r, 201)
				return
			}
			expectProblem(t, r, 400, passkeyd.CodeAttestationInvalid)
			if d, _ := r.json(t)["detail"].(string); !strings.Contains(d, tc.detail) {
				t.Fatalf("detail %q", d)
			}
		})
	}
}
