package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/postgres/pgtest"
	"github.com/passkeyd/passkeyd/redis/redistest"
	"github.com/passkeyd/passkeyd/softauthn"
)

// TestAttacksAgainstTheBinary tries the attacks of the account-security issue over HTTP
// against the real server, on its defaults (SQLite, limits in process) and on PostgreSQL
// with a real three-node Redis Cluster (challenges, limits and the lockout in Redis). Each
// is refused with the contract's code and changes nothing.
func TestAttacksAgainstTheBinary(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		attack(t, map[string]string{"PASSKEYD_DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "a.db")})
	})
	t.Run("postgres and redis cluster", func(t *testing.T) {
		pg := envOr("PASSKEYD_TEST_POSTGRES_URL", "postgres://127.0.0.1:5432/test?sslmode=disable")
		if err := reachable(pg, envOr("PASSKEYD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")); err != nil {
			if strings.Contains(getenvReal("PASSKEYD_TEST_REQUIRE"), "all") {
				t.Fatal(err)
			}
			t.Skip(err)
		}
		cluster, err := redistest.StartCluster()
		redistest.Need(t, err)
		t.Cleanup(cluster.Close)
		attack(t, map[string]string{"PASSKEYD_DATABASE_URL": pgtest.URL(t), "PASSKEYD_REDIS_URL": cluster.URL})
	})
}

type attacker struct {
	t      *testing.T
	base   string
	hc     *http.Client
	bearer string
	origin string
}

func (a *attacker) do(method, path, contentType string, body []byte) (int, map[string]any, http.Header) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if body == nil {
		req.Body = http.NoBody
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if a.origin != "" {
		req.Header.Set("Origin", a.origin)
	}
	if a.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, resp.Header
}

func (a *attacker) json(method, path string, v any) (int, map[string]any) {
	a.t.Helper()
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	}
	ct := ""
	if v != nil {
		ct = "application/json"
	}
	st, m, _ := a.do(method, path, ct, body)
	return st, m
}

func expectCode(t *testing.T, what string, status int, m map[string]any, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus || m["code"] != wantCode {
		t.Fatalf("%s: %d %v, want %d %s", what, status, m, wantStatus, wantCode)
	}
}

func attack(t *testing.T, extra map[string]string) {
	port := freePort(t)
	origin := fmt.Sprintf("http://localhost:%d", port)
	env := map[string]string{
		"PASSKEYD_ADDR":              fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_REAUTH_WINDOW":     "1s",
		"PASSKEYD_ARGON2_MEMORY_KIB": "8192", "PASSKEYD_ARGON2_TIME": "1",
	}
	for k, v := range extra {
		env[k] = v
	}
	base := serveForTest(t, env)
	jar, _ := cookiejar.New(nil)
	victim := &attacker{t: t, base: base, hc: &http.Client{Jar: jar}, origin: origin}

	// The victim signs up with a passkey.
	auth := softauthn.MustNew(softauthn.Options{Origin: origin})
	st, opts := victim.json("POST", "/api/v1/registration/options", map[string]string{"username": "victim"})
	if st != 200 {
		t.Fatalf("options: %d %v", st, opts)
	}
	raw, _ := json.Marshal(opts)
	cred, err := auth.Register(raw)
	if err != nil {
		t.Fatal(err)
	}
	st, signup := victim.json("POST", "/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)})
	if st != 201 {
		t.Fatalf("sign-up: %d %v", st, signup)
	}
	session := signup["session"].(map[string]any)
	passkeyID := signup["passkey"].(map[string]any)["id"].(string)

	t.Run("a stolen session cannot take the account over", func(t *testing.T) {
		thief := &attacker{t: t, base: base, hc: &http.Client{}, bearer: session["token"].(string)}
		time.Sleep(1200 * time.Millisecond) // older than the re-authentication window
		st, m := thief.json("PUT", "/api/v1/password", map[string]string{"newPassword": "the thief's own passphrase"})
		expectCode(t, "set a password", st, m, 403, "reauthentication_required")
		st, m = thief.json("POST", "/api/v1/recovery-codes", map[string]any{})
		expectCode(t, "regenerate recovery codes", st, m, 403, "reauthentication_required")
		st, m = thief.json("DELETE", "/api/v1/passkeys/"+passkeyID, nil)
		expectCode(t, "delete the passkey", st, m, 403, "reauthentication_required")
		st, m = thief.json("POST", "/api/v1/registration/options", map[string]any{})
		expectCode(t, "add a passkey", st, m, 403, "reauthentication_required")
		st, m = thief.json("DELETE", "/api/v1/account", nil)
		expectCode(t, "delete the account", st, m, 403, "reauthentication_required")
		// Nothing changed: the passkey is there, no password was set.
		st, m = thief.json("GET", "/api/v1/passkeys", nil)
		if st != 200 || len(m["passkeys"].([]any)) != 1 {
			t.Fatalf("passkeys after the attack: %d %v", st, m)
		}
		st, m = (&attacker{t: t, base: base, hc: &http.Client{}}).json("POST", "/api/v1/password/login", map[string]string{"username": "victim", "password": "the thief's own passphrase"})
		expectCode(t, "the thief's password", st, m, 401, "invalid_credentials")
	})

	// A password account for the guessing attacks.
	pw := &attacker{t: t, base: base, hc: &http.Client{}}
	st, m := pw.json("POST", "/api/v1/password/signup", map[string]string{"username": "guessme", "password": "a perfectly fine passphrase"})
	if st != 201 {
		t.Fatalf("password sign-up: %d %v", st, m)
	}
	pwToken := m["session"].(map[string]any)["token"].(string)

	t.Run("40 simultaneous password guesses: at most 5 evaluated", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := &attacker{t: t, base: base, hc: &http.Client{}}
				_, m := c.json("POST", "/api/v1/password/login", map[string]string{"username": "guessme", "password": fmt.Sprintf("wrong guess %d", i)})
				mu.Lock()
				codes[fmt.Sprint(m["code"])]++
				mu.Unlock()
			}(i)
		}
		wg.Wait()
		if codes["invalid_credentials"] > 5 || codes["invalid_credentials"]+codes["account_locked"]+codes["rate_limited"] != 40 || codes["account_locked"] == 0 {
			t.Fatalf("answers %v: at most 5 guesses may be evaluated, the rest refused", codes)
		}
		// The right password is refused too while the account is locked (after the per-IP
		// bucket, which the 40 guesses spent, has refilled: 20/s up to 40).
		time.Sleep(2 * time.Second)
		st, m := (&attacker{t: t, base: base, hc: &http.Client{}}).json("POST", "/api/v1/password/login", map[string]string{"username": "guessme", "password": "a perfectly fine passphrase"})
		expectCode(t, "right password while locked", st, m, 429, "account_locked")
		t.Logf("40 concurrent wrong guesses answered %v", codes)
	})

	t.Run("login CSRF and cross-site forms", func(t *testing.T) {
		time.Sleep(2 * time.Second) // the guesses above spent this address's per-IP bucket
		c := &attacker{t: t, base: base, hc: &http.Client{}, origin: "https://evil.example"}
		st, m, h := c.do("POST", "/api/v1/password/login", "text/plain", []byte(`{"username":"victim","password":"x"}`))
		expectCode(t, "text/plain form post", st, m, 415, "unsupported_media_type")
		if h.Get("Set-Cookie") != "" {
			t.Fatal("a refused request set a cookie")
		}
		st, m, _ = c.do("POST", "/api/v1/password/login", "application/json", []byte(`{"username":"victim","password":"x"}`))
		expectCode(t, "foreign origin sign-in", st, m, 403, "forbidden_origin")
	})

	t.Run("a session cannot grind the current password", func(t *testing.T) {
		s := &attacker{t: t, base: base, hc: &http.Client{}, bearer: pwToken}
		var last map[string]any
		refused := 0
		for i := 0; i < 12; i++ {
			_, last = s.json("PUT", "/api/v1/password", map[string]string{"currentPassword": fmt.Sprintf("guess %d", i), "newPassword": "another fine passphrase"})
			if last["code"] == "rate_limited" || last["code"] == "account_locked" || last["code"] == "reauthentication_required" {
				refused++
			}
		}
		if refused < 7 {
			t.Fatalf("only %d of 12 current-password guesses were refused (last %v)", refused, last)
		}
	})
}
