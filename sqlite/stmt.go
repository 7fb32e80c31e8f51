package sqlite

import (
	"context"
	"database/sql"
)

// SQLite spends more time parsing a statement than running one of ours, so every query is
// prepared once per connection pool and reused (database/sql re-prepares transparently on
// each pooled connection).

func (db *DB) prepared(pool *sql.DB, cache *stmtCache, query string) (*sql.Stmt, error) {
	if s, ok := cache.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := pool.Prepare(query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := cache.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// wtx is a write transaction whose statements come from the prepared cache. The write pool
// has one connection, held by the transaction, so a statement cannot be prepared on the pool
// while a transaction runs: a statement seen for the first time runs unprepared and is
// queued for the writer to prepare between batches.
type wtx struct {
	tx *sql.Tx
	db *DB
}

func (t wtx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := t.db.wstmts.Load(query); ok {
		return t.tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	t.db.unprepared.Store(query, true)
	return nil
}

// Statements in a write transaction are not cancellable: a caller that gave up while its
// write was queued is skipped before it runs (commit), and once running, its statements
// are point writes of microseconds that would only leave the batch's savepoint to unwind.
// A cancellable context costs the driver a watcher goroutine per statement.

func (t wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

func (t wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// prepareWrites prepares the statements transactions ran unprepared. The writer calls it
// between batches, when the write connection is free.
func (db *DB) prepareWrites() {
	db.unprepared.Range(func(k, _ any) bool {
		db.unprepared.Delete(k)
		if _, err := db.prepared(db.w, &db.wstmts, k.(string)); err != nil {
			return true // it keeps running unprepared; the error shows when it runs
		}
		return true
	})
}

// queryRow and query read through the pool with prepared statements.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := db.prepared(db.r, &db.rstmts, query)
	if err != nil {
		return db.r.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// lookup is queryRow for a lookup by a unique key: an index seek of microseconds, which a
// deadline could not usefully interrupt, so it runs without the driver's per-statement
// cancellation watcher (a goroutine each). A caller already past its deadline fails at
// once, as it would have.
func (db *DB) lookup(ctx context.Context, query string, args ...any) *sql.Row {
	if ctx.Err() != nil {
		return db.queryRow(ctx, query, args...)
	}
	return db.queryRow(context.WithoutCancel(ctx), query, args...)
}

func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := db.prepared(db.r, &db.rstmts, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}
