package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd"
)

// TestReadinessWhenFull: the database cannot grow (max_page_count pinned at its size: the
// SQLITE_FULL a full disk gives). Sign-ups fail fast as unavailable, and Ping — /readyz —
// fails too, naming the cause, although reads still work; once a write succeeds again,
// Ping is ok.
func TestReadinessWhenFull(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping of a healthy database: %v", err)
	}
	pages, err := db.Pragma(ctx, "page_count")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pragma(ctx, "max_page_count = "+pages); err != nil {
		t.Fatal(err)
	}
	signUp := func(i int) error {
		now := time.Now().UTC()
		id := fmt.Sprintf("full-%d-%s", i, strings.Repeat("x", 200))
		return db.CreateAccount(ctx, passkeyd.NewAccount{
			User:    &passkeyd.User{ID: id, Handle: []byte(id), Username: id, UsernameKey: id, DisplayName: id, CreatedAt: now},
			Passkey: &passkeyd.Passkey{ID: []byte(id), UserID: id, Name: "k", PublicKey: make([]byte, 300), Algorithm: -7, AAGUID: make([]byte, 16), Transports: []string{}, AttestationFormat: "none", AttestationType: "none", CreatedAt: now},
		})
	}
	var full error
	for i := 0; i < 2000 && full == nil; i++ {
		full = signUp(i)
	}
	if full == nil {
		t.Fatal("the database never filled up")
	}
	if passkeyd.ErrorCode(full) != passkeyd.CodeUnavailable {
		t.Fatalf("write on a full database: %v (code %s), want unavailable", full, passkeyd.ErrorCode(full))
	}
	if _, err := db.UserByID(ctx, "full-0-"+strings.Repeat("x", 200)); err != nil {
		t.Fatalf("reads should still work: %v", err)
	}
	err = db.Ping(ctx)
	if passkeyd.ErrorCode(err) != passkeyd.CodeUnavailable || !strings.Contains(err.Error(), "full") {
		t.Fatalf("Ping with writes failing for a full database: %v, want unavailable naming it full", err)
	}
	if _, err := db.Pragma(ctx, "max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	if err := signUp(1_000_000); err != nil {
		t.Fatalf("write after space was freed: %v", err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping after a write succeeded again: %v", err)
	}
}
