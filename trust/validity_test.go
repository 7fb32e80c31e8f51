package trust_test

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/trust"
)

// TestEvaluateChainValidity: under roots and metadata, a two-level chain is trusted only
// while its leaf and its intermediate are both within their validity, and the refusal
// names the certificate at fault.
func TestEvaluateChainValidity(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	issue := func(ca *softauthn.TestCA) trust.Statement {
		_, leaf, err := ca.IssuePacked(model)
		if err != nil {
			t.Fatal(err)
		}
		return trust.Statement{Format: "packed", Type: "basic_full", AAGUID: model, Chain: append([]*x509.Certificate{leaf}, ca.Intermediates()...)}
	}
	inter := func(nb, na time.Time) *softauthn.TestCA {
		ca, err := f.ca.NewIntermediate(nb, na)
		if err != nil {
			t.Fatal(err)
		}
		return ca
	}
	valid := issue(inter(time.Time{}, time.Time{}))
	noIntermediate := valid
	noIntermediate.Chain = valid.Chain[:1]
	for _, tc := range []struct {
		name string
		st   trust.Statement
		at   time.Time
		want string // in the refusal; "" passes
	}{
		{"two-level chain", valid, now, ""},
		{"two-level chain without its intermediate", noIntermediate, now, "does not chain"},
		{"leaf expired", issue(f.ca.WithLeafValidity(now.Add(-2*time.Hour), now.Add(-time.Hour))), now, `attestation certificate x5c[0] ("softauthn") expired on`},
		{"leaf not yet valid", issue(f.ca.WithLeafValidity(now.Add(time.Hour), now.Add(2*time.Hour))), now, "x5c[0] (\"softauthn\") is not valid before"},
		{"intermediate expired", issue(inter(now.Add(-2*time.Hour), now.Add(-time.Hour))), now, "intermediate certificate x5c[1]"},
		{"intermediate not yet valid", issue(inter(now.Add(time.Hour), now.Add(2*time.Hour))), now, "intermediate certificate x5c[1]"},
		{"valid chain evaluated after the leaf expired", valid, valid.Chain[0].NotAfter.Add(time.Second), "x5c[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []trust.Mode{trust.Roots, trust.Listed} {
				roots := f.ca.Pool()
				if mode == trust.Listed {
					roots = nil
				}
				err := trust.Evaluate(trust.Policy{Mode: mode}, tc.st, f.entry, roots, tc.at)
				switch {
				case tc.want == "" && err != nil:
					t.Fatalf("%s: %v", mode, err)
				case tc.want != "" && (rule(err) != "chain" || !strings.Contains(err.Error(), tc.want)):
					t.Fatalf("%s: want a chain refusal saying %q, got %v", mode, tc.want, err)
				}
			}
		})
	}
}
