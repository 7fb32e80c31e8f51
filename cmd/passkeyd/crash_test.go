package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/sqlite"
)

// TestKill9KeepsEveryAcknowledgedWrite runs the real binary on its SQLite default, drives
// sign-ups and concurrent sign-ins at it, kills it with SIGKILL in the middle of the load,
// reopens the database and checks that everything the server acknowledged is there: each
// account, each session (by its token), each sign-in's audit event, and each credential's
// counter at least at the last acknowledged sign-in. Group commit acknowledges a write only
// after the commit that holds it, so no interleaving of the kill may lose one.
func TestKill9KeepsEveryAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "passkeyd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dir, "crash.db")
	port := freePort(t)
	origin := fmt.Sprintf("http://localhost:%d", port)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"PASSKEYD_DATABASE_URL=sqlite://"+dbPath,
		fmt.Sprintf("PASSKEYD_ADDR=127.0.0.1:%d", port),
		"PASSKEYD_RP_ID=localhost", "PASSKEYD_ORIGINS="+origin,
		"PASSKEYD_RATE_LIMIT=0", "PASSKEYD_ACCOUNT_RATE_LIMIT=0", "PASSKEYD_LOG_LEVEL=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	c := &crashClient{base: origin, hc: &http.Client{Timeout: 10 * time.Second}}
	waitReady(t, c)

	const clients = 8
	type user struct {
		name    string
		auth    *softauthn.Authenticator
		credID  string
		tokens  []string // acknowledged sessions
		counter uint32   // of the last acknowledged sign-in
	}
	users := make([]*user, clients)
	for i := range users {
		u := &user{name: fmt.Sprintf("crash%d", i), auth: softauthn.MustNew(softauthn.Options{Origin: origin})}
		token, credID, err := c.signUp(u.auth, u.name)
		if err != nil {
			t.Fatalf("sign-up: %v\n%s", err, logs.String())
		}
		u.credID, u.tokens = credID, []string{token}
		users[i] = u
	}

	// Sign-ins from every client until the kill; only 200s count as acknowledged.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				token, counter, err := c.signIn(u.auth)
				if err != nil {
					return // the server is gone (or refused): nothing was acknowledged
				}
				u.tokens, u.counter = append(u.tokens, token), counter
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no final checkpoint
		t.Fatal(err)
	}
	killed = true
	cmd.Wait()
	close(stop)
	wg.Wait()

	db, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer db.Close()
	ctx, now := context.Background(), time.Now()
	acked := 0
	for _, u := range users {
		acc, err := db.UserByUsername(ctx, u.name)
		if err != nil {
			t.Fatalf("%s: acknowledged account lost: %v", u.name, err)
		}
		for _, tok := range u.tokens {
			h := sha256.Sum256([]byte(tok))
			if _, err := db.SessionByTokenHash(ctx, h[:], now); err != nil {
				t.Fatalf("%s: acknowledged session lost: %v", u.name, err)
			}
		}
		id, _ := base64.RawURLEncoding.DecodeString(u.credID)
		pk, err := db.Passkey(ctx, id)
		if err != nil || pk.SignCount < u.counter {
			t.Fatalf("%s: counter %v after the kill, %v; the last acknowledged sign-in had %d", u.name, pk, err, u.counter)
		}
		evs, err := db.Events(ctx, acc.ID, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		signIns := 0
		for _, e := range evs {
			if e.Type == "sign_in" {
				signIns++
			}
		}
		if signIns < len(u.tokens)-1 {
			t.Fatalf("%s: %d sign_in events for %d acknowledged sign-ins", u.name, signIns, len(u.tokens)-1)
		}
		acked += len(u.tokens) - 1
	}
	if acked == 0 {
		t.Fatalf("no sign-in was acknowledged before the kill\n%s", logs.String())
	}
	t.Logf("%d acknowledged sign-ins, all durable after kill -9", acked)
}

type crashClient struct {
	base string
	hc   *http.Client
}

func waitReady(t *testing.T, c *crashClient) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := c.hc.Get(c.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server not ready")
}

func (c *crashClient) post(path string, body any) (map[string]json.RawMessage, error) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.base)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s: %d %s", path, resp.StatusCode, out)
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(out, &m)
}

func sessionToken(m map[string]json.RawMessage) (string, error) {
	var s struct{ Token string }
	if err := json.Unmarshal(m["session"], &s); err != nil || s.Token == "" {
		return "", fmt.Errorf("no session token in %s", m["session"])
	}
	return s.Token, nil
}

func (c *crashClient) signUp(a *softauthn.Authenticator, name string) (token, credID string, err error) {
	opts, err := c.post("/api/v1/registration/options", map[string]string{"username": name})
	if err != nil {
		return "", "", err
	}
	raw, _ := json.Marshal(opts)
	cred, err := a.Register(raw)
	if err != nil {
		return "", "", err
	}
	m, err := c.post("/api/v1/registration/verify", map[string]any{"credential": json.RawMessage(cred)})
	if err != nil {
		return "", "", err
	}
	var pk struct{ ID string }
	json.Unmarshal(m["passkey"], &pk)
	token, err = sessionToken(m)
	return token, pk.ID, err
}

// signIn returns the new session's token and the counter the assertion carried.
func (c *crashClient) signIn(a *softauthn.Authenticator) (string, uint32, error) {
	opts, err := c.post("/api/v1/authentication/options", map[string]any{})
	if err != nil {
		return "", 0, err
	}
	raw, _ := json.Marshal(opts)
	cred, err := a.Login(raw)
	if err != nil {
		return "", 0, err
	}
	var assertion struct {
		Response struct{ AuthenticatorData string }
	}
	if err := json.Unmarshal(cred, &assertion); err != nil {
		return "", 0, err
	}
	authData, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(assertion.Response.AuthenticatorData, "="))
	if err != nil || len(authData) < 37 {
		return "", 0, fmt.Errorf("authenticatorData: %v", err)
	}
	m, err := c.post("/api/v1/authentication/verify", map[string]any{"credential": json.RawMessage(cred)})
	if err != nil {
		return "", 0, err
	}
	token, err := sessionToken(m)
	return token, binary.BigEndian.Uint32(authData[33:37]), err
}
