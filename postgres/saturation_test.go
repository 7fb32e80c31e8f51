package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/postgres"
)

// TestSaturation: far more concurrent logins than pool connections (200 against 10).
// No store call holds a connection while waiting for another, so nothing deadlocks: every
// call finishes (a success, a counter regression, or — past its deadline — unavailable),
// and none hangs.
func TestSaturation(t *testing.T) {
	base := open(t) // migrated schema
	schemaURL := base.URL()
	sep := "&"
	if !strings.Contains(schemaURL, "?") {
		sep = "?"
	}
	db, err := postgres.Open(context.Background(), schemaURL+sep+"pool_max_conns=10")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	u := &passkeyd.User{ID: "sat", Handle: []byte("sat-handle"), Username: "sat", UsernameKey: "sat", DisplayName: "sat", CreatedAt: now}
	p := &passkeyd.Passkey{ID: []byte("sat-pk"), UserID: "sat", Name: "k", PublicKey: []byte{1}, Algorithm: -7, AAGUID: make([]byte, 16), Transports: []string{}, AttestationFormat: "none", AttestationType: "none", CreatedAt: now}
	if err := db.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: p}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[passkeyd.Code]int{}
	start := time.Now()
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			var err error
			var pk *passkeyd.Passkey
			var owner *passkeyd.User
			if pk, err = db.Passkey(cctx, p.ID); err == nil {
				if owner, err = db.UserByID(cctx, "sat"); err == nil {
					sess := &passkeyd.Session{ID: randomID(), TokenHash: []byte(randomID()), UserID: "sat", Method: passkeyd.MethodPasskey, AuthenticatedAt: now, ExpiresAt: now.Add(time.Hour)}
					err = db.RecordLogin(cctx, p.ID, passkeyd.PasskeyUse{SignCount: uint32(i + 1), UsedAt: now, ETag: pk.ETag, UserETag: owner.ETag}, sess, nil)
				}
			}
			code := passkeyd.Code("ok")
			if err != nil {
				code = passkeyd.ErrorCode(err)
			}
			mu.Lock()
			outcomes[code]++
			mu.Unlock()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("concurrent logins hung against a pool of 10")
	}
	for code, n := range outcomes {
		switch code {
		case "ok", passkeyd.CodeCounterRegression, passkeyd.CodeUnavailable:
		default:
			t.Errorf("%d calls ended with %s", n, code)
		}
	}
	if outcomes["ok"] == 0 {
		t.Fatalf("no login succeeded: %v", outcomes)
	}
	t.Logf("200 concurrent logins on 10 connections in %v: %v", time.Since(start).Round(time.Millisecond), outcomes)
}

// TestOverloadAnswersQuickly: when every connection is busy (here: ten logins blocked on a
// row lock), further calls fail fast with unavailable instead of queueing to their deadline.
func TestOverloadAnswersQuickly(t *testing.T) {
	base := open(t)
	sep := "&"
	if !strings.Contains(base.URL(), "?") {
		sep = "?"
	}
	db, err := postgres.Open(context.Background(), base.URL()+sep+"pool_max_conns=10")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	u := &passkeyd.User{ID: "ov", Handle: []byte("ov-handle"), Username: "ov", UsernameKey: "ov", DisplayName: "ov", CreatedAt: now}
	p := &passkeyd.Passkey{ID: []byte("ov-pk"), UserID: "ov", Name: "k", PublicKey: []byte{1}, Algorithm: -7, AAGUID: make([]byte, 16), Transports: []string{}, AttestationFormat: "none", AttestationType: "none", CreatedAt: now}
	if err := db.CreateAccount(ctx, passkeyd.NewAccount{User: u, Passkey: p}); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Passkey(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := db.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Another client holds the passkey's row lock.
	lockConn, err := pgx.Connect(ctx, base.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer lockConn.Close(ctx)
	tx, err := lockConn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM passkeys WHERE id = $1 FOR UPDATE`, p.ID); err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		code passkeyd.Code
		took time.Duration
	}
	results := make(chan outcome, 30)
	for i := 0; i < 30; i++ {
		go func() {
			cctx, cancel := context.WithTimeout(ctx, 8*time.Second)
			defer cancel()
			start := time.Now()
			err := db.RecordLogin(cctx, p.ID, passkeyd.PasskeyUse{SignCount: uint32(i + 1), UsedAt: now, ETag: stored.ETag, UserETag: owner.ETag}, nil, nil)
			code := passkeyd.Code("ok")
			if err != nil {
				code = passkeyd.ErrorCode(err)
			}
			results <- outcome{code, time.Since(start)}
		}()
	}
	quick := 0
	for i := 0; i < 20; i++ {
		o := <-results
		if o.code == passkeyd.CodeUnavailable && o.took < 3*time.Second {
			quick++
		}
	}
	tx.Rollback(ctx)
	for i := 0; i < 10; i++ {
		if o := <-results; o.code != "ok" && o.code != passkeyd.CodeCounterRegression {
			t.Errorf("a blocked login ended with %s after the lock was released", o.code)
		}
	}
	if quick != 20 {
		t.Fatalf("%d of the 20 calls past the pool's 10 connections failed fast; want all", quick)
	}
}
