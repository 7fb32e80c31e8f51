package password

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

var fast = Params{Memory: 1024, Time: 1, Threads: 1}

var ctx = context.Background()

func mustHash(t testing.TB, h *Hasher, pw string) string {
	t.Helper()
	s, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHashAndVerify(t *testing.T) {
	h := New(fast)
	hash := mustHash(t, h, "correct horse battery staple")
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", hash)
	}
	if ok, rehash, err := h.Verify(ctx, hash, "correct horse battery staple"); !ok || rehash || err != nil {
		t.Fatalf("verify right password: %v %v %v", ok, rehash, err)
	}
	if ok, _, err := h.Verify(ctx, hash, "Correct horse battery staple"); ok || err != nil {
		t.Fatalf("verify wrong password: %v %v", ok, err)
	}
	if mustHash(t, h, "x") == mustHash(t, h, "x") {
		t.Fatal("hashes are not salted")
	}
	// Other parameters: still verifies, asks for a rehash.
	if ok, rehash, _ := New(Params{Memory: 2048, Time: 1, Threads: 1}).Verify(ctx, hash, "correct horse battery staple"); !ok || !rehash {
		t.Fatal("changed parameters should verify and ask for a rehash")
	}
}

func TestBcryptImports(t *testing.T) {
	raw, _ := bcrypt.GenerateFromPassword([]byte("imported secret"), bcrypt.MinCost)
	h := New(fast)
	if ok, rehash, err := h.Verify(ctx, string(raw), "imported secret"); !ok || !rehash || err != nil {
		t.Fatalf("bcrypt: %v %v %v; want ok and a rehash", ok, rehash, err)
	}
	if ok, _, _ := h.Verify(ctx, string(raw), "other"); ok {
		t.Fatal("bcrypt accepted a wrong password")
	}
}

func TestMalformedHashes(t *testing.T) {
	h := New(fast)
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1$x$y", "$argon2id$v=18$m=1024,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA", "$2b$04$short"} {
		if ok, _, err := h.Verify(ctx, bad, "x"); ok || err == nil {
			t.Errorf("%q: ok=%v err=%v", bad, ok, err)
		}
	}
}

func TestPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short":                       false,
		"password1":                   false, // common
		"PASSWORD1":                   false, // common, case-insensitive
		"iloveyou":                    false,
		"a perfectly fine passphrase": true,
		strings.Repeat("x", 257):      false,
		"\xff\xfe invalid utf8 bytes": false,
		"ünïcødé-passwörd":            true,
	} {
		if err := Check(pw); (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok=%v", pw, err, ok)
		}
	}
	if len(common) < 3000 {
		t.Fatalf("common list has %d entries", len(common))
	}
}

func FuzzVerify(f *testing.F) {
	h := New(fast)
	f.Add(mustHash(f, h, "seed"), "seed")
	f.Add("$2b$04$abcdefghijklmnopqrstuuOVjWx0l2pqvBNCsh7PN3zd7kdZI4HGi", "x")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		_, _, _ = h.Verify(ctx, hash, pw) // must not panic or hang on any stored value
	})
}

func TestValidateHash(t *testing.T) {
	h := New(fast)
	argon := mustHash(t, h, "x")
	bc, err := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for hash, ok := range map[string]bool{
		argon:                      true,
		string(bc):                 true,
		"$2y$" + string(bc)[4:]:    true,
		"$2b$16$" + string(bc)[7:]: false, // too costly to check at sign-in
		string(bc)[:59]:            false,
		"$argon2id$v=19$m=999999,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA": false,
		"plaintext": false,
		"$1$md5":    false,
	} {
		if err := ValidateHash(hash); (err == nil) != ok {
			t.Errorf("ValidateHash(%.20q) = %v, want ok=%v", hash, err, ok)
		}
	}
}

// TestVerifyNobodyCostsARealVerification: a sign-in for an unknown user must spend one
// argon2id computation with the server's parameters, like a known user's, and building the
// Hasher must not spend one (64 MiB at the default parameters, which kept the heap goal and
// the resident memory of an idle server at twice that).
func TestVerifyNobodyCostsARealVerification(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h := New(Params{})
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("New allocated %d bytes: it computed a hash", grew)
	}
	var calls []Params
	h.argon2 = func(pw, salt []byte, p Params, keyLen uint32) []byte {
		p.KeyLen = keyLen
		calls = append(calls, p)
		return make([]byte, keyLen)
	}
	if err := h.VerifyNobody(ctx, "some guess"); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0] != DefaultParams {
		t.Fatalf("VerifyNobody computed %v, want one argon2id with %v", calls, DefaultParams)
	}
	if ok, _, err := New(fast).Verify(ctx, New(fast).dummy, ""); ok || err != nil {
		t.Fatalf("the dummy hash verified the empty password: %v %v", ok, err)
	}
}
