package sqlite

import (
	"context"
	"fmt"
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
			results[i] = mapErr(err)
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
		// Nothing in the batch is durable: every write that had succeeded fails.
		for i := range results {
			if results[i] == nil {
				results[i] = mapErr(err)
			}
		}
	}
	for i, w := range batch {
		w.done <- results[i]
	}
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
