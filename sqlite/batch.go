package sqlite

import (
	"context"
	"fmt"
	"time"
)

// Group commit. Every write is a durable commit (synchronous=FULL fsyncs the WAL), and an
// fsync costs far more than the statements it protects. Writes that arrive while one commit
// is in flight are queued and committed together: each runs in its own SAVEPOINT, so one
// write's failure (a username taken, a counter regression) rolls back only that write, and
// all of them are acknowledged only after the single commit that makes them durable. Under
// no concurrency a batch is one write and nothing changes; under load the fsync cost is
// shared by the batch.

// maxBatch bounds a batch so that a commit (and the wait of its first writer) stays short.
const maxBatch = 64

type write struct {
	ctx  context.Context
	fn   func(tx wtx) error
	done chan error
}

// writer runs batches until the queue is closed.
func (db *DB) writer() {
	defer close(db.stopped)
	batch := make([]write, 0, maxBatch)
	for first := range db.queue {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case w, ok := <-db.queue:
				if !ok {
					break drain
				}
				batch = append(batch, w)
			default:
				break drain
			}
		}
		db.commit(batch)
		db.prepareWrites()
	}
}

// commit runs one batch in one transaction.
func (db *DB) commit(batch []write) {
	results := make([]error, len(batch))
	tx, err := db.w.BeginTx(context.Background(), nil)
	if err != nil {
		db.noteStorage(err)
		for _, w := range batch {
			w.done <- mapErr(err)
		}
		return
	}
	applied := 0
	for i, w := range batch {
		if err := w.ctx.Err(); err != nil {
			results[i] = err // the caller gave up while queued: do nothing for it
			continue
		}
		wt := wtx{tx: tx, db: db}
		if _, err := wt.ExecContext(w.ctx, "SAVEPOINT w"); err != nil {
			results[i] = err
			continue
		}
		if err := w.fn(wt); err != nil {
			db.noteStorage(err)
			results[i] = mapErr(err)
			if storageError(err) {
				// On a full disk or an I/O error SQLite may roll back the whole transaction,
				// savepoints and all; the statements after it would then run (and commit) on
				// their own. Nothing of the batch is written: fail every write in it.
				tx.Rollback()
				for j, w := range batch {
					if j != i {
						results[j] = mapErr(err)
					}
					w.done <- results[j]
				}
				return
			}
			if _, rerr := wt.ExecContext(context.Background(), "ROLLBACK TO w"); rerr != nil {
				results[i] = fmt.Errorf("sqlite: rollback to savepoint: %w", rerr)
			}
		} else {
			applied++
		}
		if _, err := wt.ExecContext(context.Background(), "RELEASE w"); err != nil && results[i] == nil {
			results[i] = err
		}
	}
	if applied == 0 {
		tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		db.noteStorage(err)
		// Nothing in the batch is durable: every write that had succeeded fails.
		for i := range results {
			if results[i] == nil {
				results[i] = mapErr(err)
			}
		}
	}
	if applied > 0 && db.fault.Load() != nil && !anyStorageError(results) {
		db.fault.Store(nil) // a write went through: the storage takes writes again
	}
	for i, w := range batch {
		w.done <- results[i]
	}
}

// noteStorage records err when it is the storage failing.
func (db *DB) noteStorage(err error) {
	if storageError(err) {
		db.fault.Store(&storageFault{at: time.Now(), err: err})
	}
}

func anyStorageError(errs []error) bool {
	for _, err := range errs {
		if err != nil && storageError(err) {
			return true
		}
	}
	return false
}

// tx runs fn in a write transaction, batched with concurrent writes, and returns when the
// write is durable (or failed). fn must only use tx, and may run after others in the same
// transaction.
func (db *DB) tx(ctx context.Context, fn func(tx wtx) error) error {
	w := write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return errClosed
	}
	select {
	case db.queue <- w:
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	db.mu.RUnlock()
	// Once queued, wait for the outcome even if ctx ends: the write may already be in a
	// commit, and the caller must not be told it failed when it is durable.
	return <-w.done
}
