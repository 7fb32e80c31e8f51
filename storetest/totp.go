package storetest

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/passkeyd/passkeyd"
)

func testTOTP(t *testing.T, s passkeyd.Store) {
	u, _, _ := account(t, s, "alice")
	_, err := s.TOTP(ctx, u.ID)
	mustIs(t, err, passkeyd.ErrNotFound)
	mustIs(t, s.PutTOTP(ctx, "no-such-user", random(20)), passkeyd.ErrNotFound)
	first, second := random(20), random(20)
	if err := s.PutTOTP(ctx, u.ID, first); err != nil {
		t.Fatal(err)
	}
	// An unconfirmed secret may be replaced (the user restarted enrolment).
	if err := s.PutTOTP(ctx, u.ID, second); err != nil {
		t.Fatal(err)
	}
	got, err := s.TOTP(ctx, u.ID)
	if err != nil || got.Confirmed || !bytes.Equal(got.Secret, second) || got.LastStep != 0 {
		t.Fatalf("TOTP %+v %v", got, err)
	}
	if err := s.UseTOTPStep(ctx, u.ID, 100); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.UseTOTPStep(ctx, u.ID, 100), passkeyd.ErrNotFound) // the same code twice
	mustIs(t, s.UseTOTPStep(ctx, u.ID, 99), passkeyd.ErrNotFound)  // an older one
	if got, _ := s.TOTP(ctx, u.ID); !got.Confirmed || got.LastStep != 100 {
		t.Fatalf("after use: %+v", got)
	}
	// A confirmed TOTP is not silently replaced.
	mustIs(t, s.PutTOTP(ctx, u.ID, random(20)), passkeyd.ErrCredentialExists)
	// Concurrent uses of one step: one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.UseTOTPStep(ctx, u.ID, 101)
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
		t.Fatalf("%d concurrent uses of one TOTP step succeeded, want 1", wins)
	}
	if err := s.DeleteTOTP(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.DeleteTOTP(ctx, u.ID), passkeyd.ErrNotFound)
	if err := s.PutTOTP(ctx, u.ID, first); err != nil {
		t.Fatalf("enrolling again after delete: %v", err)
	}
}
