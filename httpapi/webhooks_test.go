package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/softauthn"
	"github.com/passkeyd/passkeyd/webhook"
)

var webhookSecret = []byte("webhook-secret-for-tests-0123456789abcdef")

// TestWebhookDeadLetterRetriedByAnOperator: a receiver that keeps failing dead-letters the
// delivery (in the metrics and the operator API); once it works again, an operator's retry
// delivers it, signed.
func TestWebhookDeadLetterRetriedByAnOperator(t *testing.T) {
	var up atomic.Bool
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !up.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if err := webhook.Verify(webhookSecret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, string(body))
		mu.Unlock()
	}))
	defer recv.Close()
	e := newEnv(t, func(o *envOptions) { o.webhookURL = recv.URL })
	e.browser().signUp(newAuthenticator(t, softauthn.Options{}), "alice") // account.created

	var dead []any
	for deadline := time.Now().Add(10 * time.Second); len(dead) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the delivery never went dead")
		}
		r := e.admin().do("GET", "/admin/v1/webhooks/dead", nil)
		expectStatus(t, r, 200)
		dead = r.json(t)["deliveries"].([]any)
	}
	d := dead[0].(map[string]any)
	if d["type"] != webhook.AccountCreated || d["attempts"].(float64) != 2 || d["url"] != recv.URL || d["lastError"] != "answered 502 Bad Gateway" {
		t.Fatalf("dead letter %v", d)
	}
	if n := counterValue(t, e, "passkeyd_webhook_deliveries_total", "outcome", "dead"); n != 1 {
		t.Fatalf("dead counter %v", n)
	}
	expectProblem(t, e.app().do("POST", "/admin/v1/webhooks/"+d["id"].(string)+"/retry", nil), 401, passkeyd.CodeUnauthenticated)

	up.Store(true)
	expectStatus(t, e.admin().do("POST", "/admin/v1/webhooks/"+d["id"].(string)+"/retry", nil), 204)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries after the retry, want 1", n)
		}
	}
	if r := e.admin().do("GET", "/admin/v1/webhooks/dead", nil); len(r.json(t)["deliveries"].([]any)) != 0 {
		t.Fatalf("still dead after the retry: %s", r.body)
	}
	expectProblem(t, e.admin().do("POST", "/admin/v1/webhooks/"+d["id"].(string)+"/retry", nil), 404, passkeyd.CodeNotFound)
	expectProblem(t, e.admin().do("POST", "/admin/v1/webhooks/no-such-delivery/retry", nil), 404, passkeyd.CodeNotFound)
}

func TestWebhookAdminWithoutWebhooks(t *testing.T) {
	e := newEnv(t)
	expectProblem(t, e.admin().do("GET", "/admin/v1/webhooks/dead", nil), 404, passkeyd.CodeNotFound)
	expectProblem(t, e.admin().do("POST", "/admin/v1/webhooks/x/retry", nil), 404, passkeyd.CodeNotFound)
}

// counterValue reads a counter with one label from the env's registry.
func counterValue(t *testing.T, e *env, name, label, value string) float64 {
	t.Helper()
	mfs, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s=%q}", name, label, value)
	return 0
}
