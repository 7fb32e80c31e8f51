package keyring_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/passkeyd/passkeyd/keyring"
)

func newKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	kr, err := keyring.New(newKey())
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("12345678901234567890")
	sealed, err := kr.Seal(secret, []byte("totp:u1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) || !keyring.Sealed(sealed) {
		t.Fatalf("sealed value shows the secret or is not marked sealed: %x", sealed)
	}
	got, err := kr.Open(sealed, []byte("totp:u1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := kr.Seal(secret, []byte("totp:u1"))
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
}

func TestOpenRefusesMovedOrAlteredValues(t *testing.T) {
	kr, _ := keyring.New(newKey())
	sealed, _ := kr.Seal([]byte("seed"), []byte("totp:u1"))
	if _, err := kr.Open(sealed, []byte("totp:u2")); !errors.Is(err, keyring.ErrCorrupt) {
		t.Fatalf("value moved to another row: err = %v, want ErrCorrupt", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := kr.Open(sealed, []byte("totp:u1")); !errors.Is(err, keyring.ErrCorrupt) {
		t.Fatalf("altered value: err = %v, want ErrCorrupt", err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newK := newKey(), newKey()
	before, _ := keyring.New(oldKey)
	sealed, _ := before.Seal([]byte("seed"), nil)

	after, err := keyring.New(newK, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := after.Open(sealed, nil); err != nil || string(got) != "seed" {
		t.Fatalf("old key no longer opens: %q, %v", got, err)
	}
	if after.Current(sealed) {
		t.Fatal("a value sealed with the old key is reported current")
	}
	resealed, _ := after.Seal([]byte("seed"), nil)
	if !after.Current(resealed) {
		t.Fatal("a value sealed with the first key is not current")
	}
	onlyNew, _ := keyring.New(newK)
	if _, err := onlyNew.Open(sealed, nil); !errors.Is(err, keyring.ErrNoKey) {
		t.Fatalf("dropped key: err = %v, want ErrNoKey", err)
	}
}

func TestNoKeysPassesThroughAndReadsLegacy(t *testing.T) {
	var kr *keyring.Keyring
	v, err := kr.Seal([]byte("plain"), nil)
	if err != nil || string(v) != "plain" {
		t.Fatalf("Seal without keys = %q, %v", v, err)
	}
	withKey, _ := keyring.New(newKey())
	if got, err := withKey.Open([]byte("legacy-plain-secret!"), nil); err != nil || string(got) != "legacy-plain-secret!" {
		t.Fatalf("a value stored before keys were set must stay readable: %q, %v", got, err)
	}
	sealed, _ := withKey.Seal([]byte("x"), nil)
	if _, err := kr.Open(sealed, nil); !errors.Is(err, keyring.ErrNoKey) {
		t.Fatalf("sealed value without keys: err = %v, want ErrNoKey", err)
	}
}

func TestParse(t *testing.T) {
	k1, k2 := newKey(), newKey()
	list := base64.StdEncoding.EncodeToString(k1) + ", " + base64.RawURLEncoding.EncodeToString(k2)
	kr, err := keyring.Parse(list)
	if err != nil || !kr.Enabled() {
		t.Fatalf("Parse: %v", err)
	}
	for _, bad := range []string{"c2hvcnQ=", "not base64!", base64.StdEncoding.EncodeToString(k1) + "," + base64.StdEncoding.EncodeToString(k1)} {
		if _, err := keyring.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if kr, err := keyring.Parse(""); err != nil || kr.Enabled() {
		t.Fatalf("empty list: %v, enabled=%v", err, kr.Enabled())
	}
}

func FuzzOpen(f *testing.F) {
	kr, _ := keyring.New(bytes.Repeat([]byte{7}, 32))
	sealed, _ := kr.Seal([]byte("seed"), nil)
	f.Add(sealed)
	f.Add([]byte("pkd\x01"))
	f.Fuzz(func(t *testing.T, v []byte) {
		_, _ = kr.Open(v, nil) // must never panic
	})
}
