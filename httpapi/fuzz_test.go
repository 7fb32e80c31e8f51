package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/passkeyd/passkeyd/softauthn"
)

// FuzzAPI sends arbitrary bodies to every endpoint that decodes one. Whatever the input,
// the answer is a 2xx or a 4xx problem, never a 5xx or a panic.
func FuzzAPI(f *testing.F) {
	e := newEnv(f)
	a := softauthn.MustNew(softauthn.Options{})
	c := e.browser()
	c.signUp(a, "fuzz")
	opts := c.post("/api/v1/authentication/options", map[string]any{})
	login, _ := a.Login(opts.body)
	ropts := e.browser().post("/api/v1/registration/options", map[string]string{"username": "fuzz2"})
	reg, _ := softauthn.MustNew(softauthn.Options{}).Register(ropts.body)
	wrap := func(cred []byte) []byte {
		out, _ := json.Marshal(map[string]json.RawMessage{"credential": cred})
		return out
	}
	for i := uint8(0); i < 5; i++ {
		f.Add(i, []byte(`{}`))
		f.Add(i, []byte(`{"username":"fuzz"}`))
		f.Add(i, wrap(login))
		f.Add(i, wrap(reg))
		f.Add(i, []byte(`{"name":"x","credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA","authenticatorData":"AA","signature":"AA"}}}`))
	}
	paths := []string{
		"/api/v1/registration/options", "/api/v1/registration/verify",
		"/api/v1/authentication/options", "/api/v1/authentication/verify",
		"/api/v1/passkeys/" + b64(a.Credentials()[0].ID),
	}
	h := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		method := http.MethodPost
		if which%len8(paths) == 4 {
			method = http.MethodPatch
		}
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s answered %d: %s", method, path, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) && rec.Code != http.StatusNoContent {
			t.Fatalf("%s %s answered invalid JSON: %q", method, path, rec.Body)
		}
	})
}

func len8(s []string) uint8 { return uint8(len(s)) }

// FuzzReauth sends arbitrary bodies to the re-authentication endpoint of a live session:
// passkey assertions and passwords alike. The answer is a 2xx or a 4xx problem, never a 5xx
// or a panic, and a refused body never makes the session recent.
func FuzzReauth(f *testing.F) {
	e := newEnv(f)
	a := softauthn.MustNew(softauthn.Options{})
	c := e.browser()
	signup := c.signUp(a, "fuzz")
	token := field(signup, "session", "token").(string)
	opts := c.post("/api/v1/session/reauth/options", map[string]any{})
	cred, _ := a.Login(opts.body)
	good, _ := json.Marshal(map[string]json.RawMessage{"credential": cred})
	f.Add(good)
	f.Add([]byte(`{"password":"a perfectly fine passphrase","code":"123456"}`))
	f.Add([]byte(`{"password":null}`))
	f.Add([]byte(`{"credential":null,"password":""}`))
	f.Add([]byte(`{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}}`))
	e.stale()
	h := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/session/reauth", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("answered %d: %s", rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answered invalid JSON: %q", rec.Body)
		}
		if rec.Code == http.StatusOK && !bytes.Equal(body, good) {
			t.Fatalf("a body other than the one good assertion re-authenticated: %q", body)
		}
	})
}

// FuzzConformance sends arbitrary bodies to the FIDO2 conformance API (switched on): the
// answer is always a JSON envelope with a 2xx or 4xx status, never a 5xx or a panic.
func FuzzConformance(f *testing.F) {
	e := newEnv(f, func(o *envOptions) { o.conformance = true })
	for i := uint8(0); i < 4; i++ {
		f.Add(i, []byte(`{"username":"fuzz","displayName":"Fuzz","attestation":"direct","authenticatorSelection":{"userVerification":"preferred"}}`))
		f.Add(i, []byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA","authenticatorData":"AA","signature":"AA","userHandle":""},"getClientExtensionResults":{}}`))
		f.Add(i, []byte(`{}`))
	}
	paths := []string{"/attestation/options", "/attestation/result", "/assertion/options", "/assertion/result"}
	h := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s answered %d: %s", path, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s answered invalid JSON: %q", path, rec.Body)
		}
	})
}
