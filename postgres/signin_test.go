package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
)

// TestRecordLoginWaitingForAChange: a sign-in whose UPDATE waits for another transaction's
// change to the passkey row is refused for what that change did — renamed or flagged by
// hand: ErrStale; deleted: ErrNotFound; a later counter: ErrCounterRegression — not for
// what the statement's older snapshot still shows. (Refused as a regression, a renamed
// passkey would be flagged as cloned.)
func TestRecordLoginWaitingForAChange(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	cases := []struct {
		name   string
		change string
		want   error
	}{
		{"renamed by hand", `UPDATE passkeys SET name = 'by hand' WHERE id = $1`, passkeyd.ErrStale},
		{"flagged by hand", `UPDATE passkeys SET clone_warning = true WHERE id = $1`, passkeyd.ErrStale},
		{"signed in with a later counter", `UPDATE passkeys SET sign_count = 50 WHERE id = $1`, passkeyd.ErrCounterRegression},
		{"deleted", `DELETE FROM passkeys WHERE id = $1`, passkeyd.ErrNotFound},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Now().UTC()
			u := &passkeyd.User{ID: randomID(), Handle: []byte(randomID()), Username: randomID(), DisplayName: "w", CreatedAt: now}
			u.UsernameKey = u.Username
			p := &passkeyd.Passkey{ID: []byte(randomID()), UserID: u.ID, Name: "k", PublicKey: []byte{1}, Algorithm: -7, AAGUID: make([]byte, 16),
				Transports: []string{}, AttestationFormat: "none", AttestationType: "none", SignCount: 10, CreatedAt: now}
			if err := db.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: p}); err != nil {
				t.Fatal(err)
			}
			stored, _ := db.Passkey(ctx, p.ID)
			owner, _ := db.UserByID(ctx, u.ID)
			conn, err := pgx.Connect(ctx, db.URL())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, tc.change, p.ID); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				use := passkeyd.PasskeyUse{SignCount: 20 + uint32(i), UsedAt: now, ETag: stored.ETag, UserETag: owner.ETag}
				done <- db.RecordLogin(ctx, p.ID, use, &passkeyd.Session{ID: randomID(), TokenHash: []byte(randomID()), UserID: u.ID,
					Method: passkeyd.MethodPasskey, AuthenticatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil)
			}()
			waitForLockWait(t, db.URL())
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, tc.want) {
				t.Fatalf("RecordLogin: %v, want %v", err, tc.want)
			}
			if sessions, _ := db.Sessions(ctx, u.ID, now); len(sessions) != 0 {
				t.Fatalf("%d sessions written by a refused sign-in", len(sessions))
			}
		})
	}
}

// waitForLockWait returns once a sign-in statement waits for a row lock, so that the change
// commits while it waits. It asks on a connection of its own: inside a transaction,
// pg_stat_activity keeps showing what it showed first.
func waitForLockWait(t *testing.T, url string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND datname = current_database() AND query LIKE 'WITH upd AS%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
	}
	t.Fatal("the sign-in never waited for the row lock")
}

// TestETagByHand: a change made by hand in SQL draws a new etag too (the trigger), so no
// instance's cache acts on what it read before.
func TestETagByHand(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	u := &passkeyd.User{ID: "hand", Handle: []byte("hand"), Username: "hand", UsernameKey: "hand", DisplayName: "h", CreatedAt: now}
	p := &passkeyd.Passkey{ID: []byte("hand-pk"), UserID: u.ID, Name: "k", PublicKey: []byte{1}, Algorithm: -7, AAGUID: make([]byte, 16),
		Transports: []string{}, AttestationFormat: "none", AttestationType: "none", CreatedAt: now}
	if err := db.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: p}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, db.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, stmt := range []string{
		`UPDATE passkeys SET clone_warning = false WHERE id = $1`,
		`UPDATE passkeys SET transports = '{usb}' WHERE id = $1`,
		`UPDATE users SET display_name = 'By Hand' WHERE id = (SELECT user_id FROM passkeys WHERE id = $1)`,
	} {
		before, _ := db.Passkey(ctx, p.ID)
		owner, _ := db.UserByID(ctx, u.ID)
		if _, err := conn.Exec(ctx, stmt, p.ID); err != nil {
			t.Fatal(err)
		}
		after, _ := db.Passkey(ctx, p.ID)
		ownerAfter, _ := db.UserByID(ctx, u.ID)
		if strings.HasPrefix(stmt, "UPDATE users") {
			if ownerAfter.ETag == owner.ETag {
				t.Fatalf("%s: the user's etag stayed %d", stmt, owner.ETag)
			}
		} else if after.ETag == before.ETag {
			t.Fatalf("%s: the passkey's etag stayed %d", stmt, before.ETag)
		}
	}
}
