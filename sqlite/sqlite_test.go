package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestHotPathMigrationKeepsRows: a database made by the migrations before 0011 keeps its
// sessions, audit events and webhook deliveries through the table rebuilds of
// 0011_hot_path.sql, and they are found the way the store looks them up afterwards.
func TestHotPathMigrationKeepsRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("migrations/*.sql")
	for _, f := range files {
		if filepath.Base(f) >= "0011" {
			break
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		v, _ := strconv.Atoi(filepath.Base(f)[:4])
		if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, v); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	hash := bytes.Repeat([]byte{7}, 32)
	for _, q := range []string{
		`INSERT INTO users (id, handle, username, username_key, display_name, created_at) VALUES ('u1', x'01', 'Ann', 'ann', 'Ann', 0)`,
		`INSERT INTO passkeys (id, user_id, name, public_key, algorithm, sign_count, aaguid, transports, attestation_format, attestation_type, backup_eligible, backed_up, user_verified, created_at)
			VALUES (x'c1', 'u1', 'key', x'00', -7, 0, zeroblob(16), '', 'none', 'none', 0, 0, 1, 0)`,
		fmt.Sprintf(`INSERT INTO sessions (id, token_hash, user_id, method, authenticated_at, expires_at, created_at, credential_id, user_verified, amr, user_agent, ip)
			VALUES ('s1', x'%x', 'u1', 'passkey', %d, %d, %d, x'c1', 1, 'hwk user', 'UA', '192.0.2.1')`, hash, now.UnixMicro(), now.Add(time.Hour).UnixMicro(), now.UnixMicro()),
		`INSERT INTO audit_events (id, user_id, type, method, ip, user_agent, outcome, reason, at) VALUES ('e1', 'u1', 'sign_in', 'passkey', '', '', 'success', '', 1)`,
		`INSERT INTO audit_events (id, user_id, type, method, ip, user_agent, outcome, reason, at) VALUES ('e2', 'u1', 'sign_out', 'passkey', '', '', 'success', '', 2)`,
		`INSERT INTO webhook_outbox (id, event_id, url, type, user_id, body, state, created_at, since, next_attempt_at) VALUES ('d1', 'e1', 'http://127.0.0.1/', 'sign_in', 'u1', x'7b7d', 'pending', 1, 1, 1)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.SessionByTokenHash(ctx, hash, now)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "s1" || string(s.CredentialID) != "\xc1" || !s.UserVerified || strings.Join(s.AMR, " ") != "hwk user" || s.IP != "192.0.2.1" {
		t.Fatalf("session after the migration: %+v", s)
	}
	if err := db.RecordEvent(ctx, &passkeyd.AuditEvent{ID: "e3", UserID: "u1", Type: "sign_in", Method: "passkey", Outcome: "success", At: now}); err != nil {
		t.Fatal(err)
	}
	events, err := db.Events(ctx, "u1", 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	if strings.Join(ids, ",") != "e3,e2,e1" {
		t.Fatalf("events newest first after the migration: %v", ids)
	}
	// The passkey's sessions are found without the old credential index.
	if err := db.RevokePasskey(ctx, "u1", []byte{0xc1}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionByTokenHash(ctx, hash, now); !errors.Is(err, passkeyd.ErrNotFound) {
		t.Fatalf("the revoked passkey's session survived: %v", err)
	}
	db.Close()

	raw, err = sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var withoutRowid int
	if err := raw.QueryRow(`SELECT wr FROM pragma_table_list WHERE name = 'sessions'`).Scan(&withoutRowid); err != nil || withoutRowid != 1 {
		t.Fatalf("sessions WITHOUT ROWID: %d %v", withoutRowid, err)
	}
	var deliveries, sequences int
	raw.QueryRow(`SELECT COUNT(*) FROM webhook_outbox WHERE id = 'd1' AND state = 'pending'`).Scan(&deliveries)
	raw.QueryRow(`SELECT COUNT(*) FROM sqlite_sequence`).Scan(&sequences)
	if deliveries != 1 || sequences != 0 {
		t.Fatalf("outbox rows %d (want 1), sqlite_sequence rows %d (want 0)", deliveries, sequences)
	}
}
