package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

func newSigningKey(notBefore time.Time, period time.Duration) *passkeyd.SigningKey {
	return &passkeyd.SigningKey{
		ID: id(), Algorithm: "ES256", PublicKey: random(91), PrivateKey: random(138),
		NotBefore: notBefore, NotAfter: notBefore.Add(period), ExpiresAt: notBefore.Add(period + 10*time.Minute), CreatedAt: now,
	}
}

func sameSigningKey(t *testing.T, got, want *passkeyd.SigningKey) {
	t.Helper()
	if got.ID != want.ID || got.Algorithm != want.Algorithm || !bytes.Equal(got.PublicKey, want.PublicKey) || !bytes.Equal(got.PrivateKey, want.PrivateKey) ||
		!got.NotBefore.Equal(want.NotBefore) || !got.NotAfter.Equal(want.NotAfter) || !got.ExpiresAt.Equal(want.ExpiresAt) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("signing key\n got %+v\nwant %+v", got, want)
	}
}

func testSigningKeys(t *testing.T, s passkeyd.Store) {
	const period = time.Hour
	if keys, err := s.SigningKeys(ctx, now); err != nil || len(keys) != 0 {
		t.Fatalf("empty store: %v %v", keys, err)
	}
	// Added out of order, listed by NotBefore; every field round-trips (microseconds too).
	next := newSigningKey(now.Add(period), period)
	cur := newSigningKey(now, period)
	for _, k := range []*passkeyd.SigningKey{next, cur} {
		got, err := s.AddSigningKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		sameSigningKey(t, got, k)
	}
	// A second key for a slot that has one is not stored: the caller gets the slot's key.
	rival := newSigningKey(now, period)
	got, err := s.AddSigningKey(ctx, rival)
	if err != nil {
		t.Fatal(err)
	}
	sameSigningKey(t, got, cur)
	keys, err := s.SigningKeys(ctx, now)
	if err != nil || len(keys) != 2 {
		t.Fatalf("SigningKeys: %d keys, %v", len(keys), err)
	}
	sameSigningKey(t, keys[0], cur)
	sameSigningKey(t, keys[1], next)
	// Expired keys are not listed, and are deleted.
	if keys, _ := s.SigningKeys(ctx, cur.ExpiresAt); len(keys) != 1 || keys[0].ID != next.ID {
		t.Fatalf("at the current key's expiry: %v", keys)
	}
	if n, err := s.DeleteExpiredSigningKeys(ctx, cur.ExpiresAt); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSigningKeys: %d, %v", n, err)
	}
	if keys, _ := s.SigningKeys(ctx, now); len(keys) != 1 || keys[0].ID != next.ID {
		t.Fatalf("after deletion: %v", keys)
	}
}

// testSigningKeysConcurrent: instances that find a slot without a key at the same moment
// all create one; exactly one is stored and every one of them is handed that one.
func testSigningKeysConcurrent(t *testing.T, s passkeyd.Store) {
	const creators = 8
	slot := now.Add(24 * time.Hour)
	var wg sync.WaitGroup
	got := make([]*passkeyd.SigningKey, creators)
	errs := make([]error, creators)
	for i := range creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.AddSigningKey(ctx, newSigningKey(slot, time.Hour))
		}()
	}
	wg.Wait()
	for i := range creators {
		if errs[i] != nil {
			t.Fatalf("creator %d: %v", i, errs[i])
		}
		sameSigningKey(t, got[i], got[0])
	}
	keys, err := s.SigningKeys(ctx, now)
	if err != nil || len(keys) != 1 {
		t.Fatalf("%d keys stored for one slot, want 1 (%v)", len(keys), err)
	}
	sameSigningKey(t, keys[0], got[0])
}
