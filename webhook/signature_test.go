package webhook

import (
	"errors"
	"testing"
	"time"
)

var (
	testSecret = []byte("an example secret of at least 32 bytes!")
	testBody   = []byte(`{"id":"e1"}`)
	testT      = time.Unix(1700000000, 0)
)

// The vector was computed with: printf '%s' '1700000000.{"id":"e1"}' | openssl dgst -sha256 -hmac '<secret>'
const vector = "t=1700000000,v1=f9140d83d96ea9be987c64a3c54edd44bfbac9628021f987c8b9795d0a0a0a8a"

func TestSignMatchesOpenSSL(t *testing.T) {
	if got := Sign(testSecret, testT, testBody); got != vector {
		t.Fatalf("Sign = %s, want %s", got, vector)
	}
}

func TestVerify(t *testing.T) {
	other := Sign([]byte("another secret, the one before rotation"), testT, testBody)
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"the signature of the body at t verifies", testSecret, vector, testBody, testT, nil},
		{"within the tolerance after t", testSecret, vector, testBody, testT.Add(5 * time.Minute), nil},
		{"within the tolerance before t (clock skew)", testSecret, vector, testBody, testT.Add(-5 * time.Minute), nil},
		{"older than the tolerance is a possible replay", testSecret, vector, testBody, testT.Add(5*time.Minute + time.Second), ErrStaleSignature},
		{"too far in the future", testSecret, vector, testBody, testT.Add(-6 * time.Minute), ErrStaleSignature},
		{"a changed body", testSecret, vector, []byte(`{"id":"e2"}`), testT, ErrBadSignature},
		{"another secret", []byte("not the secret that signed this body"), vector, testBody, testT, ErrBadSignature},
		{"a changed timestamp", testSecret, "t=1700000001,v1=f9140d83d96ea9be987c64a3c54edd44bfbac9628021f987c8b9795d0a0a0a8a", testBody, testT, ErrBadSignature},
		{"one of several v1 (secret rotation)", testSecret, other + ",v1=f9140d83d96ea9be987c64a3c54edd44bfbac9628021f987c8b9795d0a0a0a8a", testBody, testT, nil},
		{"unknown schemes are ignored", testSecret, vector + ",v0=abc", testBody, testT, nil},
		{"empty header", testSecret, "", testBody, testT, ErrMalformedSignature},
		{"no timestamp", testSecret, "v1=f9140d83d96ea9be987c64a3c54edd44bfbac9628021f987c8b9795d0a0a0a8a", testBody, testT, ErrMalformedSignature},
		{"no signature", testSecret, "t=1700000000", testBody, testT, ErrMalformedSignature},
		{"a timestamp that is not a number", testSecret, "t=soon,v1=f9140d83d96ea9be987c64a3c54edd44bfbac9628021f987c8b9795d0a0a0a8a", testBody, testT, ErrMalformedSignature},
		{"a signature that is not hex", testSecret, "t=1700000000,v1=zz", testBody, testT, ErrMalformedSignature},
		{"a part without =", testSecret, vector + ",junk", testBody, testT, ErrMalformedSignature},
		{"a truncated signature", testSecret, vector[:len(vector)-2], testBody, testT, ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute); !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(vector, testBody)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = Verify(testSecret, header, body, testT, time.Minute) // never panics
	})
}
