package config

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

var aaguidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// The attestation trust settings: appended to the settings table so the trust feature's
// configuration stays in one file.
func init() {
	settings = append(settings,
		mk("attestationRoots", "PASSKEYD_ATTESTATION_ROOTS", "attestation-roots", "PEM file of extra trusted attestation root certificates (an enterprise CA, the FIDO conformance tools' roots)",
			str(func(c *Config) *string { return &c.AttestationRoots })),
		mk("mds", "PASSKEYD_MDS", "mds", "FIDO Metadata Service (MDS3) BLOB: a file path or an https URL (empty: no metadata)",
			str(func(c *Config) *string { return &c.MDS })),
		mk("policy.attestationTrust", "PASSKEYD_ATTESTATION_TRUST", "attestation-trust", "which verified attestations are trusted: any, roots (chain to a trusted root) or metadata (listed in the MDS)",
			str(func(c *Config) *string { return &c.Policy.AttestationTrust })),
		mk("policy.selfAttestation", "PASSKEYD_SELF_ATTESTATION", "self-attestation", "allow or refuse self attestation (empty: allow under trust any, refuse otherwise)",
			str(func(c *Config) *string { return &c.Policy.SelfAttestation })),
		mk("policy.noneAttestation", "PASSKEYD_NONE_ATTESTATION", "none-attestation", "allow or refuse attestation format none (empty: allow under trust any, refuse otherwise)",
			str(func(c *Config) *string { return &c.Policy.NoneAttestation })),
		setting{key: "policy.aaguidAllow", env: "PASSKEYD_AAGUID_ALLOW", flag: "aaguid-allow", help: "comma-separated AAGUIDs of the only authenticator models accepted at registration (empty: any)",
			set: func(c *Config, v string) error { c.Policy.AAGUIDAllow = splitList(v); return nil },
			get: func(c *Config) string { return strings.Join(c.Policy.AAGUIDAllow, ",") }},
		setting{key: "policy.aaguidDeny", env: "PASSKEYD_AAGUID_DENY", flag: "aaguid-deny", help: "comma-separated AAGUIDs of authenticator models refused at registration",
			set: func(c *Config, v string) error { c.Policy.AAGUIDDeny = splitList(v); return nil },
			get: func(c *Config) string { return strings.Join(c.Policy.AAGUIDDeny, ",") }},
	)
}

// Attestation is the effective attestation policy of one profile.
type Attestation struct {
	Conveyance string // none | indirect | direct | enterprise
	Trust      string // any | roots | metadata
	Self, None string // allow | refuse
}

// AttestationFor returns the attestation policy of an attachment's profile ("platform",
// "cross-platform", or "" for the default), profile values overriding policy.* ones.
func (p Policy) AttestationFor(attachment string) Attestation {
	a := Attestation{Conveyance: p.Attestation, Trust: p.AttestationTrust, Self: p.SelfAttestation, None: p.NoneAttestation}
	var pr *Profile
	switch attachment {
	case "platform":
		pr = &p.Profiles.Platform
	case "cross-platform":
		pr = &p.Profiles.CrossPlatform
	}
	if pr != nil {
		a.Conveyance = or(pr.Attestation, a.Conveyance)
		a.Trust = or(pr.AttestationTrust, a.Trust)
		a.Self = or(pr.SelfAttestation, a.Self)
		a.None = or(pr.NoneAttestation, a.None)
	}
	a.Trust = or(a.Trust, "any")
	strict := a.Trust != "any"
	a.Self = or(a.Self, map[bool]string{true: "refuse", false: "allow"}[strict])
	a.None = or(a.None, map[bool]string{true: "refuse", false: "allow"}[strict])
	return a
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// AttestationRootPool reads the PEM bundle of attestationRoots; nil when none is set.
func (c *Config) AttestationRootPool() (*x509.CertPool, error) {
	if c.AttestationRoots == "" {
		return nil, nil
	}
	data, err := os.ReadFile(c.AttestationRoots)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %v", n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s holds no PEM CERTIFICATE block", c.AttestationRoots)
	}
	return pool, nil
}

func (c *Config) validateTrust(bad func(key, format string, args ...any)) {
	if _, err := c.AttestationRootPool(); err != nil {
		bad("attestationRoots", "%v; give a PEM file of root certificates (-----BEGIN CERTIFICATE-----)", err)
	}
	if c.MDS != "" && strings.Contains(c.MDS, "://") {
		if u, err := url.Parse(c.MDS); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("mds", "%q: use an https URL (e.g. https://mds3.fidoalliance.org/) or a file path", c.MDS)
		}
	}
	for _, l := range []struct {
		key  string
		list []string
	}{{"policy.aaguidAllow", c.Policy.AAGUIDAllow}, {"policy.aaguidDeny", c.Policy.AAGUIDDeny}} {
		for _, s := range l.list {
			if !aaguidShape.MatchString(s) {
				bad(l.key, "%q is not an AAGUID; write it as 8-4-4-4-12 hex digits, e.g. fbfc3007-154e-4ecc-8c0b-6e020557d7bd", s)
			}
		}
	}
	p := c.Policy
	for _, pr := range []struct {
		key, attachment string
		raw             []string
	}{
		// policy.attestation itself is checked with the other policy settings.
		{"policy", "", []string{"", p.AttestationTrust, p.SelfAttestation, p.NoneAttestation}},
		{"policy.profiles.platform", "platform", []string{p.Profiles.Platform.Attestation, p.Profiles.Platform.AttestationTrust, p.Profiles.Platform.SelfAttestation, p.Profiles.Platform.NoneAttestation}},
		{"policy.profiles.crossPlatform", "cross-platform", []string{p.Profiles.CrossPlatform.Attestation, p.Profiles.CrossPlatform.AttestationTrust, p.Profiles.CrossPlatform.SelfAttestation, p.Profiles.CrossPlatform.NoneAttestation}},
	} {
		where := func(k string) string {
			if pr.key == "policy" {
				return name("policy." + k)
			}
			return pr.key + "." + k + " (file only)"
		}
		check := func(k, v string, allowed ...string) bool {
			if v == "" {
				return true
			}
			for _, a := range allowed {
				if v == a {
					return true
				}
			}
			bad(where(k), "%q is not one of %s", v, strings.Join(allowed, ", "))
			return false
		}
		ok := check("attestation", pr.raw[0], "none", "indirect", "direct", "enterprise")
		ok = check("attestationTrust", pr.raw[1], "any", "roots", "metadata") && ok
		ok = check("selfAttestation", pr.raw[2], "allow", "refuse") && ok
		ok = check("noneAttestation", pr.raw[3], "allow", "refuse") && ok
		if !ok {
			continue
		}
		a := p.AttestationFor(pr.attachment)
		switch {
		case a.Trust != "any" && a.Conveyance == "none":
			bad(where("attestationTrust"), "%s needs attestation conveyance direct or enterprise (with none, browsers strip the statement and every registration would be refused); set %s", a.Trust, where("attestation"))
		case a.Trust == "metadata" && c.MDS == "":
			bad(where("attestationTrust"), "metadata needs a FIDO metadata BLOB: set mds (PASSKEYD_MDS)")
		case a.Trust == "roots" && c.MDS == "" && c.AttestationRoots == "":
			bad(where("attestationTrust"), "roots needs trusted roots: set attestationRoots (PASSKEYD_ATTESTATION_ROOTS) or mds (PASSKEYD_MDS)")
		}
	}
}
