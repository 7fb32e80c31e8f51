package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/webhook"
)

var secret = []byte("0123456789abcdef0123456789abcdef-test")

// receiver is a real HTTP endpoint that verifies every delivery and counts the ones it
// accepted by event id. fail, while it returns true, makes it answer 500; hang makes it
// hold the request until the sender gives up.
type receiver struct {
	t        *testing.T
	srv      *http.Server
	URL      string
	mu       sync.Mutex
	accepted map[string]int // event id → 2xx answers
	requests int
	badSigs  int
	fail     func() bool
	hang     func() bool
}

func newReceiver(t *testing.T, ln net.Listener) *receiver {
	r := &receiver{t: t, accepted: map[string]int{}, fail: func() bool { return false }, hang: func() bool { return false }}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	r.URL = "http://" + ln.Addr().String() + "/hook"
	r.srv = &http.Server{Handler: r}
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	fail, hang := r.fail(), r.hang()
	r.mu.Unlock()
	if hang {
		select {
		case <-req.Context().Done(): // the sender timed out
		case <-time.After(5 * time.Second):
		}
		return
	}
	if fail {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	if err := webhook.Verify(secret, req.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
		r.mu.Lock()
		r.badSigs++
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev webhook.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.Type == "" || ev.UserID == "" || ev.Time.IsZero() {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.accepted[ev.ID]++
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// waitFor waits until every id was accepted, then checks that none was accepted twice when
// exact is set (normal operation), and that every signature verified.
func (r *receiver) waitFor(ids []string, exact bool, within time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		r.mu.Lock()
		missing := 0
		for _, id := range ids {
			if r.accepted[id] == 0 {
				missing++
			}
		}
		r.mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d of %d events never arrived", missing, len(ids))
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.badSigs > 0 {
		r.t.Fatalf("%d deliveries had a bad signature", r.badSigs)
	}
	if len(r.accepted) != len(ids) {
		r.t.Fatalf("%d distinct events accepted, want %d", len(r.accepted), len(ids))
	}
	for id, n := range r.accepted {
		if exact && n != 1 {
			r.t.Fatalf("event %s accepted %d times", id, n)
		}
	}
}

// publish records n audit events, each a webhook to every URL, and returns their ids.
func publish(t *testing.T, s passkeyd.AuditStore, n int, urls ...string) []string {
	t.Helper()
	p := &webhook.Publisher{URLs: urls}
	var ids []string
	for i := 0; i < n; i++ {
		e := &passkeyd.AuditEvent{ID: randomID(), UserID: "user-1", Type: "passkey_added", Method: "passkey", Outcome: "success", At: time.Now()}
		if err := s.RecordEvent(context.Background(), e, p.Deliveries(e)...); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// fast is a worker configuration for tests: short timeouts and pauses.
func fast() webhook.Config {
	return webhook.Config{Secret: secret, Timeout: 300 * time.Millisecond, PollInterval: 10 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Batch: 8}
}

// start runs w until the test ends; the returned func stops it and waits.
func start(t *testing.T, w *webhook.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}
