package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
)

func TestSignUp(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	opts := c.post("/api/v1/registration/options", map[string]string{"username": "alice", "displayName": "Alice A."})
	expectStatus(t, opts, 200)
	pk := opts.json(t)["publicKey"].(map[string]any)
	if field(pk, "rp", "id") != "localhost" || field(pk, "user", "name") != "alice" || field(pk, "user", "displayName") != "Alice A." {
		t.Fatalf("rp/user: %s", opts.body)
	}
	handle, _ := field(pk, "user", "id").(string)
	if len(handle) != 43 || strings.ContainsAny(handle, "=+/") {
		t.Fatalf("user handle %q is not 32 bytes of unpadded base64url", handle)
	}
	if ch, _ := pk["challenge"].(string); len(ch) != 43 {
		t.Fatalf("challenge %q is not 32 bytes", ch)
	}
	var algs []float64
	for _, p := range pk["pubKeyCredParams"].([]any) {
		algs = append(algs, p.(map[string]any)["alg"].(float64))
	}
	if len(algs) != 3 || algs[0] != -7 || algs[1] != -8 || algs[2] != -257 {
		t.Fatalf("pubKeyCredParams %v", algs)
	}
	if field(pk, "authenticatorSelection", "residentKey") != "required" || field(pk, "authenticatorSelection", "requireResidentKey") != true ||
		field(pk, "attestation") != "none" || field(pk, "extensions", "credProps") != true || pk["timeout"] != float64(300000) {
		t.Fatalf("policy fields: %s", opts.body)
	}
	if ex, ok := pk["excludeCredentials"].([]any); !ok || len(ex) != 0 {
		t.Fatalf("excludeCredentials %v", pk["excludeCredentials"])
	}
	if _, ok := pk["hints"]; ok {
		t.Fatal("hints without an attachment")
	}

	a := newAuthenticator(t, softauthn.Options{BackupEligible: true, BackedUp: true, AAGUID: [16]byte{0xfb, 0xfc, 0x30, 0x07, 0x15, 0x4e, 0x4e, 0xcc, 0x8c, 0x0b, 0x6e, 0x02, 0x05, 0x57, 0xd7, 0xbd}})
	cred, err := a.Register(opts.body)
	if err != nil {
		t.Fatal(err)
	}
	r := c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred), "name": "  My phone  "})
	expectStatus(t, r, 201)
	m := r.json(t)
	if field(m, "user", "username") != "alice" || field(m, "user", "displayName") != "Alice A." || field(m, "user", "id") == "" {
		t.Fatalf("user: %s", r.body)
	}
	p := m["passkey"].(map[string]any)
	want := map[string]any{
		"name": "My phone", "aaguid": "fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "provider": "Apple Passwords",
		"deviceType": "platform", "backupEligible": true, "backedUp": true, "discoverable": true,
		"userVerified": true, "attestationFormat": "none", "lastUsedAt": nil,
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("passkey.%s = %v, want %v", k, p[k], v)
		}
	}
	if p["id"] != softauthnID(a) || p["createdAt"] == "" {
		t.Errorf("passkey id/createdAt: %s", r.body)
	}
	s := m["session"].(map[string]any)
	if s["method"] != "passkey" || s["token"] == "" || s["id"] == "" || s["expiresAt"] == "" || s["authenticatedAt"] == "" {
		t.Fatalf("session: %s", r.body)
	}
	ck := cookieOf(r)
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Value != s["token"] {
		t.Fatalf("session cookie %+v", ck)
	}
	// The cookie and the token both work.
	who := c.do("GET", "/api/v1/session", nil)
	expectStatus(t, who, 200)
	if field(who.json(t), "user", "username") != "alice" || field(who.json(t), "session", "token") != nil {
		t.Fatalf("GET session: %s", who.body)
	}
	app := e.app()
	app.bearer = s["token"].(string)
	expectStatus(t, app.do("GET", "/api/v1/session", nil), 200)
	if got := e.counts(); got != [3]int{1, 1, 1} {
		t.Fatalf("store holds %v, want 1 user, 1 passkey, 1 session", got)
	}
}

func softauthnID(a *softauthn.Authenticator) string {
	creds := a.Credentials()
	return b64(creds[len(creds)-1].ID)
}

func cookieOf(r result) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "passkeyd_session" {
			return c
		}
	}
	return nil
}

func TestSignUpOptionsRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	c.signUp(newAuthenticator(t, softauthn.Options{}), "Alice")
	before := e.counts()
	cases := []struct {
		name   string
		body   any
		status int
		code   passkeyd.Code
	}{
		{"taken", map[string]string{"username": "Alice"}, 409, passkeyd.CodeUsernameTaken},
		{"taken case-folded", map[string]string{"username": "ALICE"}, 409, passkeyd.CodeUsernameTaken},
		{"taken after NFKC", map[string]string{"username": "Ａｌｉｃｅ"}, 409, passkeyd.CodeUsernameTaken},
		{"too short", map[string]string{"username": "ab"}, 400, passkeyd.CodeInvalidRequest},
		{"too long", map[string]string{"username": strings.Repeat("a", 65)}, 400, passkeyd.CodeInvalidRequest},
		{"space", map[string]string{"username": "al ice"}, 400, passkeyd.CodeInvalidRequest},
		{"control", map[string]string{"username": "ali\u0007ce"}, 400, passkeyd.CodeInvalidRequest},
		{"missing", map[string]string{}, 400, passkeyd.CodeInvalidRequest},
		{"wrong type", `{"username": 12}`, 400, passkeyd.CodeInvalidRequest},
		{"not an object", `["alice"]`, 400, passkeyd.CodeInvalidRequest},
		{"malformed", `{"username": "bob"`, 400, passkeyd.CodeInvalidRequest},
		{"trailing data", `{"username": "bob"} {}`, 400, passkeyd.CodeInvalidRequest},
		{"bad attachment", map[string]string{"username": "bob", "authenticatorAttachment": "usb"}, 400, passkeyd.CodeInvalidRequest},
		{"display name control", map[string]string{"username": "bob", "displayName": "B\x00b"}, 400, passkeyd.CodeInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, e.browser().post("/api/v1/registration/options", tc.body), tc.status, tc.code)
			if e.counts() != before {
				t.Fatal("a refused request changed the store")
			}
		})
	}
}

func TestAttachmentProfiles(t *testing.T) {
	e := newEnv(t)
	for att, hint := range map[string]string{"platform": "client-device", "cross-platform": "security-key"} {
		r := e.browser().post("/api/v1/registration/options", map[string]string{"username": "carol", "authenticatorAttachment": att})
		expectStatus(t, r, 200)
		pk := r.json(t)["publicKey"].(map[string]any)
		if field(pk, "authenticatorSelection", "authenticatorAttachment") != att {
			t.Errorf("%s: attachment %v", att, field(pk, "authenticatorSelection", "authenticatorAttachment"))
		}
		if h := pk["hints"].([]any); len(h) != 1 || h[0] != hint {
			t.Errorf("%s: hints %v", att, h)
		}
	}
	// The platform profile requires user verification: an authenticator without it fails.
	r := e.browser().post("/api/v1/registration/options", map[string]string{"username": "carol", "authenticatorAttachment": "platform"})
	cred, _ := newAuthenticator(t, softauthn.Options{NoUserVerification: true}).Register(r.body)
	before := e.counts()
	expectProblem(t, e.browser().post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeUserVerificationRequired)
	if e.counts() != before {
		t.Fatal("failed sign-up stored something")
	}
}

// TestRegistrationVerifyRefusals covers every §7.1 refusal: each answers its code and
// leaves no account, passkey or session behind.
func TestRegistrationVerifyRefusals(t *testing.T) {
	long := make([]byte, 1024)
	cases := []struct {
		name   string
		opts   softauthn.Options
		tamper softauthn.Tamper
		status int
		code   passkeyd.Code
	}{
		{"challenge never issued", softauthn.Options{}, softauthn.Tamper{Challenge: []byte("not issued by this server........")}, 400, passkeyd.CodeChallengeUnknown},
		{"ceremony type", softauthn.Options{}, softauthn.Tamper{Type: "webauthn.get"}, 400, passkeyd.CodeCeremonyTypeMismatch},
		{"origin", softauthn.Options{}, softauthn.Tamper{Origin: "https://evil.example"}, 400, passkeyd.CodeOriginMismatch},
		{"origin port", softauthn.Options{}, softauthn.Tamper{Origin: "http://localhost:8081"}, 400, passkeyd.CodeOriginMismatch},
		{"top origin", softauthn.Options{}, softauthn.Tamper{TopOrigin: "https://evil.example"}, 400, passkeyd.CodeOriginMismatch},
		{"cross origin", softauthn.Options{}, softauthn.Tamper{CrossOrigin: true}, 400, passkeyd.CodeOriginMismatch},
		{"rp id hash", softauthn.Options{}, softauthn.Tamper{RPID: "example.com"}, 400, passkeyd.CodeRPIDMismatch},
		{"user presence", softauthn.Options{}, softauthn.Tamper{ClearUP: true}, 400, passkeyd.CodeUserPresenceRequired},
		{"BS without BE", softauthn.Options{}, softauthn.Tamper{SetBS: true}, 400, passkeyd.CodeFlagsInvalid},
		{"algorithm", softauthn.Options{}, softauthn.Tamper{Algorithm: -36}, 400, passkeyd.CodeAlgorithmNotAllowed},
		{"attestation signature", softauthn.Options{Attestation: softauthn.AttestationPackedSelf}, softauthn.Tamper{CorruptAttestation: true}, 400, passkeyd.CodeAttestationInvalid},
		{"attestation x5c signature", softauthn.Options{Attestation: softauthn.AttestationPacked}, softauthn.Tamper{CorruptAttestation: true}, 400, passkeyd.CodeAttestationInvalid},
		{"fido-u2f signature", softauthn.Options{Attestation: softauthn.AttestationFIDOU2F}, softauthn.Tamper{CorruptAttestation: true}, 400, passkeyd.CodeAttestationInvalid},
		{"credential id over 1023 bytes", softauthn.Options{}, softauthn.Tamper{CredentialID: long}, 400, passkeyd.CodeInvalidRequest},
		{"rawId differs from attested id", softauthn.Options{}, softauthn.Tamper{RawID: []byte("another id")}, 400, passkeyd.CodeInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.browser()
			opts := c.post("/api/v1/registration/options", map[string]string{"username": "dave"})
			cred, err := newAuthenticator(t, tc.opts).RegisterWith(opts.body, tc.tamper)
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)}), tc.status, tc.code)
			if got := e.counts(); got != [3]int{} {
				t.Fatalf("a failed sign-up left %v behind", got)
			}
			// The username is still free: nothing half-created.
			c.signUp(newAuthenticator(t, softauthn.Options{}), "dave")
		})
	}
}

func TestRegistrationChallengeIsSingleUse(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	opts := c.post("/api/v1/registration/options", map[string]string{"username": "erin"})
	cred, _ := newAuthenticator(t, softauthn.Options{}).Register(opts.body)
	body := map[string]any{"credential": json.RawMessage(cred)}
	expectStatus(t, c.post("/api/v1/registration/verify", body), 201)
	expectProblem(t, e.browser().post("/api/v1/registration/verify", body), 400, passkeyd.CodeChallengeUnknown)

	// A failed verify consumes the challenge too.
	opts = c.post("/api/v1/registration/options", map[string]string{"username": "frank"})
	a := newAuthenticator(t, softauthn.Options{})
	bad, _ := a.RegisterWith(opts.body, softauthn.Tamper{Origin: "https://evil.example"})
	expectProblem(t, c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(bad)}), 400, passkeyd.CodeOriginMismatch)
	good, _ := newAuthenticator(t, softauthn.Options{}).Register(opts.body)
	expectProblem(t, c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(good)}), 400, passkeyd.CodeChallengeUnknown)
}

func TestRegistrationChallengeExpires(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	opts := c.post("/api/v1/registration/options", map[string]string{"username": "gina"})
	cred, _ := newAuthenticator(t, softauthn.Options{}).Register(opts.body)
	e.advance(5*60e9 + 1)
	expectProblem(t, c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)}), 400, passkeyd.CodeChallengeUnknown)
	if e.counts() != [3]int{} {
		t.Fatal("expired sign-up stored something")
	}
}

func TestConcurrentVerifiesOfOneChallenge(t *testing.T) {
	e := newEnv(t)
	opts := e.browser().post("/api/v1/registration/options", map[string]string{"username": "hank"})
	cred, _ := newAuthenticator(t, softauthn.Options{}).Register(opts.body)
	body, _ := json.Marshal(map[string]any{"credential": json.RawMessage(cred)})
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.browser().post("/api/v1/registration/verify", body).status
		}()
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for s := range statuses {
		if s == 201 {
			ok++
		} else if s != 400 {
			t.Errorf("status %d", s)
		}
	}
	if ok != 1 || e.counts()[1] != 1 {
		t.Fatalf("%d verifies succeeded, want exactly 1", ok)
	}
}

func TestSignUpRaces(t *testing.T) {
	e := newEnv(t)
	// Two sign-ups for one username both get options; the first verify wins.
	c1, c2 := e.browser(), e.browser()
	o1 := c1.post("/api/v1/registration/options", map[string]string{"username": "ivy"})
	o2 := c2.post("/api/v1/registration/options", map[string]string{"username": "IVY"})
	cr1, _ := newAuthenticator(t, softauthn.Options{}).Register(o1.body)
	cr2, _ := newAuthenticator(t, softauthn.Options{}).Register(o2.body)
	expectStatus(t, c1.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cr1)}), 201)
	expectProblem(t, c2.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cr2)}), 409, passkeyd.CodeUsernameTaken)
	if e.counts() != [3]int{1, 1, 1} {
		t.Fatalf("store %v after a lost race", e.counts())
	}

	// A credential id already registered to someone else: 409, and no account for the loser.
	id := []byte("a credential id both will claim")
	oa := e.browser().post("/api/v1/registration/options", map[string]string{"username": "jack"})
	ca, _ := newAuthenticator(t, softauthn.Options{}).RegisterWith(oa.body, softauthn.Tamper{CredentialID: id})
	expectStatus(t, e.browser().post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(ca)}), 201)
	ob := e.browser().post("/api/v1/registration/options", map[string]string{"username": "kate"})
	cb, _ := newAuthenticator(t, softauthn.Options{}).RegisterWith(ob.body, softauthn.Tamper{CredentialID: id})
	before := e.counts()
	expectProblem(t, e.browser().post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cb)}), 409, passkeyd.CodeCredentialExists)
	if e.counts() != before {
		t.Fatal("credential_exists left something behind")
	}
	expectStatus(t, e.browser().post("/api/v1/registration/options", map[string]string{"username": "kate"}), 200)
}

func TestRegistrationVerifyMalformed(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	opts := c.post("/api/v1/registration/options", map[string]string{"username": "liam"})
	cred, _ := newAuthenticator(t, softauthn.Options{}).Register(opts.body)
	var m map[string]any
	_ = json.Unmarshal(cred, &m)
	resp := m["response"].(map[string]any)
	mutate := func(f func(m, resp map[string]any)) json.RawMessage {
		cp := map[string]any{}
		raw, _ := json.Marshal(m)
		_ = json.Unmarshal(raw, &cp)
		f(cp, cp["response"].(map[string]any))
		out, _ := json.Marshal(cp)
		return out
	}
	_ = resp
	cases := map[string]any{
		"no credential":          map[string]any{},
		"null credential":        map[string]any{"credential": nil},
		"credential not object":  map[string]any{"credential": "x"},
		"bad base64":             map[string]any{"credential": mutate(func(m, r map[string]any) { r["attestationObject"] = "!!!" })},
		"not CBOR":               map[string]any{"credential": mutate(func(m, r map[string]any) { r["attestationObject"] = "AAAA" })},
		"clientData not JSON":    map[string]any{"credential": mutate(func(m, r map[string]any) { r["clientDataJSON"] = b64([]byte("nope")) })},
		"missing clientData":     map[string]any{"credential": mutate(func(m, r map[string]any) { delete(r, "clientDataJSON") })},
		"wrong type":             map[string]any{"credential": mutate(func(m, r map[string]any) { m["type"] = "password" })},
		"id not rawId":           map[string]any{"credential": mutate(func(m, r map[string]any) { m["id"] = "AAAA" })},
		"name too long":          map[string]any{"credential": json.RawMessage(cred), "name": strings.Repeat("n", 65)},
		"name with control char": map[string]any{"credential": json.RawMessage(cred), "name": "a\nb"},
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			expectProblem(t, c.post("/api/v1/registration/verify", body), 400, passkeyd.CodeInvalidRequest)
		})
	}
	if e.counts() != [3]int{} {
		t.Fatal("malformed requests stored something")
	}
	// The challenge survived requests refused before it was looked up.
	expectStatus(t, c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)}), 201)
}

func TestLenientBase64InRequests(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	opts := c.post("/api/v1/registration/options", map[string]string{"username": "mia"})
	cred, _ := newAuthenticator(t, softauthn.Options{}).Register(opts.body)
	var m map[string]any
	_ = json.Unmarshal(cred, &m)
	r := m["response"].(map[string]any)
	for _, k := range []string{"clientDataJSON", "attestationObject"} {
		r[k] = toStdPadded(r[k].(string))
	}
	m["rawId"] = toStdPadded(m["rawId"].(string))
	expectStatus(t, c.post("/api/v1/registration/verify", map[string]any{"credential": m}), 201)
}

func TestPayloadTooLarge(t *testing.T) {
	e := newEnv(t)
	big := `{"username":"` + strings.Repeat("a", 70<<10) + `"}`
	expectProblem(t, e.browser().post("/api/v1/registration/options", big), 413, passkeyd.CodePayloadTooLarge)
	expectProblem(t, e.browser().post("/api/v1/authentication/verify", big), 413, passkeyd.CodePayloadTooLarge)
}
