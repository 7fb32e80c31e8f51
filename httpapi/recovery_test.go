package httpapi_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
)

func codesOf(t *testing.T, m map[string]any) []string {
	t.Helper()
	raw, ok := m["recoveryCodes"].([]any)
	if !ok {
		t.Fatalf("no recoveryCodes in %v", m)
	}
	var out []string
	for _, c := range raw {
		out = append(out, c.(string))
	}
	return out
}

func TestRecoveryCodes(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	signup := c.signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	codes := codesOf(t, signup)
	if len(codes) != 10 || len(codes[0]) != 19 {
		t.Fatalf("codes %v: want ten XXXX-XXXX-XXXX-XXXX", codes)
	}
	seen := map[string]bool{}
	for _, code := range codes {
		if seen[code] {
			t.Fatal("duplicate recovery code")
		}
		seen[code] = true
	}
	// Sign in with one: session method recovery_code, cookie set.
	r := e.browser().post("/api/v1/recovery/login", map[string]string{"username": "ALICE", "code": strings.ToLower(codes[0])})
	expectStatus(t, r, 200)
	if field(r.json(t), "session", "method") != "recovery_code" || cookieOf(r) == nil || field(r.json(t), "user", "username") != "alice" {
		t.Fatalf("recovery login: %s", r.body)
	}
	// Used up; wrong codes and unknown users look the same.
	before := e.counts()
	for _, body := range []map[string]string{
		{"username": "alice", "code": codes[0]},
		{"username": "alice", "code": "AAAA-BBBB-CCCC-DDDD"},
		{"username": "nobody", "code": codes[1]},
	} {
		expectProblem(t, e.browser().post("/api/v1/recovery/login", body), 401, passkeyd.CodeInvalidCredentials)
	}
	expectProblem(t, e.browser().post("/api/v1/recovery/login", map[string]string{"username": "alice"}), 400, passkeyd.CodeInvalidRequest)
	if e.counts() != before {
		t.Fatal("refused recovery logins changed the store")
	}
	// Regenerate: old codes stop working, new ones work.
	fresh := codesOf(t, c.post("/api/v1/recovery-codes", map[string]any{}).json(t))
	expectProblem(t, e.browser().post("/api/v1/recovery/login", map[string]string{"username": "alice", "code": codes[1]}), 401, passkeyd.CodeInvalidCredentials)
	expectStatus(t, e.browser().post("/api/v1/recovery/login", map[string]string{"username": "alice", "code": fresh[0]}), 200)
	expectProblem(t, e.app().post("/api/v1/recovery-codes", map[string]any{}), 401, passkeyd.CodeUnauthenticated)

	// Concurrent use of one code: one session at most.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := e.browser().post("/api/v1/recovery/login", map[string]string{"username": "alice", "code": fresh[1]}).status
			mu.Lock()
			if st == 200 {
				ok++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d concurrent logins with one recovery code succeeded, want 1", ok)
	}
}

func TestRecoveryCodesDisabled(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.noRecovery = true })
	c := e.browser()
	signup := c.signUp(newAuthenticator(t, softauthn.Options{}), "alice")
	if _, ok := signup["recoveryCodes"]; ok {
		t.Fatal("recovery codes returned while disabled")
	}
	expectProblem(t, e.browser().post("/api/v1/recovery/login", map[string]string{"username": "alice", "code": "x"}), 404, passkeyd.CodeNotFound)
	expectProblem(t, c.post("/api/v1/recovery-codes", map[string]any{}), 404, passkeyd.CodeNotFound)
}
