package oidc_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tokenStatus posts a refresh request (the token is irrelevant: client authentication
// comes first) with Basic credentials and returns the status and Retry-After.
func (h *harness) tokenStatus(clientID, secret string) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.issuer+"/oidc/token", strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"pkr_nothing"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestClientSecretGuessingLimited: failed client authentications count per client id,
// whatever the address: after 10, the client id gets 429 with Retry-After, even with the
// right secret (so a guess learns nothing), other clients are unaffected, right secrets
// never count, and the pause ends.
func TestClientSecretGuessingLimited(t *testing.T) {
	h := newHarness(t)
	for range 20 { // right secrets are no failures
		if status, _ := h.tokenStatus("conf", confSecret); status == http.StatusTooManyRequests || status == http.StatusUnauthorized {
			t.Fatalf("right secret: %d", status)
		}
	}
	for i := range 10 {
		if status, _ := h.tokenStatus("conf", "wrong-secret-"+strconv.Itoa(i)); status == http.StatusTooManyRequests || status/100 != 4 {
			t.Fatalf("guess %d: %d", i, status)
		}
	}
	status, retry := h.tokenStatus("conf", "wrong-secret-x")
	if n, _ := strconv.Atoi(retry); status != http.StatusTooManyRequests || n < 1 || n > 60 {
		t.Fatalf("11th guess: %d, Retry-After %q", status, retry)
	}
	if status, _ := h.tokenStatus("conf", confSecret); status != http.StatusTooManyRequests {
		t.Fatalf("right secret during the pause: %d (a guess would learn it is right)", status)
	}
	// Introspection authenticates the same client: locked too.
	req, _ := http.NewRequest(http.MethodPost, h.issuer+"/oidc/introspect", strings.NewReader("token=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("conf", confSecret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("introspection during the pause: %v %v", resp, err)
	}
	// client_secret_post counts under the same id.
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"pkr_x"}, "client_secret": {confSecret}}
	if tr := h.tokenRequest(f, "conf", ""); tr.Status != http.StatusTooManyRequests {
		t.Fatalf("client_secret_post during the pause: %+v", tr)
	}
	h.advance(61 * time.Second)
	if status, _ := h.tokenStatus("conf", confSecret); status == http.StatusTooManyRequests || status == http.StatusUnauthorized {
		t.Fatalf("after the pause: %d", status)
	}
}

// TestClientSecretGuessesAtOnce: of 30 simultaneous wrong guesses for one client exactly
// 10 are evaluated; the other 20 get 429 without a check.
func TestClientSecretGuessesAtOnce(t *testing.T) {
	h := newHarness(t)
	var evaluated, limited atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch status, _ := h.tokenStatus("conf", "guess-"+strconv.Itoa(i)); status {
			case http.StatusTooManyRequests:
				limited.Add(1)
			default:
				evaluated.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if evaluated.Load() != 10 || limited.Load() != 20 {
		t.Fatalf("%d guesses evaluated, %d limited; want 10 and 20", evaluated.Load(), limited.Load())
	}
}
