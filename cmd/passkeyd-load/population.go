package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/softauthn"
)

// A population is a set of registered users whose credentials are derived from a secret,
// so a store can hold a million of them and a load run can sign in as any one without
// keeping a million private keys: user i's username, user handle, credential id and ES256
// key are all functions of (secret, i). The file that holds the secret signs in as every
// user in it, like a softauthn export: it is for benchmark databases only.
type population struct {
	Version int    `json:"version"`
	Name    string `json:"name"` // username prefix
	Secret  []byte `json:"secret"`
	RPID    string `json:"rpId"`
	Users   int    `json:"users"` // users 0 … Users-1 exist
}

const populationVersion = 1

func newPopulation(rpID string) *population {
	p := &population{Version: populationVersion, Secret: make([]byte, 32), RPID: rpID}
	_, _ = rand.Read(p.Secret)
	id := sha256.Sum256(p.Secret)
	p.Name = "pop-" + hex.EncodeToString(id[:4])
	return p
}

func readPopulation(path string) (*population, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p population
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("population %s: %w", path, err)
	}
	if p.Version != populationVersion || len(p.Secret) != 32 || p.Name == "" || p.RPID == "" {
		return nil, fmt.Errorf("population %s: not a version %d population file", path, populationVersion)
	}
	return &p, nil
}

// write saves p with mode 0600: the secret signs in as every user.
func (p *population) write(path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// derive is n bytes for what (user handle, credential id, key attempt) of user i.
func (p *population) derive(what string, i int, n int) []byte {
	b, err := hkdf.Expand(sha256.New, p.Secret, what+"/"+strconv.Itoa(i), n)
	if err != nil {
		panic(err) // n is far below HKDF's limit of 255 hash lengths
	}
	return b
}

func (p *population) username(i int) string { return p.Name + "-" + strconv.Itoa(i) }

// key is user i's P-256 private key: the first derived 32-byte string that is a valid
// scalar (one in about 2^32 is not).
func (p *population) key(i int) *ecdsa.PrivateKey {
	for attempt := 0; ; attempt++ {
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), p.derive("key"+strconv.Itoa(attempt), i, 32))
		if err == nil {
			return k
		}
	}
}

func (p *population) credentialID(i int) []byte { return p.derive("credential", i, 32) }

// authenticator is a software authenticator holding user i's credential, discoverable,
// with a counter that stays at zero (as synced passkey providers keep it): any number of
// clients and runs may sign in as one user in any order without tripping clone detection.
func (p *population) authenticator(i int, origin string) (*softauthn.Authenticator, error) {
	a, err := softauthn.New(softauthn.Options{Origin: origin, ZeroCounter: true})
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(p.key(i))
	if err != nil {
		return nil, err
	}
	// The format of softauthn's Export (its only way in for a key made elsewhere).
	b64 := base64.RawURLEncoding.EncodeToString
	state, _ := json.Marshal(map[string]any{"version": 1, "credentials": []map[string]any{{
		"id": b64(p.credentialID(i)), "rpId": p.RPID, "userHandle": b64(p.derive("handle", i, 32)),
		"algorithm": softauthn.ES256, "signCount": 0, "discoverable": true, "privateKey": b64(der),
	}}})
	if err := a.Import(state); err != nil {
		return nil, err
	}
	return a, nil
}

// account is what signing up user i through the API would have stored: the user, the
// passkey as the server records a default softauthn registration (attestation none; see
// TestSeededPasskeyIsARegisteredOne) and the sign-up's session. Recovery codes are left
// out: no passkey sign-in reads them.
func (p *population) account(i int, origin string, now time.Time, sessionTTL time.Duration) (passkeyd.NewAccount, error) {
	display, key, err := account.NormalizeUsername(p.username(i))
	if err != nil {
		return passkeyd.NewAccount{}, err
	}
	a, err := p.authenticator(i, origin)
	if err != nil {
		return passkeyd.NewAccount{}, err
	}
	cred := a.Credentials()[0]
	uid := base64.RawURLEncoding.EncodeToString(p.derive("user", i, 16))
	discoverable := true
	u := &passkeyd.User{ID: uid, Handle: cred.UserHandle, Username: display, UsernameKey: key, DisplayName: display, CreatedAt: now}
	pk := &passkeyd.Passkey{
		ID: cred.ID, UserID: uid, Name: "Device passkey", PublicKey: cred.PublicKey, Algorithm: cred.Algorithm,
		AAGUID: softauthn.DefaultAAGUID[:], Transports: []string{"hybrid", "internal"},
		AttestationFormat: "none", AttestationType: "none", UserVerified: true, Discoverable: &discoverable,
		CreatedAt: now,
	}
	token := make([]byte, 48) // a session id and a token nobody will present
	_, _ = rand.Read(token)
	s := &passkeyd.Session{
		ID: base64.RawURLEncoding.EncodeToString(token[:16]), TokenHash: account.HashToken(base64.RawURLEncoding.EncodeToString(token[16:])),
		UserID: uid, Method: passkeyd.MethodPasskey, AuthenticatedAt: now, CreatedAt: now, ExpiresAt: now.Add(sessionTTL),
		CredentialID: cred.ID, UserVerified: true, AMR: []string{"hwk", "user"},
	}
	return passkeyd.NewAccount{User: u, Passkey: pk, Session: s}, nil
}
