package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/passkeyd/passkeyd"
	"github.com/passkeyd/passkeyd/sqlite"
	"github.com/passkeyd/passkeyd/storetest"
)

func open(t testing.TB) *sqlite.DB {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) passkeyd.Store { return open(t) })
}

func TestMigrationsAreIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	for i := 0; i < 3; i++ {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if v, err := db.SchemaVersion(context.Background()); err != nil || v != sqlite.KnownVersion() {
			t.Fatalf("schema version %d, %v", v, err)
		}
		db.Close()
	}
}

func TestDurabilitySettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, _ := sql.Open("sqlite", "file:"+path)
	defer raw.Close()
	var mode string
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	// synchronous is per connection: check the one Open configures through its DSN.
	sync, err := db.Pragma(context.Background(), "synchronous")
	if err != nil || sync != "2" { // 2 = FULL: every commit fsyncs the WAL
		t.Fatalf("synchronous %q, %v", sync, err)
	}
	fk, _ := db.Pragma(context.Background(), "foreign_keys")
	if fk != "1" {
		t.Fatalf("foreign_keys %q", fk)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, _ := sql.Open("sqlite", "file:"+path)
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := sqlite.Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "newer passkeyd") {
		t.Fatalf("opened a database from the future: %v", err)
	}
}

// TestMigrationMergedOutOfOrderIsApplied: a migration whose number is below the database's
// version but that was never applied (it came from a branch merged later) still runs.
func TestMigrationMergedOutOfOrderIsApplied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DROP TABLE totp; DELETE FROM schema_migrations WHERE version = 3`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err = sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.TOTP(context.Background(), "nobody"); !errors.Is(err, passkeyd.ErrNotFound) {
		t.Fatalf("the totp table is back? %v", err)
	}
}
