// Package sqlite is passkeyd's embedded store: one file, WAL, every acknowledged write
// fsynced (synchronous=FULL), schema migrations applied at open. It implements
// passkeyd.Store and passes storetest.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/passkeyd/passkeyd"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a SQLite database. Writes go through one connection — SQLite allows one writer at a
// time anyway, and queueing in Go beats spinning on SQLITE_BUSY — while reads use a pool
// that WAL lets run beside the writer.
type DB struct {
	w *sql.DB
	r *sql.DB

	queue   chan write
	stopped chan struct{}
	mu      sync.RWMutex // held for reading while sending on queue, for writing to close it
	closed  bool

	wstmts, rstmts stmtCache
	unprepared     sync.Map // write statements to prepare between batches
	stats          commitCounters

	cp                *sql.DB // the checkpointer's connection
	cpStop, cpStopped chan struct{}

	// fault is the last write that failed for storage (disk full, read-only, I/O error)
	// since the last write that succeeded; readiness reports it.
	fault atomic.Pointer[storageFault]
}

type stmtCache = sync.Map

var errClosed = &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "the database is closed"}

var _ passkeyd.Store = (*DB)(nil)

// Page cache per connection (SQLite's default is 2,000 KiB on each). The writer keeps the
// default: its cache survives between its transactions. A reader's does not under write
// load: in WAL mode a connection empties its cache when it starts a read transaction after
// another connection committed, which every sign-in does. So a reader's cache serves one
// transaction, whose point lookups touch a few dozen pages, while a scan (the adoption
// gauges count every user and passkey) would fill the default and keep it allocated: at
// 100,000 users that was ~8 MB of resident memory over the pool for no hits. The
// checkpointer copies WAL frames through a buffer of its own, not its page cache.
const (
	readerCacheKiB       = 512
	checkpointerCacheKiB = 64
)

// Open opens (creating if needed) the database at path and applies pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	dsn := func(extra string) string {
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "busy_timeout(5000)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		return "file:" + path + "?" + q.Encode() + extra
	}
	// The writer never checkpoints: the checkpointer does, off the commit path. Its
	// savepoint journals (one SAVEPOINT per write of a group commit) stay in memory: on
	// disk each transaction opened, wrote and deleted a temporary file. A batch is at most
	// maxBatch small writes, so the journal stays small.
	w, err := sql.Open("sqlite", dsn("&_pragma=wal_autocheckpoint(0)&_pragma=temp_store(MEMORY)"))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	db := &DB{w: w}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(fmt.Sprintf("&_pragma=query_only(1)&_pragma=cache_size(-%d)", readerCacheKiB)))
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.r = r
	cp, err := sql.Open("sqlite", dsn(fmt.Sprintf("&_pragma=cache_size(-%d)", checkpointerCacheKiB)))
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	cp.SetMaxOpenConns(1)
	db.cp = cp
	db.queue = make(chan write, 4*maxBatch)
	db.stopped = make(chan struct{})
	db.cpStop, db.cpStopped = make(chan struct{}), make(chan struct{})
	go db.writer()
	go db.checkpointer()
	return db, nil
}

// Close finishes queued writes and closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	first := !db.closed
	if first {
		db.closed = true
		close(db.queue)
	}
	db.mu.Unlock()
	<-db.stopped
	if first {
		close(db.cpStop) // after the writer: the last checkpoint sees every write
	}
	<-db.cpStopped
	return errors.Join(db.r.Close(), db.cp.Close(), db.w.Close())
}

// Ping checks that the database answers reads and can take writes (/readyz). Reads keep
// working on a full disk or a read-only file while every sign-up and login fails, so
// readiness also fails while writes are failing for storage, and when a write transaction
// cannot begin (through the writer, so it also sees a writer that is stuck).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := mapErr(db.queryRow(ctx, "SELECT 1").Scan(&one)); err != nil {
		return err
	}
	if f := db.fault.Load(); f != nil && time.Since(f.at) < faultHold {
		return &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: fmt.Sprintf("writes are failing: %v (%v ago)", f.err, time.Since(f.at).Round(time.Second)), Err: f.err}
	}
	err := db.tx(ctx, func(tx wtx) error { return errProbed })
	if err != nil && !errors.Is(err, errProbed) {
		return mapErr(err)
	}
	return nil
}

// errProbed ends the readiness probe's write: its savepoint is rolled back, nothing written.
var errProbed = errors.New("sqlite: write probe")

// storageFault is a write that failed because of the storage under the database.
type storageFault struct {
	at  time.Time
	err error
}

// faultHold is how long a storage failure keeps the instance unready when no write has
// succeeded since: long enough for the balancer to route writes elsewhere, short enough
// that a freed disk brings the instance back without a restart (writes are tried again
// once it is ready, and a failure starts the hold again).
const faultHold = 30 * time.Second

// storageError reports whether err is the storage failing: the disk (or max_page_count)
// full, the file read-only, an I/O error, or the file gone.
func storageError(err error) bool {
	var se *sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3lib.SQLITE_FULL, sqlite3lib.SQLITE_READONLY, sqlite3lib.SQLITE_IOERR, sqlite3lib.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// migrate applies the embedded migrations not yet recorded, each in its own transaction.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	applied := map[int]bool{}
	rows, err := db.w.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	current := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: %w", err)
		}
		applied[v], current = true, max(current, v)
	}
	rows.Close()
	if known := KnownVersion(); current > known {
		return fmt.Errorf("sqlite: the database schema is version %d but this passkeyd knows only %d: run a newer passkeyd", current, known)
	}
	for _, name := range names {
		version, err := migrationVersion(name)
		if err != nil {
			return err
		}
		if applied[version] {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UnixMicro()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", name, err)
		}
	}
	return nil
}

// SchemaVersion returns the applied migration version.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// mapErr turns driver errors into the store contract's sentinels.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return passkeyd.ErrNotFound
	}
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch code := se.Code(); {
		case code == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
			msg := se.Error()
			switch {
			case strings.Contains(msg, "users.username_key"):
				return passkeyd.ErrUsernameTaken
			case strings.Contains(msg, "passkeys.id"), strings.Contains(msg, "oidc_"):
				return passkeyd.ErrCredentialExists
			}
		case code == sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
			return passkeyd.ErrNotFound
		case code&0xff == sqlite3lib.SQLITE_BUSY || code&0xff == sqlite3lib.SQLITE_LOCKED || code&0xff == sqlite3lib.SQLITE_IOERR || code&0xff == sqlite3lib.SQLITE_FULL ||
			code&0xff == sqlite3lib.SQLITE_READONLY || code&0xff == sqlite3lib.SQLITE_CANTOPEN:
			return &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "the database is unavailable", Err: err}
		}
	}
	return err
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Pragma reads a PRAGMA on the write connection, for checks and diagnostics.
func (db *DB) Pragma(ctx context.Context, name string) (string, error) {
	var v string
	err := db.w.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// KnownVersion is the schema version this build migrates to: its highest migration.
func KnownVersion() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	v := 0
	for _, n := range names {
		if mv, err := migrationVersion(n); err == nil {
			v = max(v, mv)
		}
	}
	return v
}

// migrationVersion is the number a migration file's name starts with (0007_… is 7). Each
// applied version is recorded, and every file not recorded is applied: migrations written
// on parallel branches (0005, 0006 and 0007 merged in any order) all run exactly once.
func migrationVersion(name string) (int, error) {
	base := path.Base(name)
	digits, _, _ := strings.Cut(base, "_")
	v, err := strconv.Atoi(digits)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("sqlite: migration %s: the name must start with its number, e.g. 0007_name.sql", name)
	}
	return v, nil
}

// InspectVersion reads the schema version of the database at path without changing it
// (0 when it has never been migrated); passkeyd doctor uses it.
func InspectVersion(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var v int
	err = db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return 0, nil
	}
	return v, err
}
