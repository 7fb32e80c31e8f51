package softauthn_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/softauthn"
)

func newRP(t testing.TB) *ceremony.RP {
	rp, err := ceremony.New(ceremony.Config{
		RPID: "localhost", RPName: "test", Origins: []string{"http://localhost:8080"},
		Algorithms: []int64{-7, -8, -257}, Timeout: time.Minute,
		Profile: func(string) ceremony.Profile {
			return ceremony.Profile{ResidentKey: "required", UserVerification: "required"}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

func challenge(c passkeyd.Ceremony) *passkeyd.Challenge {
	v := make([]byte, 32)
	_, _ = rand.Read(v)
	return &passkeyd.Challenge{Value: v, Ceremony: c, UserVerification: "required", ResidentKey: "required"}
}

// register runs one registration through the server-side verifier.
func register(t testing.TB, rp *ceremony.RP, a *softauthn.Authenticator, exclude ...*passkeyd.Passkey) (*passkeyd.Passkey, error) {
	ch := challenge(passkeyd.CeremonyRegistration)
	user := &passkeyd.User{ID: "u1", Handle: []byte("0123456789abcdef0123456789abcdef"), Username: "alice", DisplayName: "Alice"}
	opts, _ := json.Marshal(map[string]any{"publicKey": rp.CreationOptions(ch, user, exclude)})
	resp, err := a.Register(opts)
	if err != nil {
		return nil, err
	}
	reg, err := ceremony.ParseRegistration(resp)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return rp.VerifyRegistration(reg, ch)
}

func login(t testing.TB, rp *ceremony.RP, a *softauthn.Authenticator, pk *passkeyd.Passkey, tamper softauthn.Tamper) (passkeyd.PasskeyUse, error) {
	ch := challenge(passkeyd.CeremonyAuthentication)
	opts, _ := json.Marshal(map[string]any{"publicKey": rp.RequestOptions(ch, nil)})
	resp, err := a.LoginWith(opts, tamper)
	if err != nil {
		t.Fatal(err)
	}
	as, err := ceremony.ParseAssertion(resp)
	if err != nil {
		return passkeyd.PasskeyUse{}, err
	}
	if err := ceremony.CheckOwner(as, ch, pk, &passkeyd.User{ID: "u1", Handle: []byte("0123456789abcdef0123456789abcdef")}); err != nil {
		return passkeyd.PasskeyUse{}, err
	}
	return rp.VerifyAssertion(as, ch, pk)
}

func TestEveryAlgorithmAndAttestationVerifies(t *testing.T) {
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	type combo struct {
		alg     int64
		att     string
		wantFmt string
		wantTyp string
	}
	var combos []combo
	for _, alg := range []int64{softauthn.ES256, softauthn.EdDSA, softauthn.RS256} {
		combos = append(combos,
			combo{alg, softauthn.AttestationNone, "none", "none"},
			combo{alg, softauthn.AttestationPackedSelf, "packed", "basic_surrogate"},
			combo{alg, softauthn.AttestationPacked, "packed", "basic_full"},
		)
	}
	combos = append(combos, combo{softauthn.ES256, softauthn.AttestationFIDOU2F, "fido-u2f", "basic_full"})
	for _, c := range combos {
		t.Run(fmt.Sprintf("%d/%s", c.alg, c.att), func(t *testing.T) {
			rp := newRP(t)
			a := softauthn.MustNew(softauthn.Options{Algorithm: c.alg, Attestation: c.att, CA: ca, AAGUID: [16]byte{1, 2, 3}})
			pk, err := register(t, rp, a)
			if err != nil {
				t.Fatalf("register: %v", err)
			}
			if pk.AttestationFormat != c.wantFmt || pk.Algorithm != c.alg {
				t.Fatalf("format %s alg %d, want %s %d", pk.AttestationFormat, pk.Algorithm, c.wantFmt, c.alg)
			}
			if pk.AttestationType != c.wantTyp {
				t.Errorf("attestation type %q, want %q", pk.AttestationType, c.wantTyp)
			}
			pk.UserID = "u1"
			for i := 0; i < 2; i++ {
				use, err := login(t, rp, a, pk, softauthn.Tamper{})
				if err != nil {
					t.Fatalf("login %d: %v", i, err)
				}
				if use.SignCount != pk.SignCount+1 {
					t.Fatalf("counter %d after %d", use.SignCount, pk.SignCount)
				}
				pk.SignCount = use.SignCount
			}
		})
	}
}

func TestTamperIsRefusedWithItsCode(t *testing.T) {
	rp := newRP(t)
	a := softauthn.MustNew(softauthn.Options{})
	pk, err := register(t, rp, a)
	if err != nil {
		t.Fatal(err)
	}
	pk.UserID = "u1"
	zero := uint32(0)
	cases := []struct {
		name   string
		tamper softauthn.Tamper
		code   passkeyd.Code
	}{
		{"type", softauthn.Tamper{Type: "webauthn.create"}, passkeyd.CodeCeremonyTypeMismatch},
		{"origin", softauthn.Tamper{Origin: "https://evil.example"}, passkeyd.CodeOriginMismatch},
		{"topOrigin", softauthn.Tamper{TopOrigin: "https://evil.example"}, passkeyd.CodeOriginMismatch},
		{"rpIdHash", softauthn.Tamper{RPID: "evil.example"}, passkeyd.CodeRPIDMismatch},
		{"UP", softauthn.Tamper{ClearUP: true}, passkeyd.CodeUserPresenceRequired},
		{"UV", softauthn.Tamper{ClearUV: true}, passkeyd.CodeUserVerificationRequired},
		{"BS without BE", softauthn.Tamper{SetBS: true}, passkeyd.CodeFlagsInvalid},
		{"BE changed", softauthn.Tamper{SetBE: true}, passkeyd.CodeFlagsInvalid},
		{"signature", softauthn.Tamper{CorruptSignature: true}, passkeyd.CodeSignatureInvalid},
		{"counter", softauthn.Tamper{SignCount: &zero}, passkeyd.CodeCounterRegression},
		{"userHandle", softauthn.Tamper{UserHandle: []byte("someone else")}, passkeyd.CodeUserHandleMismatch},
		{"no userHandle", softauthn.Tamper{OmitUserHandle: true}, passkeyd.CodeUserHandleMismatch},
	}
	pk.SignCount = 5
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := login(t, rp, a, pk, c.tamper)
			if got := passkeyd.ErrorCode(err); got != c.code {
				t.Fatalf("got %v (%s), want %s", err, got, c.code)
			}
		})
	}
}

func TestExcludeAndAllowCredentials(t *testing.T) {
	rp := newRP(t)
	a := softauthn.MustNew(softauthn.Options{})
	pk, err := register(t, rp, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := register(t, rp, a, pk); !errors.Is(err, softauthn.ErrExcluded) {
		t.Fatalf("excluded credential registered again: %v", err)
	}
	other := softauthn.MustNew(softauthn.Options{})
	ch := challenge(passkeyd.CeremonyAuthentication)
	opts, _ := json.Marshal(rp.RequestOptions(ch, ceremony.Descriptors([]*passkeyd.Passkey{pk})))
	if _, err := other.Login(opts); !errors.Is(err, softauthn.ErrNoCredential) {
		t.Fatalf("login without a matching credential: %v", err)
	}
	if _, err := a.Login(opts); err != nil {
		t.Fatalf("login with an allowed credential: %v", err)
	}
}

func TestConcurrentLogins(t *testing.T) {
	rp := newRP(t)
	a := softauthn.MustNew(softauthn.Options{})
	pk, err := register(t, rp, a)
	if err != nil {
		t.Fatal(err)
	}
	pk.UserID = "u1"
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch := challenge(passkeyd.CeremonyAuthentication)
			opts, _ := json.Marshal(rp.RequestOptions(ch, nil))
			if _, err := a.Login(opts); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := a.Credentials()[0].SignCount; got != 16 {
		t.Fatalf("sign count %d after 16 logins", got)
	}
}

func BenchmarkLoginES256(b *testing.B) {
	rp := newRP(b)
	a := softauthn.MustNew(softauthn.Options{})
	if _, err := register(b, rp, a); err != nil {
		b.Fatal(err)
	}
	ch := challenge(passkeyd.CeremonyAuthentication)
	opts, _ := json.Marshal(rp.RequestOptions(ch, nil))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Login(opts); err != nil {
			b.Fatal(err)
		}
	}
}
