package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func newDelivery(eventID, url string, at time.Time) *passkeyd.WebhookDelivery {
	return &passkeyd.WebhookDelivery{ID: id(), EventID: eventID, URL: url, Type: "sign_in.succeeded", UserID: "u1",
		Body: []byte(`{"id":"` + eventID + `"}`), CreatedAt: at, NextAttemptAt: at}
}

// enqueue records an audit event with one delivery per URL.
func enqueue(t *testing.T, s passkeyd.Store, at time.Time, urls ...string) []*passkeyd.WebhookDelivery {
	t.Helper()
	e := &passkeyd.AuditEvent{ID: id(), UserID: "u1", Type: "sign_in", Method: "passkey", Outcome: "success", At: at}
	var ds []*passkeyd.WebhookDelivery
	for _, u := range urls {
		ds = append(ds, newDelivery(e.ID, u, at))
	}
	if err := s.RecordEvent(ctx, e, ds...); err != nil {
		t.Fatalf("RecordEvent with webhooks: %v", err)
	}
	return ds
}

func lease(t *testing.T, s passkeyd.Store, token string, at time.Time, limit int) []*passkeyd.WebhookDelivery {
	t.Helper()
	got, err := s.LeaseWebhooks(ctx, token, at, time.Minute, limit)
	if err != nil {
		t.Fatalf("LeaseWebhooks: %v", err)
	}
	return got
}

func failure(at time.Time, next time.Duration) passkeyd.WebhookFailure {
	return passkeyd.WebhookFailure{At: at, NextAttempt: at.Add(next), Error: "500 Internal Server Error", MaxAttempts: 3, MaxAge: 24 * time.Hour}
}

func testOutboxLease(t *testing.T, s passkeyd.Store) {
	first := enqueue(t, s, now, "https://a.example/hook", "https://b.example/hook")
	second := enqueue(t, s, now.Add(time.Second), "https://a.example/hook")
	got := lease(t, s, "t1", now.Add(2*time.Second), 10)
	if len(got) != 3 || got[0].ID != first[0].ID || got[1].ID != first[1].ID || got[2].ID != second[0].ID {
		t.Fatalf("leased %d deliveries, want the 3 oldest first", len(got))
	}
	g, w := got[0], first[0]
	if g.EventID != w.EventID || g.URL != w.URL || g.Type != w.Type || g.UserID != w.UserID || !bytes.Equal(g.Body, w.Body) ||
		g.State != passkeyd.WebhookPending || g.Attempts != 0 || !g.CreatedAt.Equal(now) || !g.NextAttemptAt.Equal(now) || !g.DeliveredAt.IsZero() {
		t.Fatalf("leased %+v, want %+v", g, w)
	}
	if got[0].EventID != got[1].EventID || got[0].ID == got[1].ID {
		t.Fatal("one event to two URLs must be two deliveries of one event id")
	}
	// Under a live lease nobody else gets them.
	if again := lease(t, s, "t2", now.Add(30*time.Second), 10); len(again) != 0 {
		t.Fatalf("%d deliveries leased twice", len(again))
	}
	// The lease runs out (its worker died): another worker takes them, and the first
	// worker's lease no longer counts.
	again := lease(t, s, "t2", now.Add(2*time.Minute), 10)
	if len(again) != 3 {
		t.Fatalf("%d deliveries after the lease expired, want 3", len(again))
	}
	for _, d := range again[1:] {
		if err := s.MarkWebhookDelivered(ctx, d.ID, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.MarkWebhookFailed(ctx, first[0].ID, "t1", failure(now.Add(2*time.Minute), time.Minute))
	mustIs(t, err, passkeyd.ErrNotFound)
	if dead, err := s.MarkWebhookFailed(ctx, first[0].ID, "t2", failure(now.Add(2*time.Minute), time.Minute)); err != nil || dead {
		t.Fatalf("MarkWebhookFailed by the lease holder: dead %v, %v", dead, err)
	}
	// Not due before its next attempt, due after.
	if got := lease(t, s, "t3", now.Add(2*time.Minute+30*time.Second), 10); len(got) != 0 {
		t.Fatalf("%d deliveries leased before they were due", len(got))
	}
	got = lease(t, s, "t3", now.Add(3*time.Minute), 10)
	if len(got) != 1 || got[0].ID != first[0].ID || got[0].Attempts != 1 || got[0].LastError != "500 Internal Server Error" {
		t.Fatalf("after a failure: %+v", got)
	}
	if got := lease(t, s, "t4", now, 0); len(got) != 0 {
		t.Fatal("limit 0 leased something")
	}
}

func testOutboxDeliveredAndPruned(t *testing.T, s passkeyd.Store) {
	ds := enqueue(t, s, now, "https://a.example/hook", "https://b.example/hook", "https://c.example/hook")
	lease(t, s, "t1", now, 10)
	if err := s.MarkWebhookDelivered(ctx, ds[0].ID, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.MarkWebhookDelivered(ctx, ds[0].ID, now.Add(time.Second)), passkeyd.ErrNotFound)
	mustIs(t, s.MarkWebhookDelivered(ctx, "nope", now), passkeyd.ErrNotFound)
	if err := s.MarkWebhookDelivered(ctx, ds[1].ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A delivered row is never leased again, even after its lease would have expired.
	got := lease(t, s, "t2", now.Add(2*time.Hour), 10)
	if len(got) != 1 || got[0].ID != ds[2].ID {
		t.Fatalf("leased %d after delivery, want only the undelivered one", len(got))
	}
	n, err := s.PruneWebhooks(ctx, now.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the one delivered before the cutoff", n, err)
	}
	if n, _ := s.PruneWebhooks(ctx, now.Add(time.Minute)); n != 0 {
		t.Fatalf("pruned %d again", n)
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 1 || st.Dead != 0 || !st.OldestPending.Equal(now) {
		t.Fatalf("stats %+v, %v", st, err)
	}
}

func testOutboxDeadLetters(t *testing.T, s passkeyd.Store) {
	if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 0 || st.Dead != 0 || !st.OldestPending.IsZero() {
		t.Fatalf("stats of an empty outbox %+v, %v", st, err)
	}
	byAttempts := enqueue(t, s, now, "https://a.example/hook")[0]
	at := now
	for i := 1; i <= 3; i++ {
		got := lease(t, s, fmt.Sprint("t", i), at, 10)
		if len(got) != 1 {
			t.Fatalf("attempt %d: leased %d", i, len(got))
		}
		dead, err := s.MarkWebhookFailed(ctx, byAttempts.ID, fmt.Sprint("t", i), failure(at, time.Second))
		if err != nil || dead != (i == 3) {
			t.Fatalf("failure %d: dead %v, %v; want dead at the third (MaxAttempts)", i, dead, err)
		}
		at = at.Add(time.Second)
	}
	if got := lease(t, s, "t9", at.Add(time.Hour), 10); len(got) != 0 {
		t.Fatal("a dead delivery was leased")
	}
	// Old enough is dead at its first failure.
	byAge := enqueue(t, s, now.Add(time.Second), "https://b.example/hook")[0]
	late := now.Add(25 * time.Hour)
	lease(t, s, "t10", late, 10)
	if dead, err := s.MarkWebhookFailed(ctx, byAge.ID, "t10", failure(late, time.Second)); err != nil || !dead {
		t.Fatalf("failure past MaxAge: dead %v, %v", dead, err)
	}
	dead, err := s.DeadWebhooks(ctx, 10)
	if err != nil || len(dead) != 2 || dead[0].ID != byAttempts.ID || dead[1].ID != byAge.ID {
		t.Fatalf("DeadWebhooks %d, %v; want both, oldest first", len(dead), err)
	}
	if dead[0].State != passkeyd.WebhookDead || dead[0].Attempts != 3 || dead[0].LastError == "" {
		t.Fatalf("dead letter %+v", dead[0])
	}
	if one, _ := s.DeadWebhooks(ctx, 1); len(one) != 1 {
		t.Fatal("DeadWebhooks ignores its limit")
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 0 || st.Dead != 2 {
		t.Fatalf("stats %+v", st)
	}
	// An operator retries one: it is pending, due now, with a fresh count.
	if err := s.RetryWebhook(ctx, byAttempts.ID, late); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.RetryWebhook(ctx, byAttempts.ID, late), passkeyd.ErrNotFound)
	mustIs(t, s.RetryWebhook(ctx, "nope", late), passkeyd.ErrNotFound)
	got := lease(t, s, "t11", late, 10)
	if len(got) != 1 || got[0].ID != byAttempts.ID || got[0].Attempts != 0 || got[0].State != passkeyd.WebhookPending {
		t.Fatalf("after retry leased %+v", got)
	}
	if dead, err := s.MarkWebhookFailed(ctx, byAttempts.ID, "t11", failure(late, time.Second)); err != nil || dead {
		t.Fatalf("a retried delivery gets MaxAttempts and MaxAge afresh: dead %v, %v", dead, err)
	}
}

// testOutboxAtomic: the deliveries and their audit event are written together or not at all.
func testOutboxAtomic(t *testing.T, s passkeyd.Store) {
	existing := enqueue(t, s, now, "https://a.example/hook")[0]
	e := &passkeyd.AuditEvent{ID: id(), UserID: "u2", Type: "passkey_added", Method: "passkey", Outcome: "success", At: now}
	fresh := newDelivery(e.ID, "https://b.example/hook", now)
	clash := newDelivery(e.ID, "https://c.example/hook", now)
	clash.ID = existing.ID
	if err := s.RecordEvent(ctx, e, fresh, clash); err == nil {
		t.Fatal("RecordEvent with a duplicate delivery id succeeded")
	}
	if evs, _ := s.Events(ctx, "u2", 10); len(evs) != 0 {
		t.Fatal("the audit event was kept although its webhooks were not")
	}
	if got := lease(t, s, "t1", now, 10); len(got) != 1 || got[0].ID != existing.ID {
		t.Fatalf("leased %d; the failed write left deliveries behind", len(got))
	}
	// Without webhooks RecordEvent is the plain audit write.
	if err := s.RecordEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
}

// testOutboxConcurrentLeases: workers leasing at once (on one or many instances) never get
// the same delivery, and between them get every one.
func testOutboxConcurrentLeases(t *testing.T, s passkeyd.Store) {
	const n, workers = 120, 6
	for i := 0; i < n/2; i++ {
		enqueue(t, s, now, "https://a.example/hook", "https://b.example/hook")
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for round := 0; ; round++ {
				got, err := s.LeaseWebhooks(ctx, fmt.Sprintf("w%d-%d", w, round), now, time.Minute, 7)
				if err != nil {
					errc <- err
					return
				}
				if len(got) == 0 {
					return
				}
				for _, d := range got {
					mu.Lock()
					seen[d.ID]++
					mu.Unlock()
					if err := s.MarkWebhookDelivered(ctx, d.ID, now); err != nil {
						errc <- fmt.Errorf("MarkWebhookDelivered: %w", err)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if !errors.Is(err, passkeyd.ErrUnavailable) { // a saturated pool may refuse; no double lease may pass
			t.Fatal(err)
		}
		t.Log(err)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("delivery %s leased %d times", id, c)
		}
	}
	if len(seen) != n {
		// A worker that gave up on ErrUnavailable leaves its lease to expire: the rest must
		// still be leasable after it.
		rest := lease(t, s, "late", now.Add(2*time.Minute), n)
		if len(seen)+len(rest) < n {
			t.Fatalf("%d deliveries leased, want %d", len(seen)+len(rest), n)
		}
	}
}
