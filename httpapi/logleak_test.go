package httpapi_test

import (
	"bytes"
	"encoding/base32"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/softauthn"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestLogsCarryNoSecrets runs every flow, good and bad, with debug logging and checks that
// no log line contains a session token, a challenge, a credential id, a user handle or any
// part of a raw credential.
func TestLogsCarryNoSecrets(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, func(o *envOptions) { o.log = log })
	var secrets []string
	keep := func(s ...string) {
		for _, v := range s {
			if len(v) >= 16 {
				secrets = append(secrets, v)
			}
		}
	}
	collect := func(body []byte) {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, c := range x {
					if codes, ok := c.([]any); ok && k == "recoveryCodes" {
						for _, code := range codes {
							keep(code.(string))
						}
					}
					if _, isUser := x["username"]; isUser && k == "id" {
						continue // opaque user ids are logged on purpose (who did what)
					}
					if s, ok := c.(string); ok && (k == "token" || k == "challenge" || k == "id" || k == "clientDataJSON" || k == "attestationObject" || k == "signature" || k == "userHandle" || k == "authenticatorData") {
						keep(s)
					}
					walk(c)
				}
			case []any:
				for _, c := range x {
					walk(c)
				}
			}
		}
		walk(m)
	}

	a := newAuthenticator(t, softauthn.Options{})
	c := e.browser()
	opts := c.post("/api/v1/registration/options", map[string]string{"username": "alice"})
	collect(opts.body)
	cred, _ := a.Register(opts.body)
	collect(cred)
	r := c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)})
	collect(r.body)
	// A failed and a good login, a second passkey, rename, delete, sign-out.
	lo := c.post("/api/v1/authentication/options", map[string]any{})
	collect(lo.body)
	bad, _ := a.LoginWith(lo.body, softauthn.Tamper{CorruptSignature: true})
	collect(bad)
	c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(bad)})
	lo = c.post("/api/v1/authentication/options", map[string]string{"username": "alice"})
	collect(lo.body)
	good, _ := a.Login(lo.body)
	collect(good)
	collect(c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(good)}).body)
	key := newAuthenticator(t, softauthn.Options{})
	added := c.addPasskey(key, "key")
	collect(added.body)
	id := field(added.json(t), "passkey", "id").(string)
	c.do("PATCH", "/api/v1/passkeys/"+id, map[string]string{"name": "renamed"})
	c.do("DELETE", "/api/v1/passkeys/"+id, nil)
	c.do("DELETE", "/api/v1/session", nil)
	c.do("GET", "/api/v1/session", nil)
	// Password fallback: sign-up, a wrong and a right sign-in, a change.
	const pw1, pw2 = "first secret passphrase", "second secret passphrase"
	keep(pw1, pw2)
	p := e.browser()
	collect(p.post("/api/v1/password/signup", map[string]string{"username": "pat", "password": pw1}).body)
	e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": pw2})
	collect(e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": pw1}).body)
	p.do("PUT", "/api/v1/password", map[string]string{"currentPassword": pw1, "newPassword": pw2})
	// TOTP: the secret, a wrong and a right code, and the second-factor sign-in.
	enrol := p.post("/api/v1/totp", map[string]any{}).json(t)
	secretText := enrol["secret"].(string)
	keep(secretText, enrol["uri"].(string))
	secretBytes, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secretText)
	p.post("/api/v1/totp/confirm", map[string]string{"code": account.TOTPCode(secretBytes, e.clock())})
	mfa := e.browser().post("/api/v1/password/login", map[string]string{"username": "pat", "password": pw2}).json(t)
	token, _ := mfa["mfaToken"].(string)
	keep(token)
	e.advance(30 * time.Second)
	collect(e.browser().post("/api/v1/mfa/verify", map[string]string{"mfaToken": token, "code": account.TOTPCode(secretBytes, e.clock())}).body)

	// The opaque user id is logged on purpose (who did what); it is no credential.
	userID := field(r.json(t), "user", "id").(string)
	kept := secrets[:0]
	for _, v := range secrets {
		if v != userID {
			kept = append(kept, v)
		}
	}
	secrets = kept
	if len(secrets) < 20 {
		t.Fatalf("collected only %d secrets; the test is not looking", len(secrets))
	}
	out := logs.b.String()
	if !strings.Contains(out, `"msg":"request"`) {
		t.Fatal("no access log lines were written")
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("a log line contains %q", s)
		}
	}
}
