package ceremony_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/softauthn"
)

func benchRP(b *testing.B) *ceremony.RP {
	rp, err := ceremony.New(ceremony.Config{
		RPID: "localhost", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7, -8, -257}, Timeout: time.Minute,
	})
	if err != nil {
		b.Fatal(err)
	}
	return rp
}

func newChallenge(c passkeyd.Ceremony) *passkeyd.Challenge {
	v := make([]byte, 32)
	_, _ = rand.Read(v)
	return &passkeyd.Challenge{Value: v, Ceremony: c, UserVerification: "preferred", ResidentKey: "required"}
}

// BenchmarkVerifyRegistration measures parse + §7.1 verification of an ES256 passkey with
// attestation "none", the common case.
func BenchmarkVerifyRegistration(b *testing.B) {
	rp := benchRP(b)
	a := softauthn.MustNew(softauthn.Options{})
	ch := newChallenge(passkeyd.CeremonyRegistration)
	user := &passkeyd.User{Handle: make([]byte, 32), Username: "bench", DisplayName: "Bench"}
	opts, _ := json.Marshal(rp.CreationOptions(ch, user, nil))
	resp, err := a.Register(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := ceremony.ParseRegistration(resp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rp.VerifyRegistration(r, ch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAssertion measures parse + §7.2 verification of an ES256 assertion: one
// P-256 signature check plus everything around it.
func BenchmarkVerifyAssertion(b *testing.B) {
	rp := benchRP(b)
	a := softauthn.MustNew(softauthn.Options{})
	rch := newChallenge(passkeyd.CeremonyRegistration)
	user := &passkeyd.User{ID: "u", Handle: make([]byte, 32), Username: "bench"}
	ropts, _ := json.Marshal(rp.CreationOptions(rch, user, nil))
	rresp, _ := a.Register(ropts)
	reg, _ := ceremony.ParseRegistration(rresp)
	pk, err := rp.VerifyRegistration(reg, rch)
	if err != nil {
		b.Fatal(err)
	}
	pk.UserID = "u"
	ch := newChallenge(passkeyd.CeremonyAuthentication)
	opts, _ := json.Marshal(rp.RequestOptions(ch, nil))
	resp, err := a.Login(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		as, err := ceremony.ParseAssertion(resp)
		if err != nil {
			b.Fatal(err)
		}
		if err := ceremony.CheckOwner(as, ch, pk, user); err != nil {
			b.Fatal(err)
		}
		if _, err := rp.VerifyAssertion(as, ch, pk); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkECDSAP256Verify is the yardstick: one P-256 signature check, the only work a
// login truly needs. The login benchmarks are read as multiples of it.
func BenchmarkECDSAP256Verify(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("yardstick"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	b.ReportAllocs()
	for b.Loop() {
		if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
			b.Fatal("verify failed")
		}
	}
}
