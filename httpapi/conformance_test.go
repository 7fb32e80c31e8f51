package httpapi_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/trust"
)

// Tests of the FIDO2 conformance API, one per item of the FIDO2 server test list (the
// conformance tool's "MakeCredential Request/Response" and "GetAssertion Request/Response"
// sections) that the software authenticator can produce. Subtests are named
// "<item> <P|F>-<n> <what>" after the list; cases the list does not have are named
// "extra: ...". docs/attestation.md maps every item to its test or says why it has none.

type fido struct {
	t     *testing.T
	e     *env
	c     *client
	ca    *softauthn.TestCA // trusted by the server (PASSKEYD_ATTESTATION_ROOTS)
	users int
}

func newFIDO(t *testing.T) *fido {
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *envOptions) { o.conformance, o.anchors = true, trust.Anchors{Roots: ca.Pool()} })
	return &fido{t: t, e: e, c: e.browser(), ca: ca}
}

// username returns a name no earlier registration used.
func (f *fido) username() string {
	f.users++
	return fmt.Sprintf("user%d", f.users)
}

func (f *fido) attestationOptions(body map[string]any) result {
	return f.c.post("/attestation/options", body)
}

// register runs /attestation/options and /attestation/result for username with a (and t),
// edit changing the posted ServerPublicKeyCredential.
func (f *fido) register(a *softauthn.Authenticator, username string, uv string, t softauthn.Tamper, edit func(map[string]any)) result {
	f.t.Helper()
	opts := f.attestationOptions(map[string]any{"username": username, "displayName": "Test", "attestation": "direct",
		"authenticatorSelection": map[string]any{"userVerification": uv}})
	expectStatus(f.t, opts, 200)
	cred, err := a.RegisterWith(opts.body, t)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.c.post("/attestation/result", serverCredential(f.t, cred, edit))
}

// serverCredential turns credential.toJSON() into a ServerPublicKeyCredential:
// getClientExtensionResults instead of clientExtensionResults, no rawId.
func serverCredential(t *testing.T, cred []byte, edit func(map[string]any)) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(cred, &m); err != nil {
		t.Fatal(err)
	}
	m["getClientExtensionResults"] = m["clientExtensionResults"]
	delete(m, "clientExtensionResults")
	delete(m, "rawId")
	if edit != nil {
		edit(m)
	}
	return m
}

func (f *fido) login(a *softauthn.Authenticator, username, uv string, t softauthn.Tamper, edit func(map[string]any)) result {
	f.t.Helper()
	opts := f.c.post("/assertion/options", map[string]any{"username": username, "userVerification": uv})
	expectStatus(f.t, opts, 200)
	cred, err := a.LoginWith(opts.body, t)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.c.post("/assertion/result", serverCredential(f.t, cred, edit))
}

func expectOK(t *testing.T, r result) {
	t.Helper()
	m := r.json(t)
	if r.status != 200 || m["status"] != "ok" || m["errorMessage"] != "" {
		t.Fatalf("want status ok, got %d %s", r.status, r.body)
	}
}

func expectFailed(t *testing.T, r result) {
	t.Helper()
	m := r.json(t)
	if r.status < 400 || r.status >= 500 || m["status"] != "failed" || m["errorMessage"] == "" {
		t.Fatalf("want status failed (4xx) with an errorMessage, got %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
}

// Edits of the posted ServerPublicKeyCredential and of what the authenticator produces.

func set(key string, v any) func(map[string]any) { return func(m map[string]any) { m[key] = v } }
func del(key string) func(map[string]any)        { return func(m map[string]any) { delete(m, key) } }

// inResponse applies e to credential.response.
func inResponse(e func(map[string]any)) func(map[string]any) {
	return func(m map[string]any) { e(m["response"].(map[string]any)) }
}

// clientData tampers with the members of clientDataJSON.
func clientData(e func(map[string]any)) softauthn.Tamper { return softauthn.Tamper{ClientData: e} }

// authData tampers with authenticatorData.
func authData(e func([]byte) []byte) softauthn.Tamper { return softauthn.Tamper{AuthData: e} }

// attObj tampers with the attestation object's map.
func attObj(e func(map[string]any)) softauthn.Tamper {
	return softauthn.Tamper{AttestationObject: func(o map[string]any) any { e(o); return o }}
}

// attStmt tampers with the attestation statement.
func attStmt(e func(map[string]any)) softauthn.Tamper {
	return attObj(func(o map[string]any) { e(o["attStmt"].(map[string]any)) })
}

func flags(setBits, clearBits byte) func([]byte) []byte {
	return func(ad []byte) []byte { ad[32] = ad[32]&^clearBits | setBits; return ad }
}

// withExtensions appends authenticator extension outputs and sets ED (§6.1, §9).
func withExtensions(ad []byte) []byte {
	ext, _ := cbor.Marshal(map[string]any{"credProtect": 1})
	ad[32] |= softauthn.FlagED
	return append(ad, ext...)
}

// attestedEnd is where the attested credential data's COSE key starts (§6.5.1).
func coseStart(ad []byte) int { return 37 + 16 + 2 + int(binary.BigEndian.Uint16(ad[53:55])) }

func TestConformanceOffByDefault(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/attestation/options", "/attestation/result", "/assertion/options", "/assertion/result"} {
		if r := e.browser().post(p, map[string]any{"username": "x"}); r.status != http.StatusNotFound {
			t.Fatalf("%s answered %d without PASSKEYD_FIDO_CONFORMANCE", p, r.status)
		}
	}
}

func challengeOf(t *testing.T, r result) []byte {
	t.Helper()
	s, _ := r.json(t)["challenge"].(string)
	ch, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(ch) < 16 || len(ch) > 64 {
		t.Fatalf("challenge %q: want base64url of 16 to 64 bytes", s)
	}
	return ch
}

// Server-ServerPublicKeyCredentialCreationOptions-Req-1
func TestConformanceMakeCredentialRequest(t *testing.T) {
	f := newFIDO(t)
	t.Run("Req-1 P-1 options structure", func(t *testing.T) {
		r := f.attestationOptions(map[string]any{"username": "johndoe@example.com", "displayName": "John Doe", "attestation": "direct",
			"authenticatorSelection": map[string]any{"requireResidentKey": false, "authenticatorAttachment": "cross-platform", "userVerification": "preferred"},
			"extensions":             map[string]any{"example.extension": true}})
		expectOK(t, r)
		m := r.json(t)
		challengeOf(t, r)
		uid, err := base64.RawURLEncoding.DecodeString(field(m, "user", "id").(string))
		if err != nil || len(uid) == 0 || len(uid) > 64 {
			t.Fatalf("user.id %v", field(m, "user", "id"))
		}
		if field(m, "rp", "name") != "passkeyd test" || field(m, "rp", "id") != "localhost" || field(m, "user", "name") != "johndoe@example.com" ||
			field(m, "user", "displayName") != "John Doe" || m["attestation"] != "direct" ||
			field(m, "authenticatorSelection", "authenticatorAttachment") != "cross-platform" ||
			field(m, "authenticatorSelection", "userVerification") != "preferred" || field(m, "authenticatorSelection", "requireResidentKey") != false {
			t.Fatalf("options do not reflect the request: %s", r.body)
		}
		if to, _ := m["timeout"].(float64); to <= 0 {
			t.Fatalf("timeout %v", m["timeout"])
		}
		ps, _ := m["pubKeyCredParams"].([]any)
		if len(ps) != 11 {
			t.Fatalf("pubKeyCredParams %v: want every algorithm the tools use", m["pubKeyCredParams"])
		}
		for _, p := range ps {
			if p, _ := p.(map[string]any); p["type"] != "public-key" || p["alg"] == nil {
				t.Fatalf("pubKeyCredParams member %v", p)
			}
		}
		if field(m, "extensions", "example.extension") != true {
			t.Fatalf("(h) extensions not echoed: %s", r.body)
		}
	})
	t.Run("Req-1 P-2 attestation none", func(t *testing.T) {
		r := f.attestationOptions(map[string]any{"username": "none", "displayName": "None", "attestation": "none"})
		expectOK(t, r)
		if a := r.json(t)["attestation"]; a != "none" {
			t.Fatalf("attestation %v", a)
		}
	})
	t.Run("Req-1 P-3 two challenges differ", func(t *testing.T) {
		body := map[string]any{"username": "twice", "displayName": "Twice"}
		if string(challengeOf(t, f.attestationOptions(body))) == string(challengeOf(t, f.attestationOptions(body))) {
			t.Fatal("the same challenge twice")
		}
	})
	t.Run("extra: missing username", func(t *testing.T) {
		expectFailed(t, f.attestationOptions(map[string]any{"displayName": "No Name"}))
	})
	t.Run("extra: bad attestation value", func(t *testing.T) {
		expectFailed(t, f.attestationOptions(map[string]any{"username": "bad", "displayName": "x", "attestation": "all"}))
	})
}

// The challenge is bound to the caller's cookie: another client cannot finish it.
func TestConformanceBindsChallengeToCookie(t *testing.T) {
	f := newFIDO(t)
	a := newAuthenticator(t, softauthn.Options{})
	opts := f.attestationOptions(map[string]any{"username": "bound", "displayName": "B"})
	expectOK(t, opts)
	cred, err := a.Register(opts.body)
	if err != nil {
		t.Fatal(err)
	}
	other := f.e.browser()
	// Without a binding cookie at all: refused before the challenge is looked at.
	expectFailed(t, other.post("/attestation/result", serverCredential(t, cred, nil)))
	// With a binding of its own (from options it asked for): refused.
	expectOK(t, other.post("/attestation/options", map[string]any{"username": "someone", "displayName": "S"}))
	expectFailed(t, other.post("/attestation/result", serverCredential(t, cred, nil)))
	// The failed attempt consumed the challenge: the right client cannot use it either.
	expectFailed(t, f.c.post("/attestation/result", serverCredential(t, cred, nil)))
	// Nor can the passkeyd API.
	opts = f.attestationOptions(map[string]any{"username": "bound2", "displayName": "B"})
	cred, _ = a.Register(opts.body)
	expectStatus(t, f.c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)}), 400)
}

// Server-ServerPublicKeyCredentialGetOptionsResponse-Req-1 and
// Server-ServerAuthenticatorAssertionResponse-Resp-1 to -3
func TestConformanceGetAssertion(t *testing.T) {
	f := newFIDO(t)
	a := newAuthenticator(t, softauthn.Options{})
	expectOK(t, f.register(a, "alice", "preferred", softauthn.Tamper{}, nil))
	zero := newAuthenticator(t, softauthn.Options{ZeroCounter: true})
	expectOK(t, f.register(zero, "zero", "preferred", softauthn.Tamper{}, nil))

	t.Run("Req-1 P-1 options structure", func(t *testing.T) {
		r := f.c.post("/assertion/options", map[string]any{"username": "alice", "userVerification": "required",
			"extensions": map[string]any{"example.extension": "a test string"}})
		expectOK(t, r)
		m := r.json(t)
		challengeOf(t, r)
		if to, _ := m["timeout"].(float64); to <= 0 || m["rpId"] != "localhost" || m["userVerification"] != "required" {
			t.Fatalf("options %s", r.body)
		}
		if field(m, "extensions", "example.extension") != "a test string" {
			t.Fatalf("(d) extensions not echoed: %s", r.body)
		}
		ac, _ := m["allowCredentials"].([]any)
		if len(ac) != 1 || field(ac[0].(map[string]any), "type") != "public-key" ||
			field(ac[0].(map[string]any), "id") != b64(a.Credentials()[0].ID) {
			t.Fatalf("(f) allowCredentials %s", r.body)
		}
	})
	t.Run("Req-1 P-2 two challenges differ", func(t *testing.T) {
		body := map[string]any{"username": "alice"}
		if string(challengeOf(t, f.c.post("/assertion/options", body))) == string(challengeOf(t, f.c.post("/assertion/options", body))) {
			t.Fatal("the same challenge twice")
		}
	})
	t.Run("extra: user does not exist", func(t *testing.T) {
		expectFailed(t, f.c.post("/assertion/options", map[string]any{"username": "nobody"}))
	})

	// A different but equivalent clientDataJSON (trailing white space): the signature,
	// made over the original's hash, cannot verify.
	otherHash := inResponse(func(m map[string]any) {
		cd, _ := base64.RawURLEncoding.DecodeString(m["clientDataJSON"].(string))
		m["clientDataJSON"] = b64(append(cd, ' '))
	})
	count := uint32(0)
	none := softauthn.Tamper{}
	for _, tc := range []struct {
		name string
		a    *softauthn.Authenticator
		user string
		uv   string
		tmp  softauthn.Tamper
		edit func(map[string]any)
		ok   bool
	}{
		{"Resp-1 P-1 valid", a, "alice", "preferred", none, nil, true},
		{"Resp-1 F-1 id missing", a, "alice", "preferred", none, del("id"), false},
		{"Resp-1 F-2 id not a string", a, "alice", "preferred", none, set("id", 42), false},
		{"Resp-1 F-3 id not base64url", a, "alice", "preferred", none, set("id", "!!"), false},
		{"Resp-1 F-4 type missing", a, "alice", "preferred", none, del("type"), false},
		{"Resp-1 F-5 type not a string", a, "alice", "preferred", none, set("type", 1), false},
		{"Resp-1 F-6 type not public-key", a, "alice", "preferred", none, set("type", "password"), false},
		{"Resp-1 F-7 response missing", a, "alice", "preferred", none, del("response"), false},
		{"Resp-1 F-8 response not an object", a, "alice", "preferred", none, set("response", "x"), false},
		{"Resp-1 F-9 clientDataJSON missing", a, "alice", "preferred", none, inResponse(del("clientDataJSON")), false},
		{"Resp-1 F-10 clientDataJSON not a string", a, "alice", "preferred", none, inResponse(set("clientDataJSON", 7)), false},
		{"Resp-1 F-11 clientDataJSON empty", a, "alice", "preferred", none, inResponse(set("clientDataJSON", "")), false},
		{"Resp-1 F-12 authenticatorData missing", a, "alice", "preferred", none, inResponse(del("authenticatorData")), false},
		{"Resp-1 F-13 authenticatorData not a string", a, "alice", "preferred", none, inResponse(set("authenticatorData", true)), false},
		{"Resp-1 F-14 authenticatorData not base64url", a, "alice", "preferred", none, inResponse(set("authenticatorData", "!!!!")), false},
		{"Resp-1 F-15 authenticatorData empty", a, "alice", "preferred", none, inResponse(set("authenticatorData", "")), false},
		{"Resp-1 F-16 signature missing", a, "alice", "preferred", none, inResponse(del("signature")), false},
		{"Resp-1 F-17 signature not a string", a, "alice", "preferred", none, inResponse(set("signature", 3)), false},
		{"Resp-1 F-18 signature not base64url", a, "alice", "preferred", none, inResponse(set("signature", "!!!!")), false},
		{"Resp-1 F-19 signature empty", a, "alice", "preferred", none, inResponse(set("signature", "")), false},
		{"Resp-1 F-20 signature does not verify", a, "alice", "preferred", softauthn.Tamper{CorruptSignature: true}, nil, false},
		{"Resp-1 F-21 userHandle not a string", a, "alice", "preferred", none, inResponse(set("userHandle", 5)), false},
		{"extra: Resp-1 empty userHandle", a, "alice", "preferred", none, inResponse(set("userHandle", "")), true},
		{"extra: Resp-1 userHandle of another user", a, "alice", "preferred", softauthn.Tamper{UserHandle: []byte("someone else")}, nil, false},

		{"Resp-2 F-1 type missing", a, "alice", "preferred", clientData(del("type")), nil, false},
		{"Resp-2 F-2 type not a string", a, "alice", "preferred", clientData(set("type", 1)), nil, false},
		{"Resp-2 F-3 type empty", a, "alice", "preferred", clientData(set("type", "")), nil, false},
		{"Resp-2 F-4 type not webauthn.get", a, "alice", "preferred", softauthn.Tamper{Type: "webauthn.something"}, nil, false},
		{"Resp-2 F-5 type webauthn.create", a, "alice", "preferred", softauthn.Tamper{Type: "webauthn.create"}, nil, false},
		{"Resp-2 F-6 challenge missing", a, "alice", "preferred", clientData(del("challenge")), nil, false},
		{"Resp-2 F-7 challenge not a string", a, "alice", "preferred", clientData(set("challenge", 12)), nil, false},
		{"Resp-2 F-8 challenge empty", a, "alice", "preferred", clientData(set("challenge", "")), nil, false},
		{"Resp-2 F-9 challenge not base64url", a, "alice", "preferred", clientData(set("challenge", "!!not base64!!")), nil, false},
		{"Resp-2 F-10 challenge not the request's", a, "alice", "preferred", softauthn.Tamper{Challenge: make([]byte, 32)}, nil, false},
		{"Resp-2 F-11 origin missing", a, "alice", "preferred", clientData(del("origin")), nil, false},
		{"Resp-2 F-12 origin not a string", a, "alice", "preferred", clientData(set("origin", 1)), nil, false},
		{"Resp-2 F-13 origin empty", a, "alice", "preferred", clientData(set("origin", "")), nil, false},
		{"Resp-2 F-14 origin not the RP's", a, "alice", "preferred", softauthn.Tamper{Origin: "https://evil.example"}, nil, false},
		{"Resp-2 F-15 tokenBinding not an object", a, "alice", "preferred", clientData(set("tokenBinding", "present")), nil, false},
		{"Resp-2 F-16 tokenBinding without status", a, "alice", "preferred", clientData(set("tokenBinding", map[string]any{})), nil, false},
		{"Resp-2 F-17 tokenBinding.status invalid", a, "alice", "preferred", clientData(set("tokenBinding", map[string]any{"status": "bound"})), nil, false},
		{"extra: Resp-2 tokenBinding present without id", a, "alice", "preferred", clientData(set("tokenBinding", map[string]any{"status": "present"})), nil, false},
		{"extra: Resp-2 tokenBinding present on a connection without token binding", a, "alice", "preferred", clientData(set("tokenBinding", map[string]any{"status": "present", "id": "AAAA"})), nil, false},
		{"extra: Resp-2 tokenBinding supported", a, "alice", "preferred", clientData(set("tokenBinding", map[string]any{"status": "supported"})), nil, true},
		{"extra: Resp-2 tokenBinding not-supported", a, "alice", "preferred", clientData(set("tokenBinding", map[string]any{"status": "not-supported"})), nil, true},

		{"Resp-3 P-1 counter always 0", zero, "zero", "preferred", none, nil, true},
		{"Resp-3 P-1 counter always 0, again", zero, "zero", "preferred", none, nil, true},
		{"Resp-3 P-2 UV set (UP clear), required", a, "alice", "required", softauthn.Tamper{ClearUP: true}, nil, true},
		{"Resp-3 P-3 UV and UP set, required", a, "alice", "required", authData(flags(softauthn.FlagUV|softauthn.FlagUP, 0)), nil, true},
		{"Resp-3 P-4 UV and UP clear, preferred", a, "alice", "preferred", softauthn.Tamper{ClearUP: true, ClearUV: true}, nil, true},
		{"Resp-3 P-5 UP set, discouraged", a, "alice", "discouraged", softauthn.Tamper{ClearUV: true}, nil, true},
		{"Resp-3 P-6 UV set, discouraged", a, "alice", "discouraged", softauthn.Tamper{ClearUP: true}, nil, true},
		{"Resp-3 P-7 UV and UP clear, discouraged", a, "alice", "discouraged", softauthn.Tamper{ClearUP: true, ClearUV: true}, nil, true},
		{"Resp-3 P-8 extension data with ED", a, "alice", "preferred", authData(withExtensions), nil, true},
		{"Resp-3 F-1 leftover bytes", a, "alice", "preferred", authData(func(ad []byte) []byte { return append(ad, 0x01, 0x02) }), nil, false},
		{"Resp-3 F-2 rpIdHash not the RP's", a, "alice", "preferred", softauthn.Tamper{RPID: "example.com"}, nil, false},
		{"Resp-3 F-3 signature over another clientDataHash", a, "alice", "preferred", none, otherHash, false},
		{"Resp-3 F-4 counter not increased", a, "alice", "preferred", softauthn.Tamper{SignCount: &count}, nil, false},
		{"Resp-3 F-5 only UP set, required", a, "alice", "required", softauthn.Tamper{ClearUV: true}, nil, false},
		{"extra: Resp-3 ED set without extension data", a, "alice", "preferred", authData(flags(softauthn.FlagED, 0)), nil, false},
		{"extra: Resp-3 authenticatorData truncated", a, "alice", "preferred", authData(func(ad []byte) []byte { return ad[:36] }), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.login(tc.a, tc.user, tc.uv, tc.tmp, tc.edit)
			if tc.ok {
				expectOK(t, r)
			} else {
				expectFailed(t, r)
			}
		})
	}
}
