package ceremony

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/passkeyd/passkeyd"
)

// The parsers take bytes straight from the network: they must return invalid_request or a
// parsed value, never panic and never another error kind.

func seedVectors(f *testing.F, kind string) {
	files, _ := filepath.Glob("testdata/vectors/" + kind + "-*.json")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var v vector
		if err := strictUnmarshal(raw, &v); err == nil {
			f.Add([]byte(v.Response))
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`))
}

func FuzzParseRegistration(f *testing.F) {
	seedVectors(f, "registration")
	rp := fuzzRP(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRegistration(data)
		if err != nil {
			if c := passkeyd.ErrorCode(err); c != passkeyd.CodeInvalidRequest {
				t.Fatalf("parse error with code %s: %v", c, err)
			}
			return
		}
		ch := &passkeyd.Challenge{Value: r.Challenge, Ceremony: passkeyd.CeremonyRegistration, UserVerification: "preferred"}
		if _, err := rp.VerifyRegistration(r, ch); err != nil && passkeyd.ErrorCode(err) == passkeyd.CodeInternal {
			t.Fatalf("verify error without a contract code: %v", err)
		}
	})
}

func FuzzParseAssertion(f *testing.F) {
	seedVectors(f, "authentication")
	rp := fuzzRP(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAssertion(data)
		if err != nil {
			if c := passkeyd.ErrorCode(err); c != passkeyd.CodeInvalidRequest {
				t.Fatalf("parse error with code %s: %v", c, err)
			}
			return
		}
		ch := &passkeyd.Challenge{Value: a.Challenge, Ceremony: passkeyd.CeremonyAuthentication, UserVerification: "preferred", Named: true, UserID: "u"}
		pk := &passkeyd.Passkey{ID: a.CredentialID(), UserID: "u", PublicKey: []byte{0xa0}}
		_ = CheckOwner(a, ch, pk, &passkeyd.User{ID: "u", Handle: []byte("h")})
		if _, err := rp.VerifyAssertion(a, ch, pk); err != nil && passkeyd.ErrorCode(err) == passkeyd.CodeInternal {
			t.Fatalf("verify error without a contract code: %v", err)
		}
	})
}

func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "AA", "AA==", "+/8=", "-_8", "a-b+", "====", "\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeBase64(s)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to a string that decodes to the same bytes.
		again, err := DecodeBase64(EncodeBase64(b))
		if err != nil || string(again) != string(b) {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}

func fuzzRP(f *testing.F) *RP {
	rp, err := New(Config{RPID: "localhost", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7, -8, -257}})
	if err != nil {
		f.Fatal(err)
	}
	return rp
}
