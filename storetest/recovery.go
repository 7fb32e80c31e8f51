package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func testRecoveryCodes(t *testing.T, s passkeyd.Store) {
	u := newUser("alice")
	codes := [][]byte{random(32), random(32), random(32)}
	if err := s.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: newPasskey(u.ID, now), RecoveryCodes: codes}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 3 {
		t.Fatalf("left %d, %v; want 3", n, err)
	}
	if err := s.UseRecoveryCode(ctx, u.ID, codes[1], now); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.UseRecoveryCode(ctx, u.ID, codes[1], now), passkeyd.ErrNotFound) // single use
	mustIs(t, s.UseRecoveryCode(ctx, u.ID, random(32), now), passkeyd.ErrNotFound)
	bob, _, _ := account(t, s, "bob")
	mustIs(t, s.UseRecoveryCode(ctx, bob.ID, codes[0], now), passkeyd.ErrNotFound) // another user's code
	if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 2 {
		t.Fatalf("left %d after one use, want 2", n)
	}
	// Regenerating replaces every old code.
	fresh := [][]byte{random(32), random(32)}
	if err := s.ReplaceRecoveryCodes(ctx, u.ID, fresh); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.UseRecoveryCode(ctx, u.ID, codes[0], now), passkeyd.ErrNotFound)
	if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 2 {
		t.Fatalf("left %d after regenerating, want 2", n)
	}
	mustIs(t, s.ReplaceRecoveryCodes(ctx, "no-such-user", fresh), passkeyd.ErrNotFound)

	// Concurrent uses of one code: exactly one succeeds.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.UseRecoveryCode(ctx, u.ID, fresh[0], now.Add(time.Second))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, passkeyd.ErrNotFound) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent uses of one recovery code succeeded, want 1", wins)
	}
}
