package webhook_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/account"
	"github.com/passkeyd/passkeyd/ceremony"
	"github.com/passkeyd/passkeyd/memory"
	"github.com/passkeyd/passkeyd/password"
	"github.com/passkeyd/passkeyd/sqlite"
	"github.com/passkeyd/passkeyd/webhook"
)

// TestAccountEventsSurviveARestart drives the account service as the server does: events
// of every kind (account changes, written before the reply, and sign-ins, written in the
// background) with the receiver down; then the worker and the service stop, the SQLite file
// is closed, opened again, and every event arrives.
func TestAccountEventsSurviveARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "passkeyd.db")
	r := newReceiver(t, nil)
	var down atomic.Bool
	down.Store(true)
	r.fail = down.Load
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := ceremony.New(ceremony.Config{RPID: "localhost", RPName: "test", Origins: []string{"http://localhost:8080"}, Algorithms: []int64{-7}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var want []string
	pub := &webhook.Publisher{URLs: []string{r.URL}}
	svc, err := account.New(ctx, db, memory.NewChallenges(), rp, account.Config{
		Passwords: password.New(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1}),
		OnEvent: func(e *passkeyd.AuditEvent) {
			if len(webhook.Types(e)) > 0 {
				mu.Lock()
				want = append(want, e.ID)
				mu.Unlock()
			}
		},
		Webhooks: pub.Deliveries,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, webhook.NewWorker(db, fast()))
	const pw, pw2 = "correct horse battery staple", "another long passphrase here"
	signedUp, err := svc.PasswordSignUp(ctx, "alice", pw, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	userID := signedUp.User.ID
	for i := 0; i < 5; i++ {
		if _, err := svc.PasswordLogin(ctx, "alice", pw); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = svc.PasswordLogin(ctx, "alice", "wrong password for sure")
	if err := svc.ChangePassword(ctx, signedUp.Session.Session, pw, pw2); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RevokeSessions(ctx, userID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the worker tries, the receiver fails
	stop()
	svc.Close() // writes the sign-ins still queued
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if len(want) != 10 {
		t.Fatalf("%d events with webhooks, want 10 (created, 5 sign-ins, a failure, password changed and the other sessions revoked with it, sessions revoked by an operator)", len(want))
	}

	down.Store(false)
	db = openSQLite(t, path)
	start(t, webhook.NewWorker(db, fast()))
	r.waitFor(want, true, 20*time.Second)
}
