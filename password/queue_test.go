package password

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// slowHasher is a Hasher whose argon2 blocks until release is closed, so tests can hold
// every slot and fill the queue deterministically.
func slowHasher(t *testing.T, l Limits) (h *Hasher, started chan struct{}, release func()) {
	t.Helper()
	h = NewLimited(fast, l)
	gate := make(chan struct{})
	started = make(chan struct{}, 64)
	h.argon2 = func(pw, salt []byte, p Params, n uint32) []byte {
		started <- struct{}{}
		<-gate
		return idKey(pw, salt, p, n)
	}
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	return h, started, release
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestQueueRefusesWhenFull(t *testing.T) {
	h, started, release := slowHasher(t, Limits{Concurrency: 2, Queue: 1})
	hash := mustHash(t, New(fast), "the password")
	var wg sync.WaitGroup
	results := make(chan error, 3)
	for range 3 { // two run, one waits
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := h.Verify(ctx, hash, "the password")
			results <- err
		}()
	}
	<-started
	<-started
	waitFor(t, "one waiter", func() bool { return h.Stats().Waiting == 1 })
	if s := h.Stats(); s.Running != 2 || s.Concurrency != 2 || s.QueueSize != 1 {
		t.Fatalf("stats %+v", s)
	}
	// Every slot busy and the queue full: refused at once, with a retry hint.
	start := time.Now()
	_, _, err := h.Verify(ctx, hash, "the password")
	var busy *BusyError
	if !errors.Is(err, ErrBusy) || !errors.As(err, &busy) || busy.RetryAfter < time.Second {
		t.Fatalf("full queue: err %v, want a BusyError with RetryAfter ≥ 1s", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("a full queue made the caller wait")
	}
	if _, err := h.Hash(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash on a full queue: %v", err)
	}
	if err := h.VerifyNobody(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("VerifyNobody on a full queue: %v", err)
	}
	if got := h.Stats().Rejected; got != 3 {
		t.Fatalf("rejected %d, want 3", got)
	}
	release()
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Fatalf("a queued call failed: %v", err)
		}
	}
	if s := h.Stats(); s.Running != 0 || s.Waiting != 0 {
		t.Fatalf("after the work: %+v", s)
	}
}

func TestQueueHonoursDeadline(t *testing.T) {
	h, started, release := slowHasher(t, Limits{Concurrency: 1, Queue: 4})
	go func() { _, _ = h.Hash(ctx, "holds the slot") }()
	<-started
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Hash(dctx, "waits")
	if !errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want ErrBusy caused by the deadline", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Fatalf("waited %v; want about the 50ms deadline", d)
	}
	if w := h.Stats().Waiting; w != 0 {
		t.Fatalf("a waiter that gave up is still counted: %d", w)
	}
	// An expired context is refused without taking a slot.
	release()
	if _, err := h.Hash(dctx, "late"); !errors.Is(err, ErrBusy) {
		t.Fatalf("expired context: %v", err)
	}
}

func TestQueueNoWaiting(t *testing.T) {
	h, started, _ := slowHasher(t, Limits{Concurrency: 1, Queue: -1})
	go func() { _, _ = h.Hash(ctx, "holds the slot") }()
	<-started
	if _, err := h.Hash(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Queue -1 should refuse at once: %v", err)
	}
}

func TestLimitsDefaults(t *testing.T) {
	l := Limits{}.withDefaults()
	if l.Concurrency < 1 || l.Queue != 4*l.Concurrency {
		t.Fatalf("defaults %+v", l)
	}
}
