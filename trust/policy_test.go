package trust_test

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/metadata"
	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/trust"
)

var model = uuid.MustParse("c2e24016-552f-44e5-a053-c69977a97035")

// fixture is a packed statement issued by a test CA, and a metadata entry for its model.
type fixture struct {
	ca, other *softauthn.TestCA
	full      trust.Statement // basic attestation chaining to ca
	entry     *metadata.Entry
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	other, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	_, leaf, err := ca.IssuePacked(model)
	if err != nil {
		t.Fatal(err)
	}
	entry := &metadata.Entry{AaGUID: model}
	entry.MetadataStatement.AttestationRootCertificates = []*x509.Certificate{ca.Root}
	return fixture{
		ca: ca, other: other,
		full:  trust.Statement{Format: "packed", Type: "basic_full", AAGUID: model, Chain: []*x509.Certificate{leaf}},
		entry: entry,
	}
}

func rule(err error) string {
	var r *trust.Refusal
	if errors.As(err, &r) {
		return r.Rule
	}
	if err != nil {
		return "not a refusal: " + err.Error()
	}
	return ""
}

func TestEvaluate(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	self := trust.Statement{Format: "packed", Type: "basic_surrogate", AAGUID: model}
	none := trust.Statement{Format: "none", Type: "none", AAGUID: model}
	revoked := *f.entry
	revoked.StatusReports = []metadata.StatusReport{{Status: metadata.Revoked}}
	for _, tc := range []struct {
		name   string
		policy trust.Policy
		st     trust.Statement
		entry  *metadata.Entry
		roots  *x509.CertPool
		want   string // refusing rule, "" for accepted
	}{
		{"any accepts an unknown chain", trust.Policy{}, f.full, nil, nil, ""},
		{"any accepts self", trust.Policy{Mode: trust.Any}, self, nil, nil, ""},
		{"any accepts none", trust.Policy{Mode: trust.Any}, none, nil, nil, ""},
		{"any refusing self", trust.Policy{Mode: trust.Any, RefuseSelf: true}, self, nil, nil, "self"},
		{"any refusing none", trust.Policy{Mode: trust.Any, RefuseNone: true}, none, nil, nil, "none"},
		{"roots: chain to the PEM bundle", trust.Policy{Mode: trust.Roots}, f.full, nil, f.ca.Pool(), ""},
		{"roots: chain to the metadata roots", trust.Policy{Mode: trust.Roots}, f.full, f.entry, nil, ""},
		{"roots: chain to an untrusted CA", trust.Policy{Mode: trust.Roots}, f.full, nil, f.other.Pool(), "chain"},
		{"roots: no roots at all", trust.Policy{Mode: trust.Roots}, f.full, nil, nil, "chain"},
		{"roots: self refused", trust.Policy{Mode: trust.Roots, RefuseSelf: true}, self, nil, f.ca.Pool(), "self"},
		{"roots: none refused", trust.Policy{Mode: trust.Roots, RefuseNone: true}, none, nil, f.ca.Pool(), "none"},
		{"roots: self allowed (conformance)", trust.Policy{Mode: trust.Roots}, self, nil, nil, ""},
		{"roots: none allowed (conformance)", trust.Policy{Mode: trust.Roots}, none, nil, nil, ""},
		{"roots: no x5c", trust.Policy{Mode: trust.Roots}, trust.Statement{Format: "android-safetynet", Type: "basic_full"}, nil, f.ca.Pool(), "chain"},
		{"metadata: listed and chaining", trust.Policy{Mode: trust.Listed}, f.full, f.entry, nil, ""},
		{"metadata: not listed", trust.Policy{Mode: trust.Listed}, f.full, nil, f.ca.Pool(), "metadata"},
		{"metadata: listed, chain to another root", trust.Policy{Mode: trust.Listed}, f.full, &metadata.Entry{AaGUID: model, MetadataStatement: metadata.Statement{AttestationRootCertificates: []*x509.Certificate{f.other.Root}}}, f.ca.Pool(), "chain"},
		{"metadata: self refused", trust.Policy{Mode: trust.Listed, RefuseSelf: true}, self, f.entry, nil, "self"},
		{"status refused under any", trust.Policy{}, none, &revoked, nil, "status"},
		{"status refused under roots", trust.Policy{Mode: trust.Roots}, f.full, &revoked, f.ca.Pool(), "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := trust.Evaluate(tc.policy, tc.st, tc.entry, tc.roots, now)
			if got := rule(err); got != tc.want {
				t.Fatalf("rule %q, want %q (%v)", got, tc.want, err)
			}
			if err != nil && err.Error() == "" {
				t.Fatal("a refusal must say why")
			}
		})
	}
}

func TestEvaluateExpiredChain(t *testing.T) {
	f := newFixture(t)
	err := trust.Evaluate(trust.Policy{Mode: trust.Roots}, f.full, nil, f.ca.Pool(), time.Now().Add(20*365*24*time.Hour))
	if rule(err) != "chain" {
		t.Fatalf("a chain verified after its certificates expired: %v", err)
	}
}

func TestCheckStatus(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	past, future := now.Add(-48*time.Hour), now.Add(48*time.Hour)
	_, otherLeaf, _ := f.other.IssuePacked(model)
	for _, tc := range []struct {
		name    string
		reports []metadata.StatusReport
		refused bool
	}{
		{"certified", []metadata.StatusReport{{Status: metadata.FidoCertified}}, false},
		{"no reports", nil, false},
		{"user verification bypass", []metadata.StatusReport{{Status: metadata.UserVerificationBypass}}, true},
		{"attestation key compromise", []metadata.StatusReport{{Status: metadata.AttestationKeyCompromise}}, true},
		{"user key remote compromise", []metadata.StatusReport{{Status: metadata.UserKeyRemoteCompromise}}, true},
		{"user key physical compromise", []metadata.StatusReport{{Status: metadata.UserKeyPhysicalCompromise}}, true},
		{"revoked", []metadata.StatusReport{{Status: metadata.Revoked}}, true},
		{"compromise not retracted by a later certification", []metadata.StatusReport{{Status: metadata.AttestationKeyCompromise, EffectiveDate: &past}, {Status: metadata.FidoCertified, EffectiveDate: &now}}, true},
		{"revocation not yet in effect", []metadata.StatusReport{{Status: metadata.Revoked, EffectiveDate: &future}}, false},
		{"update available is fine", []metadata.StatusReport{{Status: metadata.UpdateAvailable}}, false},
		{"batch compromise of another batch", []metadata.StatusReport{{Status: metadata.AttestationKeyCompromise, Certificate: otherLeaf}}, false},
		{"batch compromise of this batch", []metadata.StatusReport{{Status: metadata.AttestationKeyCompromise, Certificate: f.full.Chain[0]}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := *f.entry
			e.StatusReports = tc.reports
			err := trust.CheckStatus(&e, f.full.Chain, now)
			if (err != nil) != tc.refused {
				t.Fatalf("refused=%v, want %v (%v)", err != nil, tc.refused, err)
			}
		})
	}
}

func TestPolicyFrom(t *testing.T) {
	p := trust.PolicyFrom("roots", "refuse", "allow")
	if p.Mode != trust.Roots || !p.RefuseSelf || p.RefuseNone {
		t.Fatalf("%+v", p)
	}
}

func TestAAGUIDList(t *testing.T) {
	other := uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")
	for _, tc := range []struct {
		name string
		list trust.AAGUIDList
		want string
	}{
		{"empty lists allow", trust.AAGUIDList{}, ""},
		{"denied", trust.AAGUIDList{Deny: []uuid.UUID{model}}, "aaguid_denied"},
		{"deny wins over allow", trust.AAGUIDList{Allow: []uuid.UUID{model}, Deny: []uuid.UUID{model}}, "aaguid_denied"},
		{"allowed", trust.AAGUIDList{Allow: []uuid.UUID{model}}, ""},
		{"not on the allow list", trust.AAGUIDList{Allow: []uuid.UUID{other}}, "aaguid_not_allowed"},
		{"another model denied", trust.AAGUIDList{Deny: []uuid.UUID{other}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rule(tc.list.Check(model)); got != tc.want {
				t.Fatalf("rule %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := trust.ParseAAGUIDs([]string{"not-a-uuid"}); err == nil {
		t.Fatal("a bad AAGUID parsed")
	}
}
