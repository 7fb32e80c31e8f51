package account

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/memory"
)

// TestClockSkewBetweenInstances: two instances share the challenge store; the issuer's
// clock runs ahead of the verifier's. Within the allowance the challenge verifies as usual;
// beyond it the verifier refuses it as unavailable (not challenge_unknown), logs why and
// counts it.
func TestClockSkewBetweenInstances(t *testing.T) {
	ctx := context.Background()
	store, challenges := memory.NewStore(), memory.NewChallenges()
	defer challenges.Close()
	rp, err := ceremony.New(ceremony.Config{RPID: "localhost", RPName: "test", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var skews []time.Duration
	instance := func(offset time.Duration) *Service {
		s, err := New(ctx, store, challenges, rp, Config{OnClockSkew: func(d time.Duration) { skews = append(skews, d) }}, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		s.Now = func() time.Time { return time.Now().Add(offset) }
		return s
	}
	verifier := instance(0)
	for _, c := range []struct {
		name   string
		offset time.Duration
		want   passkeyd.Code
	}{
		{"in step", 0, ""},
		{"issuer 1s ahead: within the allowance", time.Second, ""},
		{"issuer 1s behind", -time.Second, ""},
		{"issuer 10s ahead", 10 * time.Second, passkeyd.CodeUnavailable},
		{"issuer ahead by more than the challenge timeout", 2 * time.Minute, passkeyd.CodeUnavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs.Reset()
			skews = nil
			ch := instance(c.offset).newChallenge(passkeyd.CeremonyAuthentication)
			if err := challenges.PutChallenge(ctx, ch); err != nil {
				t.Fatal(err)
			}
			_, err := verifier.consume(ctx, ch.Value, passkeyd.CeremonyAuthentication)
			if c.want == "" {
				if err != nil {
					t.Fatalf("consume: %v", err)
				}
				if len(skews) != 0 {
					t.Fatalf("skew reported: %v", skews)
				}
				return
			}
			if code := passkeyd.ErrorCode(err); code != c.want {
				t.Fatalf("consume: %v (code %s), want %s", err, code, c.want)
			}
			if len(skews) != 1 || skews[0] < c.offset-time.Second {
				t.Fatalf("OnClockSkew heard %v, want one skew of about %v", skews, c.offset)
			}
			if !strings.Contains(logs.String(), "clocks of the passkeyd instances disagree") {
				t.Fatalf("no log line says why: %s", logs.String())
			}
		})
	}
}

// TestAuditFlushConcurrent: flushes from many requests at once (the activity endpoint
// flushes) while events are queued neither deadlock nor return before what was queued is
// written.
func TestAuditFlushConcurrent(t *testing.T) {
	ctx := context.Background()
	store, challenges := memory.NewStore(), memory.NewChallenges()
	defer challenges.Close()
	rp, err := ceremony.New(ceremony.Config{RPID: "localhost", RPName: "test", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, store, challenges, rp, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 20; j++ {
					s.audit(ctx, "u-flush", "sign_in", "passkey", nil, nil)
					s.flushAudit()
				}
			}()
		}
		for i := 0; i < 50; i++ { // flushes alone, to interleave their barriers
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 50; j++ {
					s.flushAudit()
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("concurrent audit flushes deadlocked")
	}
	events, err := store.Events(ctx, "u-flush", 1000)
	if err != nil || len(events) != 400 {
		t.Fatalf("after the flushes: %d events, %v; want all 400 written", len(events), err)
	}
}
