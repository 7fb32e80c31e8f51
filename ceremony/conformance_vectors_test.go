package ceremony

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/trust"
)

// TestConformanceVectors runs the real tpm, android-key, android-safetynet and apple
// registrations of testdata/vectors through the FIDO2 conformance profile (Conformance on,
// full attestation trusted only to a configured root, as cmd/passkeyd's conformanceRP):
// the FIDO server test list's Resp-9 (tpm), Resp-A (android-key) and Resp-B
// (android-safetynet) items, which softauthn cannot produce. Where a vector carries its
// own root, that root is the trusted anchor (as PASSKEYD_ATTESTATION_ROOTS would make it)
// and the vector must pass; where it does not, the statement must verify and be refused
// only for want of a trusted root, since none can be configured from the vector.
func TestConformanceVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/vectors/registration-*.json")
	if err != nil {
		t.Fatal(err)
	}
	formats := map[string]bool{"tpm": true, "android-key": true, "android-safetynet": true, "apple": true}
	var withRoot, noRoot, refused int
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v vector
		var meta struct {
			Format string `json:"format"`
		}
		if err := json.Unmarshal(raw, &v); err != nil || json.Unmarshal(raw, &meta) != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !formats[meta.Format] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			roots := ownRoots(t, &v, meta.Format)
			var got error
			run := func() { got = verifyConformanceVector(t, &v, roots) }
			if v.Expected.VerifyAt != "" {
				at, err := time.Parse(time.RFC3339, v.Expected.VerifyAt)
				if err != nil {
					t.Fatal(err)
				}
				synctest.Test(t, func(t *testing.T) { time.Sleep(time.Until(at)); run() })
			} else {
				run()
			}
			switch {
			case v.Expect == "fail":
				if c := passkeyd.ErrorCode(got); c != failCodes[name] {
					t.Fatalf("negative vector: want %s, got %v", failCodes[name], got)
				}
				refused++
			case knownDivergences[name] != "":
				if passkeyd.ErrorCode(got) != passkeyd.CodeAttestationInvalid {
					t.Fatalf("want attestation_invalid (%s), got %v", knownDivergences[name], got)
				}
				refused++
			case roots != nil:
				if got != nil {
					t.Fatalf("the vector's chain ends at its own root, trusted here: want pass, got %v", got)
				}
				withRoot++
			default:
				// The statement verified; only the anchor is missing.
				want := "trusted attestation root"
				if unreadableChains[name] {
					want = "carries none this server can check"
				}
				if passkeyd.ErrorCode(got) != passkeyd.CodeAttestationInvalid || !strings.Contains(got.Error(), want) {
					t.Fatalf("without its root: want a refusal for want of a trusted root, got %v", got)
				}
				noRoot++
			}
		})
	}
	if withRoot == 0 || noRoot == 0 {
		t.Fatalf("with own root %d, without %d: the vectors changed", withRoot, noRoot)
	}
	t.Logf("%d passed to their own root, %d verified but lack their root, %d refused as expected", withRoot, noRoot, refused)
}

// unreadableChains are vectors whose x5c intermediate crypto/x509 cannot parse (a negative
// serial number): go-webauthn's TPM verifier accepts them, but no root policy can check
// their chain, so the conformance profile refuses them whatever roots it trusts.
var unreadableChains = map[string]bool{
	"registration-tpm-conformance-fido2netlib-rs1":   true,
	"registration-tpm-conformance-fido2netlib-rs256": true,
}

// ownRoots returns a pool of the self-signed CA certificates the vector's chain carries
// after its leaf, nil if none.
func ownRoots(t *testing.T, v *vector, format string) *x509.CertPool {
	reg, err := ParseRegistration(v.Response)
	if err != nil {
		return nil
	}
	att := &reg.parsed.Response.AttestationObject
	st, err := StatementOf(att)
	if err != nil || len(st.Chain) < 2 {
		return nil
	}
	var pool *x509.CertPool
	for _, c := range st.Chain[1:] {
		if c.IsCA && bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil {
			if pool == nil {
				pool = x509.NewCertPool()
			}
			pool.AddCert(c)
		}
	}
	return pool
}

func verifyConformanceVector(t *testing.T, v *vector, roots *x509.CertPool) error {
	cfg := Config{
		RPID:       v.Expected.RPID,
		Algorithms: []int64{v.AlgID},
		Profile: func(string) Profile {
			return Profile{ResidentKey: "discouraged", UserVerification: "preferred", Trust: trust.Policy{Mode: trust.Roots}}
		},
		Trust:       trust.Anchors{Roots: roots},
		Conformance: true,
	}
	if v.Expected.OriginIsOpaque {
		cfg.OpaqueOrigins = []string{v.Expected.Origin}
	} else {
		cfg.Origins = []string{v.Expected.Origin}
	}
	rp, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := ParseRegistration(v.Response)
	if err != nil {
		return err
	}
	_, err = rp.VerifyRegistration(reg, vectorChallenge(t, v, passkeyd.CeremonyRegistration))
	return err
}
