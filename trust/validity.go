package trust

import (
	"crypto/x509"
	"time"
)

// CheckValidity refuses a chain (x5c order: leaf first) holding a certificate that is not
// valid at now: RFC 5280 §6.1.3 (a)(2) requires every certificate of a path to be within
// its validity period, the leaf and the intermediates alike (FIDO server test list,
// MakeCredential Resp-5 F-6, F-7, F-12). The refusal names the certificate, so that an
// expired batch certificate is not mistaken for an untrusted one.
func CheckValidity(chain []*x509.Certificate, now time.Time) error {
	for i, c := range chain {
		role := "attestation certificate"
		if i > 0 {
			role = "intermediate certificate"
		}
		switch {
		case now.Before(c.NotBefore):
			return refuse("chain", "the %s x5c[%d] (%q) is not valid before %s", role, i, c.Subject.CommonName, c.NotBefore.UTC().Format(time.RFC3339))
		case now.After(c.NotAfter):
			return refuse("chain", "the %s x5c[%d] (%q) expired on %s", role, i, c.Subject.CommonName, c.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
