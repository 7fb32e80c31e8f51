package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAttestationPolicyPerProfile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte(`
mds: /nonexistent-is-checked-at-start-not-here.blob
policy:
  attestation: none
  profiles:
    platform: {residentKey: required, userVerification: required}
    crossPlatform: {residentKey: preferred, userVerification: preferred, attestation: direct, attestationTrust: metadata, noneAttestation: allow}
`), 0o600)
	c, err := Load([]string{"-config", file}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Policy.AttestationFor(""); a != (Attestation{"none", "any", "allow", "allow"}) {
		t.Fatalf("default profile %+v", a)
	}
	if a := c.Policy.AttestationFor("platform"); a != (Attestation{"none", "any", "allow", "allow"}) {
		t.Fatalf("platform inherits: %+v", a)
	}
	if a := c.Policy.AttestationFor("cross-platform"); a != (Attestation{"direct", "metadata", "refuse", "allow"}) {
		t.Fatalf("cross-platform: %+v", a)
	}
}

func TestAttestationTrustValidation(t *testing.T) {
	dir := t.TempDir()
	pemFile := filepath.Join(dir, "roots.pem")
	os.WriteFile(pemFile, []byte("not a certificate"), 0o600)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unknown mode", map[string]string{"PASSKEYD_ATTESTATION_TRUST": "some", "PASSKEYD_ATTESTATION": "direct"}, "PASSKEYD_ATTESTATION_TRUST"},
		{"roots with conveyance none", map[string]string{"PASSKEYD_ATTESTATION_TRUST": "roots", "PASSKEYD_MDS": "x.blob"}, "needs attestation conveyance direct"},
		{"metadata without mds", map[string]string{"PASSKEYD_ATTESTATION_TRUST": "metadata", "PASSKEYD_ATTESTATION": "direct"}, "PASSKEYD_MDS"},
		{"roots without roots", map[string]string{"PASSKEYD_ATTESTATION_TRUST": "roots", "PASSKEYD_ATTESTATION": "direct"}, "PASSKEYD_ATTESTATION_ROOTS"},
		{"self value", map[string]string{"PASSKEYD_SELF_ATTESTATION": "maybe"}, "PASSKEYD_SELF_ATTESTATION"},
		{"roots file missing", map[string]string{"PASSKEYD_ATTESTATION_ROOTS": filepath.Join(dir, "missing.pem")}, "PASSKEYD_ATTESTATION_ROOTS"},
		{"roots file without certificates", map[string]string{"PASSKEYD_ATTESTATION_ROOTS": pemFile}, "no PEM CERTIFICATE"},
		{"mds over http", map[string]string{"PASSKEYD_MDS": "http://mds.example/blob"}, "https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(nil, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestAAGUIDListsValidated(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"PASSKEYD_AAGUID_DENY": "fbfc3007-154e-4ecc-8c0b-6e020557d7bd, c2e24016-552f-44e5-a053-c69977a97035"}))
	if err != nil || len(c.Policy.AAGUIDDeny) != 2 {
		t.Fatalf("%v %v", err, c)
	}
	if _, err := Load(nil, env(map[string]string{"PASSKEYD_AAGUID_ALLOW": "yubikey"})); err == nil || !strings.Contains(err.Error(), "PASSKEYD_AAGUID_ALLOW") {
		t.Fatalf("error %v", err)
	}
}
