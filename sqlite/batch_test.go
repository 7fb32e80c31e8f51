package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

// TestGroupCommitIsolatesFailures: concurrent writes share commits, but one write's
// failure never undoes or fails another's.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 60)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user%d", i%40) // 20 names are claimed twice
			u := &passkeyd.User{ID: fmt.Sprintf("id%d", i), Handle: []byte(fmt.Sprintf("handle%d", i)), Username: name, UsernameKey: name, DisplayName: name, CreatedAt: time.Now()}
			errs[i] = db.CreateAccount(ctx, passkeyd.NewAccount{User: u})
		}()
	}
	wg.Wait()
	ok, taken := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, passkeyd.ErrUsernameTaken):
			taken++
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 40 || taken != 20 {
		t.Fatalf("%d created, %d taken; want 40 and 20", ok, taken)
	}
	for i := 0; i < 40; i++ {
		if _, err := db.UserByUsername(ctx, fmt.Sprintf("user%d", i)); err != nil {
			t.Fatalf("user%d missing after its write was acknowledged: %v", i, err)
		}
	}
}

func TestCancelledWriteDoesNothing(t *testing.T) {
	db := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u := &passkeyd.User{ID: "x", Handle: []byte("h"), Username: "x", UsernameKey: "xyz", DisplayName: "x", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, passkeyd.NewAccount{User: u}); err == nil {
		t.Fatal("a cancelled write succeeded")
	}
	if _, err := db.UserByUsername(context.Background(), "xyz"); !errors.Is(err, passkeyd.ErrNotFound) {
		t.Fatalf("cancelled write stored the user: %v", err)
	}
	db.Close()
	if err := db.CreateAccount(context.Background(), passkeyd.NewAccount{User: u}); err == nil {
		t.Fatal("write after Close succeeded")
	}
}

// TestGroupCommitGroupsConcurrentSignIns: sign-ins arriving together share commits (the
// writer holds a batch open once it sees concurrency), and every one is acknowledged.
func TestGroupCommitGroupsConcurrentSignIns(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	const clients, each = 16, 20
	ids := make([][]byte, clients)
	for i := range ids {
		ids[i] = []byte(fmt.Sprintf("cred-%02d", i))
		u := &passkeyd.User{ID: fmt.Sprintf("u%d", i), Handle: []byte(fmt.Sprintf("h%d", i)), Username: fmt.Sprintf("n%d", i), UsernameKey: fmt.Sprintf("n%d", i), DisplayName: "n", CreatedAt: time.Now()}
		p := &passkeyd.Passkey{ID: ids[i], UserID: u.ID, Name: "k", PublicKey: []byte{1}, Algorithm: -7, AAGUID: make([]byte, 16), CreatedAt: time.Now()}
		if err := db.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: p}); err != nil {
			t.Fatal(err)
		}
	}
	uses := make([]passkeyd.PasskeyUse, clients)
	for i := range ids {
		p, err := db.Passkey(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		u, err := db.UserByID(ctx, p.UserID)
		if err != nil {
			t.Fatal(err)
		}
		uses[i] = passkeyd.PasskeyUse{ETag: p.ETag, UserETag: u.ETag}
	}
	before := db.CommitStats()
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; n <= each; n++ {
				now := time.Now()
				s := &passkeyd.Session{ID: fmt.Sprintf("s%d-%d", i, n), TokenHash: []byte(fmt.Sprintf("t%d-%d", i, n)), UserID: fmt.Sprintf("u%d", i),
					Method: passkeyd.MethodPasskey, AuthenticatedAt: now, ExpiresAt: now.Add(time.Hour)}
				e := &passkeyd.AuditEvent{ID: fmt.Sprintf("e%d-%d", i, n), UserID: s.UserID, Type: "sign_in", Method: "passkey", Outcome: "success", At: now}
				use := uses[i]
				use.SignCount, use.UsedAt = uint32(n), now
				errs <- db.RecordLogin(ctx, ids[i], use, s, e)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	after := db.CommitStats()
	writes, commits := after.Writes-before.Writes, after.Commits-before.Commits
	if writes != clients*each {
		t.Fatalf("%d writes counted, want %d", writes, clients*each)
	}
	// 16 writers that never think between writes: a commit that groups nothing (320
	// commits) would mean the writer does not batch at all.
	if commits*2 > writes {
		t.Fatalf("%d commits for %d sign-ins: group commit does not group", commits, writes)
	}
	t.Logf("%d sign-ins in %d commits (%.1f per commit)", writes, commits, float64(writes)/float64(commits))
	for i, id := range ids {
		if p, err := db.Passkey(ctx, id); err != nil || p.SignCount != each {
			t.Fatalf("client %d: counter %v, %v; want %d", i, p, err, each)
		}
	}
}

// TestWriterDoesNotCheckpoint: checkpoints are the background checkpointer's, never the
// committing writer's.
func TestWriterDoesNotCheckpoint(t *testing.T) {
	db := open(t)
	if v, err := db.Pragma(context.Background(), "wal_autocheckpoint"); err != nil || v != "0" {
		t.Fatalf("writer wal_autocheckpoint = %q, %v; want 0", v, err)
	}
	if v, err := db.Pragma(context.Background(), "synchronous"); err != nil || v != "2" {
		t.Fatalf("writer synchronous = %q, %v; want 2 (FULL)", v, err)
	}
}
