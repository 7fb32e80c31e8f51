package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/passkeyd/passkeyd/postgres"
	"github.com/passkeyd/passkeyd/postgres/pgtest"
)

// postgresURL is a schema of its own on the test server (see pgtest).
func postgresURL(t *testing.T) string { return pgtest.URL(t) }

func openPostgres(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestTwoWorkersOnOnePostgreSQL: two instances, each with its own pool and worker, never
// both send an event (SKIP LOCKED leases), and together send all of them.
func TestTwoWorkersOnOnePostgreSQL(t *testing.T) {
	url := postgresURL(t)
	a, b := openPostgres(t, url), openPostgres(t, url)
	r := newReceiver(t, nil)
	ids := publish(t, a, 200, r.URL)
	cfg := fast()
	cfg.Batch = 4 // many small leases, so the two workers interleave
	regA, regB := bothWork(t, a, b, cfg)
	r.waitFor(ids, true, 30*time.Second)
	bothSent(t, regA, regB, len(ids))
}
