package account

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLockoutReservations(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	l := NewLockout()
	l.Now = func() time.Time { return now }
	reserve := func(key string) time.Duration {
		t.Helper()
		wait, err := l.Reserve(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	t.Run("the fifth slot locks for the first pause", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			if w := reserve("a"); w != 0 {
				t.Fatalf("slot %d refused: %v", i+1, w)
			}
		}
		if w := reserve("a"); w != time.Minute {
			t.Fatalf("locked %v, want 1m", w)
		}
	})
	t.Run("a released slot is not counted and lifts the lock it set", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			reserve("b")
		}
		_ = l.Release(ctx, "b")
		if w := reserve("b"); w != 0 {
			t.Fatalf("refused after a release: %v", w)
		}
		if w := reserve("b"); w != time.Minute {
			t.Fatalf("locked %v, want 1m (the lifted lock is not counted as a lockout)", w)
		}
	})
	t.Run("success clears the failures", func(t *testing.T) {
		for i := 0; i < 4; i++ {
			reserve("c")
		}
		_ = l.Succeed(ctx, "c")
		for i := 0; i < 4; i++ {
			if w := reserve("c"); w != 0 {
				t.Fatalf("refused after success: %v", w)
			}
		}
	})
	t.Run("after the pause the batch no longer counts and the next pause doubles", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			reserve("d")
		}
		now = now.Add(61 * time.Second)
		for i := 0; i < 4; i++ {
			if w := reserve("d"); w != 0 {
				t.Fatalf("slot %d refused after the pause: %v", i+1, w)
			}
		}
		reserve("d")
		if w := reserve("d"); w != 2*time.Minute {
			t.Fatalf("second lock %v, want 2m", w)
		}
	})
	t.Run("concurrent reservations: exactly MaxFailures granted", func(t *testing.T) {
		var granted atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if w, _ := l.Reserve(ctx, "e"); w == 0 {
					granted.Add(1)
				}
			}()
		}
		wg.Wait()
		if granted.Load() != 5 {
			t.Fatalf("%d granted, want 5", granted.Load())
		}
	})
}
