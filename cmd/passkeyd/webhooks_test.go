package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/webhook"
)

// TestServeSendsWebhooks: with PASSKEYD_WEBHOOK_URLS set, the server's sign-up and sign-in
// (driven by passkeyd probe) reach the receiver, signed with PASSKEYD_WEBHOOK_SECRET; the
// operator CLI lists the (empty) dead letters; doctor finds the receiver.
func TestServeSendsWebhooks(t *testing.T) {
	const secret = "a-webhook-secret-that-is-long-enough-0123"
	var mu sync.Mutex
	types := map[string]int{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var ev webhook.Event
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		types[ev.Type]++
		mu.Unlock()
	}))
	defer recv.Close()
	port := freePort(t)
	const token = "an-admin-token-of-enough-length"
	env := map[string]string{
		"PASSKEYD_ADDR":           fmt.Sprintf("localhost:%d", port),
		"PASSKEYD_DATABASE_URL":   "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		"PASSKEYD_ADMIN_TOKEN":    token,
		"PASSKEYD_WEBHOOK_URLS":   recv.URL + "/events",
		"PASSKEYD_WEBHOOK_SECRET": secret,
	}
	getenv := func(k string) string { return env[k] }
	url := serveForTest(t, env)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"probe", "-url", url}, getenv, &out, &out); err != nil {
		t.Fatalf("probe: %v\n%s", err, out.String())
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		ok := types[webhook.AccountCreated] == 1 && types[webhook.SignInSucceeded] >= 1
		got := fmt.Sprint(types)
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %s, want account.created and sign_in.succeeded", got)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"admin", "-url", url, "webhooks-dead"}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), `"deliveries": []`) {
		t.Fatalf("admin webhooks-dead: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"admin", "-url", url, "webhook-retry", "nope"}, getenv, &out, &out); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("admin webhook-retry of nothing: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"doctor"}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), "reachable") || strings.Contains(out.String(), "/events") {
		t.Fatalf("doctor: %v\n%s", err, out.String())
	}
}

func TestDoctorUnreachableWebhook(t *testing.T) {
	env := map[string]string{
		"PASSKEYD_DATABASE_URL":   "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
		"PASSKEYD_WEBHOOK_URLS":   "http://127.0.0.1:1/hook?token=secret-in-url",
		"PASSKEYD_WEBHOOK_SECRET": strings.Repeat("k", 32),
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"doctor"}, func(k string) string { return env[k] }, &out, &out)
	if err == nil || !strings.Contains(out.String(), "cannot be reached") || strings.Contains(out.String(), "secret-in-url") {
		t.Fatalf("err %v, output:\n%s", err, out.String())
	}
}
