// Package keyring encrypts secrets that passkeyd keeps at rest — TOTP seeds, private
// signing keys — with keys from configuration, so that a copy of the database alone does
// not hand them out. It is a thin layer over the standard library's AES-256-GCM: no
// cryptography of its own, only the framing that lets keys rotate.
//
// A keyring is an ordered list of 32-byte keys. New values are sealed with the first key;
// every key in the list can open what it sealed, so an operator rotates by putting a new key
// first, re-sealing at leisure, and dropping the old key later.
package keyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// magic starts every sealed value, so that a store can tell sealed values from ones written
// before a key was configured (which stay readable, and are sealed when next written).
var magic = []byte("pkd\x01")

const (
	idLen    = 8
	nonceLen = 12
	overhead = 4 + idLen + nonceLen + 16 // magic, key id, nonce, GCM tag
)

// ErrNoKey is returned by Open for a sealed value whose key is not in the keyring.
var ErrNoKey = errors.New("keyring: the value was sealed with a key that is not configured")

// ErrCorrupt is returned by Open when a sealed value does not authenticate: it was altered,
// or moved from the row it was sealed for.
var ErrCorrupt = errors.New("keyring: the sealed value does not authenticate")

type key struct {
	id   []byte
	aead cipher.AEAD
}

// Keyring seals and opens values. The zero value and nil have no keys: Seal returns its input
// unchanged, so a deployment without keys works (and `passkeyd doctor` warns about it).
type Keyring struct {
	keys []key
}

// New returns a keyring of raw 32-byte keys, the first one sealing.
func New(keys ...[]byte) (*Keyring, error) {
	kr := &Keyring{}
	seen := map[string]bool{}
	for i, k := range keys {
		if len(k) != 32 {
			return nil, fmt.Errorf("keyring: key %d has %d bytes; want 32", i+1, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := keyID(k)
		if seen[string(id)] {
			return nil, fmt.Errorf("keyring: key %d is listed twice", i+1)
		}
		seen[string(id)] = true
		kr.keys = append(kr.keys, key{id: id, aead: aead})
	}
	return kr, nil
}

// Parse reads keys as configured: a comma-separated list of base64 (standard or URL
// alphabet, padded or not) 32-byte keys, e.g. the output of `openssl rand -base64 32`.
func Parse(list string) (*Keyring, error) {
	var raw [][]byte
	for i, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		k, err := decode(s)
		if err != nil {
			return nil, fmt.Errorf("keyring: key %d is not base64: %v", i+1, err)
		}
		raw = append(raw, k)
	}
	return New(raw...)
}

func decode(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// keyID names a key without revealing it: a value records which key sealed it.
func keyID(k []byte) []byte {
	h := sha256.Sum256(append([]byte("passkeyd keyring key id\x00"), k...))
	return h[:idLen]
}

// Enabled reports whether the keyring has a key (values are sealed).
func (kr *Keyring) Enabled() bool { return kr != nil && len(kr.keys) > 0 }

// Seal encrypts plaintext with the first key. aad binds the value to where it is stored (say
// "totp:" + user id), so a sealed value copied to another row does not open there. Without
// keys it returns plaintext unchanged.
func (kr *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	if !kr.Enabled() {
		return bytes.Clone(plaintext), nil
	}
	k := kr.keys[0]
	out := make([]byte, 0, overhead+len(plaintext))
	out = append(out, magic...)
	out = append(out, k.id...)
	nonce := make([]byte, nonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, aad), nil
}

// Sealed reports whether v is a sealed value (rather than one stored before a key was set).
func Sealed(v []byte) bool {
	return len(v) >= overhead && bytes.HasPrefix(v, magic)
}

// Open decrypts a value from Seal with the key that sealed it. A value that is not sealed
// (stored before keys were configured) is returned as it is, so turning encryption on needs
// no migration; the next write seals it.
func (kr *Keyring) Open(v, aad []byte) ([]byte, error) {
	if !Sealed(v) {
		return bytes.Clone(v), nil
	}
	if kr == nil {
		return nil, ErrNoKey
	}
	id := v[len(magic) : len(magic)+idLen]
	for _, k := range kr.keys {
		if !bytes.Equal(k.id, id) {
			continue
		}
		nonce := v[len(magic)+idLen : len(magic)+idLen+nonceLen]
		pt, err := k.aead.Open(nil, nonce, v[len(magic)+idLen+nonceLen:], aad)
		if err != nil {
			return nil, ErrCorrupt
		}
		return pt, nil
	}
	return nil, ErrNoKey
}

// Current reports whether v is sealed with the keyring's first key: values that are not can
// be re-sealed to finish a rotation.
func (kr *Keyring) Current(v []byte) bool {
	if !kr.Enabled() {
		return !Sealed(v)
	}
	return Sealed(v) && bytes.Equal(v[len(magic):len(magic)+idLen], kr.keys[0].id)
}
