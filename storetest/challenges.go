package storetest

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

// RunChallenges tests a passkeyd.ChallengeStore.
func RunChallenges(t *testing.T, open func(t *testing.T) passkeyd.ChallengeStore) {
	t.Run("round trip and single use", func(t *testing.T) {
		s := open(t)
		ch := &passkeyd.Challenge{
			Value: random(32), Ceremony: passkeyd.CeremonyRegistration, ExpiresAt: now.Add(time.Minute), IssuedAt: now.Add(-time.Second),
			SessionID: "s1", UserVerification: "required", ResidentKey: "required", Attachment: "platform",
			NewUser: &passkeyd.User{ID: "u1", Handle: random(32), Username: "Alice", UsernameKey: "alice", DisplayName: "Alice A."},
		}
		if err := s.PutChallenge(ctx, ch); err != nil {
			t.Fatal(err)
		}
		got, err := s.ConsumeChallenge(ctx, ch.Value, now)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Value, ch.Value) || got.Ceremony != ch.Ceremony || !got.ExpiresAt.Equal(ch.ExpiresAt) || !got.IssuedAt.Equal(ch.IssuedAt) || got.SessionID != "s1" ||
			got.UserVerification != "required" || got.ResidentKey != "required" || got.Attachment != "platform" || got.Named ||
			got.NewUser == nil || got.NewUser.ID != "u1" || !bytes.Equal(got.NewUser.Handle, ch.NewUser.Handle) || got.NewUser.UsernameKey != "alice" || got.NewUser.DisplayName != "Alice A." {
			t.Fatalf("challenge\n got %+v\nwant %+v", got, ch)
		}
		_, err = s.ConsumeChallenge(ctx, ch.Value, now)
		if !errors.Is(err, passkeyd.ErrNotFound) {
			t.Fatalf("second consume: %v", err)
		}
	})
	t.Run("authentication fields", func(t *testing.T) {
		s := open(t)
		ch := &passkeyd.Challenge{Value: random(32), Ceremony: passkeyd.CeremonyAuthentication, ExpiresAt: now.Add(time.Minute), UserID: "u9", Named: true, SecondFactor: true, UserVerification: "preferred"}
		_ = s.PutChallenge(ctx, ch)
		got, err := s.ConsumeChallenge(ctx, ch.Value, now)
		if err != nil || got.UserID != "u9" || !got.Named || !got.SecondFactor || got.NewUser != nil || got.Ceremony != passkeyd.CeremonyAuthentication {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("expired and unknown are ErrNotFound", func(t *testing.T) {
		s := open(t)
		ch := &passkeyd.Challenge{Value: random(32), Ceremony: passkeyd.CeremonyAuthentication, ExpiresAt: now.Add(time.Minute)}
		_ = s.PutChallenge(ctx, ch)
		if _, err := s.ConsumeChallenge(ctx, ch.Value, now.Add(time.Minute)); !errors.Is(err, passkeyd.ErrNotFound) {
			t.Fatalf("expired: %v", err)
		}
		if _, err := s.ConsumeChallenge(ctx, random(32), now); !errors.Is(err, passkeyd.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
	})
	t.Run("concurrent consumers: one wins", func(t *testing.T) {
		s := open(t)
		ch := &passkeyd.Challenge{Value: random(32), Ceremony: passkeyd.CeremonyAuthentication, ExpiresAt: now.Add(time.Minute)}
		_ = s.PutChallenge(ctx, ch)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.ConsumeChallenge(ctx, ch.Value, now); err == nil {
					wins.Add(1)
				} else if !errors.Is(err, passkeyd.ErrNotFound) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d consumers won", wins.Load())
		}
	})
}
