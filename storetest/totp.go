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

func testCreateAccountWithTOTP(t *testing.T, s passkeyd.Store) {
	u := newUser("imported")
	u.PasswordHash = "$2b$04$abcdefghijklmnopqrstuuOVjWx0l2pqvBNCsh7PN3zd7kdZI4HGi"
	secret := random(20)
	if err := s.CreateAccount(ctx, passkeyd.NewAccount{User: u, TOTP: &passkeyd.TOTP{Secret: secret, Confirmed: true, LastStep: 1}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.TOTP(ctx, u.ID)
	if err != nil || !got.Confirmed || got.LastStep != 1 || !bytes.Equal(got.Secret, secret) || got.UserID != u.ID {
		t.Fatalf("TOTP %+v %v", got, err)
	}
	// A current code (a later step) is accepted once, an older one is not.
	if err := s.UseTOTPStep(ctx, u.ID, 2); err != nil {
		t.Fatal(err)
	}
	// A refused account leaves no TOTP behind: the user row and the TOTP go together.
	again := newUser("imported")
	mustIs(t, s.CreateAccount(ctx, passkeyd.NewAccount{User: again, TOTP: &passkeyd.TOTP{Secret: random(20), Confirmed: true, LastStep: 1}}), passkeyd.ErrUsernameTaken)
	if _, err := s.TOTP(ctx, again.ID); !errors.Is(err, passkeyd.ErrNotFound) {
		t.Fatalf("the refused account's TOTP was stored: %v", err)
	}
	// Without a TOTP, none is stored.
	plain := newUser("plain")
	if err := s.CreateAccount(ctx, passkeyd.NewAccount{User: plain}); err != nil {
		t.Fatal(err)
	}
	_, err = s.TOTP(ctx, plain.ID)
	mustIs(t, err, passkeyd.ErrNotFound)
}
