// Package pgtest gives tests a PostgreSQL schema of their own on the test server
// (PASSKEYD_TEST_POSTGRES_URL, else the machine's local server), so that tests and packages
// running at the same time never see each other's tables.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// BaseURL is the test server's URL.
func BaseURL() string {
	if u := os.Getenv("PASSKEYD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://127.0.0.1:5432/test?sslmode=disable"
}

// Required reports whether a missing PostgreSQL fails the test instead of skipping it.
func Required() bool {
	v := os.Getenv("PASSKEYD_TEST_REQUIRE")
	return strings.Contains(v, "all") || strings.Contains(v, "postgres")
}

// URL creates a fresh schema (dropped when the test ends) and returns a URL whose
// search_path is that schema. It skips the test when PostgreSQL is unreachable, or fails it
// when Required.
func URL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	base := BaseURL()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		if Required() {
			t.Fatalf("PostgreSQL unreachable at %s: %v", base, err)
		}
		t.Skipf("PostgreSQL unreachable at %s (set PASSKEYD_TEST_POSTGRES_URL): %v", base, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "passkeyd_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close(context.Background())
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
