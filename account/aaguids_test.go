package account_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/memory"
)

// TestRevokeAAGUIDInBatches: one call revokes at most RevokeBatch passkeys and says that
// more remain; the next revokes the rest. Every revocation is audited as passkey_revoked
// and ends the session its passkey signed in.
func TestRevokeAAGUIDInBatches(t *testing.T) {
	ctx := context.Background()
	store := memory.NewStore()
	challenges := memory.NewChallenges()
	t.Cleanup(func() { challenges.Close() })
	rp, err := ceremony.New(ceremony.Config{RPID: "localhost", RPName: "test", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := account.New(ctx, store, challenges, rp, account.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)

	model := uuid.New()
	now := time.Now().UTC()
	const n = account.RevokeBatch + 1
	for i := range n {
		u := &passkeyd.User{ID: fmt.Sprintf("u%04d", i), Handle: random(32), Username: fmt.Sprintf("user%04d", i), UsernameKey: fmt.Sprintf("user%04d", i), CreatedAt: now}
		p := &passkeyd.Passkey{ID: random(16), UserID: u.ID, Name: "key", PublicKey: random(65), Algorithm: -7, AAGUID: model[:], CreatedAt: now}
		s := &passkeyd.Session{ID: fmt.Sprintf("s%04d", i), TokenHash: random(32), UserID: u.ID, Method: passkeyd.MethodPasskey, CredentialID: p.ID, AuthenticatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := store.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: p, Session: s}); err != nil {
			t.Fatal(err)
		}
	}
	revoked, more, err := svc.RevokeAAGUID(ctx, model.String())
	if err != nil || revoked != account.RevokeBatch || !more {
		t.Fatalf("first call: %d revoked, more %v, %v", revoked, more, err)
	}
	revoked, more, err = svc.RevokeAAGUID(ctx, model.String())
	if err != nil || revoked != 1 || more {
		t.Fatalf("second call: %d revoked, more %v, %v", revoked, more, err)
	}
	if _, passkeys, sessions := store.Counts(); passkeys != 0 || sessions != 0 {
		t.Fatalf("%d passkeys and %d sessions left", passkeys, sessions)
	}
	svc.Close() // writes the queued audit events
	for _, uid := range []string{"u0000", fmt.Sprintf("u%04d", n-1)} {
		evs, _ := store.Events(ctx, uid, 10)
		if len(evs) != 1 || evs[0].Type != "passkey_revoked" || evs[0].Method != "passkey" {
			t.Fatalf("%s's audit: %+v", uid, evs)
		}
	}
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
