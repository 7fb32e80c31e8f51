// Package postgres is passkeyd's PostgreSQL store, for many stateless instances sharing one
// database. It implements passkeyd.Store on a pgx connection pool and passes storetest.
// Every write commits before it returns; counter updates are conditional in SQL, and the
// last-way-in rule locks the user's row, so concurrent instances cannot race past either.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passkeyd/passkeyd"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serialises migrations across instances.
const migrationLock = 0x70617373_6b657964 // "passkeyd"

// DB is a PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
	url  string
	// gate admits as many operations as the pool has connections. Past that an operation
	// waits at most admitWait and then fails with ErrUnavailable: under overload clients get
	// a quick 503 instead of queueing until their deadline.
	gate chan struct{}
	// timeout bounds each operation (and each attempt of a retried read).
	timeout time.Duration
}

// DefaultTimeout is the bound on each database operation, connection attempt and
// statement when none is configured (PASSKEYD_DATABASE_TIMEOUT): a few seconds, far below
// the request deadline, so a hung database fails requests fast instead of holding them.
const DefaultTimeout = 3 * time.Second

// admitWait is how long an operation may wait for a free connection.
const admitWait = time.Second

var _ passkeyd.Store = (*DB)(nil)

// Open connects to url (postgres://…) with DefaultTimeout. It does not migrate; call
// Migrate (or run `passkeyd migrate`) first.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenTimeout(ctx, url, 0)
}

// OpenTimeout is Open with timeout (0: DefaultTimeout) bounding each operation on the
// client, and, unless the URL sets its own, the server's statement_timeout and the
// connect_timeout of each new connection.
func OpenTimeout(ctx context.Context, url string, timeout time.Duration) (*DB, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.MaxConns < 10 {
		cfg.MaxConns = 10
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = timeout
	}
	// The server gives up on a runaway statement too, freeing its backend (the client's
	// bound alone would leave it running).
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &DB{pool: pool, url: url, gate: make(chan struct{}, cfg.MaxConns), timeout: timeout}, nil
}

// URL returns the connection URL the DB was opened with. It may carry a password: never
// log it.
func (db *DB) URL() string { return db.url }

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers and can take writes (/readyz): a standby, or a
// primary demoted by a failover that this instance still reaches, answers reads but would
// fail every sign-up and login with 25006.
func (db *DB) Ping(ctx context.Context) error {
	var readOnly bool
	err := db.pool.QueryRow(ctx, `SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'`).Scan(&readOnly)
	if err != nil {
		return mapErr(err)
	}
	if readOnly {
		return &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: "the database is read-only (a standby, or a primary demoted by a failover): writes would fail"}
	}
	return nil
}

// Migrate applies pending migrations. Several instances may call it at once: an advisory
// lock lets one migrate while the others wait, then find nothing to do.
func (db *DB) Migrate(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer conn.Release()
	// A migration (or waiting for another instance's) may take longer than the
	// statement_timeout that bounds requests.
	if _, err := conn.Exec(ctx, `SET statement_timeout = 0`); err != nil {
		return mapErr(err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `RESET statement_timeout`)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	recorded, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	applied := map[int]bool{}
	current := 0
	for _, v := range recorded {
		applied[v], current = true, max(current, v)
	}
	if known := KnownVersion(); current > known {
		return fmt.Errorf("postgres: the database schema is version %d but this passkeyd knows only %d: run a newer passkeyd", current, known)
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
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", name, err)
		}
	}
	return nil
}

// SchemaVersion returns the applied migration version.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, mapErr(err)
}

// admit takes a place at the gate; release it with the returned func.
func (db *DB) admit(ctx context.Context) (func(), error) {
	select {
	case db.gate <- struct{}{}:
		return func() { <-db.gate }, nil
	default:
	}
	t := time.NewTimer(admitWait)
	defer t.Stop()
	select {
	case db.gate <- struct{}{}:
		return func() { <-db.gate }, nil
	case <-t.C:
		return nil, errSaturated
	case <-ctx.Done():
		return nil, mapErr(ctx.Err())
	}
}

// do runs one store operation through the gate.
// The operation runs under the caller's context bounded by the database timeout: a stalled
// or partitioned server fails the call (unavailable) within the timeout, and its connection
// goes back to the pool closed, instead of holding both until the request's deadline.
func do[T any](ctx context.Context, db *DB, fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, db.timeout)
	defer cancel()
	release, err := db.admit(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	defer release()
	return fn(ctx)
}

// tx runs fn in a transaction and commits it.
// maintenanceTimeout bounds the background sweeps (expired sessions, delivered webhooks):
// they run off the request path and may touch far more rows than a request's
// statement_timeout allows, and failing every time would let the tables grow forever.
const maintenanceTimeout = time.Minute

// maintain runs one sweeping statement under maintenanceTimeout instead of the database
// timeout, and says how many rows it touched.
func (db *DB) maintain(ctx context.Context, query string, args ...any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, maintenanceTimeout)
	defer cancel()
	release, err := db.admit(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	var n int64
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", maintenanceTimeout.Milliseconds())); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, query, args...)
		n = tag.RowsAffected()
		return err
	})
	return int(n), mapErr(err)
}

// fn gets the bounded context of the operation.
func (db *DB) tx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	_, err := do(ctx, db, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, mapErr(pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return fn(ctx, tx) }))
	})
	return err
}

func utc(t time.Time) time.Time { return t.UTC() }

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
	digits, _, _ := strings.Cut(path.Base(name), "_")
	v, err := strconv.Atoi(digits)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("postgres: migration %s: the name must start with its number, e.g. 0007_name.sql", name)
	}
	return v, nil
}

// ServerTime returns the database server's clock, to measure skew against this host.
func (db *DB) ServerTime(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := db.pool.QueryRow(ctx, `SELECT now()`).Scan(&t)
	return t, mapErr(err)
}
