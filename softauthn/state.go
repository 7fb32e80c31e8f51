package softauthn

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
)

// stateVersion is the version of the Export format; Import refuses others.
const stateVersion = 1

type stateJSON struct {
	Version     int              `json:"version"`
	Credentials []credentialJSON `json:"credentials"`
}

type credentialJSON struct {
	ID           b64    `json:"id"`
	RPID         string `json:"rpId"`
	UserHandle   b64    `json:"userHandle"`
	Algorithm    int64  `json:"algorithm"`
	SignCount    uint32 `json:"signCount"`
	Discoverable bool   `json:"discoverable"`
	PrivateKey   b64    `json:"privateKey"` // PKCS #8 DER
}

// Export serialises every credential held, private keys included (PKCS #8), as JSON, so
// a synthetic probe can keep one passkey across runs instead of registering each time.
// Whoever holds the export can sign in as the credential's user: store it like a
// password (mode 0600, a secret store).
func (a *Authenticator) Export() ([]byte, error) {
	a.mu.RLock()
	st := stateJSON{Version: stateVersion, Credentials: make([]credentialJSON, 0, len(a.creds))}
	for _, c := range a.creds {
		der, err := x509.MarshalPKCS8PrivateKey(c.key)
		if err != nil {
			a.mu.RUnlock()
			return nil, fmt.Errorf("softauthn: exporting a credential key: %w", err)
		}
		st.Credentials = append(st.Credentials, credentialJSON{
			ID: c.id, RPID: c.rpID, UserHandle: c.userHandle, Algorithm: c.alg,
			SignCount: c.count.Load(), Discoverable: c.discoverable, PrivateKey: der,
		})
	}
	a.mu.RUnlock()
	return json.Marshal(st)
}

// Import adds the credentials of an Export, replacing any held with the same id. It
// checks the whole export before adding any of it.
func (a *Authenticator) Import(data []byte) error {
	var st stateJSON
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("softauthn: import: %w", err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("softauthn: import: version %d, want %d", st.Version, stateVersion)
	}
	if st.Credentials == nil {
		return errors.New("softauthn: import: no credentials member")
	}
	creds := make([]*credential, 0, len(st.Credentials))
	for i, cj := range st.Credentials {
		if len(cj.ID) == 0 || cj.RPID == "" {
			return fmt.Errorf("softauthn: import: credential %d has no id or rpId", i)
		}
		k, err := x509.ParsePKCS8PrivateKey(cj.PrivateKey)
		if err != nil {
			return fmt.Errorf("softauthn: import: credential %d key: %w", i, err)
		}
		key, ok := k.(crypto.Signer)
		if !ok || !keyMatches(key, cj.Algorithm) {
			return fmt.Errorf("softauthn: import: credential %d: a %T key is not for algorithm %d", i, k, cj.Algorithm)
		}
		c, err := makeCredential(cj.ID, cj.RPID, cj.UserHandle, cj.Algorithm, cj.Discoverable, key)
		if err != nil {
			return fmt.Errorf("softauthn: import: credential %d: %w", i, err)
		}
		c.count.Store(cj.SignCount)
		creds = append(creds, c)
	}
	for _, c := range creds {
		a.add(c)
	}
	return nil
}
