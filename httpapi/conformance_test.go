package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/trust"
)

// Tests of the FIDO2 conformance API, one per item of the FIDO server test list that the
// software authenticator can produce (MakeCredential and GetAssertion, request and
// response). Names carry the test list's section and item.

type fido struct {
	t  *testing.T
	e  *env
	c  *client
	ca *softauthn.TestCA // trusted by the server (PASSKEYD_ATTESTATION_ROOTS)
}

func newFIDO(t *testing.T) *fido {
	ca, err := softauthn.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *envOptions) { o.conformance, o.anchors = true, trust.Anchors{Roots: ca.Pool()} })
	return &fido{t: t, e: e, c: e.browser(), ca: ca}
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
	if r.status < 400 || m["status"] != "failed" || m["errorMessage"] == "" {
		t.Fatalf("want status failed with an errorMessage, got %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
}

func TestConformanceOffByDefault(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/attestation/options", "/attestation/result", "/assertion/options", "/assertion/result"} {
		if r := e.browser().post(p, map[string]any{"username": "x"}); r.status != http.StatusNotFound {
			t.Fatalf("%s answered %d without PASSKEYD_FIDO_CONFORMANCE", p, r.status)
		}
	}
}

// Server-ServerPublicKeyCredentialCreationOptions-Req-1
func TestConformanceMakeCredentialRequest(t *testing.T) {
	f := newFIDO(t)
	t.Run("P-1 options structure", func(t *testing.T) {
		r := f.attestationOptions(map[string]any{"username": "johndoe@example.com", "displayName": "John Doe", "attestation": "direct",
			"authenticatorSelection": map[string]any{"requireResidentKey": false, "authenticatorAttachment": "cross-platform", "userVerification": "preferred"}})
		expectOK(t, r)
		m := r.json(t)
		ch, err := base64.RawURLEncoding.DecodeString(m["challenge"].(string))
		if err != nil || len(ch) < 16 || len(ch) > 64 {
			t.Fatalf("challenge %v", m["challenge"])
		}
		uid, err := base64.RawURLEncoding.DecodeString(field(m, "user", "id").(string))
		if err != nil || len(uid) == 0 || len(uid) > 64 {
			t.Fatalf("user.id %v", field(m, "user", "id"))
		}
		if field(m, "rp", "name") != "passkeyd test" || field(m, "user", "name") != "johndoe@example.com" || field(m, "user", "displayName") != "John Doe" ||
			m["attestation"] != "direct" || field(m, "authenticatorSelection", "authenticatorAttachment") != "cross-platform" ||
			field(m, "authenticatorSelection", "userVerification") != "preferred" || field(m, "authenticatorSelection", "requireResidentKey") != false || m["timeout"] == nil {
			t.Fatalf("options do not reflect the request: %s", r.body)
		}
		if ps, _ := m["pubKeyCredParams"].([]any); len(ps) != 11 {
			t.Fatalf("pubKeyCredParams %v: want every algorithm the tools use", m["pubKeyCredParams"])
		}
		if _, ok := m["excludeCredentials"].([]any); !ok {
			t.Fatal("excludeCredentials missing")
		}
	})
	t.Run("P-2 extensions echoed", func(t *testing.T) {
		r := f.attestationOptions(map[string]any{"username": "ext", "displayName": "Ext", "extensions": map[string]any{"example.extension": true}})
		expectOK(t, r)
		if field(r.json(t), "extensions", "example.extension") != true {
			t.Fatalf("extensions not echoed: %s", r.body)
		}
	})
	t.Run("F missing username", func(t *testing.T) {
		expectFailed(t, f.attestationOptions(map[string]any{"displayName": "No Name"}))
	})
	t.Run("F bad attestation value", func(t *testing.T) {
		expectFailed(t, f.attestationOptions(map[string]any{"username": "bad", "displayName": "x", "attestation": "all"}))
	})
	t.Run("excludeCredentials lists the user's credentials", func(t *testing.T) {
		a := newAuthenticator(t, softauthn.Options{})
		expectOK(t, f.register(a, "again", "preferred", softauthn.Tamper{}, nil))
		r := f.attestationOptions(map[string]any{"username": "again", "displayName": "x"})
		if ex, _ := r.json(t)["excludeCredentials"].([]any); len(ex) != 1 {
			t.Fatalf("excludeCredentials %s", r.body)
		}
	})
}

// Server-ServerAuthenticatorAttestationResponse-Resp-1 to -A
func TestConformanceMakeCredentialResponse(t *testing.T) {
	f := newFIDO(t)
	untrusted, _ := softauthn.NewTestCA()
	zero := [16]byte{}
	nonZero := [16]byte{1, 2, 3}
	packed := softauthn.Options{Attestation: softauthn.AttestationPacked, CA: f.ca, Attachment: "cross-platform"}
	for i, tc := range []struct {
		name string
		opts softauthn.Options
		uv   string
		tmp  softauthn.Tamper
		edit func(map[string]any)
		ok   bool
	}{
		{"Resp-1 P-1 valid with getClientExtensionResults", softauthn.Options{}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-1 F-1 id missing", softauthn.Options{}, "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m, "id") }, false},
		{"Resp-1 F-2 id not base64url", softauthn.Options{}, "preferred", softauthn.Tamper{}, func(m map[string]any) { m["id"] = "!!not base64!!" }, false},
		{"Resp-1 F-3 type missing", softauthn.Options{}, "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m, "type") }, false},
		{"Resp-1 F-4 type not public-key", softauthn.Options{}, "preferred", softauthn.Tamper{}, func(m map[string]any) { m["type"] = "password" }, false},
		{"Resp-1 F-5 response missing", softauthn.Options{}, "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m, "response") }, false},
		{"Resp-1 F-6 clientDataJSON missing", softauthn.Options{}, "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m["response"].(map[string]any), "clientDataJSON") }, false},
		{"Resp-1 F-7 attestationObject missing", softauthn.Options{}, "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m["response"].(map[string]any), "attestationObject") }, false},
		{"Resp-2 F-1 clientDataJSON not JSON", softauthn.Options{}, "preferred", softauthn.Tamper{}, func(m map[string]any) { m["response"].(map[string]any)["clientDataJSON"] = b64([]byte("not json")) }, false},
		{"Resp-2 F-2 challenge mismatch", softauthn.Options{}, "preferred", softauthn.Tamper{Challenge: make([]byte, 32)}, nil, false},
		{"Resp-2 F-3 origin mismatch", softauthn.Options{}, "preferred", softauthn.Tamper{Origin: "https://evil.example"}, nil, false},
		{"Resp-2 F-4 type not webauthn.create", softauthn.Options{}, "preferred", softauthn.Tamper{Type: "webauthn.get"}, nil, false},
		{"Resp-3 F-1 attestationObject not CBOR", softauthn.Options{}, "preferred", softauthn.Tamper{}, func(m map[string]any) { m["response"].(map[string]any)["attestationObject"] = b64([]byte{0xff, 0x00}) }, false},
		{"Resp-4 F-1 rpIdHash mismatch", softauthn.Options{}, "preferred", softauthn.Tamper{RPID: "example.com"}, nil, false},
		{"Resp-4 F-2 UP not set", softauthn.Options{}, "preferred", softauthn.Tamper{ClearUP: true}, nil, false},
		{"Resp-4 F-3 UV not set when required", softauthn.Options{}, "required", softauthn.Tamper{ClearUV: true}, nil, false},
		{"Resp-4 P UV not set when preferred", softauthn.Options{NoUserVerification: true}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-1 ES256", softauthn.Options{Algorithm: softauthn.ES256}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-2 ES384", softauthn.Options{Algorithm: softauthn.ES384}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-3 ES512", softauthn.Options{Algorithm: softauthn.ES512}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-4 RS256", softauthn.Options{Algorithm: softauthn.RS256}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-5 RS384", softauthn.Options{Algorithm: softauthn.RS384}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-6 RS512", softauthn.Options{Algorithm: softauthn.RS512}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-7 PS256", softauthn.Options{Algorithm: softauthn.PS256}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-8 PS384", softauthn.Options{Algorithm: softauthn.PS384}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-9 PS512", softauthn.Options{Algorithm: softauthn.PS512}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-10 RS1", softauthn.Options{Algorithm: softauthn.RS1}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 P-11 EdDSA", softauthn.Options{Algorithm: softauthn.EdDSA}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-4 F algorithm not offered", softauthn.Options{}, "preferred", softauthn.Tamper{Algorithm: -260}, nil, false},
		{"Resp-5 P-1 packed self attestation", softauthn.Options{Attestation: softauthn.AttestationPackedSelf}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-5 P-1 packed self attestation RS256", softauthn.Options{Attestation: softauthn.AttestationPackedSelf, Algorithm: softauthn.RS256}, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-5 P-2 packed full attestation to a trusted root", packed, "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-5 F packed full attestation to an untrusted root", softauthn.Options{Attestation: softauthn.AttestationPacked, CA: untrusted}, "preferred", softauthn.Tamper{}, nil, false},
		{"Resp-5 F packed self attestation with a bad signature", softauthn.Options{Attestation: softauthn.AttestationPackedSelf}, "preferred", softauthn.Tamper{CorruptAttestation: true}, nil, false},
		{"Resp-5 F packed full attestation with a bad signature", packed, "preferred", softauthn.Tamper{CorruptAttestation: true}, nil, false},
		{"Resp-9 P-1 fido-u2f to a trusted root", softauthn.Options{Attestation: softauthn.AttestationFIDOU2F, CA: f.ca, NoUserVerification: true}, "discouraged", softauthn.Tamper{AAGUID: &zero}, nil, true},
		{"Resp-9 F fido-u2f with a non-zero AAGUID", softauthn.Options{Attestation: softauthn.AttestationFIDOU2F, CA: f.ca, NoUserVerification: true}, "discouraged", softauthn.Tamper{AAGUID: &nonZero}, nil, false},
		{"Resp-9 F fido-u2f with a bad signature", softauthn.Options{Attestation: softauthn.AttestationFIDOU2F, CA: f.ca, NoUserVerification: true}, "discouraged", softauthn.Tamper{CorruptAttestation: true}, nil, false},
		{"Resp-9 F fido-u2f to an untrusted root", softauthn.Options{Attestation: softauthn.AttestationFIDOU2F, CA: untrusted, NoUserVerification: true}, "discouraged", softauthn.Tamper{}, nil, false},
		{"Resp-A P-1 none", softauthn.Options{Attestation: softauthn.AttestationNone}, "preferred", softauthn.Tamper{}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthenticator(t, tc.opts)
			r := f.register(a, "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), tc.uv, tc.tmp, tc.edit)
			if tc.ok {
				expectOK(t, r)
			} else {
				expectFailed(t, r)
			}
		})
	}
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

// Server-ServerPublicKeyCredentialGetOptionsRequest-Req-1 and
// Server-ServerAuthenticatorAssertionResponse-Resp-1 to -3
func TestConformanceGetAssertion(t *testing.T) {
	f := newFIDO(t)
	a := newAuthenticator(t, softauthn.Options{})
	expectOK(t, f.register(a, "alice", "preferred", softauthn.Tamper{}, nil))

	t.Run("Req-1 P-1 options structure", func(t *testing.T) {
		r := f.c.post("/assertion/options", map[string]any{"username": "alice", "userVerification": "required"})
		expectOK(t, r)
		m := r.json(t)
		ch, err := base64.RawURLEncoding.DecodeString(m["challenge"].(string))
		if err != nil || len(ch) < 16 || len(ch) > 64 || m["rpId"] != "localhost" || m["userVerification"] != "required" || m["timeout"] == nil {
			t.Fatalf("options %s", r.body)
		}
		if ac, _ := m["allowCredentials"].([]any); len(ac) != 1 || field(ac[0].(map[string]any), "type") != "public-key" {
			t.Fatalf("allowCredentials %s", r.body)
		}
	})
	t.Run("Req-1 P-2 extensions echoed", func(t *testing.T) {
		r := f.c.post("/assertion/options", map[string]any{"username": "alice", "extensions": map[string]any{"example.extension": "x"}})
		expectOK(t, r)
		if field(r.json(t), "extensions", "example.extension") != "x" {
			t.Fatalf("extensions not echoed: %s", r.body)
		}
	})
	t.Run("Req-1 F user does not exist", func(t *testing.T) {
		expectFailed(t, f.c.post("/assertion/options", map[string]any{"username": "nobody"}))
	})

	count := uint32(0)
	for _, tc := range []struct {
		name string
		uv   string
		tmp  softauthn.Tamper
		edit func(map[string]any)
		ok   bool
	}{
		{"Resp-1 P-1 valid", "preferred", softauthn.Tamper{}, nil, true},
		{"Resp-1 F-1 id missing", "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m, "id") }, false},
		{"Resp-1 F-2 id not base64url", "preferred", softauthn.Tamper{}, func(m map[string]any) { m["id"] = "!!" }, false},
		{"Resp-1 F-3 type missing", "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m, "type") }, false},
		{"Resp-1 F-4 type not public-key", "preferred", softauthn.Tamper{}, func(m map[string]any) { m["type"] = "password" }, false},
		{"Resp-1 F-5 response missing", "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m, "response") }, false},
		{"Resp-1 F-6 authenticatorData missing", "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m["response"].(map[string]any), "authenticatorData") }, false},
		{"Resp-1 F-7 signature missing", "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m["response"].(map[string]any), "signature") }, false},
		{"Resp-1 F-8 clientDataJSON missing", "preferred", softauthn.Tamper{}, func(m map[string]any) { delete(m["response"].(map[string]any), "clientDataJSON") }, false},
		{"Resp-1 P empty userHandle", "preferred", softauthn.Tamper{}, func(m map[string]any) { m["response"].(map[string]any)["userHandle"] = "" }, true},
		{"Resp-1 F userHandle of another user", "preferred", softauthn.Tamper{UserHandle: []byte("someone else")}, nil, false},
		{"Resp-2 F-1 challenge mismatch", "preferred", softauthn.Tamper{Challenge: make([]byte, 32)}, nil, false},
		{"Resp-2 F-2 origin mismatch", "preferred", softauthn.Tamper{Origin: "https://evil.example"}, nil, false},
		{"Resp-2 F-3 type not webauthn.get", "preferred", softauthn.Tamper{Type: "webauthn.create"}, nil, false},
		{"Resp-3 P-1 UV set when required", "required", softauthn.Tamper{}, nil, true},
		{"Resp-3 P-2 UP and UV not set when discouraged", "discouraged", softauthn.Tamper{ClearUP: true, ClearUV: true}, nil, true},
		{"Resp-3 P-3 UV not set when preferred", "preferred", softauthn.Tamper{ClearUV: true}, nil, true},
		{"Resp-3 F-1 rpIdHash mismatch", "preferred", softauthn.Tamper{RPID: "example.com"}, nil, false},
		{"Resp-3 F-2 UV not set when required", "required", softauthn.Tamper{ClearUV: true}, nil, false},
		{"Resp-3 F-3 UP not set when preferred", "preferred", softauthn.Tamper{ClearUP: true}, nil, false},
		{"Resp-3 F-4 counter not increased", "preferred", softauthn.Tamper{SignCount: &count}, nil, false},
		{"Resp-3 F-5 bad signature", "preferred", softauthn.Tamper{CorruptSignature: true}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.login(a, "alice", tc.uv, tc.tmp, tc.edit)
			if tc.ok {
				expectOK(t, r)
			} else {
				expectFailed(t, r)
			}
		})
	}
}
