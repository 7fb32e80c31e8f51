package softauthn_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/passkeyd/passkeyd/softauthn"
)

const (
	testRPID   = "localhost"
	testOrigin = "http://localhost:8080"
)

var userID = []byte("0123456789abcdef0123456789abcdef")

func newChallenge() []byte {
	c := make([]byte, 32)
	_, _ = rand.Read(c)
	return c
}

// creationOptions is what a go-webauthn server sends: {"publicKey": {...}}.
func creationOptions(challenge, user []byte, algs []int64, exclude ...[]byte) []byte {
	o := protocol.PublicKeyCredentialCreationOptions{
		RelyingParty: protocol.RelyingPartyEntity{CredentialEntity: protocol.CredentialEntity{Name: "test"}, ID: testRPID},
		User:         protocol.UserEntity{CredentialEntity: protocol.CredentialEntity{Name: "alice"}, DisplayName: "Alice", ID: protocol.URLEncodedBase64(user)},
		Challenge:    challenge,
		Attestation:  protocol.PreferDirectAttestation,
	}
	for _, alg := range algs {
		o.Parameters = append(o.Parameters, protocol.CredentialParameter{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.COSEAlgorithmIdentifier(alg)})
	}
	for _, id := range exclude {
		o.CredentialExcludeList = append(o.CredentialExcludeList, protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: id})
	}
	b, _ := json.Marshal(protocol.CredentialCreation{Response: o})
	return b
}

func requestOptions(challenge []byte, allow ...[]byte) []byte {
	o := protocol.PublicKeyCredentialRequestOptions{Challenge: challenge, RelyingPartyID: testRPID, UserVerification: protocol.VerificationRequired}
	for _, id := range allow {
		o.AllowedCredentials = append(o.AllowedCredentials, protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: id})
	}
	b, _ := json.Marshal(protocol.CredentialAssertion{Response: o})
	return b
}

var allAlgs = []int64{softauthn.ES256, softauthn.EdDSA, softauthn.RS256}

// verifier is a relying party's expectations, handed to go-webauthn's §7.1 and §7.2
// verification. Tamper tests relax one expectation to show it was the only one violated.
type verifier struct {
	challenge  []byte
	rpID       string
	origins    []string
	topOrigins []string
	allowCross bool
	uv, up     bool
	algs       []int64
}

func newVerifier(challenge []byte) verifier {
	return verifier{challenge: challenge, rpID: testRPID, origins: []string{testOrigin}, uv: true, up: true, algs: allAlgs}
}

func (v verifier) register(resp []byte) (*protocol.ParsedCredentialCreationData, error) {
	p, err := protocol.ParseCredentialCreationResponseBytes(resp)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	var params []protocol.CredentialParameter
	for _, alg := range v.algs {
		params = append(params, protocol.CredentialParameter{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.COSEAlgorithmIdentifier(alg)})
	}
	_, err = p.Verify(base64.RawURLEncoding.EncodeToString(v.challenge), v.rpID, v.origins, nil, v.topOrigins,
		protocol.TopOriginExplicitVerificationMode, v.allowCross, v.uv, v.up, nil, params,
		protocol.AttestationPolicy{}, protocol.SignaturePolicy{})
	return p, err
}

func (v verifier) login(resp, coseKey []byte) (*protocol.ParsedCredentialAssertionData, error) {
	p, err := protocol.ParseCredentialRequestResponseBytes(resp)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	err = p.Verify(base64.RawURLEncoding.EncodeToString(v.challenge), v.rpID, "", v.origins, nil, v.topOrigins,
		protocol.TopOriginExplicitVerificationMode, v.allowCross, v.uv, v.up, coseKey, protocol.SignaturePolicy{})
	return p, err
}

// describe renders a go-webauthn error with its details and debug information.
func describe(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Details + " | " + pe.DevInfo + " | " + err.Error()
	}
	return fmt.Sprint(err)
}

// registered registers a credential and returns it as go-webauthn parsed and verified it.
func registered(t testing.TB, a *softauthn.Authenticator) *protocol.ParsedCredentialCreationData {
	t.Helper()
	ch := newChallenge()
	resp, err := a.Register(creationOptions(ch, userID, allAlgs))
	if err != nil {
		t.Fatal(err)
	}
	p, err := newVerifier(ch).register(resp)
	if err != nil {
		t.Fatalf("registration does not verify: %s", describe(err))
	}
	return p
}

func TestEveryAlgorithmAndAttestationVerifies(t *testing.T) {
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	aaguid := [16]byte{0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	type combo struct {
		alg      int64
		att      string
		wantFmt  string
		wantType string // go-webauthn's names: self is basic_surrogate, basic is basic_full
		x5c      bool
	}
	var combos []combo
	for _, alg := range allAlgs {
		combos = append(combos,
			combo{alg, softauthn.AttestationNone, "none", "none", false},
			combo{alg, softauthn.AttestationPackedSelf, "packed", "basic_surrogate", false},
			combo{alg, softauthn.AttestationPacked, "packed", "basic_full", true},
		)
	}
	combos = append(combos, combo{softauthn.ES256, softauthn.AttestationFIDOU2F, "fido-u2f", "basic_full", true})

	for _, c := range combos {
		t.Run(fmt.Sprintf("alg%d/%s", c.alg, c.att), func(t *testing.T) {
			a, err := softauthn.New(softauthn.Options{Algorithm: c.alg, Attestation: c.att, CA: ca, AAGUID: aaguid})
			if err != nil {
				t.Fatal(err)
			}
			ch := newChallenge()
			resp, err := a.Register(creationOptions(ch, userID, []int64{softauthn.ES256, softauthn.EdDSA, softauthn.RS256}))
			if err != nil {
				t.Fatal(err)
			}
			p, err := newVerifier(ch).register(resp)
			if err != nil {
				t.Fatalf("§7.1 verification: %s", describe(err))
			}
			att := p.Response.AttestationObject
			if att.Format != c.wantFmt || att.Type != c.wantType {
				t.Errorf("fmt %q type %q, want %q %q", att.Format, att.Type, c.wantFmt, c.wantType)
			}
			wantAAGUID := aaguid[:]
			if c.att == softauthn.AttestationFIDOU2F {
				wantAAGUID = make([]byte, 16) // §8.6: U2F devices have no AAGUID
			}
			if !bytes.Equal(att.AuthData.AttData.AAGUID, wantAAGUID) {
				t.Errorf("AAGUID %x, want %x", att.AuthData.AttData.AAGUID, wantAAGUID)
			}
			if c.x5c {
				checkChain(t, att.AttStatement, ca)
			}
			checkResponseMembers(t, p, c.alg)

			cose := att.AuthData.AttData.CredentialPublicKey
			for want := uint32(1); want <= 3; want++ {
				ch := newChallenge()
				resp, err := a.Login(requestOptions(ch))
				if err != nil {
					t.Fatal(err)
				}
				as, err := newVerifier(ch).login(resp, cose)
				if err != nil {
					t.Fatalf("§7.2 verification: %s", describe(err))
				}
				if got := as.Response.AuthenticatorData.Counter; got != want {
					t.Errorf("signCount %d, want %d", got, want)
				}
				if !bytes.Equal(as.Response.UserHandle, userID) {
					t.Errorf("userHandle %q, want %q", as.Response.UserHandle, userID)
				}
				verifyWithSPKI(t, p.Raw.AttestationResponse.PublicKey, resp)
				if !bytes.Equal(as.RawID, p.RawID) {
					t.Errorf("asserted with %x, registered %x", as.RawID, p.RawID)
				}
			}
			if got := a.Credentials()[0]; got.SignCount != 3 || got.Algorithm != c.alg || !bytes.Equal(got.PublicKey, cose) {
				t.Errorf("Credentials()[0] = %+v", got)
			}
		})
	}
}

// checkChain verifies that x5c[0] chains to the test CA's root.
func checkChain(t *testing.T, stmt map[string]any, ca *softauthn.TestCA) {
	t.Helper()
	x5c, _ := stmt["x5c"].([]any)
	if len(x5c) != 1 {
		t.Fatalf("x5c has %d certificates, want 1", len(x5c))
	}
	der, _ := x5c[0].([]byte)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("attestation certificate does not chain to the test root: %v", err)
	}
}

// checkResponseMembers checks the RegistrationResponseJSON members go-webauthn does not
// verify: publicKey, publicKeyAlgorithm, authenticatorData, transports, credProps.
func checkResponseMembers(t *testing.T, p *protocol.ParsedCredentialCreationData, alg int64) {
	t.Helper()
	r := p.Raw.AttestationResponse
	if r.PublicKeyAlgorithm != alg {
		t.Errorf("publicKeyAlgorithm %d, want %d", r.PublicKeyAlgorithm, alg)
	}
	if _, err := x509.ParsePKIXPublicKey(r.PublicKey); err != nil {
		t.Errorf("publicKey is not SPKI: %v", err)
	}
	if !bytes.Equal(r.AuthenticatorData, p.Response.AttestationObject.RawAuthData) {
		t.Error("response.authenticatorData differs from the attestation object's")
	}
	if got := fmt.Sprint(r.Transports); got != "[hybrid internal]" {
		t.Errorf("transports %s, want [hybrid internal]", got)
	}
	if cp := p.ClientExtensionResults.CredProps; cp == nil || cp.RK == nil || !*cp.RK {
		t.Errorf("credProps %+v, want rk true", cp)
	}
}

// verifyWithSPKI checks an assertion against the SPKI publicKey of the registration, the
// key a server without COSE support would use (§5.2.1.1).
func verifyWithSPKI(t *testing.T, spkiDER, resp []byte) {
	t.Helper()
	as, err := protocol.ParseCredentialRequestResponseBytes(resp)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(spkiDER)
	if err != nil {
		t.Fatal(err)
	}
	cd := sha256.Sum256(as.Raw.AssertionResponse.ClientDataJSON)
	msg := append(bytes.Clone(as.Raw.AssertionResponse.AuthenticatorData), cd[:]...)
	h := sha256.Sum256(msg)
	var ok bool
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, h[:], as.Response.Signature)
	case ed25519.PublicKey:
		ok = ed25519.Verify(k, msg, as.Response.Signature)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], as.Response.Signature) == nil
	}
	if !ok {
		t.Errorf("assertion does not verify with the %T from response.publicKey", pub)
	}
}

// TestResponseIsWhatBrowsersSend pins the wire format: member names and order as
// credential.toJSON() gives them, clientDataJSON as browsers serialise it, base64url
// without padding, and CTAP2 canonical CBOR.
func TestResponseIsWhatBrowsersSend(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{})
	ch := []byte("a challenge of thirty-two bytes!")
	resp, err := a.Register(creationOptions(ch, userID, []int64{softauthn.ES256}))
	if err != nil {
		t.Fatal(err)
	}
	if got := topLevelKeys(t, resp); got != "authenticatorAttachment clientExtensionResults id rawId response type" {
		t.Errorf("registration members %s", got)
	}
	if bytes.Contains(resp, []byte("=")) {
		t.Errorf("padding in %s", resp)
	}
	var reg struct {
		Response struct {
			ClientDataJSON    string `json:"clientDataJSON"`
			AttestationObject string `json:"attestationObject"`
		} `json:"response"`
	}
	if err := json.Unmarshal(resp, &reg); err != nil {
		t.Fatal(err)
	}
	cd, _ := base64.RawURLEncoding.DecodeString(reg.Response.ClientDataJSON)
	want := `{"type":"webauthn.create","challenge":"YSBjaGFsbGVuZ2Ugb2YgdGhpcnR5LXR3byBieXRlcyE","origin":"http://localhost:8080","crossOrigin":false}`
	if string(cd) != want {
		t.Errorf("clientDataJSON\n got %s\nwant %s", cd, want)
	}
	attObj, _ := base64.RawURLEncoding.DecodeString(reg.Response.AttestationObject)
	assertCanonical(t, "attestationObject", attObj)
	var att struct {
		AuthData []byte `cbor:"authData"`
	}
	if err := cbor.Unmarshal(attObj, &att); err != nil {
		t.Fatal(err)
	}
	idLen := int(att.AuthData[53])<<8 | int(att.AuthData[54])
	assertCanonical(t, "COSE key", att.AuthData[55+idLen:])

	resp, err = a.Login(requestOptions(ch))
	if err != nil {
		t.Fatal(err)
	}
	if got := topLevelKeys(t, resp); got != "authenticatorAttachment clientExtensionResults id rawId response type" {
		t.Errorf("authentication members %s", got)
	}
	if !bytes.Contains(resp, []byte(`"response":{"authenticatorData":`)) || !bytes.Contains(resp, []byte(`"userHandle":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"`)) {
		t.Errorf("authentication response %s", resp)
	}
}

func topLevelKeys(t *testing.T, data []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
		case string:
			if depth == 1 {
				keys = append(keys, v)
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return strings.Join(keys, " ")
}

// assertCanonical checks that data is CBOR in CTAP2 canonical form by re-encoding it.
func assertCanonical(t *testing.T, what string, data []byte) {
	t.Helper()
	em, _ := cbor.CTAP2EncOptions().EncMode()
	var v any
	rest, err := cbor.UnmarshalFirst(data, &v)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	again, err := em.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data[:len(data)-len(rest)]) {
		t.Errorf("%s is not CTAP2 canonical:\n got %x\nwant %x", what, data, again)
	}
}

func TestOptionsBareOrWrapped(t *testing.T) {
	ch := newChallenge()
	wrapped := creationOptions(ch, userID, []int64{softauthn.ES256})
	var env struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(wrapped, &env); err != nil {
		t.Fatal(err)
	}
	// encoding/json's []byte is standard base64 with padding; some servers send that.
	stdUser := strings.Replace(string(env.PublicKey), `"id":"`+base64.RawURLEncoding.EncodeToString(userID)+`"`, `"id":"`+base64.StdEncoding.EncodeToString(userID)+`"`, 1)
	for name, opts := range map[string][]byte{"wrapped": wrapped, "bare": env.PublicKey, "std base64 user.id": []byte(stdUser)} {
		t.Run(name, func(t *testing.T) {
			a := softauthn.MustNew(softauthn.Options{})
			resp, err := a.Register(opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := newVerifier(ch).register(resp); err != nil {
				t.Fatal(describe(err))
			}
			if got := a.Credentials()[0].UserHandle; !bytes.Equal(got, userID) {
				t.Errorf("user handle %q", got)
			}
			lch := newChallenge()
			lo := requestOptions(lch)
			if name == "bare" {
				json.Unmarshal(lo, &env)
				lo = env.PublicKey
			}
			resp, err = a.Login(lo)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := newVerifier(lch).login(resp, a.Credentials()[0].PublicKey); err != nil {
				t.Fatal(describe(err))
			}
		})
	}
}

func TestOptionsABrowserRefuses(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{})
	cases := []struct {
		name string
		opts string
	}{
		{"not JSON", `{`},
		{"no challenge", `{"publicKey":{"rp":{"id":"localhost"},"user":{"id":"AQ"},"pubKeyCredParams":[{"type":"public-key","alg":-7}]}}`},
		{"no user.id", `{"rp":{"id":"localhost"},"user":{},"challenge":"AAAA","pubKeyCredParams":[{"type":"public-key","alg":-7}]}`},
		{"user.id over 64 bytes", `{"rp":{"id":"localhost"},"user":{"id":"` + base64.RawURLEncoding.EncodeToString(make([]byte, 65)) + `"},"challenge":"AAAA"}`},
		{"challenge not base64", `{"rp":{"id":"localhost"},"user":{"id":"AQ"},"challenge":"!!!"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := a.Register([]byte(c.opts)); err == nil {
				t.Error("registered")
			}
		})
	}
	if _, err := a.Login([]byte(`{"publicKey":{"rpId":"localhost"}}`)); err == nil {
		t.Error("logged in without a challenge")
	}
}

func TestAlgorithmNegotiation(t *testing.T) {
	cases := []struct {
		name    string
		alg     int64
		offered string // pubKeyCredParams JSON
		want    error
	}{
		{"ES256 offered", softauthn.ES256, `[{"type":"public-key","alg":-8},{"type":"public-key","alg":-7}]`, nil},
		{"EdDSA offered", softauthn.EdDSA, `[{"type":"public-key","alg":-7},{"type":"public-key","alg":-8}]`, nil},
		{"EdDSA not offered", softauthn.EdDSA, `[{"type":"public-key","alg":-7},{"type":"public-key","alg":-257}]`, softauthn.ErrAlgorithm},
		{"unknown type ignored", softauthn.ES256, `[{"type":"other","alg":-7}]`, softauthn.ErrAlgorithm},
		{"empty means ES256 and RS256", softauthn.ES256, `[]`, nil},
		{"empty excludes EdDSA", softauthn.EdDSA, `[]`, softauthn.ErrAlgorithm},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := softauthn.MustNew(softauthn.Options{Algorithm: c.alg})
			opts := `{"rp":{"id":"localhost","name":"x"},"user":{"id":"AQ","name":"a","displayName":"A"},"challenge":"AAAAAAAAAAAAAAAAAAAAAA","pubKeyCredParams":` + c.offered + `}`
			resp, err := a.Register([]byte(opts))
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if err == nil && !bytes.Contains(resp, []byte(fmt.Sprintf(`"publicKeyAlgorithm":%d`, c.alg))) {
				t.Errorf("response %s", resp)
			}
		})
	}
}

func TestRPIDDefaultsToOriginHost(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{Origin: "https://login.example.com"})
	ch := newChallenge()
	resp, err := a.Register([]byte(`{"rp":{"name":"x"},"user":{"id":"AQ"},"challenge":"` + base64.RawURLEncoding.EncodeToString(ch) + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(ch)
	v.rpID, v.origins = "login.example.com", []string{"https://login.example.com"}
	if _, err := v.register(resp); err != nil {
		t.Fatal(describe(err))
	}
	if got := a.Credentials()[0].RPID; got != "login.example.com" {
		t.Errorf("RP ID %q", got)
	}
}

func TestExcludeCredentials(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{})
	mine := registered(t, a).RawID
	other := registered(t, softauthn.MustNew(softauthn.Options{})).RawID
	cases := []struct {
		name    string
		rpID    string
		exclude [][]byte
		want    error
	}{
		{"own credential listed", testRPID, [][]byte{other, mine}, softauthn.ErrExcluded},
		{"only others listed", testRPID, [][]byte{other}, nil},
		{"own credential for another RP", "example.com", [][]byte{mine}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := bytes.Replace(creationOptions(newChallenge(), userID, allAlgs, c.exclude...), []byte(`"id":"localhost"`), []byte(`"id":"`+c.rpID+`"`), 1)
			_, err := a.Register(opts)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

func TestAllowCredentials(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{})
	first, second := registered(t, a), registered(t, a)
	unknown := []byte("not a credential here")
	cases := []struct {
		name  string
		allow [][]byte
		want  []byte // rawId used; nil means ErrNoCredential
	}{
		{"first listed that is held", [][]byte{unknown, first.RawID, second.RawID}, first.RawID},
		{"order of the list, not of creation", [][]byte{second.RawID, first.RawID}, second.RawID},
		{"none held", [][]byte{unknown}, nil},
		{"empty: newest discoverable", nil, second.RawID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := a.Login(requestOptions(newChallenge(), c.allow...))
			if c.want == nil {
				if !errors.Is(err, softauthn.ErrNoCredential) {
					t.Fatalf("err %v, want ErrNoCredential", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, err := protocol.ParseCredentialRequestResponseBytes(resp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.RawID, c.want) {
				t.Errorf("used %x, want %x", p.RawID, c.want)
			}
		})
	}

	t.Run("other RP", func(t *testing.T) {
		opts := bytes.Replace(requestOptions(newChallenge(), first.RawID), []byte(`"rpId":"localhost"`), []byte(`"rpId":"example.com"`), 1)
		if _, err := a.Login(opts); !errors.Is(err, softauthn.ErrNoCredential) {
			t.Fatalf("err %v, want ErrNoCredential", err)
		}
	})

	t.Run("non-discoverable", func(t *testing.T) {
		nd := softauthn.MustNew(softauthn.Options{NonDiscoverable: true})
		ch := newChallenge()
		resp, err := nd.Register(creationOptions(ch, userID, allAlgs))
		if err != nil {
			t.Fatal(err)
		}
		p, err := newVerifier(ch).register(resp)
		if err != nil {
			t.Fatal(describe(err))
		}
		if cp := p.ClientExtensionResults.CredProps; cp == nil || cp.RK == nil || *cp.RK {
			t.Errorf("credProps %+v, want rk false", cp)
		}
		if _, err := nd.Login(requestOptions(newChallenge())); !errors.Is(err, softauthn.ErrNoCredential) {
			t.Fatalf("empty allowCredentials: %v, want ErrNoCredential", err)
		}
		lch := newChallenge()
		resp, err = nd.Login(requestOptions(lch, p.RawID))
		if err != nil {
			t.Fatal(err)
		}
		as, err := newVerifier(lch).login(resp, p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey)
		if err != nil {
			t.Fatal(describe(err))
		}
		if as.Response.UserHandle != nil {
			t.Errorf("userHandle %x from a server-side credential", as.Response.UserHandle)
		}
	})
}

func TestCounterModes(t *testing.T) {
	for _, c := range []struct {
		name string
		opts softauthn.Options
		want []uint32
	}{
		{"increment", softauthn.Options{}, []uint32{0, 1, 2, 3}},
		{"always zero", softauthn.Options{ZeroCounter: true, BackupEligible: true, BackedUp: true}, []uint32{0, 0, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := softauthn.MustNew(c.opts)
			p := registered(t, a)
			got := []uint32{p.Response.AttestationObject.AuthData.Counter}
			for range 3 {
				ch := newChallenge()
				resp, err := a.Login(requestOptions(ch))
				if err != nil {
					t.Fatal(err)
				}
				as, err := newVerifier(ch).login(resp, p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey)
				if err != nil {
					t.Fatal(describe(err))
				}
				got = append(got, as.Response.AuthenticatorData.Counter)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("counters %v, want %v", got, c.want)
			}
		})
	}
}

func TestFlagsFromOptions(t *testing.T) {
	for _, c := range []struct {
		name           string
		opts           softauthn.Options
		uv, be, bs, up bool
	}{
		{"default", softauthn.Options{}, true, false, false, true},
		{"no UV", softauthn.Options{NoUserVerification: true}, false, false, false, true},
		{"synced", softauthn.Options{BackupEligible: true, BackedUp: true}, true, true, true, true},
		{"eligible, not backed up", softauthn.Options{BackupEligible: true}, true, true, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := softauthn.MustNew(c.opts)
			resp, err := a.Register(creationOptions(newChallenge(), userID, allAlgs))
			if err != nil {
				t.Fatal(err)
			}
			p, err := protocol.ParseCredentialCreationResponseBytes(resp)
			if err != nil {
				t.Fatal(err)
			}
			f := p.Response.AttestationObject.AuthData.Flags
			if f.UserPresent() != c.up || f.UserVerified() != c.uv || f.HasBackupEligible() != c.be || f.HasBackupState() != c.bs {
				t.Errorf("flags %08b", f)
			}
		})
	}
}

func TestCrossOriginOptions(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{TopOrigin: "https://shop.example"})
	ch := newChallenge()
	resp, err := a.Register(creationOptions(ch, userID, allAlgs))
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(ch)
	if _, err := v.register(resp); err == nil {
		t.Fatal("cross-origin registration verified without allowing it")
	}
	v.allowCross, v.topOrigins = true, []string{"https://shop.example"}
	p, err := v.register(resp)
	if err != nil {
		t.Fatal(describe(err))
	}
	if cd := p.Response.CollectedClientData; !cd.CrossOrigin || cd.TopOrigin != "https://shop.example" {
		t.Errorf("client data %+v", cd)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for name, o := range map[string]softauthn.Options{
		"unknown algorithm":    {Algorithm: -999},
		"unknown attestation":  {Attestation: "tpm"},
		"fido-u2f needs ES256": {Attestation: softauthn.AttestationFIDOU2F, Algorithm: softauthn.EdDSA},
		"BS without BE":        {BackedUp: true},
		"unknown attachment":   {Attachment: "internal"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := softauthn.New(o); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestDefaultsAndAAGUID(t *testing.T) {
	for _, c := range []struct {
		name string
		opts softauthn.Options
		want [16]byte
	}{
		{"default", softauthn.Options{}, softauthn.DefaultAAGUID},
		{"fixed", softauthn.Options{AAGUID: [16]byte{9}}, [16]byte{9}},
		{"zero", softauthn.Options{ZeroAAGUID: true}, [16]byte{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := registered(t, softauthn.MustNew(c.opts))
			if got := p.Response.AttestationObject.AuthData.AttData.AAGUID; !bytes.Equal(got, c.want[:]) {
				t.Errorf("AAGUID %x, want %x", got, c.want)
			}
			if p.AuthenticatorAttachment != protocol.Platform {
				t.Errorf("attachment %q", p.AuthenticatorAttachment)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{})
	p := registered(t, a)
	if !a.Remove(p.RawID) || a.Remove(p.RawID) {
		t.Fatal("Remove reports wrongly")
	}
	if _, err := a.Login(requestOptions(newChallenge())); !errors.Is(err, softauthn.ErrNoCredential) {
		t.Fatalf("login after Remove: %v", err)
	}
}

func TestExportImport(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(fmt.Sprint(alg), func(t *testing.T) {
			a := softauthn.MustNew(softauthn.Options{Algorithm: alg})
			p := registered(t, a)
			cose := p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey
			if _, err := a.Login(requestOptions(newChallenge())); err != nil {
				t.Fatal(err)
			}
			state, err := a.Export()
			if err != nil {
				t.Fatal(err)
			}

			b := softauthn.MustNew(softauthn.Options{})
			if err := b.Import(state); err != nil {
				t.Fatal(err)
			}
			ch := newChallenge()
			resp, err := b.Login(requestOptions(ch, p.RawID))
			if err != nil {
				t.Fatal(err)
			}
			as, err := newVerifier(ch).login(resp, cose)
			if err != nil {
				t.Fatalf("imported credential: %s", describe(err))
			}
			if as.Response.AuthenticatorData.Counter != 2 || !bytes.Equal(as.Response.UserHandle, userID) {
				t.Errorf("counter %d userHandle %q after import", as.Response.AuthenticatorData.Counter, as.Response.UserHandle)
			}
			// Importing again replaces rather than duplicates.
			if err := b.Import(state); err != nil || len(b.Credentials()) != 1 {
				t.Errorf("re-import: %v, %d credentials", err, len(b.Credentials()))
			}
		})
	}

	a := softauthn.MustNew(softauthn.Options{})
	registered(t, a)
	state, _ := a.Export()
	for name, bad := range map[string]string{
		"not JSON":        `{`,
		"other version":   strings.Replace(string(state), `"version":1`, `"version":2`, 1),
		"wrong algorithm": strings.Replace(string(state), `"algorithm":-7`, `"algorithm":-8`, 1),
		"no credentials":  `{"version":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			b := softauthn.MustNew(softauthn.Options{})
			if err := b.Import([]byte(bad)); err == nil {
				t.Error("imported")
			}
			if len(b.Credentials()) != 0 {
				t.Error("a refused import added credentials")
			}
		})
	}
}

// TestConcurrentUse runs 16 goroutines signing in with one credential while others register
// and list; under -race it shows the Authenticator needs no outside locking.
func TestConcurrentUse(t *testing.T) {
	a := softauthn.MustNew(softauthn.Options{})
	p := registered(t, a)
	cose := p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey
	const workers, each = 16, 8
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[uint32]bool{}
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				ch := newChallenge()
				resp, err := a.Login(requestOptions(ch, p.RawID))
				if err != nil {
					t.Error(err)
					return
				}
				as, err := newVerifier(ch).login(resp, cose)
				if err != nil {
					t.Error(describe(err))
					return
				}
				mu.Lock()
				counts[as.Response.AuthenticatorData.Counter] = true
				mu.Unlock()
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.Register(creationOptions(newChallenge(), []byte("another user"), allAlgs)); err != nil {
				t.Error(err)
			}
			_ = a.Credentials()
			if _, err := a.Export(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(counts) != workers*each {
		t.Errorf("%d distinct counters from %d logins", len(counts), workers*each)
	}
	if got := a.Credentials()[0].SignCount; got != workers*each {
		t.Errorf("sign count %d after %d logins", got, workers*each)
	}
}

func BenchmarkLoginES256(b *testing.B) {
	a := softauthn.MustNew(softauthn.Options{})
	registered(b, a)
	opts := requestOptions(newChallenge())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Login(opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoginES256Parallel is the load generator's case: many workers, one
// authenticator (ZeroCounter, so their assertions can arrive in any order).
func BenchmarkLoginES256Parallel(b *testing.B) {
	a := softauthn.MustNew(softauthn.Options{ZeroCounter: true, BackupEligible: true})
	registered(b, a)
	opts := requestOptions(newChallenge())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Login(opts); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRegisterES256(b *testing.B) {
	a := softauthn.MustNew(softauthn.Options{})
	opts := creationOptions(newChallenge(), userID, []int64{softauthn.ES256})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Register(opts); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEveryAlgorithmVerifies registers and signs in with every algorithm softauthn knows
// and checks the assertion signature with go-webauthn's verifier, as a server would.
func TestEveryAlgorithmVerifies(t *testing.T) {
	for _, alg := range []int64{softauthn.ES256, softauthn.ES384, softauthn.ES512, softauthn.EdDSA, softauthn.RS256, softauthn.RS384, softauthn.RS512, softauthn.PS256, softauthn.PS384, softauthn.PS512, softauthn.RS1} {
		a := softauthn.MustNew(softauthn.Options{Algorithm: alg})
		opts := fmt.Sprintf(`{"rp":{"id":"localhost","name":"x"},"user":{"id":"AQID","name":"u","displayName":"u"},"challenge":"AAAAAAAAAAAAAAAAAAAAAA","pubKeyCredParams":[{"type":"public-key","alg":%d}]}`, alg)
		if _, err := a.Register([]byte(opts)); err != nil {
			t.Fatalf("alg %d: %v", alg, err)
		}
		out, err := a.Login([]byte(`{"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rpId":"localhost"}`))
		if err != nil {
			t.Fatalf("alg %d: %v", alg, err)
		}
		var resp struct {
			Response struct{ ClientDataJSON, AuthenticatorData, Signature string }
		}
		json.Unmarshal(out, &resp)
		dec := func(s string) []byte { b, _ := base64.RawURLEncoding.DecodeString(s); return b }
		cdh := sha256.Sum256(dec(resp.Response.ClientDataJSON))
		msg := append(dec(resp.Response.AuthenticatorData), cdh[:]...)
		pk, err := webauthncose.ParsePublicKey(a.Credentials()[0].PublicKey)
		if err != nil {
			t.Fatalf("alg %d: COSE key: %v", alg, err)
		}
		if ok, err := webauthncose.VerifySignature(pk, msg, dec(resp.Response.Signature)); !ok || err != nil {
			t.Fatalf("alg %d: signature does not verify: %v", alg, err)
		}
	}
}
